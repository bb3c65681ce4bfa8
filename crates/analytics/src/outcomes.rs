//! Whether a pair of hazard types at a site is followed by an outcome (an
//! accident, a red alarm) at that site more often than the site's own
//! outcome rate predicts.
//!
//! A pair occurs at the time of a B that follows an A at the same site within
//! the pair window (each such B once). The null model conditions on each
//! site's outcome count over the span, as the co-occurrence null conditions
//! on a site's count of B: the site's outcomes are placed independently by
//! the calendar profile of all outcomes. Sites with no outcomes, or with no
//! pair, carry no information and contribute nothing, so a busy site with
//! many hazards and many accidents does not make any pair look dangerous.

use crate::AnalyticsError;
use crate::events::{Bins, Indexed, Occurrence, OutcomeEvent, TimeSpan, chance_of_any};
use crate::probability::{benjamini_hochberg, poisson_upper_tail};
use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;

const DAY_MS: i64 = 86_400_000;

/// Settings of [`pair_outcomes`].
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeConfig {
    /// The pair window: B within `(t_A, t_A + window_ms]`.
    pub window_ms: i64,
    /// The follow-up after the pair: an outcome within
    /// `(t_B, t_B + follow_up_ms]`.
    pub follow_up_ms: i64,
    /// The observation period; `None` spans the events and outcomes.
    pub span: Option<TimeSpan>,
    /// Width of the bins of the outcomes' calendar profile.
    pub profile_bin_ms: i64,
    /// Shrinkage of the outcome profile toward a flat rate, in pseudo-events.
    pub profile_prior: f64,
}

impl Default for OutcomeConfig {
    fn default() -> Self {
        OutcomeConfig {
            window_ms: 10 * DAY_MS,
            follow_up_ms: 30 * DAY_MS,
            span: None,
            profile_bin_ms: 30 * DAY_MS,
            profile_prior: 50.0,
        }
    }
}

/// One pair's association with later outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairOutcome<K> {
    pub first: K,
    pub second: K,
    /// Pair occurrences (B events that followed an A within the window).
    pub occurrences: u64,
    /// Sites where the pair occurred.
    pub sites: u64,
    /// Occurrences followed by at least one outcome at the site within the
    /// follow-up.
    pub with_outcome: u64,
    /// `with_outcome` expected from the sites' own outcome rates.
    pub expected: f64,
    /// `with_outcome / occurrences` (0 with no occurrence).
    pub rate: f64,
    /// `expected / occurrences`: the chance rate at the same sites.
    pub chance_rate: f64,
    /// `with_outcome / expected`; `None` when nothing was expected (no
    /// outcome at any site where the pair occurred).
    pub lift: Option<f64>,
    /// P(with_outcome ≥ observed) under the null (Poisson tail).
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted over the pairs asked about.
    pub q_value: f64,
}

/// The result of [`pair_outcomes`], pairs in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReport<K> {
    pub pairs: Vec<PairOutcome<K>>,
    /// For context: the share of all hazard occurrences (any type) followed
    /// by an outcome at their site within the follow-up.
    pub any_hazard_rate: f64,
    /// Outcomes in the span.
    pub outcomes: usize,
    pub span: TimeSpan,
}

/// For each pair (A, B) in `pairs`, how often its occurrences are followed
/// by an outcome at the same site, against the sites' own outcome rates (see
/// the module doc). Pairs whose types never occur get zero counts.
///
/// Errors: an invalid `config` field, or neither events nor outcomes (when
/// `config.span` is `None`).
pub fn pair_outcomes<S, K>(
    events: &[Occurrence<S, K>],
    outcomes: &[OutcomeEvent<S>],
    pairs: &[(K, K)],
    config: &OutcomeConfig,
) -> Result<OutcomeReport<K>, AnalyticsError>
where
    S: Clone + Eq + Hash,
    K: Clone + Ord + Hash,
{
    if config.window_ms <= 0 {
        return Err(AnalyticsError::new("config.window_ms", "must be positive"));
    }
    if config.follow_up_ms <= 0 {
        return Err(AnalyticsError::new("config.follow_up_ms", "must be positive"));
    }
    if config.profile_bin_ms <= 0 {
        return Err(AnalyticsError::new("config.profile_bin_ms", "must be positive"));
    }
    if !config.profile_prior.is_finite() || config.profile_prior <= 0.0 {
        return Err(AnalyticsError::new("config.profile_prior", "must be a finite number > 0"));
    }
    let times = events.iter().map(|e| e.at_ms).chain(outcomes.iter().map(|o| o.at_ms));
    let span = TimeSpan::or_cover(config.span, times, "config.span")?;
    let (ix, site_id) = Indexed::new(events, span);
    let bins = Bins::new(span, config.profile_bin_ms);
    let kind_id: HashMap<&K, usize> = ix.kinds.iter().enumerate().map(|(i, k)| (k, i)).collect();

    // Outcome times per (indexed) site; outcomes at sites without events
    // still shape the calendar profile.
    let mut at_site: Vec<Vec<i64>> = vec![Vec::new(); ix.sites.len()];
    let mut all = Vec::new();
    for o in outcomes.iter().filter(|o| span.contains(o.at_ms)) {
        all.push(o.at_ms);
        if let Some(&s) = site_id.get(&o.site) {
            at_site[s as usize].push(o.at_ms);
        }
    }
    for v in &mut at_site {
        v.sort_unstable();
    }
    let profile = bins.profile(all.iter().copied(), config.profile_prior, &bins.flat());
    let f = config.follow_up_ms;
    let outcome_after = |s: usize, t: i64| {
        let v = &at_site[s];
        let i = v.partition_point(|&u| u <= t);
        i < v.len() && v[i] - t <= f
    };

    let any_hazard_rate = if ix.events == 0 {
        0.0
    } else {
        let hits: usize = ix
            .sites
            .iter()
            .enumerate()
            .map(|(s, site)| site.times.iter().filter(|&&t| outcome_after(s, t)).count())
            .sum();
        hits as f64 / ix.events as f64
    };

    let mut rows = Vec::with_capacity(pairs.len());
    for (first, second) in pairs {
        let (mut occurrences, mut with_outcome, mut expected, mut sites) = (0u64, 0u64, 0.0, 0u64);
        if let (Some(&a), Some(&b)) = (kind_id.get(first), kind_id.get(second))
            && a != b
        {
            // The B events completing a pair, once each: (site, position).
            let mut completing: Vec<(u32, u32)> = Vec::new();
            for &(s, pos) in &ix.by_kind[a] {
                let site = &ix.sites[s as usize];
                let t = site.times[pos as usize];
                for j in pos as usize + 1..site.times.len() {
                    let u = site.times[j];
                    if u - t > config.window_ms {
                        break;
                    }
                    if u > t && site.kinds[j] as usize == b {
                        completing.push((s, j as u32));
                        break;
                    }
                }
            }
            completing.sort_unstable();
            completing.dedup();
            let mut last_site = u32::MAX;
            for (s, j) in completing {
                let t = ix.sites[s as usize].times[j as usize];
                occurrences += 1;
                if s != last_site {
                    sites += 1;
                    last_site = s;
                }
                with_outcome += u64::from(outcome_after(s as usize, t));
                let n = at_site[s as usize].len() as u32;
                expected += chance_of_any(n, profile.mass(bins.pos(t), bins.pos(t.saturating_add(f))));
            }
        }
        rows.push((first, second, occurrences, sites, with_outcome, expected));
    }
    let p: Vec<f64> = rows.iter().map(|r| poisson_upper_tail(r.4, r.5)).collect();
    let q = benjamini_hochberg(&p);
    let pairs = rows
        .into_iter()
        .zip(p.into_iter().zip(q))
        .map(|((first, second, occurrences, sites, with_outcome, expected), (p_value, q_value))| {
            let per = |x: f64| if occurrences == 0 { 0.0 } else { x / occurrences as f64 };
            PairOutcome {
                first: first.clone(),
                second: second.clone(),
                occurrences,
                sites,
                with_outcome,
                expected,
                rate: per(with_outcome as f64),
                chance_rate: per(expected),
                lift: (expected > 0.0).then(|| with_outcome as f64 / expected),
                p_value,
                q_value,
            }
        })
        .collect();
    Ok(OutcomeReport { pairs, any_hazard_rate, outcomes: all.len(), span })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{self, DAY};
    use crate::{CoOccurrenceConfig, co_occurrence};
    use proptest::prelude::*;

    fn ev(site: u32, kind: u32, day: f64) -> Occurrence<u32, u32> {
        Occurrence { site, kind, at_ms: (day * DAY as f64) as i64 }
    }

    fn out(site: u32, day: f64) -> OutcomeEvent<u32> {
        OutcomeEvent { site, at_ms: (day * DAY as f64) as i64 }
    }

    #[test]
    fn a_dangerous_pair_is_followed_by_accidents_and_a_harmless_one_is_not() {
        for seed in [11, 12] {
            let (events, propensity) = synthetic::history(seed, &synthetic::Spec::demo_like(60_000));
            let planted = synthetic::planted();
            let outcomes = synthetic::outcomes(seed, &events, &propensity, 400, planted[0], 0.3);
            // Pairs as co-occurrence reports them, then their outcomes.
            let found = co_occurrence(&events, &CoOccurrenceConfig::default()).unwrap();
            let pairs: Vec<(u32, u32)> = found.significant().map(|p| (p.first, p.second)).collect();
            assert_eq!(pairs.len(), 3);
            let r = pair_outcomes(&events, &outcomes, &pairs, &OutcomeConfig::default()).unwrap();
            for p in &r.pairs {
                eprintln!(
                    "seed {seed}: {}→{} occurrences {} with outcome {} expected {:.1} lift {:?} q {:.1e}",
                    p.first, p.second, p.occurrences, p.with_outcome, p.expected, p.lift, p.q_value
                );
                let lift = p.lift.expect("outcomes at the pairs' sites");
                if (p.first, p.second) == planted[0] {
                    assert!(lift > 2.0 && p.q_value < 1e-3, "{p:?}");
                } else {
                    assert!(lift < 1.6 && p.q_value > 0.01, "{p:?}");
                }
                assert!(p.rate >= 0.0 && p.chance_rate > 0.0 && p.occurrences >= p.with_outcome);
            }
            assert!(r.any_hazard_rate > 0.0 && r.any_hazard_rate < 0.2, "{}", r.any_hazard_rate);
        }
    }

    #[test]
    fn counts_pair_occurrences_once_per_completing_second() {
        let events = vec![ev(1, 0, 10.0), ev(1, 0, 12.0), ev(1, 1, 15.0), ev(1, 0, 40.0), ev(1, 1, 55.0)];
        // Outcome 10 days after the pair at 15; none after 55 (the A at 40 is
        // 15 days before that B: no pair).
        let outcomes = vec![out(1, 25.0), out(1, 90.0)];
        let cfg = OutcomeConfig {
            span: Some(TimeSpan { start_ms: 0, end_ms: 100 * DAY }),
            profile_bin_ms: i64::MAX,
            ..Default::default()
        };
        let r = pair_outcomes(&events, &outcomes, &[(0, 1), (1, 0), (7, 8)], &cfg).unwrap();
        let p = &r.pairs[0];
        assert_eq!((p.occurrences, p.sites, p.with_outcome), (1, 1, 1));
        // Two outcomes placed uniformly: 1 − (1 − 30/100)².
        assert!((p.expected - (1.0 - 0.7f64 * 0.7)).abs() < 1e-9, "{}", p.expected);
        assert_eq!(r.pairs[1].occurrences, 0);
        assert_eq!((r.pairs[2].occurrences, r.pairs[2].lift), (0, None));
        assert_eq!(r.outcomes, 2);
    }

    #[test]
    fn without_outcomes_there_is_no_lift() {
        let events = vec![ev(1, 0, 10.0), ev(1, 1, 12.0)];
        let r = pair_outcomes(&events, &[], &[(0, 1)], &OutcomeConfig::default()).unwrap();
        assert_eq!((r.pairs[0].occurrences, r.pairs[0].with_outcome, r.pairs[0].lift), (1, 0, None));
        assert_eq!(r.pairs[0].p_value, 1.0);
    }

    #[test]
    fn invalid_config_names_the_field() {
        let events = vec![ev(1, 0, 10.0)];
        let cases = [
            (OutcomeConfig { window_ms: 0, ..Default::default() }, "config.window_ms"),
            (OutcomeConfig { follow_up_ms: -1, ..Default::default() }, "config.follow_up_ms"),
            (OutcomeConfig { profile_bin_ms: 0, ..Default::default() }, "config.profile_bin_ms"),
            (OutcomeConfig { profile_prior: 0.0, ..Default::default() }, "config.profile_prior"),
        ];
        for (cfg, field) in cases {
            assert_eq!(pair_outcomes(&events, &[], &[(0, 1)], &cfg).unwrap_err().field, field);
        }
        let none: Vec<Occurrence<u32, u32>> = vec![];
        assert_eq!(pair_outcomes(&none, &[], &[(0, 1)], &OutcomeConfig::default()).unwrap_err().field, "events");
    }

    proptest! {
        #[test]
        fn results_do_not_depend_on_site_labels(
            events in proptest::collection::vec((0u32..5, 0u32..3, 0i64..60), 1..60),
            outcomes in proptest::collection::vec((0u32..5, 0i64..60), 0..10),
            relabel in Just((0u32..5).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            let e: Vec<_> = events.iter().map(|&(s, k, d)| ev(s, k, d as f64)).collect();
            let o: Vec<_> = outcomes.iter().map(|&(s, d)| out(s, d as f64)).collect();
            let e2: Vec<_> = e.iter().map(|x| Occurrence { site: relabel[x.site as usize], ..*x }).collect();
            let o2: Vec<_> = o.iter().map(|x| OutcomeEvent { site: relabel[x.site as usize], ..*x }).collect();
            let pairs = [(0, 1), (1, 2), (2, 0)];
            let cfg = OutcomeConfig { span: Some(TimeSpan { start_ms: 0, end_ms: 60 * DAY }), ..Default::default() };
            let a = pair_outcomes(&e, &o, &pairs, &cfg).unwrap();
            let b = pair_outcomes(&e2, &o2, &pairs, &cfg).unwrap();
            prop_assert_eq!(a, b);
        }
    }
}
