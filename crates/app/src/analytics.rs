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
