//! Measuring the classifier: top-k accuracy, calibration, and how many
//! reports the threshold lets through automatically.

use serde::Serialize;

use crate::dataset::Sample;
use crate::{Classifier, ClassifierConfig, Error, Taxonomy};

/// One reliability-diagram bin of top-1 confidence.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub count: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub samples: usize,
    pub top1: f64,
    pub top3: f64,
    /// Top-1 prediction in the right domain (消防, 建筑施工…).
    pub domain_top1: f64,
    /// Expected calibration error of the top-1 confidence (10 bins).
    pub calibration_error: f64,
    pub calibration: Vec<CalibrationBin>,
    pub threshold: f64,
    /// Share of reports classified automatically (top-1 ≥ threshold).
    pub automated: f64,
    /// Top-1 accuracy on those automated reports.
    pub automated_top1: f64,
}

/// Evaluates `classifier` on labelled `samples`.
pub fn evaluate(classifier: &Classifier, samples: &[Sample]) -> Evaluation {
    let ranked: Vec<_> = samples.iter().map(|s| classifier.top(&s.text, 3)).collect();
    summarize(samples, &ranked, classifier.threshold())
}

/// k-fold cross-validation on the training samples (fold = index mod k), for
/// choosing hyper-parameters without looking at the held-out set.
pub fn cross_validate(
    taxonomy: &Taxonomy,
    samples: &[Sample],
    config: &ClassifierConfig,
    folds: usize,
) -> Result<Evaluation, Error> {
    let mut ranked = vec![Vec::new(); samples.len()];
    for k in 0..folds {
        let train: Vec<Sample> =
            samples.iter().enumerate().filter(|(i, _)| i % folds != k).map(|(_, s)| s.clone()).collect();
        let c = Classifier::train(taxonomy, &train, config.clone())?;
        for (i, s) in samples.iter().enumerate().filter(|(i, _)| i % folds == k) {
            ranked[i] = c.top(&s.text, 3);
        }
    }
    Ok(summarize(samples, &ranked, config.threshold))
}

fn summarize(samples: &[Sample], ranked: &[Vec<(String, f64)>], threshold: f64) -> Evaluation {
    let n = samples.len().max(1) as f64;
    let domain = |code: &str| code.split('-').next().unwrap_or("").to_string();
    let (mut top1, mut top3, mut dom1, mut auto, mut auto_ok) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut bins: Vec<(usize, f64, usize)> = vec![(0, 0.0, 0); 10];
    for (s, r) in samples.iter().zip(ranked) {
        let Some((best, conf)) = r.first() else { continue };
        let hit = *best == s.item;
        top1 += hit as usize;
        top3 += r.iter().take(3).any(|(c, _)| *c == s.item) as usize;
        dom1 += (domain(best) == domain(&s.item)) as usize;
        if *conf >= threshold {
            auto += 1;
            auto_ok += hit as usize;
        }
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += hit as usize;
    }
    let calibration: Vec<CalibrationBin> = bins
        .iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0)
        .map(|(i, &(count, conf, ok))| CalibrationBin {
            from: i as f64 / 10.0,
            to: (i + 1) as f64 / 10.0,
            count,
            mean_confidence: conf / count as f64,
            accuracy: ok as f64 / count as f64,
        })
        .collect();
    let calibration_error =
        calibration.iter().map(|b| b.count as f64 / n * (b.mean_confidence - b.accuracy).abs()).sum();
    Evaluation {
        samples: samples.len(),
        top1: top1 as f64 / n,
        top3: top3 as f64 / n,
        domain_top1: dom1 as f64 / n,
        calibration_error,
        calibration,
        threshold,
        automated: auto as f64 / n,
        automated_top1: if auto == 0 { 0.0 } else { auto_ok as f64 / auto as f64 },
    }
}
