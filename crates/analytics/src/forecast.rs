//! Monthly forecasts of hazard counts with a seasonal model, and a
//! rolling-origin backtest against seasonal naive ([`backtest()`]).

mod backtest;
mod holt_winters;
mod seasonal_index;

pub use backtest::{Backtest, BacktestConfig, ErrorSummary, backtest};

use crate::AnalyticsError;
use crate::probability::normal_quantile;
use serde::{Deserialize, Serialize};

/// Months in a seasonal cycle.
pub const PERIOD: usize = 12;
/// The longest horizon accepted (ten years).
pub const MAX_HORIZON: usize = 120;

/// Monthly counts, oldest first; `first_month` (1–12) is the calendar month
/// of `values[0]`, so each value's month of the year is known. Values must
/// be finite and ≥ 0 (zeros are fine). Leave out a month still in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlySeries {
    pub first_month: u8,
    pub values: Vec<f64>,
}

impl MonthlySeries {
    pub fn new(first_month: u8, values: Vec<f64>) -> MonthlySeries {
        MonthlySeries { first_month, values }
    }

    /// Rejects a bad `first_month`, an empty series and any value that is
    /// not a finite number ≥ 0, naming the field (`values[7]`).
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        if !(1..=12).contains(&self.first_month) {
            return Err(AnalyticsError::new("first_month", "must be a calendar month 1–12"));
        }
        if self.values.is_empty() {
            return Err(AnalyticsError::new("values", "no months to forecast from"));
        }
        for (i, v) in self.values.iter().enumerate() {
            if !v.is_finite() {
                return Err(AnalyticsError::new(format!("values[{i}]"), "not a finite number"));
            }
            if *v < 0.0 {
                return Err(AnalyticsError::new(format!("values[{i}]"), "a count cannot be negative"));
            }
        }
        Ok(())
    }

    /// The calendar month (1–12) of the value at `index` (past the end too).
    pub fn month_at(&self, index: usize) -> u8 {
        ((usize::from(self.first_month) - 1 + index) % PERIOD) as u8 + 1
    }
}

/// Which forecaster to use for a series with more than one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// Seasonal index × trended level with shrunk indices (the default; see
    /// the crate doc for why).
    #[default]
    SeasonalIndex,
    /// Damped Holt–Winters, parameters by grid search.
    HoltWinters,
    /// The same month last year.
    SeasonalNaive,
}

/// The model that produced a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelUsed {
    SeasonalIndex,
    HoltWintersMultiplicative,
    HoltWintersAdditive,
    SeasonalNaive,
    /// Fewer than 13 months: simple exponential smoothing, no season.
    NonSeasonal,
}

/// Settings of [`forecast`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForecastConfig {
    /// Months ahead, 1..=[`MAX_HORIZON`] (the issue asks for 3).
    pub horizon: usize,
    pub method: Method,
    /// Coverage of the prediction interval, in (0, 1).
    pub coverage: f64,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig { horizon: 3, method: Method::SeasonalIndex, coverage: 0.8 }
    }
}

/// One forecast month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForecastPoint {
    /// Months after the last value (1, 2, …).
    pub step: usize,
    /// Calendar month 1–12.
    pub month: u8,
    pub value: f64,
    /// Prediction interval at the configured coverage (never below 0).
    pub lower: f64,
    pub upper: f64,
}

/// The result of [`forecast`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub points: Vec<ForecastPoint>,
    pub model: ModelUsed,
    /// Why the model differs from the one asked for, if it does.
    pub note: Option<String>,
}

/// Point forecasts of `method` for the `horizon` months after `y`, and the
/// model used (non-seasonal when `y` has no more than one cycle).
fn predict(method: Method, y: &[f64], horizon: usize) -> (Vec<f64>, ModelUsed) {
    if y.len() <= PERIOD {
        return (exponential_smoothing(y, horizon), ModelUsed::NonSeasonal);
    }
    match method {
        Method::SeasonalIndex => (seasonal_index::predict(y, horizon), ModelUsed::SeasonalIndex),
        Method::HoltWinters => {
            let used = if holt_winters::multiplicative(y) {
                ModelUsed::HoltWintersMultiplicative
            } else {
                ModelUsed::HoltWintersAdditive
            };
            (holt_winters::predict(y, horizon), used)
        }
        Method::SeasonalNaive => (seasonal_naive(y, horizon), ModelUsed::SeasonalNaive),
    }
}

/// The same month a cycle earlier (`y.len() ≥ PERIOD`).
fn seasonal_naive(y: &[f64], horizon: usize) -> Vec<f64> {
    let n = y.len();
    (n..n + horizon).map(|i| y[i - PERIOD * (1 + (i - n) / PERIOD)]).collect()
}

/// Simple exponential smoothing, α from a grid by one-step squared error;
/// a flat forecast.
fn exponential_smoothing(y: &[f64], horizon: usize) -> Vec<f64> {
    let mut best = (f64::INFINITY, y[0]);
    for alpha in [0.1, 0.2, 0.3, 0.5, 0.7, 0.9] {
        let mut level = y[0];
        let mut sse = 0.0;
        for &v in &y[1..] {
            sse += (v - level) * (v - level);
            level += alpha * (v - level);
        }
        if sse < best.0 {
            best = (sse, level);
        }
    }
    vec![best.1; horizon]
}

/// Relative errors of `method` forecasting `y` from its own past: rolling
/// origins over the last cycle, horizons 1..=`horizon` pooled.
fn relative_errors(method: Method, y: &[f64], horizon: usize) -> Vec<f64> {
    let n = y.len();
    let min_train = if n > PERIOD { PERIOD + 1 } else { 2 };
    let mut out = Vec::new();
    for origin in min_train.max(n.saturating_sub(PERIOD))..n {
        let (fc, _) = predict(method, &y[..origin], horizon.min(n - origin));
        for (f, a) in fc.iter().zip(&y[origin..]) {
            if *f > 0.0 {
                out.push((a - f) / f);
            }
        }
    }
    out
}

/// Forecasts the `config.horizon` months after `series` with a prediction
/// interval from the spread of the model's own rolling-origin errors on the
/// series (relative, so the interval scales with the forecast).
///
/// Series of 12 months or fewer get a non-seasonal forecast (exponential
/// smoothing), said in `note`. Errors: invalid series (the field is named)
/// or config.
pub fn forecast(series: &MonthlySeries, config: &ForecastConfig) -> Result<Forecast, AnalyticsError> {
    series.validate()?;
    if !(1..=MAX_HORIZON).contains(&config.horizon) {
        return Err(AnalyticsError::new("config.horizon", format!("must be 1–{MAX_HORIZON} months")));
    }
    if !(config.coverage > 0.0 && config.coverage < 1.0) {
        return Err(AnalyticsError::new("config.coverage", "must be in (0, 1)"));
    }
    let y = &series.values;
    let (points, model) = predict(config.method, y, config.horizon);
    let note = (model == ModelUsed::NonSeasonal).then(|| {
        format!(
            "only {} months of history: a seasonal model needs at least {}, so this forecast has no season",
            y.len(),
            PERIOD + 1
        )
    });
    let mut errors = relative_errors(config.method, y, config.horizon);
    if errors.len() < 2 {
        // Too short to test the model on itself: month-to-month change.
        errors = y.windows(2).filter(|w| w[0] > 0.0).map(|w| (w[1] - w[0]) / w[0]).collect();
    }
    let spread =
        if errors.is_empty() { 0.0 } else { (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt() };
    let z = normal_quantile(0.5 + config.coverage / 2.0);
    let points = points
        .into_iter()
        .enumerate()
        .map(|(i, value)| ForecastPoint {
            step: i + 1,
            month: series.month_at(y.len() + i),
            value,
            lower: (value * (1.0 - z * spread)).max(0.0),
            upper: value * (1.0 + z * spread),
        })
        .collect();
    Ok(Forecast { points, model, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;
    use proptest::prelude::*;

    fn run(first_month: u8, values: Vec<f64>, method: Method) -> Forecast {
        forecast(&MonthlySeries::new(first_month, values), &ForecastConfig { method, ..Default::default() }).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    /// Mean MASE of the model and of seasonal naive, and the model's wins,
    /// over demo-like series of `base` hazards a month.
    fn backtests(base: f64, seeds: u64, method: Method) -> (f64, f64, usize) {
        let (mut model, mut naive, mut wins) = (0.0, 0.0, 0);
        for seed in 0..seeds {
            let s = MonthlySeries::new(synthetic::FIRST_MONTH, synthetic::monthly_counts(seed, base, 24));
            let r = backtest(&s, &BacktestConfig { method, ..Default::default() }).unwrap();
            assert_eq!(r.origins, (15..=21).collect::<Vec<_>>());
            model += r.model.mase.unwrap();
            naive += r.baseline.mase.unwrap();
            wins += usize::from(r.beats_baseline);
        }
        (model / seeds as f64, naive / seeds as f64, wins)
    }

    #[test]
    fn beats_seasonal_naive_on_noisy_seasonal_series_of_a_district() {
        // About 400 hazards a month: a district of the demo city.
        let (model, naive, wins) = backtests(400.0, 30, Method::SeasonalIndex);
        eprintln!("district: MASE {model:.3} vs seasonal naive {naive:.3}, {wins}/30 wins");
        assert!(model < 0.8 * naive, "MASE {model} vs {naive}");
        assert!(wins >= 27, "{wins}/30");
    }

    #[test]
    fn beats_seasonal_naive_on_small_noisy_regions_on_average() {
        // 40 a month: a street, where Poisson noise is ~16 %.
        let (model, naive, wins) = backtests(40.0, 60, Method::SeasonalIndex);
        eprintln!("street: MASE {model:.3} vs seasonal naive {naive:.3}, {wins}/60 wins");
        assert!(model < naive, "MASE {model} vs {naive}");
        assert!(wins > 30, "{wins}/60");
    }

    #[test]
    fn beats_seasonal_naive_on_the_demo_city_pattern() {
        // The demo's 100,000 hazards over 24 months: ~4,200 a month.
        let s = MonthlySeries::new(synthetic::FIRST_MONTH, synthetic::monthly_counts(7, 100_000.0 / 24.0, 24));
        let r = backtest(&s, &BacktestConfig::default()).unwrap();
        eprintln!("city: {r:?}");
        assert!(r.beats_baseline);
        assert!(r.model.mase.unwrap() < 0.5 * r.baseline.mase.unwrap(), "{r:?}");
        assert!(r.model.mape.unwrap() < 4.0, "{r:?}");
    }

    #[test]
    fn seasonal_index_backtests_better_than_holt_winters_on_demo_like_series() {
        // Why the default is what it is (see the crate doc).
        for base in [40.0, 400.0] {
            let (si, naive, _) = backtests(base, 20, Method::SeasonalIndex);
            let (hw, _, _) = backtests(base, 20, Method::HoltWinters);
            eprintln!("base {base}: seasonal index {si:.3}, Holt-Winters {hw:.3}, seasonal naive {naive:.3}");
            assert!(si < hw, "base {base}: {si} vs {hw}");
        }
    }

    #[test]
    fn backtest_of_seasonal_naive_against_itself_does_not_beat_it() {
        let s = MonthlySeries::new(1, synthetic::monthly_counts(3, 300.0, 24));
        let r = backtest(&s, &BacktestConfig { method: Method::SeasonalNaive, ..Default::default() }).unwrap();
        assert_eq!(r.model, r.baseline);
        assert!(!r.beats_baseline);
    }

    #[test]
    fn backtest_needs_a_cycle_and_a_horizon() {
        let s = MonthlySeries::new(1, vec![10.0; 15]);
        let e = backtest(&s, &BacktestConfig::default()).unwrap_err();
        assert_eq!(e.field, "values");
        let s = MonthlySeries::new(1, vec![10.0; 16]);
        assert_eq!(backtest(&s, &BacktestConfig::default()).unwrap().origins, vec![13]);
    }

    #[test]
    fn short_series_fall_back_to_a_non_seasonal_forecast_and_say_so() {
        let f = run(3, vec![10.0, 12.0, 11.0, 13.0, 12.0], Method::SeasonalIndex);
        assert_eq!(f.model, ModelUsed::NonSeasonal);
        assert!(f.note.as_deref().unwrap().contains("5 months"));
        assert!(f.points.iter().all(|p| (10.0..=13.0).contains(&p.value)));
        let f = run(3, vec![7.0], Method::HoltWinters);
        assert_eq!(f.points.iter().map(|p| p.value).collect::<Vec<_>>(), vec![7.0; 3]);
        let f = run(3, synthetic::monthly_counts(1, 100.0, 13), Method::SeasonalIndex);
        assert_eq!((f.model, f.note), (ModelUsed::SeasonalIndex, None));
    }

    #[test]
    fn forecast_and_backtest_serialize_for_the_api() {
        let s = MonthlySeries::new(1, synthetic::monthly_counts(8, 100.0, 24));
        let f = serde_json::to_value(forecast(&s, &ForecastConfig::default()).unwrap()).unwrap();
        assert_eq!(f["model"], "seasonal_index");
        assert_eq!(f["points"][0]["month"], 1);
        let b = serde_json::to_value(backtest(&s, &BacktestConfig::default()).unwrap()).unwrap();
        assert!(b["model"]["mase"].is_number() && b["baseline"]["mape"].is_number());
    }

    #[test]
    fn forecast_months_follow_the_calendar() {
        let f = run(12, vec![5.0; 24], Method::SeasonalIndex);
        let months: Vec<u8> = f.points.iter().map(|p| p.month).collect();
        assert_eq!(months, vec![12, 1, 2]);
        assert_eq!(f.points.iter().map(|p| p.step).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn the_spring_festival_dip_is_forecast() {
        // 14 months from December: February is next, then March.
        let f = run(12, synthetic::monthly_counts(5, 4000.0, 14), Method::SeasonalIndex);
        assert_eq!(f.points[0].month, 2);
        assert!(f.points[0].value < 0.7 * f.points[1].value, "{:?}", f.points);
    }

    #[test]
    fn invalid_input_names_the_field() {
        let cfg = ForecastConfig::default();
        let e = forecast(&MonthlySeries::new(1, vec![1.0, 2.0, f64::NAN]), &cfg).unwrap_err();
        assert_eq!(e.field, "values[2]");
        let e = forecast(&MonthlySeries::new(1, vec![1.0, f64::INFINITY]), &cfg).unwrap_err();
        assert_eq!(e.field, "values[1]");
        let e = forecast(&MonthlySeries::new(1, vec![-1.0]), &cfg).unwrap_err();
        assert_eq!(e.field, "values[0]");
        let e = forecast(&MonthlySeries::new(13, vec![1.0]), &cfg).unwrap_err();
        assert_eq!(e.field, "first_month");
        let e = forecast(&MonthlySeries::new(1, vec![]), &cfg).unwrap_err();
        assert_eq!(e.field, "values");
        let e = forecast(&MonthlySeries::new(1, vec![1.0]), &ForecastConfig { coverage: 1.0, ..cfg }).unwrap_err();
        assert_eq!(e.field, "config.coverage");
        let e = forecast(&MonthlySeries::new(1, vec![1.0]), &ForecastConfig { horizon: 0, ..cfg }).unwrap_err();
        assert_eq!(e.field, "config.horizon");
        let e = backtest(&MonthlySeries::new(1, vec![f64::NAN; 30]), &BacktestConfig::default()).unwrap_err();
        assert_eq!(e.field, "values[0]");
    }

    #[test]
    fn zeros_are_handled_by_every_method() {
        let mut y = synthetic::monthly_counts(2, 3.0, 24);
        y[0] = 0.0;
        y[12] = 0.0;
        y[23] = 0.0;
        for method in [Method::SeasonalIndex, Method::HoltWinters, Method::SeasonalNaive] {
            let f = run(1, y.clone(), method);
            assert!(f.points.iter().all(|p| p.value.is_finite() && p.lower >= 0.0 && p.lower <= p.upper), "{f:?}");
            let b = backtest(&MonthlySeries::new(1, y.clone()), &BacktestConfig { method, ..Default::default() });
            assert!(b.is_ok());
        }
        let f = run(1, vec![0.0; 24], Method::SeasonalIndex);
        assert!(f.points.iter().all(|p| p.value == 0.0 && p.upper == 0.0));
    }

    #[test]
    fn interval_holds_the_point_and_widens_with_noise() {
        let quiet = run(12, synthetic::monthly_counts(4, 4000.0, 24), Method::SeasonalIndex);
        let noisy = run(12, synthetic::monthly_counts(4, 40.0, 24), Method::SeasonalIndex);
        let width = |f: &Forecast| f.points.iter().map(|p| (p.upper - p.lower) / p.value).sum::<f64>();
        for p in quiet.points.iter().chain(&noisy.points) {
            assert!(p.lower <= p.value && p.value <= p.upper, "{p:?}");
        }
        assert!(width(&noisy) > 2.0 * width(&quiet), "{} vs {}", width(&noisy), width(&quiet));
    }

    #[test]
    fn interval_covers_about_as_often_as_promised() {
        let (mut inside, mut total) = (0, 0);
        for seed in 0..40 {
            let y = synthetic::monthly_counts(seed, 200.0, 27);
            let f = run(12, y[..24].to_vec(), Method::SeasonalIndex);
            for (p, actual) in f.points.iter().zip(&y[24..]) {
                inside += usize::from(p.lower <= *actual && *actual <= p.upper);
                total += 1;
            }
        }
        let share = inside as f64 / total as f64;
        eprintln!("80 % interval covered {share:.3}");
        assert!((0.65..=0.97).contains(&share), "80 % interval covered {share}");
    }

    fn method() -> impl Strategy<Value = Method> {
        prop_oneof![Just(Method::SeasonalIndex), Just(Method::HoltWinters), Just(Method::SeasonalNaive)]
    }

    proptest! {
        #[test]
        fn a_constant_series_forecasts_that_constant(
            c in 0.0f64..1e6, len in 1usize..40, first in 1u8..=12, method in method(),
        ) {
            let f = run(first, vec![c; len], method);
            for p in &f.points {
                prop_assert!(close(p.value, c), "{p:?} vs {c}");
                prop_assert!(close(p.lower, c) && close(p.upper, c), "{p:?}");
            }
        }

        #[test]
        fn forecasts_are_scale_equivariant(
            y in proptest::collection::vec(0.0f64..1000.0, 1..40),
            scale in 0.001f64..1000.0,
            first in 1u8..=12,
            method in prop_oneof![Just(Method::SeasonalIndex), Just(Method::SeasonalNaive)],
        ) {
            let a = run(first, y.clone(), method);
            let b = run(first, y.iter().map(|v| v * scale).collect(), method);
            prop_assert_eq!(a.model, b.model);
            for (p, q) in a.points.iter().zip(&b.points) {
                prop_assert!(close(p.value * scale, q.value), "{} · {scale} vs {}", p.value, q.value);
                prop_assert!((p.upper * scale - q.upper).abs() <= 1e-6 * q.upper.max(1.0));
                prop_assert!((p.lower * scale - q.lower).abs() <= 1e-6 * q.upper.max(1.0));
            }
        }

        #[test]
        fn forecasts_are_finite_non_negative_and_ordered(
            y in proptest::collection::vec(prop_oneof![Just(0.0f64), 0.0f64..1e5], 1..50),
            first in 1u8..=12,
            method in method(),
        ) {
            let f = run(first, y, method);
            prop_assert_eq!(f.points.len(), 3);
            for p in &f.points {
                prop_assert!(p.value.is_finite() && p.lower.is_finite() && p.upper.is_finite());
                prop_assert!(0.0 <= p.lower && p.lower <= p.value && p.value <= p.upper, "{p:?}");
            }
        }

        #[test]
        fn backtest_errors_are_non_negative_and_consistent(
            y in proptest::collection::vec(1.0f64..1e4, 16..40),
            method in method(),
        ) {
            let b = backtest(&MonthlySeries::new(1, y.clone()), &BacktestConfig { method, ..Default::default() }).unwrap();
            prop_assert!(b.model.mae >= 0.0 && b.baseline.mae >= 0.0);
            prop_assert!(b.origins.iter().all(|&o| o > PERIOD && o + 3 <= y.len()));
            prop_assert_eq!(b.origins.len(), (y.len() - 3 - PERIOD).min(7));
        }
    }
}
