//! Prints the classifier's held-out accuracy, calibration and throughput.
//!
//!     cargo run --release -p anjian-classify --example eval
//!     cargo run --release -p anjian-classify --example eval -- --cv 5
//!
//! `--cv K` instead reports K-fold cross-validation on the *training* set;
//! hyper-parameters in data/classifier.json (including the softmax
//! temperature and the threshold) were chosen that way, never on the
//! held-out set. Extra `key=value` arguments override the configuration
//! (e.g. `temperature=1.5 epochs=40`) for such experiments.

use std::time::Instant;

use anjian_classify::{Classifier, ClassifierConfig, Evaluation, cross_validate, data, evaluate, parse_tsv, taxonomy};

use anjian_classify::data::HELDOUT_TSV;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = ClassifierConfig::from_json(data::CLASSIFIER_JSON).expect("classifier.json");
    let mut cv = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--cv" {
            cv = Some(it.next().and_then(|k| k.parse().ok()).expect("--cv K"));
        } else if let Some((k, v)) = a.split_once('=') {
            let mut json = serde_json::to_value(&config).unwrap();
            json[k] = serde_json::from_str(v).unwrap_or_else(|_| panic!("bad value for {k}"));
            config = serde_json::from_value(json).expect("override");
        }
    }
    let train = parse_tsv("train.tsv", data::TRAIN_TSV).expect("train.tsv");
    let tax = taxonomy();

    if let Some(k) = cv {
        let e = cross_validate(tax, &train, &config, k).expect("cv");
        println!("{k}-fold cross-validation on train.tsv ({} descriptions)", train.len());
        print(&e);
        return;
    }

    let heldout = parse_tsv("heldout.tsv", HELDOUT_TSV).expect("heldout.tsv");
    let t = Instant::now();
    let c = Classifier::train(tax, &train, config).expect("train");
    let train_ms = t.elapsed().as_secs_f64() * 1e3;
    let e = evaluate(&c, &heldout);
    println!("taxonomy: {} items; trained on {} descriptions in {train_ms:.0} ms", tax.items().count(), train.len());
    println!("held-out set: {} descriptions", heldout.len());
    print(&e);

    // Throughput on one core: classify the held-out descriptions repeatedly.
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed().as_secs_f64() < 2.0 {
        for s in &heldout {
            std::hint::black_box(c.classify(&s.text));
            n += 1;
        }
    }
    println!("throughput: {:.0} descriptions/s (one thread)", n as f64 / t.elapsed().as_secs_f64());

    if std::env::var_os("EVAL_ERRORS").is_some() {
        for s in &heldout {
            let r = c.top(&s.text, 3);
            if r[0].0 != s.item {
                println!("  {} | {} → {} {:.2}, {} {:.2}", s.item, s.text, r[0].0, r[0].1, r[1].0, r[1].1);
            }
        }
    }
}

fn print(e: &Evaluation) {
    println!("top-1 accuracy: {:.3}", e.top1);
    println!("top-3 accuracy: {:.3}", e.top3);
    println!("domain top-1:   {:.3}", e.domain_top1);
    println!("calibration error (ECE): {:.3}", e.calibration_error);
    for b in &e.calibration {
        println!(
            "  confidence {:.1}–{:.1}: {:4} reports, mean confidence {:.2}, accuracy {:.2}",
            b.from, b.to, b.count, b.mean_confidence, b.accuracy
        );
    }
    println!(
        "threshold {:.2}: {:.1}% classified automatically, {:.3} of them correct",
        e.threshold,
        e.automated * 100.0,
        e.automated_top1
    );
}
