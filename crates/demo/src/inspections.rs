//! The demo city's inspection records (issue 7): six months of monthly
//! self-inspections per enterprise with realistic discipline (most on
//! time, some late or missing, a few that always pass while regulators find
//! hazards), the regulators' enforcement and expert inspections behind the
//! history's `enforcement_check` / `expert_check` hazards plus clean ones,
//! leader-on-duty check-ins at mines and chemical plants for the last 60
//! days, worker check-ins for special operations, and safety trainings
//! with sign-ins. Failing items link the history hazards they found.
//! Deterministic for a seed and a date.

use crate::{DemoCity, Enterprise, Person};
use anjian_app::time;
use anjian_domain::inspection::{InspectionKind, Template};
use anjian_store::inspections::{Checkin, Inspection, ResultRow, Training};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// Months of self-inspections (the suspicion window).
pub const SELF_MONTHS: i32 = 6;
/// Days of duty check-ins.
pub const CHECKIN_DAYS: i64 = 60;

/// A history hazard an inspection may have found.
#[derive(Debug, Clone)]
pub struct Found {
    pub hazard_id: String,
    pub enterprise_id: String,
    pub channel: String,
    pub reported_at: i64,
    pub taxonomy_item: Option<String>,
}

/// A stored template version: its id and content.
pub struct Stored {
    pub id: String,
    pub template: Template,
}

#[derive(Default)]
pub struct Records {
    pub inspections: Vec<Inspection>,
    pub results: Vec<ResultRow>,
    pub checkins: Vec<Checkin>,
    pub trainings: Vec<Training>,
    pub signins: Vec<(String, String, i64, String)>,
    /// Last number per (series kind, year), to set the counters.
    pub counters: BTreeMap<(String, i64), i64>,
}

/// How an enterprise keeps its self-inspection duty.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Habit {
    Diligent,
    Sloppy,
    Delinquent,
    /// Files every month and never finds anything (瞒报).
    Whitewash,
}

fn self_code(industry: &str) -> &'static str {
    match industry {
        "construction" => "SELF-CONS",
        "hazardous_chemicals" => "SELF-HAZC",
        "mining" => "SELF-MINE",
        "manufacturing" => "SELF-MANU",
        _ => "SELF-TRADE",
    }
}

fn id_for(prefix: &str, n: usize) -> String {
    // Stable ids keyed by position: the demo is reproducible row for row.
    format!("{prefix}-{n:07}")
}

struct Numbers(BTreeMap<(String, i64), i64>);

impl Numbers {
    fn next(&mut self, kind: InspectionKind, at: i64) -> String {
        let year: i64 = time::today_local(at)[..4].parse().unwrap_or(1970);
        let n = self.0.entry((format!("inspection.{}", kind.as_str()), year)).or_insert(0);
        *n += 1;
        let prefix = match kind {
            InspectionKind::SelfCheck => "ZC",
            InspectionKind::Expert => "ZJ",
            InspectionKind::Enforcement => "ZF",
        };
        format!("{prefix}{year}-{:06}", *n)
    }
}

/// The answers of one inspection: every item passes except those that
/// found one of `found` (matched to an item of the same taxonomy domain
/// where the template has one).
fn answer(t: &Template, inspection_id: &str, found: &[&Found]) -> Vec<ResultRow> {
    let mut fails: HashMap<String, (String, String)> = HashMap::new();
    for f in found {
        let domain = f.taxonomy_item.as_deref().and_then(|i| i.split('-').next()).unwrap_or("");
        let free = |code: &str, fails: &HashMap<String, (String, String)>| !fails.contains_key(code);
        let pick = t
            .items()
            .find(|(_, it)| free(&it.code, &fails) && it.problems.iter().any(|p| p.taxonomy_item.starts_with(domain)))
            .or_else(|| t.items().find(|(_, it)| free(&it.code, &fails)));
        let Some((_, it)) = pick else { break };
        let problem =
            it.problems.iter().find(|p| Some(&p.taxonomy_item) == f.taxonomy_item.as_ref()).unwrap_or(&it.problems[0]);
        fails.insert(it.code.clone(), (problem.code.clone(), f.hazard_id.clone()));
    }
    t.items()
        .map(|(s, it)| {
            let fail = fails.get(&it.code);
            ResultRow {
                inspection_id: inspection_id.into(),
                item_code: it.code.clone(),
                instance: 1,
                section_code: s.code.clone(),
                outcome: if fail.is_some() { "fail" } else { "pass" }.into(),
                problem_code: fail.map(|f| f.0.clone()),
                deduction: fail.map(|_| 0.0),
                note: None,
                attachments: "[]".into(),
                hazard_id: fail.map(|f| f.1.clone()),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn push_inspection(
    out: &mut Records,
    numbers: &mut Numbers,
    t: &Stored,
    e: &Enterprise,
    kind: InspectionKind,
    period: Option<String>,
    submitted_at: i64,
    inspector: &str,
    found: &[&Found],
) {
    let id = id_for("demo-insp", out.inspections.len() + 1);
    let rows = answer(&t.template, &id, found);
    let failed = rows.iter().filter(|r| r.outcome == "fail").count() as i64;
    out.inspections.push(Inspection {
        number: numbers.next(kind, submitted_at),
        kind: kind.as_str().into(),
        template_id: t.id.clone(),
        enterprise_id: e.id.clone(),
        project_id: None,
        region_code: e.region_code.clone(),
        inspector_id: None,
        inspector_name: inspector.into(),
        state: "submitted".into(),
        period,
        started_at: submitted_at - 2 * HOUR,
        submitted_at: Some(submitted_at),
        lon: Some(e.lon),
        lat: Some(e.lat),
        items: rows.len() as i64,
        passed: rows.len() as i64 - failed,
        failed,
        not_applicable: 0,
        score: None,
        grade: None,
        idempotency_key: None,
        created_at: submitted_at - 2 * HOUR,
        updated_at: submitted_at,
        id,
    });
    out.results.extend(rows);
}

/// Generates the records. `now` is the history's end (start of today).
pub fn generate(city: &DemoCity, seed: u64, now: i64, templates: &[Stored], found: &[Found]) -> Records {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x696e_7370_6563_7421);
    let by_code: HashMap<&str, &Stored> = templates.iter().map(|s| (s.template.code.as_str(), s)).collect();
    let mut out = Records::default();
    let mut numbers = Numbers(BTreeMap::new());
    let mut found_by: HashMap<&str, Vec<&Found>> = HashMap::new();
    for f in found {
        found_by.entry(f.enterprise_id.as_str()).or_default().push(f);
    }
    let this_month = time::month_of(now - 1);
    let safety_officer = |e: &Enterprise| {
        e.responsible.iter().find(|r| r.role.contains("安全")).or(e.responsible.first()).map(|r| r.name.clone())
    };
    // The officer who inspects an enterprise: its district's.
    let officers: HashMap<&str, &str> = city
        .users
        .iter()
        .filter(|u| u.role == anjian_domain::role::Role::RegionOfficer)
        .filter_map(|u| u.region_code.as_deref().filter(|r| r.len() == 6).map(|r| (r, u.display_name.as_str())))
        .collect();
    for e in &city.enterprises {
        let habit = match rng.random::<f64>() {
            x if x < 0.78 => Habit::Diligent,
            x if x < 0.90 => Habit::Sloppy,
            x if x < 0.96 => Habit::Delinquent,
            _ => Habit::Whitewash,
        };
        let Some(t) = by_code.get(self_code(&e.industry)) else { continue };
        let mine = found_by.get(e.id.as_str()).cloned().unwrap_or_default();
        let name = safety_officer(e).unwrap_or_else(|| "安全负责人".into());
        for k in (1..=SELF_MONTHS).rev() {
            let period = time::add_months(&this_month, -k);
            let due = {
                let next = time::add_months(&period, 1);
                let first = time::parse_month("p", &next).map(time::day_start).unwrap_or(0);
                first + 5 * DAY
            };
            let roll: f64 = rng.random();
            let delay_days: Option<i64> = match habit {
                Habit::Diligent | Habit::Whitewash if roll < 0.97 || habit == Habit::Whitewash => {
                    Some(-rng.random_range(0..4))
                }
                Habit::Diligent => Some(rng.random_range(1..10)),
                Habit::Sloppy if roll < 0.55 => Some(-rng.random_range(0..4)),
                Habit::Sloppy if roll < 0.88 => Some(rng.random_range(1..40)),
                Habit::Delinquent if roll < 0.4 => Some(rng.random_range(-3..30)),
                _ => None,
            };
            let Some(d) = delay_days else { continue };
            let at = due - DAY + d * DAY + rng.random_range(8..18) * HOUR + rng.random_range(0..HOUR);
            if at >= now {
                continue;
            }
            let (start, end) = time::month_bounds("p", &period).unwrap_or((0, 0));
            let in_period: Vec<&Found> = if habit == Habit::Whitewash {
                vec![]
            } else {
                mine.iter()
                    .copied()
                    .filter(|f| f.channel == "enterprise_self_check" && (start..end).contains(&f.reported_at))
                    .collect()
            };
            push_inspection(
                &mut out,
                &mut numbers,
                t,
                e,
                InspectionKind::SelfCheck,
                Some(period),
                at,
                &name,
                &in_period,
            );
        }
        // Regulators' inspections: one per day on which they found hazards here.
        let district = &e.region_code[..6];
        let officer = officers.get(district).copied().unwrap_or("执法人员");
        let mut days: BTreeMap<(String, &str), Vec<&Found>> = BTreeMap::new();
        for f in mine.iter().filter(|f| f.channel == "enforcement_check" || f.channel == "expert_check") {
            days.entry((time::today_local(f.reported_at), f.channel.as_str())).or_default().push(f);
        }
        for ((_, channel), fs) in days {
            let (kind, code) = if channel == "expert_check" {
                let code = match e.industry.as_str() {
                    "hazardous_chemicals" => "EXPERT-HAZC",
                    "mining" => "EXPERT-MINE",
                    _ => "ENF-GENERAL",
                };
                (InspectionKind::Expert, code)
            } else {
                (InspectionKind::Enforcement, "ENF-GENERAL")
            };
            let Some(t) = by_code.get(code) else { continue };
            let at = fs.iter().map(|f| f.reported_at).min().unwrap_or(now);
            push_inspection(&mut out, &mut numbers, t, e, kind, None, at, officer, &fs);
        }
        // And clean ones: about one in four enterprises each half-year.
        if let Some(t) = by_code.get("ENF-GENERAL") {
            for half in 0..2 {
                if rng.random_bool(0.25) {
                    let at = now - (half * 182 + rng.random_range(1..180)) * DAY + rng.random_range(9..17) * HOUR;
                    push_inspection(&mut out, &mut numbers, t, e, InspectionKind::Enforcement, None, at, officer, &[]);
                }
            }
        }
    }
    checkins(city, &mut rng, now, &mut out);
    trainings(city, &mut rng, now, &mut out);
    out.counters = numbers.0;
    out
}

/// Leaders on duty at mines (three shifts) and chemical plants (one a day),
/// each enterprise with its own diligence; a few special-operation
/// check-ins by workers, some without a valid certificate.
fn checkins(city: &DemoCity, rng: &mut ChaCha8Rng, now: i64, out: &mut Records) {
    let staff: HashMap<&str, Vec<&Person>> = city.people.iter().fold(HashMap::new(), |mut m, p| {
        m.entry(p.enterprise_id.as_str()).or_default().push(p);
        m
    });
    for e in &city.enterprises {
        let shifts: i64 = match e.industry.as_str() {
            "mining" => 3,
            "hazardous_chemicals" => 1,
            _ => continue,
        };
        let Some(people) = staff.get(e.id.as_str()) else { continue };
        let diligence = match rng.random::<f64>() {
            x if x < 0.7 => rng.random_range(0.93..1.0),
            x if x < 0.92 => rng.random_range(0.75..0.93),
            _ => rng.random_range(0.3..0.75),
        };
        let leaders = &people[..people.len().min(2)];
        for d in 1..=CHECKIN_DAYS {
            let day_start = now - d * DAY;
            let day = time::today_local(day_start);
            for s in 0..shifts {
                if !rng.random_bool(diligence) {
                    continue;
                }
                // Shifts start at 08:00, 16:00 and 00:00 (the night after).
                let at = day_start + (8 + 8 * s) * HOUR + rng.random_range(0..40) * 60_000;
                let p = leaders[rng.random_range(0..leaders.len())];
                out.checkins.push(Checkin {
                    id: id_for("demo-chk", out.checkins.len() + 1),
                    enterprise_id: e.id.clone(),
                    region_code: e.region_code.clone(),
                    person_id: p.id.clone(),
                    role: "leader".into(),
                    method: "face".into(),
                    device_id: None,
                    operation: None,
                    certified: None,
                    match_score: Some((rng.random_range(90..100) as f64) / 100.0),
                    at,
                    day: day.clone(),
                    shift: s,
                    lon: Some(e.lon),
                    lat: Some(e.lat),
                    idempotency_key: None,
                    created_at: at,
                });
            }
            // A worker about to do a special operation, now and then.
            if rng.random_bool(0.15)
                && let Some(p) = people.iter().find(|p| !p.certificates.is_empty())
            {
                let cert = &p.certificates[0];
                let op = cert.kind.trim_start_matches("特种作业操作证（").trim_end_matches('）').to_string();
                let (who, certified) = if rng.random_bool(0.1) {
                    // Someone else does it without the certificate.
                    match people.iter().find(|q| q.certificates.is_empty()) {
                        Some(q) => (*q, false),
                        None => (*p, cert.expires_on.as_str() >= day.as_str()),
                    }
                } else {
                    (*p, cert.expires_on.as_str() >= day.as_str())
                };
                let at = day_start + 9 * HOUR + rng.random_range(0..120) * 60_000;
                out.checkins.push(Checkin {
                    id: id_for("demo-chk", out.checkins.len() + 1),
                    enterprise_id: e.id.clone(),
                    region_code: e.region_code.clone(),
                    person_id: who.id.clone(),
                    role: "worker".into(),
                    method: "qr".into(),
                    device_id: None,
                    operation: Some(op),
                    certified: Some(i64::from(certified)),
                    match_score: None,
                    at,
                    day: day.clone(),
                    shift: 0,
                    lon: Some(e.lon),
                    lat: Some(e.lat),
                    idempotency_key: None,
                    created_at: at,
                });
            }
        }
    }
}

const TRAININGS: &[(&str, f64)] = &[
    ("新员工三级安全教育", 24.0),
    ("岗位安全操作规程培训", 4.0),
    ("消防安全知识与灭火器使用", 2.0),
    ("生产安全事故应急预案演练", 3.0),
    ("有限空间作业安全培训", 4.0),
    ("隐患排查治理与双重预防机制", 2.0),
];

fn trainings(city: &DemoCity, rng: &mut ChaCha8Rng, now: i64, out: &mut Records) {
    let staff: HashMap<&str, Vec<&Person>> = city.people.iter().fold(HashMap::new(), |mut m, p| {
        m.entry(p.enterprise_id.as_str()).or_default().push(p);
        m
    });
    for e in &city.enterprises {
        let Some(people) = staff.get(e.id.as_str()) else { continue };
        for _ in 0..rng.random_range(1..4) {
            let (title, hours) = TRAININGS[rng.random_range(0..TRAININGS.len())];
            let starts_at = now - rng.random_range(3..330) * DAY + rng.random_range(9..15) * HOUR;
            let id = id_for("demo-trn", out.trainings.len() + 1);
            for p in people.iter() {
                if !rng.random_bool(0.85) {
                    continue;
                }
                let at = starts_at - rng.random_range(0..20) * 60_000;
                out.signins.push((
                    id.clone(),
                    p.id.clone(),
                    at,
                    if rng.random_bool(0.7) { "face" } else { "qr" }.into(),
                ));
            }
            out.trainings.push(Training {
                id,
                enterprise_id: e.id.clone(),
                title: title.into(),
                hours,
                starts_at,
                created_by: None,
                created_at: starts_at - 3 * DAY,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoSize, generate as city};

    fn stored() -> Vec<Stored> {
        anjian_app::inspections::shipped()
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(k, template)| Stored { id: format!("t{k}"), template })
            .collect()
    }

    #[test]
    fn records_are_deterministic_and_consistent() {
        let c = city(7, DemoSize::Small);
        let now = crate::history::history_end_ms();
        let found: Vec<Found> = c
            .enterprises
            .iter()
            .take(10)
            .enumerate()
            .map(|(k, e)| Found {
                hazard_id: format!("h{k}"),
                enterprise_id: e.id.clone(),
                channel: if k % 2 == 0 { "enterprise_self_check" } else { "enforcement_check" }.into(),
                reported_at: now - 40 * DAY,
                taxonomy_item: Some("FIRE-01-01".into()),
            })
            .collect();
        let a = generate(&c, 3, now, &stored(), &found);
        let b = generate(&c, 3, now, &stored(), &found);
        assert_eq!(a.inspections, b.inspections);
        assert_eq!(a.checkins, b.checkins);
        assert!(a.inspections.len() > c.enterprises.len() * 3, "{}", a.inspections.len());
        // Every failing answer links a hazard, and each enforcement hazard was found once.
        assert!(a.results.iter().all(|r| (r.outcome == "fail") == r.hazard_id.is_some()));
        let linked: Vec<&str> = a.results.iter().filter_map(|r| r.hazard_id.as_deref()).collect();
        for f in found.iter().filter(|f| f.channel == "enforcement_check") {
            assert_eq!(linked.iter().filter(|h| **h == f.hazard_id).count(), 1, "{}", f.hazard_id);
        }
        for i in &a.inspections {
            assert!(i.submitted_at.unwrap() < now);
            let fails = a.results.iter().filter(|r| r.inspection_id == i.id && r.outcome == "fail").count() as i64;
            assert_eq!(i.failed, fails);
        }
        // Numbers are unique; check-ins only where a leader on duty is required.
        let mut numbers: Vec<&str> = a.inspections.iter().map(|i| i.number.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), a.inspections.len());
        let industry: HashMap<&str, &str> =
            c.enterprises.iter().map(|e| (e.id.as_str(), e.industry.as_str())).collect();
        assert!(
            a.checkins.iter().all(|k| matches!(industry[k.enterprise_id.as_str()], "mining" | "hazardous_chemicals"))
        );
        assert!(a.checkins.iter().any(|k| k.certified == Some(0)) || a.checkins.is_empty());
        assert!(!a.trainings.is_empty() && !a.signins.is_empty());
    }
}
