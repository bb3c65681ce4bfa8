//! Test data that looks like the demo history (crates/demo/src/history.rs)
//! without depending on it: units with a heavy-tailed propensity by industry,
//! scale and luck; types by industry and season; the Spring Festival dip and
//! slow growth; and a few planted pairs, the only links in the data.

use crate::{Occurrence, OutcomeEvent};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2024-12-01T00:00 +08:00.
pub const START: i64 = 1_732_982_400_000;
pub const MONTH: i64 = 30 * DAY + 10 * HOUR;
/// The calendar month of the first generated month (December).
pub const FIRST_MONTH: u8 = 12;

/// Overall volume by calendar month (Spring Festival in February).
pub const MONTH_VOLUME: [f64; 12] = [0.85, 0.55, 1.0, 1.1, 1.15, 1.1, 1.0, 0.95, 1.1, 1.1, 1.05, 0.95];

const DOMAINS: [&str; 12] =
    ["FIRE", "ELEC", "HAZC", "CONS", "MINE", "SPEQ", "CONF", "OCCH", "TRAN", "MGMT", "GAS", "INDU"];
/// Types per domain, as in the taxonomy.
const TYPES: [u32; 12] = [19, 13, 20, 35, 12, 12, 7, 9, 10, 11, 6, 14];

/// (industry weight among units, propensity factor, domain weights).
type Industry = (f64, f64, &'static [(&'static str, f64)]);
const INDUSTRIES: [Industry; 6] = [
    (
        250.0,
        3.0,
        &[("CONS", 50.0), ("ELEC", 10.0), ("FIRE", 10.0), ("SPEQ", 6.0), ("OCCH", 4.0), ("MGMT", 12.0), ("CONF", 3.0)],
    ),
    (
        80.0,
        2.5,
        &[
            ("HAZC", 45.0),
            ("FIRE", 14.0),
            ("ELEC", 9.0),
            ("CONF", 8.0),
            ("SPEQ", 7.0),
            ("OCCH", 5.0),
            ("MGMT", 10.0),
            ("TRAN", 2.0),
        ],
    ),
    (40.0, 2.5, &[("MINE", 55.0), ("ELEC", 10.0), ("SPEQ", 7.0), ("OCCH", 10.0), ("MGMT", 12.0), ("FIRE", 6.0)]),
    (
        330.0,
        1.5,
        &[
            ("INDU", 24.0),
            ("ELEC", 15.0),
            ("FIRE", 15.0),
            ("SPEQ", 12.0),
            ("CONF", 6.0),
            ("OCCH", 10.0),
            ("MGMT", 12.0),
            ("GAS", 6.0),
        ],
    ),
    (300.0, 0.6, &[("FIRE", 40.0), ("ELEC", 22.0), ("GAS", 16.0), ("MGMT", 10.0), ("TRAN", 6.0), ("SPEQ", 6.0)]),
    // Citizens' reports (15 % of hazards) use this mix at any unit.
    (0.0, 0.0, &[("FIRE", 40.0), ("ELEC", 15.0), ("GAS", 15.0), ("TRAN", 15.0), ("CONS", 15.0)]),
];

fn domain_season(domain: &str, month: usize) -> f64 {
    let winter = matches!(month, 11 | 12 | 1 | 2 | 3);
    let summer = matches!(month, 6..=8);
    match domain {
        "FIRE" if winter => 1.4,
        "FIRE" if summer => 0.8,
        "GAS" if winter => 1.6,
        "ELEC" | "OCCH" if summer => 1.5,
        "MINE" if matches!(month, 7 | 8) => 1.6,
        "CONS" if matches!(month, 1 | 2) => 0.5,
        "CONS" if matches!(month, 3..=5 | 9..=11) => 1.2,
        _ => 1.0,
    }
}

/// A type id: domain × 100 + item (1-based), e.g. 301 = the first CONS type.
pub fn kind(domain: &str, item: u32) -> u32 {
    let d = DOMAINS.iter().position(|x| *x == domain).expect("known domain") as u32;
    d * 100 + item
}

/// The planted links, in the demo's spirit: (CONS-06-01 → ELEC-01-03),
/// (OCCH-01-01 → OCCH-01-02), (FIRE-02-02 → FIRE-03-04).
pub fn planted() -> Vec<(u32, u32)> {
    vec![(kind("CONS", 20), kind("ELEC", 3)), (kind("OCCH", 1), kind("OCCH", 2)), (kind("FIRE", 6), kind("FIRE", 11))]
}
pub const PLANTED_WINDOW: i64 = 10 * DAY;
pub const PLANTED_PROBABILITY: f64 = 0.5;

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let x = rng.random_range(0.0..*cumulative.last().expect("non-empty"));
    cumulative.partition_point(|c| *c <= x).min(cumulative.len() - 1)
}

fn cumulate(w: impl Iterator<Item = f64>) -> Vec<f64> {
    w.scan(0.0, |acc, x| {
        *acc += x;
        Some(*acc)
    })
    .collect()
}

/// Specification of a synthetic history.
pub struct Spec {
    pub sites: usize,
    pub hazards: usize,
    pub months: usize,
    pub planted: Vec<(u32, u32)>,
}

impl Spec {
    pub fn demo_like(hazards: usize) -> Spec {
        Spec { sites: 800, hazards, months: 24, planted: planted() }
    }
}

/// The history: occurrences with site = unit index, plus each unit's
/// propensity (for outcome generators).
pub fn history(seed: u64, spec: &Spec) -> (Vec<Occurrence<u32, u32>>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ind_cum = cumulate(INDUSTRIES[..5].iter().map(|i| i.0));
    let mut industry = Vec::with_capacity(spec.sites);
    let mut propensity = Vec::with_capacity(spec.sites);
    for _ in 0..spec.sites {
        let i = pick(&mut rng, &ind_cum);
        let scale = [3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.6, 0.6][rng.random_range(0..8)];
        industry.push(i);
        propensity.push(INDUSTRIES[i].1 * scale * (0.9 * normal(&mut rng)).exp());
    }
    let site_cum = cumulate(propensity.iter().copied());
    // Domain choice per (industry, calendar month).
    let domain_cum: Vec<Vec<(Vec<f64>, Vec<usize>)>> = INDUSTRIES
        .iter()
        .map(|(_, _, ws)| {
            (1..=12)
                .map(|m| {
                    let ids = ws.iter().map(|(d, _)| DOMAINS.iter().position(|x| x == d).expect("domain")).collect();
                    (cumulate(ws.iter().map(|(d, w)| w * domain_season(d, m))), ids)
                })
                .collect()
        })
        .collect();
    let weights: Vec<f64> = (0..spec.months)
        .map(|k| {
            let m = (usize::from(FIRST_MONTH) - 1 + k) % 12;
            MONTH_VOLUME[m] * (0.9 + 0.2 * k as f64 / spec.months as f64)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let end = START + spec.months as i64 * MONTH;
    let mut out = Vec::with_capacity(spec.hazards);
    let mut queue: Vec<(u32, u32, i64)> = Vec::new();
    for (k, w) in weights.iter().enumerate() {
        let quota = (spec.hazards as f64 * w / total).round() as usize;
        let (start, stop) = (START + k as i64 * MONTH, START + (k as i64 + 1) * MONTH);
        let month = (usize::from(FIRST_MONTH) - 1 + k) % 12 + 1;
        for _ in 0..quota {
            if let Some(i) = queue.iter().position(|q| q.2 < stop) {
                let (site, kind, at) = queue.swap_remove(i);
                out.push(Occurrence { site, kind, at_ms: at });
                continue;
            }
            let site = pick(&mut rng, &site_cum);
            let mix = if rng.random_bool(0.15) { 5 } else { industry[site] };
            let (cum, ids) = &domain_cum[mix][month - 1];
            let d = ids[pick(&mut rng, cum)];
            let kind = d as u32 * 100 + rng.random_range(1..=TYPES[d]);
            let at = rng.random_range(start..stop);
            if let Some((_, second)) = spec.planted.iter().find(|(a, _)| *a == kind)
                && rng.random_bool(PLANTED_PROBABILITY)
            {
                let later = at + rng.random_range(HOUR..PLANTED_WINDOW);
                if later < end {
                    queue.push((site as u32, *second, later));
                }
            }
            out.push(Occurrence { site: site as u32, kind, at_ms: at });
        }
    }
    (out, propensity)
}

/// Outcomes (accidents): a background rate by unit propensity, plus, after
/// each occurrence of the `dangerous` pair (a `second` following a `first`
/// within the planted window), one within 30 days with probability `p`.
pub fn outcomes(
    seed: u64,
    events: &[Occurrence<u32, u32>],
    propensity: &[f64],
    background: usize,
    dangerous: (u32, u32),
    p: f64,
) -> Vec<OutcomeEvent<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xacc1_de47);
    let end = events.iter().map(|e| e.at_ms).max().unwrap_or(START) + 1;
    let cum = cumulate(propensity.iter().copied());
    let mut out: Vec<OutcomeEvent<u32>> = (0..background)
        .map(|_| OutcomeEvent { site: pick(&mut rng, &cum) as u32, at_ms: rng.random_range(START..end) })
        .collect();
    let mut by_site: std::collections::HashMap<u32, Vec<(i64, u32)>> = Default::default();
    for e in events {
        by_site.entry(e.site).or_default().push((e.at_ms, e.kind));
    }
    let mut sites: Vec<_> = by_site.into_iter().collect();
    sites.sort_by_key(|s| s.0);
    for (site, mut v) in sites {
        v.sort_unstable();
        for (j, &(t, k)) in v.iter().enumerate() {
            let completes =
                k == dangerous.1 && v[..j].iter().any(|&(u, a)| a == dangerous.0 && u < t && t - u <= PLANTED_WINDOW);
            if completes && rng.random_bool(p) {
                let at = t + rng.random_range(HOUR..30 * DAY);
                if at < end {
                    out.push(OutcomeEvent { site, at_ms: at });
                }
            }
        }
    }
    out
}

/// Monthly totals of a region with `base` hazards in an average month, the
/// demo's calendar and growth, and Poisson noise.
pub fn monthly_counts(seed: u64, base: f64, months: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6d6f_6e74_6873);
    (0..months)
        .map(|k| {
            let m = (usize::from(FIRST_MONTH) - 1 + k) % 12;
            let mean = base * MONTH_VOLUME[m] * (0.9 + 0.2 * k as f64 / months as f64);
            poisson(&mut rng, mean)
        })
        .collect()
}

/// A Poisson draw (normal approximation above 50).
pub fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean > 50.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0);
    }
    let limit = (-mean).exp();
    let mut k = 0.0;
    let mut p = rng.random_range(0.0..1.0);
    while p > limit {
        k += 1.0;
        p *= rng.random_range(0.0..1.0);
    }
    k
}
