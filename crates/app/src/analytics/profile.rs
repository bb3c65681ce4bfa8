//! The enterprise safety profile (企业安全画像, A2 / seed 003's credit
//! evaluation): hazards, overdue and major ones, rectification, licences,
//! alarms, major hazard sources and risk points over the last 12 months,
//! turned into a score with every deduction explained. The rules are data
//! (`data/profile.json`); the grade uses the ranking's ABCD thresholds.

use super::DAY_MS;
use crate::registry::visible_enterprise;
use crate::{App, Caller, Result};
use anjian_domain::role::Scope;
use anjian_store::{hazards, now_ms};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
struct Rules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
struct Rule {
    key: String,
    label: String,
    unit: String,
    per: f64,
    max: f64,
}

fn rules() -> &'static [Rule] {
    static R: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
    &R.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/profile.json")).expect("data/profile.json is valid")
    })
    .rules
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deduction {
    pub key: String,
    /// e.g. 逾期未整改隐患 3 项
    pub reason: String,
    pub points: f64,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ProfileFacts {
    pub hazards_found: i64,
    pub hazards_open: i64,
    pub hazards_overdue: i64,
    pub major_open: i64,
    pub rectification_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub licences: usize,
    pub licences_expired: usize,
    pub alarms: i64,
    pub red_alarms: i64,
    pub hazard_source_units: usize,
    pub major_hazard_sources: usize,
    /// 1 = 一级 (highest) … 4.
    pub highest_source_grade: Option<i64>,
    /// red, orange, yellow, blue.
    pub risk_points: [usize; 4],
    /// Monthly self-inspections due in the year, filed, late, missing.
    pub self_inspections: crate::inspections::SelfCompletion,
    /// Expert and enforcement inspections of the enterprise in the year, and what they found.
    pub regulator_inspections: i64,
    pub regulator_findings: i64,
    /// Shifts with a leader on duty of those that needed one (mines, chemical plants).
    pub duty_rate: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnterpriseProfile {
    pub enterprise_id: String,
    pub name: String,
    pub since: String,
    pub score: f64,
    pub grade: String,
    pub facts: ProfileFacts,
    /// Why the score is below 100, largest first.
    pub deductions: Vec<Deduction>,
}

/// The profile of an enterprise the caller may see.
pub async fn profile(app: &App, caller: &Caller, enterprise_id: &str) -> Result<EnterpriseProfile> {
    let now = now_ms();
    let since = now - 365 * DAY_MS;
    let today = crate::time::today_local(now);
    let mut c = app.db.read().await?;
    let e = visible_enterprise(&mut c, caller, enterprise_id).await?;
    let only = Scope::Enterprises(vec![e.id.clone()]);
    let rows = hazards::stat_rows(&mut c, &only, None, since, now).await?;
    let mut acc = super::stats::Acc::default();
    let mut major_open = 0;
    for r in &rows {
        acc.add(r, now);
        if r.grade == "major"
            && matches!(r.state.as_str(), "reported" | "pending" | "rectifying" | "awaiting_acceptance")
        {
            major_open += 1;
        }
    }
    let licences = anjian_store::enterprises::licences_of(&mut c, &e.id).await?;
    let expired = licences.iter().filter(|l| l.expires_on.as_deref().is_some_and(|d| d < today.as_str())).count();
    let (alarms, red_alarms) = anjian_store::monitoring::alarm_counts_of(&mut c, &e.id, since).await?;
    let units = anjian_store::risk::units(&mut c, &only, Some(&e.id), None, false).await?;
    let points = anjian_store::risk::points(&mut c, &only, Some(&e.id), None).await?;
    let selfs = crate::inspections::self_completion(&mut c, &only, None, since, now, now).await?;
    let q = anjian_store::inspections::InspectionQuery { since: Some(since), ..Default::default() };
    let regulator: Vec<_> = anjian_store::inspections::submitted(&mut c, &only, &q)
        .await?
        .into_iter()
        .filter(|i| i.kind != "self")
        .collect();
    let days = crate::attendance::days_between(since, now, now);
    let duty = crate::attendance::duty_coverage(&mut c, &only, None, &days).await?;
    drop(c);
    let mut risk = [0usize; 4];
    for (p, ..) in &points {
        if let Some(k) = ["red", "orange", "yellow", "blue"].iter().position(|c| *c == p.color) {
            risk[k] += 1;
        }
    }
    let dispatched = acc.open + acc.closed;
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    let facts = ProfileFacts {
        hazards_found: acc.found,
        hazards_open: acc.open,
        hazards_overdue: acc.overdue,
        major_open,
        rectification_rate: ratio(acc.closed, dispatched),
        on_time_rate: ratio(acc.on_time, acc.closed_with_deadline),
        licences: licences.len(),
        licences_expired: expired,
        alarms,
        red_alarms,
        hazard_source_units: units.len(),
        major_hazard_sources: units.iter().filter(|(u, ..)| u.is_major == 1).count(),
        highest_source_grade: units.iter().filter_map(|(u, ..)| u.grade).min(),
        risk_points: risk,
        self_inspections: selfs.get(&e.id).copied().unwrap_or_default(),
        regulator_inspections: regulator.len() as i64,
        regulator_findings: regulator.iter().map(|i| i.failed).sum(),
        duty_rate: duty.get(&e.id).and_then(|(_, req, cov)| anjian_domain::inspection::duty_rate(*req, *cov)),
    };
    let measure = |key: &str| -> f64 {
        match key {
            "overdue_hazards" => facts.hazards_overdue as f64,
            "open_major_hazards" => facts.major_open as f64,
            "rectification_shortfall" => facts.rectification_rate.map_or(0.0, |r| ((0.9 - r) * 100.0).max(0.0)),
            "late_rectification_share" => facts.on_time_rate.map_or(0.0, |r| (1.0 - r) * 100.0),
            "expired_licences" => facts.licences_expired as f64,
            "red_alarms" => facts.red_alarms as f64,
            "high_grade_sources" => units.iter().filter(|(u, ..)| u.grade.is_some_and(|g| g <= 2)).count() as f64,
            "red_risk_points" => facts.risk_points[0] as f64,
            "missing_self_inspections" => facts.self_inspections.missing as f64,
            "late_self_inspections" => facts.self_inspections.late as f64,
            "duty_shortfall" => facts.duty_rate.map_or(0.0, |r| ((0.9 - r) * 100.0).max(0.0)),
            _ => 0.0,
        }
    };
    let mut deductions: Vec<Deduction> = rules()
        .iter()
        .filter_map(|r| {
            let m = measure(&r.key);
            let points = (m * r.per).min(r.max);
            (points > 0.0).then(|| Deduction {
                key: r.key.clone(),
                reason: format!("{} {} {}", r.label, (m * 10.0).round() / 10.0, r.unit),
                points: (points * 10.0).round() / 10.0,
            })
        })
        .collect();
    deductions.sort_by(|a, b| b.points.total_cmp(&a.points));
    let score = ((100.0 - deductions.iter().map(|d| d.points).sum::<f64>()).max(0.0) * 10.0).round() / 10.0;
    let grade = super::grading(app).await?.grade(score);
    Ok(EnterpriseProfile {
        enterprise_id: e.id,
        name: e.name,
        since: crate::time::fmt_local(since),
        score,
        grade,
        facts,
        deductions,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rules_file_is_valid_and_every_rule_is_measured() {
        let known = [
            "overdue_hazards",
            "open_major_hazards",
            "rectification_shortfall",
            "late_rectification_share",
            "expired_licences",
            "red_alarms",
            "high_grade_sources",
            "red_risk_points",
            "missing_self_inspections",
            "late_self_inspections",
            "duty_shortfall",
        ];
        let rules = super::rules();
        assert_eq!(rules.len(), known.len());
        for r in rules {
            assert!(known.contains(&r.key.as_str()), "{}", r.key);
            assert!(r.per > 0.0 && r.max > 0.0 && !r.label.is_empty() && !r.unit.is_empty());
        }
        assert!(rules.iter().map(|r| r.max).sum::<f64>() >= 100.0, "a bad enough enterprise can reach 0");
    }
}
