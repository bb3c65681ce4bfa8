//! Dated events at sites, as the co-occurrence and outcome analyses read
//! them: the public input types, the observation span, the per-site index and
//! the per-type time profile that the null model uses.

use crate::AnalyticsError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;

/// One hazard of type `kind` found at `site` at `at_ms` (epoch ms). `S` and
/// `K` are any ids: `u32`, `String`, a newtype.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence<S, K> {
    pub site: S,
    pub kind: K,
    pub at_ms: i64,
}

/// One outcome (an accident, a red alarm) at `site` at `at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEvent<S> {
    pub site: S,
    pub at_ms: i64,
}

/// The observation period `[start_ms, end_ms)`. Events outside it are not
/// analysed; rates are per this span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSpan {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl TimeSpan {
    pub(crate) fn check(self, field: &str) -> Result<TimeSpan, AnalyticsError> {
        if self.end_ms <= self.start_ms {
            return Err(AnalyticsError::new(field, "end_ms must be after start_ms"));
        }
        if self.end_ms.checked_sub(self.start_ms).is_none() {
            return Err(AnalyticsError::new(field, "span too long"));
        }
        Ok(self)
    }

    pub(crate) fn contains(self, at: i64) -> bool {
        (self.start_ms..self.end_ms).contains(&at)
    }

    /// The given span, or the smallest one holding all `times`.
    pub(crate) fn or_cover(
        span: Option<TimeSpan>,
        times: impl Iterator<Item = i64>,
        field: &str,
    ) -> Result<TimeSpan, AnalyticsError> {
        match span {
            Some(s) => s.check(field),
            None => {
                let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
                if lo > hi {
                    return Err(AnalyticsError::new("events", "no events to analyse"));
                }
                TimeSpan { start_ms: lo, end_ms: hi.saturating_add(1) }.check("events")
            }
        }
    }
}

/// One site's events in time order, with dense type ids.
pub(crate) struct Site {
    pub times: Vec<i64>,
    pub kinds: Vec<u32>,
    /// (type, count) for the types seen here, by type.
    pub counts: Vec<(u32, u32)>,
}

/// Events grouped by site with dense, sorted type ids (so results do not
/// depend on input order).
pub(crate) struct Indexed<K> {
    pub kinds: Vec<K>,
    pub sites: Vec<Site>,
    /// For each type: (site, position in the site's lists) of its events.
    pub by_kind: Vec<Vec<(u32, u32)>>,
    /// Events inside the span.
    pub events: usize,
}

impl<K: Clone + Ord + Hash> Indexed<K> {
    /// Indexes the events inside `span`; also returns the dense site index
    /// of each site id, so other inputs (outcomes) can be joined.
    pub fn new<S: Clone + Eq + Hash>(events: &[Occurrence<S, K>], span: TimeSpan) -> (Indexed<K>, HashMap<S, u32>) {
        let mut kinds: Vec<K> = events.iter().filter(|e| span.contains(e.at_ms)).map(|e| e.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        let kind_id: HashMap<&K, u32> = kinds.iter().enumerate().map(|(i, k)| (k, i as u32)).collect();
        let mut site_id: HashMap<S, u32> = HashMap::new();
        let mut raw: Vec<Vec<(i64, u32)>> = Vec::new();
        let mut used = 0;
        for e in events.iter().filter(|e| span.contains(e.at_ms)) {
            let next = raw.len() as u32;
            let s = *site_id.entry(e.site.clone()).or_insert(next);
            if s == next {
                raw.push(Vec::new());
            }
            raw[s as usize].push((e.at_ms, kind_id[&e.kind]));
            used += 1;
        }
        // Sites in a canonical order (by their events), so that sums over
        // sites, and so the results to the last bit, depend neither on how
        // sites are labelled nor on the input order.
        for v in &mut raw {
            v.sort_unstable();
        }
        let mut order: Vec<usize> = (0..raw.len()).collect();
        order.sort_by(|&a, &b| raw[a].cmp(&raw[b]));
        let mut rank = vec![0u32; raw.len()];
        for (r, &s) in order.iter().enumerate() {
            rank[s] = r as u32;
        }
        for s in site_id.values_mut() {
            *s = rank[*s as usize];
        }
        let mut raw: Vec<Option<Vec<(i64, u32)>>> = raw.into_iter().map(Some).collect();
        let raw: Vec<Vec<(i64, u32)>> = order.iter().map(|&s| raw[s].take().unwrap_or_default()).collect();
        let mut by_kind = vec![Vec::new(); kinds.len()];
        let sites = raw
            .into_iter()
            .enumerate()
            .map(|(s, v)| {
                let mut counts: HashMap<u32, u32> = HashMap::new();
                for (pos, (_, k)) in v.iter().enumerate() {
                    *counts.entry(*k).or_default() += 1;
                    by_kind[*k as usize].push((s as u32, pos as u32));
                }
                let mut counts: Vec<(u32, u32)> = counts.into_iter().collect();
                counts.sort_unstable();
                Site { times: v.iter().map(|x| x.0).collect(), kinds: v.iter().map(|x| x.1).collect(), counts }
            })
            .collect();
        (Indexed { kinds, sites, by_kind, events: used }, site_id)
    }
}

/// Where a time falls in the profile's bins: the bin and the fraction of
/// it elapsed, so that many types' cumulative shares can be read at once.
#[derive(Clone, Copy)]
pub(crate) struct BinPos {
    bin: usize,
    frac: f64,
}

/// Bins of the observation span, shared by the profiles of all types.
pub(crate) struct Bins {
    span: TimeSpan,
    width: i64,
    count: usize,
}

impl Bins {
    pub fn new(span: TimeSpan, width: i64) -> Bins {
        let len = span.end_ms - span.start_ms;
        let width = if width <= 0 { len } else { width.min(len) };
        let count = ((len + width - 1) / width) as usize;
        Bins { span, width, count }
    }

    fn len(&self, k: usize) -> f64 {
        let a = self.span.start_ms + k as i64 * self.width;
        ((a + self.width).min(self.span.end_ms) - a) as f64
    }

    fn index(&self, at: i64) -> usize {
        (((at - self.span.start_ms) / self.width) as usize).min(self.count - 1)
    }

    /// The position of `at`, clamped to the span.
    pub fn pos(&self, at: i64) -> BinPos {
        let at = at.clamp(self.span.start_ms, self.span.end_ms);
        if at == self.span.end_ms {
            return BinPos { bin: self.count - 1, frac: 1.0 };
        }
        let bin = self.index(at);
        let a = self.span.start_ms + bin as i64 * self.width;
        BinPos { bin, frac: (at - a) as f64 / self.len(bin) }
    }

    /// Shares of `times` per bin, shrunk toward `prior_shares` with weight
    /// `prior` (in events), as cumulative shares at bin edges.
    pub fn profile(&self, times: impl Iterator<Item = i64>, prior: f64, prior_shares: &[f64]) -> Profile {
        let mut counts = vec![0.0; self.count];
        let mut n = 0.0;
        for t in times {
            counts[self.index(t)] += 1.0;
            n += 1.0;
        }
        let mut cum = Vec::with_capacity(self.count + 1);
        cum.push(0.0);
        let mut acc = 0.0;
        for (c, p) in counts.iter().zip(prior_shares) {
            acc += (c + prior * p) / (n + prior);
            cum.push(acc);
        }
        // Exactly 1 at the end, whatever the rounding.
        let total = acc;
        for c in &mut cum {
            *c /= total;
        }
        Profile { cum }
    }

    /// Shares proportional to bin length (a flat rate over the span).
    pub fn flat(&self) -> Vec<f64> {
        let len = (self.span.end_ms - self.span.start_ms) as f64;
        (0..self.count).map(|k| self.len(k) / len).collect()
    }
}

/// A type's time profile: the share of its events expected before each bin
/// edge, piecewise linear within bins.
pub(crate) struct Profile {
    cum: Vec<f64>,
}

impl Profile {
    pub fn shares(&self) -> Vec<f64> {
        self.cum.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn at(&self, p: BinPos) -> f64 {
        self.cum[p.bin] + p.frac * (self.cum[p.bin + 1] - self.cum[p.bin])
    }

    /// The share of the type's events expected in `(a, b]`.
    pub fn mass(&self, a: BinPos, b: BinPos) -> f64 {
        (self.at(b) - self.at(a)).max(0.0)
    }
}

/// Time profiles of all types: each type's own shares per bin, shrunk toward
/// the profile of all events (itself shrunk toward a flat rate), so a rare
/// type borrows the common calendar and a common one keeps its own season.
pub(crate) fn kind_profiles<K>(ix: &Indexed<K>, bins: &Bins, prior: f64) -> Vec<Profile> {
    let all = bins.profile(ix.sites.iter().flat_map(|s| s.times.iter().copied()), prior, &bins.flat());
    let base = all.shares();
    ix.by_kind
        .iter()
        .map(|occ| bins.profile(occ.iter().map(|&(s, p)| ix.sites[s as usize].times[p as usize]), prior, &base))
        .collect()
}

/// P(at least one of `n` events, each placed independently by the profile,
/// falls in a window holding `mass` of the profile).
pub(crate) fn chance_of_any(n: u32, mass: f64) -> f64 {
    if n == 0 || mass <= 0.0 {
        return 0.0;
    }
    if mass >= 1.0 {
        return 1.0;
    }
    // 1 − (1 − m)^n, computed without cancellation for small m.
    -(f64::from(n) * (-mass).ln_1p()).exp_m1()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn flat_profile_mass_is_proportional_to_length() {
        let span = TimeSpan { start_ms: 0, end_ms: 100 * DAY };
        let bins = Bins::new(span, 30 * DAY);
        let p = bins.profile(std::iter::empty(), 1.0, &bins.flat());
        let m = p.mass(bins.pos(10 * DAY), bins.pos(45 * DAY));
        assert!((m - 0.35).abs() < 1e-12, "{m}");
        assert!((p.mass(bins.pos(-5), bins.pos(200 * DAY)) - 1.0).abs() < 1e-12);
        assert_eq!(p.mass(bins.pos(50 * DAY), bins.pos(50 * DAY)), 0.0);
    }

    #[test]
    fn a_type_seen_only_in_winter_keeps_most_mass_there() {
        let span = TimeSpan { start_ms: 0, end_ms: 120 * DAY };
        let bins = Bins::new(span, 30 * DAY);
        let times: Vec<i64> = (0..200).map(|i| i * DAY / 7).collect();
        let p = bins.profile(times.into_iter(), 20.0, &bins.flat());
        let first = p.mass(bins.pos(0), bins.pos(30 * DAY));
        assert!(first > 0.9, "{first}");
    }

    #[test]
    fn chance_of_any_matches_the_binomial_form() {
        for &(n, m) in &[(1u32, 0.01f64), (5, 0.2), (100, 0.003), (3, 0.999)] {
            let want = 1.0 - (1.0 - m).powi(n as i32);
            assert!((chance_of_any(n, m) - want).abs() < 1e-12);
        }
        assert_eq!(chance_of_any(0, 0.5), 0.0);
    }
}
