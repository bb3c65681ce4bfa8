//! `anjian bench pdf`: enforcement-document rendering on one thread.
//!
//! The document is a two-page 责令限期整改指令书 with 10 findings
//! (`anjian_docs::enforcement::example`). Three phases of the same length,
//! in the same run: serialising the document as JSON (what storing the same
//! content costs), building its layout alone (line breaking, tables, font
//! lookups: everything but the PDF), and the full rendering (layout, font
//! subsetting, compression, PDF serialisation). The ratios show what the
//! PDF writer adds to the layout, and how far a PDF is from plain JSON.

use anjian_docs::enforcement::{Kind, example, lay_out, render};
use anjian_docs::fonts::FontSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn rate(seconds: u64, mut f: impl FnMut() -> usize) -> (f64, u64) {
    let budget = Duration::from_secs(seconds.max(1));
    let t = Instant::now();
    let mut n = 0u64;
    let mut sink = 0usize;
    while t.elapsed() < budget {
        sink = sink.wrapping_add(f());
        n += 1;
    }
    black_box(sink);
    (n as f64 / t.elapsed().as_secs_f64(), n)
}

pub fn run(seconds: u64) -> anyhow::Result<()> {
    let doc = example(Kind::RectificationOrder, 10);
    let fonts = FontSet::bundled();
    let pdf = render(&doc)?;
    let pages = lay_out(&doc, fonts)?.pages.len();
    let json = serde_json::to_vec(&doc)?;
    println!(
        "责令限期整改指令书, {} findings, {pages} pages: PDF {} bytes, JSON {} bytes",
        doc.findings.len(),
        pdf.len(),
        json.len()
    );
    let (j, nj) = rate(seconds, || serde_json::to_vec(black_box(&doc)).map_or(0, |v| v.len()));
    let (l, nl) = rate(seconds, || lay_out(black_box(&doc), fonts).map_or(0, |l| l.pages.len()));
    let (r, nr) = rate(seconds, || render(black_box(&doc)).map_or(0, |v| v.len()));
    println!("| phase | documents/s | count |");
    println!("|---|---|---|");
    println!("| JSON serialisation (reference) | {j:.0} | {nj} |");
    println!("| layout only (reference) | {l:.0} | {nl} |");
    println!("| full PDF rendering | {r:.1} | {nr} |");
    println!(
        "ratio PDF / layout only: {:.3} (the PDF writer's share of the time: {:.0} %)",
        r / l,
        (1.0 - r / l) * 100.0
    );
    println!("ratio PDF / JSON: {:.5} (1 PDF costs as much as {:.0} JSON serialisations)", r / j, j / r);
    Ok(())
}
