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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HeatmapParams {
    /// Region subtree (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// First day, `YYYY-MM-DD` (Shanghai); default: 90 days ago.
    pub since: Option<String>,
    /// Last day, `YYYY-MM-DD` (Shanghai), inclusive; default: today.
    pub until: Option<String>,
    /// `grid` (the region's grids, default) or `hex` (equal hexagons).
    pub cells: Option<String>,
    /// Hexagon circumradius in km for `cells=hex` (0.2–20, default 1).
    pub hex_km: Option<f64>,
}

fn day_start_ms(field: &str, d: &str) -> Result<i64> {
    anjian_domain::registry::validate_date(field, d)?;
    let date: jiff::civil::Date = d.parse().map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD"))?;
    date.to_zoned_datetime(crate::time::shanghai())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| AppError::field(field, e.to_string()))
}

/// Hazard and risk density for a time window as GeoJSON: one feature per grid
/// of the region (its polygon; hazards, open and major hazards, risk points
/// by colour, hazards per km²) or per hexagon of equal area (`cells=hex`).
pub async fn heatmap(app: &App, caller: &Caller, p: &HeatmapParams) -> Result<serde_json::Value> {
    use serde_json::json;
    let region = region_for(caller, p.region.as_deref())?;
    let now = now_ms();
    let until = match &p.until {
        Some(d) => day_start_ms("until", d)? + DAY_MS,
        None => now,
    };
    let since = match &p.since {
        Some(d) => day_start_ms("since", d)?,
        None => until - 90 * DAY_MS,
    };
    if since >= until {
        return Err(AppError::field("since", "开始日期应早于结束日期"));
    }
    let hex = match p.cells.as_deref().unwrap_or("grid") {
        "grid" => false,
        "hex" => true,
        _ => return Err(AppError::field("cells", "cells 应为 grid 或 hex")),
    };
    let hex_km = p.hex_km.unwrap_or(1.0);
    if !(0.2..=20.0).contains(&hex_km) {
        return Err(AppError::field("hex_km", "六边形半径应为 0.2 到 20 公里"));
    }
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    let rows = hazards::occurrences(&mut c, &caller.scope, prefix.as_deref(), since, until).await?;
    let points = crate::risk::list_points(
        app,
        caller,
        &crate::risk::PointFilter { region: region.as_ref().map(|r| r.as_str().to_string()), enterprise_id: None },
    )
    .await?;
    // Risk points without a position of their own sit at their enterprise.
    let mut risk_at: Vec<(f64, f64, String, String)> = Vec::new();
    for rp in &points {
        let at = match (rp.lng, rp.lat) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => anjian_store::enterprises::get(&mut c, &rp.enterprise_id).await?.and_then(|e| Some((e.lon?, e.lat?))),
        };
        if let Some((x, y)) = at {
            risk_at.push((x, y, rp.region_code.clone(), rp.color.clone()));
        }
    }
    #[derive(Default)]
    struct Cell {
        hazards: u64,
        open: u64,
        major: u64,
        risk: [u64; 4],
    }
    let colour = |c: &str| ["red", "orange", "yellow", "blue"].iter().position(|x| *x == c);
    let count_hazard = |cell: &mut Cell, o: &hazards::Occurrence| {
        cell.hazards += 1;
        if o.state != "closed" {
            cell.open += 1;
        }
        if o.grade == "major" {
            cell.major += 1;
        }
    };
    let feature =
        |geometry: serde_json::Value, mut props: serde_json::Map<String, serde_json::Value>, cell: &Cell, area: f64| {
            props.insert("hazards".into(), cell.hazards.into());
            props.insert("open".into(), cell.open.into());
            props.insert("major".into(), cell.major.into());
            props.insert("risk_red".into(), cell.risk[0].into());
            props.insert("risk_orange".into(), cell.risk[1].into());
            props.insert("risk_yellow".into(), cell.risk[2].into());
            props.insert("risk_blue".into(), cell.risk[3].into());
            props.insert("area_km2".into(), json!((area * 1000.0).round() / 1000.0));
            props.insert(
                "hazards_per_km2".into(),
                json!(if area > 0.0 { (cell.hazards as f64 / area * 100.0).round() / 100.0 } else { 0.0 }),
            );
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        };
    let mut features = Vec::new();
    if hex {
        let located: Vec<&hazards::Occurrence> = rows.iter().filter(|o| o.lon.is_some() && o.lat.is_some()).collect();
        let n = located.len().max(1) as f64;
        let (lon0, lat0) = if located.is_empty() {
            risk_at.first().map(|r| (r.0, r.1)).unwrap_or((0.0, 0.0))
        } else {
            (
                located.iter().filter_map(|o| o.lon).sum::<f64>() / n,
                located.iter().filter_map(|o| o.lat).sum::<f64>() / n,
            )
        };
        let grid = an::spatial::HexGrid::new(lon0, lat0, hex_km).map_err(analytics_error)?;
        let mut cells: std::collections::BTreeMap<an::spatial::HexCell, Cell> = Default::default();
        for o in located {
            count_hazard(
                cells.entry(grid.cell_of(o.lon.unwrap_or_default(), o.lat.unwrap_or_default())).or_default(),
                o,
            );
        }
        for (x, y, _, col) in &risk_at {
            if let Some(k) = colour(col) {
                cells.entry(grid.cell_of(*x, *y)).or_default().risk[k] += 1;
            }
        }
        for (id, cell) in &cells {
            let mut props = serde_json::Map::new();
            props.insert("cell".into(), json!(format!("{},{}", id.0, id.1)));
            features.push(feature(
                json!({"type": "Polygon", "coordinates": [grid.polygon(*id)]}),
                props,
                cell,
                grid.cell_area_km2(),
            ));
        }
    } else {
        let mut cells: std::collections::BTreeMap<String, Cell> = Default::default();
        for o in &rows {
            count_hazard(cells.entry(o.region_code.clone()).or_default(), o);
        }
        for (_, _, code, col) in &risk_at {
            if let Some(k) = colour(col) {
                cells.entry(code.clone()).or_default().risk[k] += 1;
            }
        }
        let names: std::collections::HashMap<String, String> =
            regions::list(&mut c, None, prefix.as_deref(), Some("grid"))
                .await?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
        for (code, geometry) in regions::grid_geometries(&mut c).await? {
            if prefix.as_deref().is_some_and(|p| !code.starts_with(p)) {
                continue;
            }
            let geometry: serde_json::Value = serde_json::from_str(&geometry).unwrap_or(serde_json::Value::Null);
            let area: f64 =
                anjian_domain::geo::polygons_of(&geometry).iter().map(|p| an::spatial::polygon_area_km2(p)).sum();
            let cell = cells.remove(&code).unwrap_or_default();
            let mut props = serde_json::Map::new();
            props.insert("code".into(), json!(code));
            props.insert("name".into(), json!(names.get(&code).cloned().unwrap_or_default()));
            features.push(feature(geometry, props, &cell, area));
        }
    }
    let total: u64 = features.iter().map(|f| f["properties"]["hazards"].as_u64().unwrap_or(0)).sum();
    let max = features.iter().map(|f| f["properties"]["hazards"].as_u64().unwrap_or(0)).max().unwrap_or(0);
    Ok(json!({"type": "FeatureCollection", "features": features,
        "summary": {"since": crate::time::fmt_local(since), "until": crate::time::fmt_local(until),
            "cells": if hex { "hex" } else { "grid" }, "hazards": total, "max_per_cell": max}}))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatsParams {
    /// month | week | day | quarter | region | industry | channel | domain | class | item | grade | state
    pub by: String,
    /// Region subtree (GB/T 2260 code); default: your own region. With
    /// `by=region` the rows are its children (drill down by asking again
    /// with a child's code).
    pub region: Option<String>,
    /// First day reported, `YYYY-MM-DD` (Shanghai); default: 12 months ago.
    pub since: Option<String>,
    /// Last day reported, `YYYY-MM-DD`, inclusive; default: today.
    pub until: Option<String>,
}

/// Counts and rates of one group of hazards.
#[derive(Debug, Default, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StatRowView {
    pub key: String,
    pub label: String,
    /// Hazards found (dismissed reports are not hazards).
    pub found: i64,
    /// Closed (已销号).
    pub rectified: i64,
    /// Dispatched and not yet closed.
    pub in_progress: i64,
    /// Open and past the deadline now.
    pub overdue: i64,
    /// Closed ÷ dispatched.
    pub rectification_rate: f64,
    /// Closed by the deadline ÷ closed with a deadline.
    pub on_time_rate: f64,
    /// Mean days from report to close-out.
    pub mean_days_to_rectify: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatsView {
    pub by: String,
    pub region: Option<String>,
    pub since: String,
    pub until: String,
    pub total: StatRowView,
    pub rows: Vec<StatRowView>,
}

#[derive(Default)]
struct Acc {
    found: i64,
    closed: i64,
    open: i64,
    overdue: i64,
    closed_with_deadline: i64,
    on_time: i64,
    days: f64,
}

impl Acc {
    fn add(&mut self, r: &hazards::StatRow, now: i64) {
        if r.state == "dismissed" {
            return;
        }
        self.found += 1;
        match r.state.as_str() {
            "closed" => {
                self.closed += 1;
                if let Some(c) = r.closed_at {
                    self.days += (c - r.reported_at) as f64 / DAY_MS as f64;
                    if let Some(d) = r.deadline_ms {
                        self.closed_with_deadline += 1;
                        if c <= d {
                            self.on_time += 1;
                        }
                    }
                }
            }
            "pending" | "rectifying" | "awaiting_acceptance" => {
                self.open += 1;
                if r.deadline_ms.is_some_and(|d| d < now) {
                    self.overdue += 1;
                }
            }
            _ => {}
        }
    }

    fn view(&self, key: String, label: String) -> StatRowView {
        let dispatched = self.open + self.closed;
        let ratio = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        StatRowView {
            key,
            label,
            found: self.found,
            rectified: self.closed,
            in_progress: self.open,
            overdue: self.overdue,
            rectification_rate: ratio(self.closed, dispatched),
            on_time_rate: ratio(self.on_time, self.closed_with_deadline),
            mean_days_to_rectify: (self.closed > 0).then(|| (self.days / self.closed as f64 * 10.0).round() / 10.0),
        }
    }
}

/// Counts and rates (found, rectified, in progress, overdue, rectification
/// and on-time rates, mean time to rectify) grouped by one dimension, in the
/// caller's scope.
pub async fn stats(app: &App, caller: &Caller, p: &StatsParams) -> Result<StatsView> {
    let region = region_for(caller, p.region.as_deref())?;
    let now = now_ms();
    let until = match &p.until {
        Some(d) => day_start_ms("until", d)? + DAY_MS,
        None => now,
    };
    let since = match &p.since {
        Some(d) => day_start_ms("since", d)?,
        None => until - 365 * DAY_MS,
    };
    if since >= until {
        return Err(AppError::field("since", "开始日期应早于结束日期"));
    }
    const DIMS: [&str; 12] = [
        "month", "week", "day", "quarter", "region", "industry", "channel", "domain", "class", "item", "grade", "state",
    ];
    if !DIMS.contains(&p.by.as_str()) {
        return Err(AppError::field("by", format!("分组维度应为: {}", DIMS.join(" | "))));
    }
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    let rows = hazards::stat_rows(&mut c, &caller.scope, prefix.as_deref(), since, until).await?;
    // Children for a drill-down by region, most specific code prefix first.
    let children: Vec<(String, String, String)> = if p.by == "region" {
        let parent = region.as_ref().map(|r| r.as_str().to_string());
        let mut kids = Vec::new();
        let list = match &parent {
            Some(code) => regions::list(&mut c, Some(code), None, None).await?,
            None => {
                regions::list(&mut c, None, None, None).await?.into_iter().filter(|r| r.parent_code.is_none()).collect()
            }
        };
        for r in list {
            let prefix = RegionCode::parse("region", &r.code)?.prefix().to_string();
            kids.push((r.code, r.name, prefix));
        }
        kids
    } else {
        vec![]
    };
    drop(c);
    let tree = crate::knowledge::taxonomy_tree();
    let mut names = std::collections::HashMap::new();
    let mut parents = std::collections::HashMap::new();
    for d in &tree {
        names.insert(d.code.clone(), d.name.clone());
        for cl in &d.children {
            names.insert(cl.code.clone(), cl.name.clone());
            for it in &cl.children {
                names.insert(it.code.clone(), it.name.clone());
                parents.insert(it.code.clone(), (cl.code.clone(), d.code.clone()));
            }
        }
    }
    let tz = crate::time::shanghai();
    let key_of = |r: &hazards::StatRow| -> Option<String> {
        let date = || {
            Timestamp::from_millisecond(r.reported_at)
                .map(|t| t.to_zoned_datetime(tz.clone()).date())
                .unwrap_or_default()
        };
        Some(match p.by.as_str() {
            "day" => date().to_string(),
            "month" => format!("{:04}-{:02}", date().year(), date().month()),
            "quarter" => format!("{:04}-Q{}", date().year(), (date().month() - 1) / 3 + 1),
            "week" => {
                let w = date().iso_week_date();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            "region" => children.iter().find(|(_, _, pre)| r.region_code.starts_with(pre.as_str()))?.0.clone(),
            "industry" => r.industry.clone().unwrap_or_else(|| "none".into()),
            "channel" => r.channel.clone(),
            "item" => r.taxonomy_item.clone().unwrap_or_else(|| "unclassified".into()),
            "class" => {
                r.taxonomy_item.as_ref().and_then(|i| parents.get(i)).map_or("unclassified".into(), |p| p.0.clone())
            }
            "domain" => {
                r.taxonomy_item.as_ref().and_then(|i| parents.get(i)).map_or("unclassified".into(), |p| p.1.clone())
            }
            "grade" => r.grade.clone(),
            _ => r.state.clone(),
        })
    };
    let mut groups: std::collections::BTreeMap<String, Acc> = Default::default();
    let mut total = Acc::default();
    for r in &rows {
        total.add(r, now);
        if let Some(k) = key_of(r) {
            groups.entry(k).or_default().add(r, now);
        }
    }
    // A drill-down lists every child, the quiet ones too.
    for (code, ..) in &children {
        groups.entry(code.clone()).or_default();
    }
    let label = |k: &str| -> String {
        match p.by.as_str() {
            "region" => children.iter().find(|(c, ..)| c == k).map(|(_, n, _)| n.clone()).unwrap_or_default(),
            "industry" => anjian_domain::registry::industry_label("industry", k)
                .map(String::from)
                .unwrap_or_else(|_| "无所属企业".into()),
            "channel" => crate::hazards::channel_label(k).unwrap_or_default().into(),
            "item" | "class" | "domain" => names.get(k).cloned().unwrap_or_else(|| "待分类".into()),
            "grade" => {
                if k == "major" {
                    "重大".into()
                } else {
                    "一般".into()
                }
            }
            "state" => anjian_domain::hazard::State::parse(k).map(|s| s.label().to_string()).unwrap_or_default(),
            _ => k.to_string(),
        }
    };
    Ok(StatsView {
        by: p.by.clone(),
        region: region.map(|r| r.as_str().to_string()),
        since: crate::time::fmt_local(since),
        until: crate::time::fmt_local(until),
        total: total.view("total".into(), "合计".into()),
        rows: groups.iter().map(|(k, a)| a.view(k.clone(), label(k))).collect(),
    })
}

// ------------------------------------------------------- rankings and grades

/// Ranking indicators and the ABCD thresholds, as data (`data/grading.json`,
/// replaceable through [`set_grading`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GradingConfig {
    pub version: u32,
    #[serde(default)]
    pub note: Option<String>,
    pub indicators: Vec<Indicator>,
    /// Highest first; a score gets the first grade whose `min_score` it reaches.
    pub grades: Vec<GradeBand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Indicator {
    /// rectification_rate | on_time_rate | overdue_rate | licence_overdue_rate
    pub key: String,
    pub label: String,
    pub weight: f64,
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GradeBand {
    pub grade: String,
    pub min_score: f64,
}

const INDICATORS: [&str; 4] = ["rectification_rate", "on_time_rate", "overdue_rate", "licence_overdue_rate"];
const GRADING_KEY: &str = "analytics.grading";

impl GradingConfig {
    fn shipped() -> GradingConfig {
        serde_json::from_str(include_str!("../data/grading.json")).expect("data/grading.json is valid")
    }

    pub fn validate(&self) -> Result<()> {
        if self.indicators.is_empty() {
            return Err(AppError::field("indicators", "至少需要一个指标"));
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            if !INDICATORS.contains(&ind.key.as_str()) {
                return Err(AppError::field(
                    &format!("indicators[{i}].key"),
                    format!("未知指标（可选: {}）", INDICATORS.join(", ")),
                ));
            }
            if self.indicators[..i].iter().any(|o| o.key == ind.key) {
                return Err(AppError::field(&format!("indicators[{i}].key"), "指标重复"));
            }
            if !ind.weight.is_finite() || ind.weight < 0.0 {
                return Err(AppError::field(&format!("indicators[{i}].weight"), "权重应为不小于 0 的数"));
            }
        }
        if self.indicators.iter().map(|i| i.weight).sum::<f64>() <= 0.0 {
            return Err(AppError::field("indicators", "权重之和应大于 0"));
        }
        if self.grades.is_empty() {
            return Err(AppError::field("grades", "至少需要一个等级"));
        }
        for (i, g) in self.grades.iter().enumerate() {
            if g.grade.trim().is_empty() || !g.min_score.is_finite() {
                return Err(AppError::field(&format!("grades[{i}]"), "等级名称不能为空，分数线应为数"));
            }
            if i > 0 && g.min_score >= self.grades[i - 1].min_score {
                return Err(AppError::field(&format!("grades[{i}].min_score"), "分数线应从高到低严格递减"));
            }
        }
        if self.grades.last().is_some_and(|g| g.min_score > 0.0) {
            return Err(AppError::field(
                &format!("grades[{}].min_score", self.grades.len() - 1),
                "最低等级的分数线应为 0",
            ));
        }
        Ok(())
    }

    /// The weighted score (0–100) of indicator values; indicators without a
    /// value (nothing to measure) are left out and the weights renormalised.
    pub fn score(&self, values: &std::collections::BTreeMap<String, Option<f64>>) -> Option<f64> {
        let (mut sum, mut weights) = (0.0, 0.0);
        for ind in &self.indicators {
            if let Some(Some(v)) = values.get(&ind.key) {
                let v = v.clamp(0.0, 1.0);
                sum += ind.weight * 100.0 * if ind.higher_is_better { v } else { 1.0 - v };
                weights += ind.weight;
            }
        }
        (weights > 0.0).then(|| (sum / weights * 100.0).round() / 100.0)
    }

    pub fn grade(&self, score: f64) -> String {
        self.grades
            .iter()
            .find(|g| score >= g.min_score)
            .or(self.grades.last())
            .map(|g| g.grade.clone())
            .unwrap_or_default()
    }
}

/// The grading shipped with anjian (`data/grading.json`).
pub fn grading_shipped() -> GradingConfig {
    GradingConfig::shipped()
}

/// The grading in force: the deployment's, else the shipped one.
pub async fn grading(app: &App) -> Result<GradingConfig> {
    let mut c = app.db.read().await?;
    Ok(match anjian_store::settings::get(&mut c, GRADING_KEY).await? {
        Some(v) => serde_json::from_str(&v).map_err(|e| AppError::Internal(format!("stored grading: {e}")))?,
        None => GradingConfig::shipped(),
    })
}

/// Replaces the grading (super admin or city supervisor); audited.
pub async fn set_grading(app: &App, caller: &Caller, cfg: &GradingConfig) -> Result<GradingConfig> {
    caller.require(caller.is_admin() || caller.role == anjian_domain::role::Role::CitySupervisor)?;
    cfg.validate()?;
    let before = grading(app).await?;
    let mut tx = app.db.begin().await?;
    let text = serde_json::to_string(cfg).map_err(|e| AppError::Internal(e.to_string()))?;
    anjian_store::settings::set(&mut tx, GRADING_KEY, &text).await?;
    crate::audit::record(&mut tx, caller, "update", "grading", GRADING_KEY, Some(&before), Some(cfg)).await?;
    tx.commit().await?;
    Ok(cfg.clone())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RankingParams {
    /// `regions` (default) or `enterprises`.
    pub target: Option<String>,
    /// For regions: district | street (default) | community | grid.
    pub level: Option<String>,
    /// Region subtree; default: your own region.
    pub region: Option<String>,
    /// First day reported, `YYYY-MM-DD`; default: 12 months ago.
    pub since: Option<String>,
    /// Last day reported, `YYYY-MM-DD`, inclusive; default: today.
    pub until: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RankedRow {
    /// 1 = best; ties share a rank.
    pub rank: usize,
    pub key: String,
    pub name: String,
    /// Null when nothing could be measured.
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub found: i64,
    pub overdue: i64,
    /// Indicator key → value (0–1), null when there was nothing to measure.
    #[schema(value_type = Object)]
    pub indicators: std::collections::BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RankingView {
    pub target: String,
    pub level: Option<String>,
    pub since: String,
    pub until: String,
    pub grading: GradingConfig,
    /// How many rows got each grade.
    #[schema(value_type = Object)]
    pub grade_counts: std::collections::BTreeMap<String, usize>,
    pub rows: Vec<RankedRow>,
}

fn window(p_since: Option<&str>, p_until: Option<&str>, default_days: i64) -> Result<(i64, i64)> {
    let until = match p_until {
        Some(d) => day_start_ms("until", d)? + DAY_MS,
        None => now_ms(),
    };
    let since = match p_since {
        Some(d) => day_start_ms("since", d)?,
        None => until - default_days * DAY_MS,
    };
    if since >= until {
        return Err(AppError::field("since", "开始日期应早于结束日期"));
    }
    Ok((since, until))
}

/// Regions (at a level) or enterprises ranked by the weighted indicators,
/// each with its ABCD grade.
pub async fn ranking(app: &App, caller: &Caller, p: &RankingParams) -> Result<RankingView> {
    let region = region_for(caller, p.region.as_deref())?;
    let target = p.target.clone().unwrap_or_else(|| "regions".into());
    let level_len = match (target.as_str(), p.level.as_deref().unwrap_or("street")) {
        ("enterprises", _) => 0,
        ("regions", "district") => 6,
        ("regions", "street") => 9,
        ("regions", "community") => 12,
        ("regions", "grid") => 15,
        ("regions", _) => return Err(AppError::field("level", "层级应为 district、street、community 或 grid")),
        _ => return Err(AppError::field("target", "对象应为 regions 或 enterprises")),
    };
    let (since, until) = window(p.since.as_deref(), p.until.as_deref(), 365)?;
    let cfg = grading(app).await?;
    let now = now_ms();
    let today = crate::time::today_local(now);
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    let rows = hazards::stat_rows(&mut c, &caller.scope, prefix.as_deref(), since, until).await?;
    let ents = anjian_store::enterprises::with_licence_expiries(&mut c, &caller.scope, prefix.as_deref()).await?;
    // Groups: key → (name, hazards, licence numerator/denominator).
    let mut names: std::collections::BTreeMap<String, String> = Default::default();
    if level_len > 0 {
        let level = match level_len {
            6 => "district",
            9 => "street",
            12 => "community",
            _ => "grid",
        };
        for r in regions::list(&mut c, None, prefix.as_deref(), Some(level)).await? {
            names.insert(r.code, r.name);
        }
    } else {
        for e in &ents {
            names.insert(e.id.clone(), e.name.clone());
        }
    }
    drop(c);
    let group_of = |region: &str, enterprise: Option<&str>| -> Option<String> {
        if level_len == 0 { enterprise.map(String::from) } else { region.get(..level_len).map(String::from) }
    };
    let mut acc: std::collections::BTreeMap<String, Acc> = names.keys().map(|k| (k.clone(), Acc::default())).collect();
    for r in &rows {
        if let Some(k) = group_of(&r.region_code, r.enterprise_id.as_deref())
            && let Some(a) = acc.get_mut(&k)
        {
            a.add(r, now);
        }
    }
    let mut licences: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for e in &ents {
        let (expiries, Some(k)) = (&e.expiries, group_of(&e.region_code, Some(&e.id))) else { continue };
        let expired = expiries.iter().filter(|d| d.as_deref().is_some_and(|d| d < today.as_str())).count();
        let e = licences.entry(k).or_default();
        if level_len == 0 {
            // An enterprise: its expired licences of all its licences.
            e.0 += expired;
            e.1 += expiries.len();
        } else if !expiries.is_empty() {
            // A region: enterprises with an expired licence of those holding any.
            e.0 += usize::from(expired > 0);
            e.1 += 1;
        }
    }
    let mut out: Vec<RankedRow> = acc
        .iter()
        .map(|(k, a)| {
            let dispatched = a.open + a.closed;
            let ratio = |x: i64, y: i64| (y > 0).then(|| x as f64 / y as f64);
            let mut values = std::collections::BTreeMap::new();
            values.insert("rectification_rate".to_string(), ratio(a.closed, dispatched));
            values.insert("on_time_rate".to_string(), ratio(a.on_time, a.closed_with_deadline));
            values.insert("overdue_rate".to_string(), ratio(a.overdue, a.open).or((dispatched > 0).then_some(0.0)));
            let (ln, ld) = licences.get(k).copied().unwrap_or_default();
            values.insert("licence_overdue_rate".to_string(), (ld > 0).then(|| ln as f64 / ld as f64));
            let score = cfg.score(&values);
            RankedRow {
                rank: 0,
                key: k.clone(),
                name: names.get(k).cloned().unwrap_or_default(),
                grade: score.map(|s| cfg.grade(s)),
                score,
                found: a.found,
                overdue: a.overdue,
                indicators: values,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)).then(a.key.cmp(&b.key)));
    for i in 0..out.len() {
        out[i].rank = if i > 0 && out[i].score == out[i - 1].score { out[i - 1].rank } else { i + 1 };
    }
    let mut grade_counts = std::collections::BTreeMap::new();
    for r in &out {
        if let Some(g) = &r.grade {
            *grade_counts.entry(g.clone()).or_insert(0) += 1;
        }
    }
    Ok(RankingView {
        target,
        level: (level_len > 0).then(|| p.level.clone().unwrap_or_else(|| "street".into())),
        since: crate::time::fmt_local(since),
        until: crate::time::fmt_local(until),
        grading: cfg,
        grade_counts,
        rows: out,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LicenceParams {
    /// Region subtree; default: your own region.
    pub region: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndustryLicences {
    pub industry: String,
    pub label: String,
    pub enterprises: usize,
    /// Enterprises holding at least one licence.
    pub with_licences: usize,
    /// Of those, enterprises with at least one expired licence.
    pub overdue_enterprises: usize,
    pub licences: usize,
    pub overdue_licences: usize,
    /// overdue_enterprises ÷ with_licences.
    pub rate: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LicenceView {
    pub today: String,
    pub rows: Vec<IndustryLicences>,
    /// The industry with the highest and the lowest rate, and the mean of the industries' rates.
    pub max: Option<IndustryLicences>,
    pub min: Option<IndustryLicences>,
    pub average: f64,
}

/// Licence-overdue rate by industry, with its maximum, minimum and average.
pub async fn licences(app: &App, caller: &Caller, p: &LicenceParams) -> Result<LicenceView> {
    let region = region_for(caller, p.region.as_deref())?;
    let today = crate::time::today_local(now_ms());
    let mut c = app.db.read().await?;
    let ents =
        anjian_store::enterprises::with_licence_expiries(&mut c, &caller.scope, region.as_ref().map(|r| r.prefix()))
            .await?;
    drop(c);
    let mut by: std::collections::BTreeMap<String, IndustryLicences> = Default::default();
    for e in &ents {
        let (industry, expiries) = (&e.industry, &e.expiries);
        let row = by.entry(industry.clone()).or_insert_with(|| IndustryLicences {
            industry: industry.clone(),
            label: anjian_domain::registry::industry_label("industry", industry).unwrap_or_default().into(),
            enterprises: 0,
            with_licences: 0,
            overdue_enterprises: 0,
            licences: 0,
            overdue_licences: 0,
            rate: 0.0,
        });
        let expired = expiries.iter().filter(|d| d.as_deref().is_some_and(|d| d < today.as_str())).count();
        row.enterprises += 1;
        row.licences += expiries.len();
        row.overdue_licences += expired;
        if !expiries.is_empty() {
            row.with_licences += 1;
            row.overdue_enterprises += usize::from(expired > 0);
        }
    }
    let rows: Vec<IndustryLicences> = by
        .into_values()
        .map(|mut r| {
            r.rate = if r.with_licences == 0 { 0.0 } else { r.overdue_enterprises as f64 / r.with_licences as f64 };
            r
        })
        .collect();
    let pick = |best: bool| {
        rows.iter()
            .filter(|r| r.with_licences > 0)
            .reduce(|a, b| if (b.rate > a.rate) == best && b.rate != a.rate { b } else { a })
            .map(|r| IndustryLicences { label: r.label.clone(), industry: r.industry.clone(), ..*r })
    };
    let measured: Vec<f64> = rows.iter().filter(|r| r.with_licences > 0).map(|r| r.rate).collect();
    let average = if measured.is_empty() { 0.0 } else { measured.iter().sum::<f64>() / measured.len() as f64 };
    Ok(LicenceView { max: pick(true), min: pick(false), average, today, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, Option<f64>)]) -> std::collections::BTreeMap<String, Option<f64>> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn shipped_grading_is_valid_and_scores_by_weight() {
        let g = GradingConfig::shipped();
        g.validate().unwrap();
        let perfect = values(&[
            ("rectification_rate", Some(1.0)),
            ("on_time_rate", Some(1.0)),
            ("overdue_rate", Some(0.0)),
            ("licence_overdue_rate", Some(0.0)),
        ]);
        assert_eq!(g.score(&perfect), Some(100.0));
        assert_eq!(g.grade(100.0), "A");
        // Only what can be measured counts: one indicator at 0.5 gives 50.
        assert_eq!(g.score(&values(&[("rectification_rate", Some(0.5))])), Some(50.0));
        assert_eq!(g.score(&values(&[])), None);
        // Boundaries: the threshold itself belongs to the grade.
        assert_eq!(g.grade(85.0), "A");
        assert_eq!(g.grade(84.99), "B");
        assert_eq!(g.grade(60.0), "C");
        assert_eq!(g.grade(59.99), "D");
        assert_eq!(g.grade(0.0), "D");
    }

    #[test]
    fn bad_gradings_name_the_field() {
        let mut g = GradingConfig::shipped();
        g.indicators[1].key = "happiness".into();
        assert!(matches!(g.validate(), Err(AppError::Invalid(f)) if f.field == "indicators[1].key"));
        let mut g = GradingConfig::shipped();
        g.grades[2].min_score = 90.0;
        assert!(matches!(g.validate(), Err(AppError::Invalid(f)) if f.field == "grades[2].min_score"));
        let mut g = GradingConfig::shipped();
        for i in &mut g.indicators {
            i.weight = 0.0;
        }
        assert!(matches!(g.validate(), Err(AppError::Invalid(f)) if f.field == "indicators"));
    }

    proptest::proptest! {
        #[test]
        fn scores_stay_in_range_and_improve_with_better_values(
            a in 0.0f64..=1.0, b in 0.0f64..=1.0, c in 0.0f64..=1.0, d in 0.0f64..=1.0, up in 0.0f64..=0.5,
        ) {
            let g = GradingConfig::shipped();
            let v = values(&[("rectification_rate", Some(a)), ("on_time_rate", Some(b)), ("overdue_rate", Some(c)), ("licence_overdue_rate", Some(d))]);
            let s = g.score(&v).unwrap();
            proptest::prop_assert!((0.0..=100.0).contains(&s));
            let better = values(&[("rectification_rate", Some((a + up).min(1.0))), ("on_time_rate", Some(b)), ("overdue_rate", Some((c - up).max(0.0))), ("licence_overdue_rate", Some(d))]);
            proptest::prop_assert!(g.score(&better).unwrap() >= s - 1e-9);
        }
    }
}
