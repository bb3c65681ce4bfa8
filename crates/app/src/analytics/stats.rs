//! Counts and rates by one dimension, with drill-down by region (A1).

use super::{DAY_MS, region_for, window};
use crate::{App, AppError, Caller, Result};
use anjian_domain::ids::RegionCode;
use anjian_store::{hazards, now_ms, regions};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
pub(super) struct Acc {
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
    let (since, until) = window(p.since.as_deref(), p.until.as_deref(), 365)?;
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
