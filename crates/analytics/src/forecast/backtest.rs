//! Rolling-origin backtest of a forecaster against seasonal naive.

use super::{MAX_HORIZON, Method, ModelUsed, MonthlySeries, PERIOD, predict, seasonal_naive};
use crate::AnalyticsError;
use serde::{Deserialize, Serialize};

/// Settings of [`backtest`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    pub horizon: usize,
    /// How many of the last origins to use (each forecasts `horizon` months
    /// that were known afterwards).
    pub origins: usize,
    pub method: Method,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig { horizon: 3, origins: 7, method: Method::SeasonalIndex }
    }
}

/// Errors of one forecaster over all origins and horizons.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    /// Mean absolute error.
    pub mae: f64,
    /// Mean absolute scaled error: each error over the in-sample MAE of
    /// seasonal naive on that origin's training data. `None` if a training
    /// set repeats itself exactly (scale 0).
    pub mase: Option<f64>,
    /// Mean absolute percentage error (%) over months with a non-zero
    /// actual; `None` if all were zero.
    pub mape: Option<f64>,
}

/// The result of [`backtest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Training lengths used as origins: each forecast used only the months
    /// before its origin.
    pub origins: Vec<usize>,
    pub model: ErrorSummary,
    pub model_used: ModelUsed,
    /// Seasonal naive over the same origins.
    pub baseline: ErrorSummary,
    /// The model's MASE (MAE when MASE is undefined) is below the
    /// baseline's.
    pub beats_baseline: bool,
}

/// Backtests `config.method` on `series` with rolling origins: the last
/// `config.origins` training lengths `o` with `o ≥ 13` (seasonal naive needs
/// a cycle, its in-sample MAE one more month) and `o + horizon ≤ len`. With 24
/// months, horizon 3 and 7 origins: origins 15..=21.
///
/// Errors: invalid series, or too short for one origin (the field is named).
pub fn backtest(series: &MonthlySeries, config: &BacktestConfig) -> Result<Backtest, AnalyticsError> {
    series.validate()?;
    if !(1..=MAX_HORIZON).contains(&config.horizon) {
        return Err(AnalyticsError::new("config.horizon", format!("must be 1–{MAX_HORIZON} months")));
    }
    if config.origins == 0 {
        return Err(AnalyticsError::new("config.origins", "must be at least 1"));
    }
    let y = &series.values;
    let n = y.len();
    let h = config.horizon;
    let min_origin = PERIOD + 1;
    if n < min_origin + h {
        return Err(AnalyticsError::new(
            "values",
            format!("a backtest needs at least {} months for horizon {h}, got {n}", min_origin + h),
        ));
    }
    let last = n - h;
    let first = min_origin.max((last + 1).saturating_sub(config.origins));
    let origins: Vec<usize> = (first..=last).collect();
    let mut model = Acc::default();
    let mut baseline = Acc::default();
    let mut used = ModelUsed::SeasonalNaive;
    for &o in &origins {
        let train = &y[..o];
        let scale = train[PERIOD..].iter().zip(train).map(|(a, b)| (a - b).abs()).sum::<f64>() / (o - PERIOD) as f64;
        let (fc, m) = predict(config.method, train, h);
        used = m;
        let naive = seasonal_naive(train, h);
        for (i, actual) in y[o..o + h].iter().enumerate() {
            model.add(fc[i], *actual, scale);
            baseline.add(naive[i], *actual, scale);
        }
    }
    let (model, baseline) = (model.summary(), baseline.summary());
    let beats_baseline = match (model.mase, baseline.mase) {
        (Some(a), Some(b)) => a < b,
        _ => model.mae < baseline.mae,
    };
    Ok(Backtest { origins, model, model_used: used, baseline, beats_baseline })
}

#[derive(Default)]
struct Acc {
    abs: f64,
    scaled: f64,
    scale_zero: bool,
    pct: f64,
    pct_n: usize,
    n: usize,
}

impl Acc {
    fn add(&mut self, forecast: f64, actual: f64, scale: f64) {
        let e = (actual - forecast).abs();
        self.abs += e;
        self.n += 1;
        if scale > 0.0 {
            self.scaled += e / scale;
        } else {
            self.scale_zero = true;
        }
        if actual != 0.0 {
            self.pct += 100.0 * e / actual.abs();
            self.pct_n += 1;
        }
    }

    fn summary(&self) -> ErrorSummary {
        let n = self.n as f64;
        ErrorSummary {
            mae: self.abs / n,
            mase: (!self.scale_zero).then(|| self.scaled / n),
            mape: (self.pct_n > 0).then(|| self.pct / self.pct_n as f64),
        }
    }
}
