//! Counts and rates by one dimension, with drill-down by region (A1).

use super::{DAY_MS, region_for, window};
use crate::{App, AppError, Caller, Result};
use anjian_domain::ids::RegionCode;
use anjian_store::{hazards, now_ms, regions, rollup};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatsParams {
    /// month | week | day | quarter | region | industry | channel | domain | class | item | grade | state;
    /// or up to three of them joined by commas (`region,month,state`): each
    /// row is then one combination, its `key` the keys joined by `|` and its
    /// `label` the labels joined by ` · `.
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
pub(super) struct Acc {
    /// Hazards of the group, dismissed ones included (0: an empty group).
    pub(super) rows: i64,
    pub(super) found: i64,
    pub(super) closed: i64,
    pub(super) open: i64,
    pub(super) overdue: i64,
    pub(super) closed_with_deadline: i64,
    pub(super) on_time: i64,
    pub(super) days: f64,
}

impl Acc {
    pub(super) fn add(&mut self, r: &hazards::StatRow, now: i64) {
        self.rows += 1;
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

    /// A group of the rollup (or of its overdue count, `overdue`).
    fn add_cube(&mut self, r: &rollup::CubeRow, overdue: bool) {
        if overdue {
            self.overdue += r.n;
            return;
        }
        self.rows += r.n;
        if r.state == "dismissed" {
            return;
        }
        self.found += r.n;
        match r.state.as_str() {
            "closed" => {
                self.closed += r.n;
                self.closed_with_deadline += r.closed_with_deadline;
                self.on_time += r.closed_on_time;
                self.days += r.rectify_ms as f64 / DAY_MS as f64;
            }
            "pending" | "rectifying" | "awaiting_acceptance" => self.open += r.n,
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

const DIMS: [&str; 12] =
    ["month", "week", "day", "quarter", "region", "industry", "channel", "domain", "class", "item", "grade", "state"];
/// The dimensions the rollup holds (see [`rollup`]).
const ROLLUP_DIMS: [&str; 6] = ["month", "quarter", "region", "industry", "grade", "state"];

/// The dimensions of `by`: one, or up to three joined by commas.
fn parse_dims(by: &str) -> Result<Vec<&str>> {
    let dims: Vec<&str> = by.split(',').map(str::trim).collect();
    let bad = || AppError::field("by", format!("分组维度应为: {}（最多三个，以逗号分隔）", DIMS.join(" | ")));
    if dims.len() > 3 || dims.iter().any(|d| !DIMS.contains(d)) {
        return Err(bad());
    }
    if dims.iter().enumerate().any(|(i, d)| dims[..i].contains(d)) {
        return Err(AppError::field("by", "分组维度重复"));
    }
    Ok(dims)
}

/// Calendar months (Shanghai) overlapping `[since, until)`: (`YYYY-MM`,
/// overlap start, overlap end, month start, month end).
fn month_segments(since: i64, until: i64) -> Vec<(String, i64, i64, i64, i64)> {
    let tz = crate::time::shanghai();
    let start_of = |d: jiff::civil::Date| -> i64 {
        d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(i64::MAX)
    };
    let Ok(first) = Timestamp::from_millisecond(since) else { return vec![] };
    let mut m = first.to_zoned_datetime(tz.clone()).date().first_of_month();
    let mut out = Vec::new();
    loop {
        let a = start_of(m);
        if a >= until {
            break;
        }
        let Ok(next) = m.checked_add(jiff::Span::new().months(1)) else { break };
        let b = start_of(next);
        let (lo, hi) = (a.max(since), b.min(until));
        out.push((format!("{:04}-{:02}", m.year(), m.month()), lo, hi, a, b));
        m = next;
    }
    out
}

/// Counts and rates (found, rectified, in progress, overdue, rectification
/// and on-time rates, mean time to rectify) grouped by one to three
/// dimensions, in the caller's scope. By month, quarter, region (down to
/// streets), industry, grade and state the counts come from the rollup for
/// whole months and from the hazards for the partial months at the window's
/// edges; overdue (which depends on the clock) is always counted from the
/// open hazards.
pub async fn stats(app: &App, caller: &Caller, p: &StatsParams) -> Result<StatsView> {
    let region = region_for(caller, p.region.as_deref())?;
    let now = now_ms();
    let (since, until) = window(p.since.as_deref(), p.until.as_deref(), 365)?;
    let dims = parse_dims(&p.by)?;
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    // Children for a drill-down by region, most specific code prefix first.
    let children: Vec<(String, String, String)> = if dims.contains(&"region") {
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
    let use_rollup = dims.iter().all(|d| ROLLUP_DIMS.contains(d))
        && rollup::answers(&caller.scope, prefix.as_deref())
        && children.iter().all(|(_, _, pre)| pre.len() <= rollup::STREET_LEN);
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
    let child_of = |code: &str| children.iter().find(|(_, _, pre)| code.starts_with(pre.as_str())).map(|c| c.0.clone());
    let mut groups: std::collections::BTreeMap<String, Acc> = Default::default();
    let mut total = Acc::default();
    if use_rollup {
        let g = rollup::Grouping {
            region_len: dims.contains(&"region").then(|| children.iter().map(|c| c.2.len()).max().unwrap_or(0)),
            month: dims.contains(&"month") || dims.contains(&"quarter"),
            industry: dims.contains(&"industry"),
            grade: dims.contains(&"grade"),
        };
        let segments = month_segments(since, until);
        let mut cube = Vec::new();
        let full: Vec<&String> = segments.iter().filter(|s| s.1 == s.3 && s.2 == s.4).map(|s| &s.0).collect();
        if let (Some(a), Some(b)) = (full.first(), full.last()) {
            cube.extend(rollup::months(&mut c, &caller.scope, prefix.as_deref(), a, b, g).await?);
        }
        // A partial month is aggregated from the hazards when it is the
        // smaller part, else it is the whole month less the hazards outside it.
        for (month, lo, hi, a, b) in &segments {
            if (lo, hi) == (a, b) {
                continue;
            }
            if hi - lo <= (b - a) / 2 {
                cube.extend(rollup::part_month(&mut c, &caller.scope, prefix.as_deref(), month, *lo, *hi, g).await?);
                continue;
            }
            cube.extend(rollup::months(&mut c, &caller.scope, prefix.as_deref(), month, month, g).await?);
            for (x, y) in [(*a, *lo), (*hi, *b)] {
                if x < y {
                    for mut r in rollup::part_month(&mut c, &caller.scope, prefix.as_deref(), month, x, y, g).await? {
                        r.n = -r.n;
                        r.closed_with_deadline = -r.closed_with_deadline;
                        r.closed_on_time = -r.closed_on_time;
                        r.rectify_ms = -r.rectify_ms;
                        cube.push(r);
                    }
                }
            }
        }
        let overdue = rollup::overdue(&mut c, &caller.scope, prefix.as_deref(), since, until, now, g).await?;
        drop(c);
        let key_of = |r: &rollup::CubeRow, dim: &str| -> Option<String> {
            Some(match dim {
                "month" => r.month.clone(),
                "quarter" => {
                    let m: u32 = r.month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
                    format!("{}-Q{}", r.month.get(..4).unwrap_or_default(), (m - 1) / 3 + 1)
                }
                "region" => child_of(&r.street_code)?,
                "industry" if r.industry.is_empty() => "none".into(),
                "industry" => r.industry.clone(),
                "grade" => r.grade.clone(),
                _ => r.state.clone(),
            })
        };
        for (rows, is_overdue) in [(&cube, false), (&overdue, true)] {
            for r in rows {
                total.add_cube(r, is_overdue);
                if let Some(k) = dims.iter().map(|d| key_of(r, d)).collect::<Option<Vec<_>>>() {
                    groups.entry(k.join("|")).or_default().add_cube(r, is_overdue);
                }
            }
        }
    } else {
        let rows = hazards::stat_rows(&mut c, &caller.scope, prefix.as_deref(), since, until).await?;
        drop(c);
        let tz = crate::time::shanghai();
        let key_of = |r: &hazards::StatRow, dim: &str| -> Option<String> {
            let date = || {
                Timestamp::from_millisecond(r.reported_at)
                    .map(|t| t.to_zoned_datetime(tz.clone()).date())
                    .unwrap_or_default()
            };
            Some(match dim {
                "day" => date().to_string(),
                "month" => format!("{:04}-{:02}", date().year(), date().month()),
                "quarter" => format!("{:04}-Q{}", date().year(), (date().month() - 1) / 3 + 1),
                "week" => {
                    let w = date().iso_week_date();
                    format!("{:04}-W{:02}", w.year(), w.week())
                }
                "region" => child_of(&r.region_code)?,
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
        for r in &rows {
            total.add(r, now);
            if let Some(k) = dims.iter().map(|d| key_of(r, d)).collect::<Option<Vec<_>>>() {
                groups.entry(k.join("|")).or_default().add(r, now);
            }
        }
    }
    // Groups cancelled out by a subtracted part of a month are no groups.
    groups.retain(|_, a| a.rows != 0);
    // A drill-down lists every child, the quiet ones too.
    if dims == ["region"] {
        for (code, ..) in &children {
            groups.entry(code.clone()).or_default();
        }
    }
    let label_of = |dim: &str, k: &str| -> String {
        match dim {
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
    let label = |key: &str| -> String {
        dims.iter().zip(key.split('|')).map(|(d, k)| label_of(d, k)).collect::<Vec<_>>().join(" · ")
    };
    Ok(StatsView {
        by: dims.join(","),
        region: region.map(|r| r.as_str().to_string()),
        since: crate::time::fmt_local(since),
        until: crate::time::fmt_local(until),
        total: total.view("total".into(), "合计".into()),
        rows: groups.iter().map(|(k, a)| a.view(k.clone(), label(k))).collect(),
    })
}
