//! `anjian bench calc`: standards-calculator throughput on one thread, for
//! GB 18218 with a 20-substance unit and GB/T 50107 with a 50-group batch.
//!
//! The reference, measured in the same run on the same input, is reading the
//! request body alone (`serde_json` into the calculator's input type): every
//! call through the API pays at least that, so the ratio shows what the
//! calculation costs beside it.

use anjian_domain::calc::{gb18218, gb50107};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn rate(seconds: u64, mut f: impl FnMut() -> usize) -> f64 {
    let budget = Duration::from_secs(seconds.max(1));
    let t = Instant::now();
    let mut n = 0u64;
    let mut sink = 0usize;
    while t.elapsed() < budget {
        for _ in 0..256 {
            sink = sink.wrapping_add(f());
        }
        n += 256;
    }
    black_box(sink);
    n as f64 / t.elapsed().as_secs_f64()
}

/// Twenty table-1 substances, looked up by name, alias and CAS number.
fn unit() -> String {
    let names = [
        "氨",
        "液氯",
        "硫化氢",
        "甲醇",
        "汽油",
        "氢",
        "液化石油气",
        "苯",
        "二氧化硫",
        "光气",
        "氰化氢",
        "7664-41-7",
        "环氧乙烷",
        "溴甲烷",
        "丙酮",
        "甲苯",
        "乙醇",
        "乙炔",
        "天然气",
        "硝酸铵(含可燃物≤0.2%)",
    ];
    let subs: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| serde_json::json!({"name": n, "quantity_t": 0.05 + i as f64 * 0.03}))
        .collect();
    serde_json::json!({"substances": subs, "exposed_people": 120}).to_string()
}

/// Fifty groups of three cubes for a C30 batch; every seventh group has an
/// outlier (middle value), one group is invalid.
fn batch() -> String {
    let mut groups = Vec::new();
    for i in 0..50u32 {
        let base = 33.0 + f64::from(i % 9) * 0.7;
        let g = match i {
            17 => [20.0, base, 48.0],
            i if i % 7 == 0 => [base, base + 0.4, base * 1.25],
            _ => [base - 0.3, base, base + 0.5],
        };
        groups.push(g.to_vec());
    }
    serde_json::json!({"grade": "C30", "specimen_mm": 150, "groups": groups, "sigma0": null}).to_string()
}

pub fn run(seconds: u64) -> anyhow::Result<()> {
    let unit = unit();
    let batch = batch();
    let u: gb18218::Gb18218Input = serde_json::from_str(&unit)?;
    let b: gb50107::Gb50107Input = serde_json::from_str(&batch)?;
    let ru = gb18218::assess(&u).map_err(|e| anyhow::anyhow!("GB 18218 input: {e}"))?;
    let rb = gb50107::assess(&b).map_err(|e| anyhow::anyhow!("GB/T 50107 input: {e}"))?;
    println!(
        "GB 18218, 20 substances: S {:.3}, major {}, R {:?}, grade {:?}; GB/T 50107, 50 groups: {} valid, method {:?}, pass {}",
        ru.s, ru.is_major, ru.r, ru.grade, rb.n, rb.method, rb.pass
    );
    let parse_u =
        rate(seconds, || serde_json::from_str::<gb18218::Gb18218Input>(&unit).map_or(0, |v| v.substances.len()));
    let calc_u = rate(seconds, || gb18218::assess(black_box(&u)).map_or(0, |r| r.substances.len()));
    let parse_b = rate(seconds, || serde_json::from_str::<gb50107::Gb50107Input>(&batch).map_or(0, |v| v.groups.len()));
    let calc_b = rate(seconds, || gb50107::assess(black_box(&b)).map_or(0, |r| r.n));
    println!("| calculator | evaluations/s | reference: JSON body read/s | ratio |");
    println!("|---|---|---|---|");
    println!("| GB 18218, 20 substances | {calc_u:.0} | {parse_u:.0} | {:.2} |", calc_u / parse_u);
    println!("| GB/T 50107, 50 groups | {calc_b:.0} | {parse_b:.0} | {:.2} |", calc_b / parse_b);
    Ok(())
}
