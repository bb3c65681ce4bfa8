//! Holt–Winters with a damped trend, multiplicative seasonality (additive
//! when the first cycle has a zero), smoothing parameters chosen by grid
//! search on the one-step-ahead squared errors after the first cycle.
//! Initialised from the first cycle (level = its mean, indices = its values
//! over the mean) and, with two cycles, the trend from their difference.
//!
//! Kept as an alternative: with only 15–24 months to fit, the parameters
//! are chosen on a handful of errors, and the backtests in this crate's
//! tests favour [`super::seasonal_index`].

use super::PERIOD;

const ALPHA: [f64; 7] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
const BETA: [f64; 3] = [0.0, 0.05, 0.15];
const GAMMA: [f64; 5] = [0.0, 0.05, 0.1, 0.2, 0.4];
const PHI: [f64; 3] = [0.8, 0.9, 0.98];

/// Whether the model is multiplicative (`true`) or additive on `y`.
pub(crate) fn multiplicative(y: &[f64]) -> bool {
    y[..PERIOD].iter().all(|&v| v > 0.0)
}

struct Fit {
    level: f64,
    trend: f64,
    season: [f64; PERIOD],
    sse: f64,
}

fn run(y: &[f64], mult: bool, alpha: f64, beta: f64, gamma: f64, phi: f64) -> Fit {
    let l0 = y[..PERIOD].iter().sum::<f64>() / PERIOD as f64;
    let mut season = [0.0; PERIOD];
    for p in 0..PERIOD {
        season[p] = if mult { y[p] / l0 } else { y[p] - l0 };
    }
    let mut trend = if y.len() >= 2 * PERIOD {
        (y[PERIOD..2 * PERIOD].iter().sum::<f64>() / PERIOD as f64 - l0) / PERIOD as f64
    } else {
        0.0
    };
    let mut level = l0;
    let mut sse = 0.0;
    for (t, &v) in y.iter().enumerate() {
        let s = season[t % PERIOD];
        let base = level + phi * trend;
        let fc = if mult { base * s } else { base + s };
        if t >= PERIOD {
            sse += (v - fc) * (v - fc);
        }
        let mut new_level =
            if mult { alpha * v / s + (1.0 - alpha) * base } else { alpha * (v - s) + (1.0 - alpha) * base };
        if mult {
            new_level = new_level.max(1e-9 * l0);
        }
        trend = beta * (new_level - level) + (1.0 - beta) * phi * trend;
        season[t % PERIOD] =
            if mult { gamma * v / new_level + (1.0 - gamma) * s } else { gamma * (v - new_level) + (1.0 - gamma) * s };
        level = new_level;
    }
    Fit { level, trend, season, sse }
}

/// Point forecasts for the `horizon` months after `y` (`y.len() > PERIOD`).
pub(crate) fn predict(y: &[f64], horizon: usize) -> Vec<f64> {
    let mult = multiplicative(y);
    let mut best: Option<(Fit, f64)> = None;
    for &alpha in &ALPHA {
        for &beta in &BETA {
            for &gamma in &GAMMA {
                for &phi in &PHI {
                    let fit = run(y, mult, alpha, beta, gamma, phi);
                    if best.as_ref().is_none_or(|(b, _)| fit.sse < b.sse) {
                        best = Some((fit, phi));
                    }
                }
            }
        }
    }
    let (fit, phi) = best.expect("grid is not empty");
    let n = y.len();
    let mut damp = 0.0;
    let mut pow = 1.0;
    (1..=horizon)
        .map(|h| {
            pow *= phi;
            damp += pow;
            let base = fit.level + damp * fit.trend;
            let s = fit.season[(n + h - 1) % PERIOD];
            (if mult { base * s } else { base + s }).max(0.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noiseless_season_is_repeated() {
        let season = [0.85, 0.55, 1.0, 1.1, 1.15, 1.1, 1.0, 0.95, 1.1, 1.1, 1.05, 0.95];
        let y: Vec<f64> = (0..20).map(|i| 200.0 * season[i % 12]).collect();
        for (h, v) in predict(&y, 3).iter().enumerate() {
            assert!((v - 200.0 * season[(20 + h) % 12]).abs() < 1e-6);
        }
    }

    #[test]
    fn zeros_in_the_first_cycle_switch_to_additive() {
        let mut y = vec![5.0; 18];
        y[3] = 0.0;
        assert!(!multiplicative(&y));
        assert!(predict(&y, 3).iter().all(|v| v.is_finite() && *v >= 0.0));
    }
}
