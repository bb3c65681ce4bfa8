//! `anjian bench classify`: hazard classification throughput on one thread.
//!
//! The texts are the held-out descriptions (never trained on), classified
//! round after round for a fixed time. The reference, measured in the same
//! run on the same texts, is the classifier's own first step alone: jieba
//! segmentation plus character n-grams. Any jieba-based classifier pays at
//! least that, so the ratio shows what the model itself costs.

use anjian_classify::{classifier, data::HELDOUT_TSV, parse_tsv};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn rate(texts: &[String], seconds: u64, mut f: impl FnMut(&str) -> usize) -> (f64, u64) {
    let budget = Duration::from_secs(seconds.max(1));
    let t = Instant::now();
    let mut n = 0u64;
    let mut sink = 0usize;
    while t.elapsed() < budget {
        for s in texts {
            sink = sink.wrapping_add(f(s));
        }
        n += texts.len() as u64;
    }
    black_box(sink);
    (n as f64 / t.elapsed().as_secs_f64(), n)
}

pub fn run(seconds: u64) -> anyhow::Result<()> {
    let texts: Vec<String> = parse_tsv("heldout.tsv", HELDOUT_TSV)?.into_iter().map(|s| s.text).collect();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let t = Instant::now();
    let c = classifier();
    println!("training on first use: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    println!("{} held-out descriptions, {:.1} characters on average", texts.len(), chars as f64 / texts.len() as f64);
    // Warm up caches and the allocator once.
    for s in &texts {
        black_box(c.classify(s));
    }
    let (seg, n_seg) = rate(&texts, seconds, |s| c.terms(s).len());
    let (cls, n_cls) = rate(&texts, seconds, |s| c.classify(s).len());
    println!("segmentation + n-grams only (reference): {seg:.0} descriptions/s ({n_seg} in {seconds} s)");
    println!("classification, top-5 with confidences: {cls:.0} descriptions/s ({n_cls} in {seconds} s)");
    println!("ratio to the reference: {:.2}", cls / seg);
    Ok(())
}
