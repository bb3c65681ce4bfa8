//! The default forecaster: seasonal index × level, with the indices shrunk
//! toward 1 by how much of their spread is noise (empirical Bayes), and the
//! level carried forward by the year-over-year growth.
//!
//! With two years of monthly data each calendar month has been seen once or
//! twice, so a month's own index is as noisy as one observation: seasonal
//! naive repeats that noise and misses the growth since. This model
//! - measures yearly growth `g` as the ratio of the last (up to) 12 months to
//!   the same months a year earlier (sums, so zeros are harmless), and
//!   shrinks ln g toward 0 by its noise (ridge weight (ln g)² / ((ln g)² +
//!   2σ²/k), k months compared): small regions' growth is mostly noise;
//! - takes the level as the mean of the last 12 months (a whole cycle, so
//!   seasonality cancels), centred 6.5 months back, moved by `g`;
//! - takes each calendar month's raw index as its observations over that
//!   trended level, averaged over the years seen (at most the last three);
//! - estimates the noise σ² from the year-over-year ratios (each is the
//!   ratio of two noisy months: variance 2σ²) and the true spread of the
//!   indices τ² as their observed spread less noise, and shrinks each index
//!   toward 1 by τ² / (τ² + σ²/k) (k = its years of data).
//!
//! Strong seasons (the Spring Festival dip) stand far above the noise and
//! are kept; month-to-month wobble at a small region, which is mostly noise,
//! is smoothed away. Everything scales: multiplying the data by c multiplies
//! the forecast by c.

use super::PERIOD;

/// At most this many months back feed the indices and the noise estimate.
const MEMORY: usize = 3 * PERIOD;

/// Point forecasts for the `horizon` months after `y` (`y.len() > PERIOD`).
pub(crate) fn predict(y: &[f64], horizon: usize) -> Vec<f64> {
    let n = y.len();
    debug_assert!(n > PERIOD);
    let from = n.saturating_sub(MEMORY);
    // Yearly growth over the overlap of the last 12 months with the year before.
    let k = (n - PERIOD).min(PERIOD);
    let recent: f64 = y[n - k..].iter().sum();
    let year_before: f64 = y[n - k - PERIOD..n - PERIOD].iter().sum();
    let g = if recent > 0.0 && year_before > 0.0 { (recent / year_before).clamp(0.25, 4.0) } else { 1.0 };
    let level = y[n - PERIOD..].iter().sum::<f64>() / PERIOD as f64;
    let centre = n as f64 - 6.5;

    // Noise from the year-over-year ratios, growth removed.
    let (mut ss, mut m) = (0.0, 0usize);
    for i in (from + PERIOD).max(PERIOD)..n {
        if y[i - PERIOD] > 0.0 {
            let d = y[i] / (g * y[i - PERIOD]) - 1.0;
            ss += d * d;
            m += 1;
        }
    }
    let sigma2 = if m > 0 { ss / (2.0 * m as f64) } else { 0.0 };
    // Growth shrunk toward none by its own noise: ln g has variance about
    // 2σ²/k (a ratio of two sums of k noisy months).
    let lg = g.ln();
    let v = 2.0 * sigma2 / k as f64;
    let lg = if lg * lg > 0.0 { lg * lg * lg / (lg * lg + v) } else { 0.0 };
    let monthly = (lg / PERIOD as f64).exp();
    let level_at = |i: usize| level * monthly.powf(i as f64 - centre);
    // Raw indices by phase (position mod 12).
    let mut sum = [0.0; PERIOD];
    let mut seen = [0usize; PERIOD];
    for (i, &v) in y.iter().enumerate().skip(from) {
        let l = level_at(i);
        if l > 0.0 {
            sum[i % PERIOD] += v / l;
            seen[i % PERIOD] += 1;
        }
    }
    let raw: Vec<f64> = (0..PERIOD).map(|p| if seen[p] > 0 { sum[p] / seen[p] as f64 } else { 1.0 }).collect();

    let phases: Vec<usize> = (0..PERIOD).filter(|&p| seen[p] > 0).collect();
    let spread = phases.iter().map(|&p| (raw[p] - 1.0).powi(2)).sum::<f64>() / phases.len().max(1) as f64;
    let noise = phases.iter().map(|&p| sigma2 / seen[p] as f64).sum::<f64>() / phases.len().max(1) as f64;
    let tau2 = (spread - noise).max(0.0);
    let index = |p: usize| {
        let v = sigma2 / seen[p].max(1) as f64;
        let w = if tau2 + v > 0.0 { tau2 / (tau2 + v) } else { 1.0 };
        1.0 + w * (raw[p] - 1.0)
    };
    (n..n + horizon).map(|i| (level_at(i) * index(i % PERIOD)).max(0.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pure_season_with_growth_is_extrapolated() {
        let season = [0.85, 0.55, 1.0, 1.1, 1.15, 1.1, 1.0, 0.95, 1.1, 1.1, 1.05, 0.95];
        let y: Vec<f64> = (0..24).map(|i| 100.0 * season[i % 12] * 1.01f64.powi(i as i32)).collect();
        let f = predict(&y, 3);
        for (h, v) in f.iter().enumerate() {
            let want = 100.0 * season[(24 + h) % 12] * 1.01f64.powi(24 + h as i32);
            assert!((v / want - 1.0).abs() < 0.03, "step {}: {v} vs {want}", h + 1);
        }
    }

    #[test]
    fn all_zero_history_forecasts_zero() {
        assert_eq!(predict(&[0.0; 20], 3), vec![0.0; 3]);
    }
}
