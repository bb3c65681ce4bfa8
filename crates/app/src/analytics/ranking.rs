//! Rankings by weighted indicators, ABCD grades and licence-overdue rates (A2).

use super::stats::Acc;
use super::{region_for, window};
use crate::{App, AppError, Caller, Result};
use anjian_store::{hazards, now_ms, regions};
use serde::{Deserialize, Serialize};

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
    /// rectification_rate | on_time_rate | overdue_rate | licence_overdue_rate |
    /// self_inspection_rate (self-inspections filed of those due) | duty_rate
    /// (shifts with a leader on duty of those that needed one)
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

const INDICATORS: [&str; 6] =
    ["rectification_rate", "on_time_rate", "overdue_rate", "licence_overdue_rate", "self_inspection_rate", "duty_rate"];
const GRADING_KEY: &str = "analytics.grading";

impl GradingConfig {
    fn shipped() -> GradingConfig {
        serde_json::from_str(include_str!("../../data/grading.json")).expect("data/grading.json is valid")
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
    let selfs =
        crate::inspections::self_completion(&mut c, &caller.scope, prefix.as_deref(), since, until, now).await?;
    let days = crate::attendance::days_between(since, until, now);
    let duty = crate::attendance::duty_coverage(&mut c, &caller.scope, prefix.as_deref(), &days).await?;
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
    // Self-inspections filed of those due, and leader shifts covered of those required, per group.
    let mut selfs_by: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut duty_by: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for e in &ents {
        let Some(k) = group_of(&e.region_code, Some(&e.id)) else { continue };
        if let Some(s) = selfs.get(&e.id) {
            let g = selfs_by.entry(k.clone()).or_default();
            g.0 += s.done;
            g.1 += s.due;
        }
        if let Some((_, required, covered)) = duty.get(&e.id) {
            let g = duty_by.entry(k).or_default();
            g.0 += covered;
            g.1 += required;
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
            let share = |m: &std::collections::BTreeMap<String, (u64, u64)>| {
                m.get(k).and_then(|(n, d)| (*d > 0).then(|| *n as f64 / *d as f64))
            };
            values.insert("self_inspection_rate".to_string(), share(&selfs_by));
            values.insert("duty_rate".to_string(), share(&duty_by));
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
