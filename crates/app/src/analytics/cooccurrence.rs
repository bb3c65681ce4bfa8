//! Co-occurrence of hazard types at the same enterprise (A3).

use super::{DAY_MS, analytics_error, region_for};
use crate::{App, AppError, Caller, Result};
use anjian_analytics as an;
use anjian_store::{hazards, now_ms};
use serde::{Deserialize, Serialize};

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
    /// Whether the pair is followed by a red alarm at the same enterprise
    /// within 30 days more often than that enterprise's own alarm rate predicts.
    pub red_alarms_after: Option<OutcomeView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    /// Times the pair occurred (A then B within the window).
    pub occurrences: u64,
    /// Of those, followed by a red alarm at the enterprise within 30 days.
    pub with_red_alarm: u64,
    pub rate: f64,
    /// The rate the enterprises' own red alarms would give by chance.
    pub chance_rate: f64,
    /// rate ÷ chance rate; null when chance predicts none.
    pub lift: Option<f64>,
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
    let (rows, red) = {
        let mut c = app.db.read().await?;
        let prefix = region.as_ref().map(|r| r.prefix());
        let rows = hazards::stat_rows(&mut c, &caller.scope, prefix, since, until)
            .await?
            .into_iter()
            .filter(|o| o.state != "dismissed")
            .collect::<Vec<_>>();
        (rows, anjian_store::monitoring::red_alarms(&mut c, &caller.scope, prefix, since, until).await?)
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
    let outcomes: Vec<an::OutcomeEvent<String>> =
        red.into_iter().map(|(site, at_ms)| an::OutcomeEvent { site, at_ms }).collect();
    let outcome_config =
        an::OutcomeConfig { window_ms: config.window_ms, span: config.span, ..an::OutcomeConfig::default() };
    // CPU-bound over up to hundreds of thousands of events: off the async workers.
    let (report, after, n) = tokio::task::spawn_blocking(move || {
        let n = events.len();
        let report = an::co_occurrence(&events, &config)?;
        // Do the significant pairs precede red alarms at the same enterprise?
        let pairs: Vec<(String, String)> = report.significant().map(|p| (p.first.clone(), p.second.clone())).collect();
        let after = an::pair_outcomes(&events, &outcomes, &pairs, &outcome_config)?;
        Ok::<_, an::AnalyticsError>((report, after, n))
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
            red_alarms_after: after.pairs.iter().find(|o| o.first == s.first && o.second == s.second).map(|o| {
                OutcomeView {
                    occurrences: o.occurrences,
                    with_red_alarm: o.with_outcome,
                    rate: o.rate,
                    chance_rate: o.chance_rate,
                    lift: o.lift,
                    q_value: o.q_value,
                }
            }),
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
