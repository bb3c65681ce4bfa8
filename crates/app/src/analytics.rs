//! Analytics for regulators (A3): which hazard types follow each other at
//! the same enterprise more often than chance (co-occurrence), and hazard
//! counts per region for the next months with their backtest against a
//! seasonal-naive baseline. The models live in `anjian-analytics`; this
//! module reads the scope's hazards and names things.

use crate::{App, AppError, Caller, Result};
use anjian_analytics as an;
use anjian_domain::ids::RegionCode;
use anjian_store::{hazards, now_ms, regions};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// The region asked for, or the caller's own; regulators only.
fn region_for(caller: &Caller, asked: Option<&str>) -> Result<Option<RegionCode>> {
    caller.require(caller.role.is_regulator() || caller.is_admin())?;
    let region = match asked {
        Some(r) => Some(RegionCode::parse("region", r)?),
        None => caller.region_code.as_deref().map(|r| RegionCode::parse("region", r)).transpose()?,
    };
    if let Some(r) = &region
        && !caller.scope.allows_region(r)
    {
        return Err(AppError::NotFound);
    }
    Ok(region)
}

fn analytics_error(e: an::AnalyticsError) -> AppError {
    AppError::field(&e.field, e.reason)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CoOccurrenceParams {
    /// Region subtree (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// B must follow A at the same enterprise within this many days (1–90, default 10).
    pub window_days: Option<i64>,
    /// How far back to look, in months (1–36, default 24).
    pub months: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PairView {
    pub first: String,
    pub first_name: String,
    pub second: String,
    pub second_name: String,
    /// A occurrences (each counted once).
    pub first_occurrences: u64,
    /// A occurrences followed by B at the same enterprise within the window.
    pub followed: u64,
    /// What chance predicts, given each enterprise's own rate of B and B's season.
    pub expected: f64,
    pub lift: f64,
    /// P(B within the window | A).
    pub confidence: f64,
    /// Share of the enterprises where the pair occurred.
    pub support: f64,
    /// Enterprises where it occurred.
    pub sites: u64,
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted.
    pub q_value: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoOccurrenceView {
    pub region: Option<String>,
    pub window_days: i64,
    pub since: String,
    pub hazards: usize,
    pub enterprises: usize,
    /// Pairs tested (with at least the minimum count).
    pub tested: usize,
    /// Significant pairs, most significant first.
    pub pairs: Vec<PairView>,
}

/// Pairs of hazard types that occur together at the same enterprise within a
/// window more often than chance predicts (directed: A, then B).
pub async fn co_occurrence(app: &App, caller: &Caller, p: &CoOccurrenceParams) -> Result<CoOccurrenceView> {
    let region = region_for(caller, p.region.as_deref())?;
    let window_days = p.window_days.unwrap_or(10);
    if !(1..=90).contains(&window_days) {
        return Err(AppError::field("window_days", "时间窗应为 1 到 90 天"));
    }
    let months = p.months.unwrap_or(24);
    if !(1..=36).contains(&months) {
        return Err(AppError::field("months", "统计月数应为 1 到 36"));
    }
    let until = now_ms();
    let since = until - months * 30 * DAY_MS - months / 2 * DAY_MS;
    let rows = {
        let mut c = app.db.read().await?;
        hazards::occurrences(&mut c, &caller.scope, region.as_ref().map(|r| r.prefix()), since, until).await?
    };
    let events: Vec<an::Occurrence<String, String>> = rows
        .into_iter()
        .filter_map(|o| Some(an::Occurrence { site: o.enterprise_id?, kind: o.taxonomy_item?, at_ms: o.reported_at }))
        .collect();
    let config = an::CoOccurrenceConfig {
        window_ms: window_days * DAY_MS,
        span: Some(an::TimeSpan { start_ms: since, end_ms: until }),
        ..an::CoOccurrenceConfig::default()
    };
    // CPU-bound over up to hundreds of thousands of events: off the async workers.
    let (report, n) = tokio::task::spawn_blocking(move || {
        let n = events.len();
        an::co_occurrence(&events, &config).map(|r| (r, n))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(analytics_error)?;
    let name = |code: &str| app.knowledge.item(code).map(|i| i.name).unwrap_or_default();
    let pairs = report
        .significant()
        .map(|s| PairView {
            first_name: name(&s.first),
            second_name: name(&s.second),
            first: s.first.clone(),
            second: s.second.clone(),
            first_occurrences: s.first_occurrences,
            followed: s.followed,
            expected: s.expected,
            lift: s.lift,
            confidence: s.confidence,
            support: s.support,
            sites: s.sites,
            p_value: s.p_value,
            q_value: s.q_value,
        })
        .collect();
    Ok(CoOccurrenceView {
        region: region.map(|r| r.as_str().to_string()),
        window_days,
        since: crate::time::fmt_local(since),
        hazards: n,
        enterprises: report.sites,
        tested: report.tested,
        pairs,
    })
}

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
    let rows = hazards::occurrences(&mut c, &caller.scope, region.as_ref().map(|r| r.prefix()), since, now).await?;
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
