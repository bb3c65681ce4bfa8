//! Hazard counts per region for the next months, with their backtest (A3).

use super::{DAY_MS, analytics_error, region_for};
use crate::{App, AppError, Caller, Result};
use anjian_analytics as an;
use anjian_domain::ids::RegionCode;
use anjian_store::{hazards, now_ms, regions};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ForecastParams {
    /// The region whose subtree and children are forecast; default: your own region.
    pub region: Option<String>,
    /// Months ahead (1–12, default 3).
    pub horizon: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`
    pub month: String,
    pub count: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthForecast {
    /// `YYYY-MM`
    pub month: String,
    pub value: f64,
    /// 80 % prediction interval.
    pub lower: f64,
    pub upper: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionForecast {
    pub region: String,
    pub name: String,
    /// Complete months used (the current month is partial and left out).
    pub history: Vec<MonthCount>,
    pub forecast: Vec<MonthForecast>,
    /// seasonal_index | holt_winters_… | non_seasonal …
    pub model: String,
    pub note: Option<String>,
    /// Rolling-origin backtest over the history: the model's MASE and MAPE and
    /// the seasonal-naive baseline's; the model must beat the baseline.
    pub backtest_mase: Option<f64>,
    pub backtest_mape: Option<f64>,
    pub baseline_mase: Option<f64>,
    pub baseline_mape: Option<f64>,
    pub beats_baseline: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForecastView {
    pub horizon: usize,
    /// The region asked for first, then its children.
    pub regions: Vec<RegionForecast>,
}

/// (year, month) in Shanghai of an instant.
fn year_month(ms: i64) -> (i16, i8) {
    let d = Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(crate::time::shanghai()).date())
        .unwrap_or_default();
    (d.year(), d.month())
}

fn month_index((y, m): (i16, i8)) -> i64 {
    i64::from(y) * 12 + i64::from(m) - 1
}

fn month_label(idx: i64) -> String {
    format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
}

/// Hazard counts per region for the next months with a seasonal model, and
/// each model's backtest against seasonal naive.
pub async fn forecast(app: &App, caller: &Caller, p: &ForecastParams) -> Result<ForecastView> {
    let region = region_for(caller, p.region.as_deref())?;
    let horizon = p.horizon.unwrap_or(3);
    if !(1..=12).contains(&horizon) {
        return Err(AppError::field("horizon", "预测月数应为 1 到 12"));
    }
    let now = now_ms();
    let this_month = month_index(year_month(now));
    let first = this_month - 24;
    let mut c = app.db.read().await?;
    // The region itself (or the whole platform) and its children.
    let mut targets: Vec<(String, String)> = Vec::new();
    match &region {
        Some(r) => {
            let me = regions::get(&mut c, r.as_str()).await?.ok_or(AppError::NotFound)?;
            targets.push((me.code.clone(), me.name));
            for child in regions::list(&mut c, Some(r.as_str()), None, None).await? {
                targets.push((child.code, child.name));
            }
        }
        None => {
            targets.push((String::new(), "全部".into()));
            for top in regions::list(&mut c, None, None, None).await?.into_iter().filter(|r| r.parent_code.is_none()) {
                targets.push((top.code, top.name));
            }
        }
    }
    let since = {
        let (y, m) = (first.div_euclid(12), first.rem_euclid(12) + 1);
        let d = jiff::civil::date(y as i16, m as i8, 1);
        d.to_zoned_datetime(crate::time::shanghai()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
    };
    let rows = hazards::stat_rows(&mut c, &caller.scope, region.as_ref().map(|r| r.prefix()), since, now)
        .await?
        .into_iter()
        .filter(|o| o.state != "dismissed")
        .collect::<Vec<_>>();
    drop(c);
    // A month in which the records begin part-way (a platform started, or
    // history imported, mid-month) would read as a slump: start with the
    // first month the records cover from its first day.
    let first = match rows.first() {
        Some(o) => {
            let m = month_index(year_month(o.reported_at));
            let starts_late = year_month(o.reported_at - DAY_MS) == year_month(o.reported_at);
            first.max(if starts_late { m + 1 } else { m })
        }
        None => first,
    }
    .min(this_month - 1);
    let mut out = Vec::new();
    for (code, name) in targets {
        let prefix =
            if code.is_empty() { String::new() } else { RegionCode::parse("region", &code)?.prefix().to_string() };
        let mut counts = vec![0f64; (this_month - first) as usize];
        for o in rows.iter().filter(|o| o.region_code.starts_with(&prefix)) {
            let k = month_index(year_month(o.reported_at)) - first;
            if (0..counts.len() as i64).contains(&k) {
                counts[k as usize] += 1.0;
            }
        }
        let first_month = (first.rem_euclid(12) + 1) as u8;
        let series = an::MonthlySeries::new(first_month, counts.clone());
        let fc = an::forecast(&series, &an::ForecastConfig { horizon, ..an::ForecastConfig::default() })
            .map_err(analytics_error)?;
        let bt = an::backtest(&series, &an::BacktestConfig::default()).ok();
        out.push(RegionForecast {
            region: code,
            name,
            history: counts
                .iter()
                .enumerate()
                .map(|(i, n)| MonthCount { month: month_label(first + i as i64), count: *n })
                .collect(),
            forecast: fc
                .points
                .iter()
                .map(|pt| MonthForecast {
                    month: month_label(this_month + pt.step as i64 - 1),
                    value: pt.value,
                    lower: pt.lower,
                    upper: pt.upper,
                })
                .collect(),
            model: serde_json::to_value(fc.model).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            note: fc.note,
            backtest_mase: bt.as_ref().and_then(|b| b.model.mase),
            backtest_mape: bt.as_ref().and_then(|b| b.model.mape),
            baseline_mase: bt.as_ref().and_then(|b| b.baseline.mase),
            baseline_mape: bt.as_ref().and_then(|b| b.baseline.mape),
            beats_baseline: bt.as_ref().map(|b| b.beats_baseline),
        });
    }
    Ok(ForecastView { horizon, regions: out })
}
