//! The demo city's concrete traceability (issue 8 point 5): batching plants
//! (new enterprises of the registry, each with a head and a staff account),
//! their mix designs, production batches for active projects over the last
//! ten weeks, one delivery ticket per truck signed off by the project's
//! receiver account, some late deliveries and long waits on site, a few
//! refused loads, specimen groups tested at 28 days, and lots accepted by
//! GB/T 50107 — some of them failing. Pure data, deterministic for a seed
//! and a "now"; the loader (`load::ensure_concrete`) stores it and logs
//! every step on the evidence ledger through the app's own records.

use crate::{BRANDS, DemoCity, Enterprise, GIVEN, Licence, PLACE, Responsible, SURNAMES, User};
use anjian_domain::calc::gb50107;
use anjian_domain::concrete::{self as rules, Material};
use anjian_domain::ids::Uscc;
use anjian_domain::role::Role;
use anjian_store::concrete::{Acceptance, Batch, Mix, Plant, Specimen, Ticket};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone, Copy)]
pub struct ConcreteSpec {
    pub plants: usize,
    /// Active projects supplied.
    pub projects: usize,
    /// Batches per project.
    pub batches: (usize, usize),
}

impl ConcreteSpec {
    pub const STANDARD: ConcreteSpec = ConcreteSpec { plants: 12, projects: 48, batches: (4, 9) };
    pub const SMALL: ConcreteSpec = ConcreteSpec { plants: 2, projects: 3, batches: (4, 5) };
}

pub struct PlantSeed {
    pub enterprise: Enterprise,
    pub plant: Plant,
    pub mixes: Vec<(Mix, Vec<Material>)>,
    pub head: User,
    pub staff: User,
}

pub struct TicketSeed {
    /// As it stands after sign-off; `received_by` holds the receiver's
    /// username until the loader knows the account's id.
    pub ticket: Ticket,
    pub reason: Option<String>,
}

pub struct LotSeed {
    /// `hazard_id` is set by the loader for a failed lot.
    pub acceptance: Acceptance,
    pub output: gb50107::Gb50107Output,
    pub locations: String,
}

pub struct ConcreteDemo {
    pub plants: Vec<PlantSeed>,
    /// (project id, receiver account of its contractor).
    pub receivers: Vec<(String, User)>,
    pub batches: Vec<Batch>,
    pub tickets: Vec<TicketSeed>,
    pub specimens: Vec<Specimen>,
    pub lots: Vec<LotSeed>,
}

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.random_range(0..xs.len())]
    }
    fn name(&mut self) -> String {
        format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN))
    }
    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u: f64 = self.rng.random::<f64>().max(1e-12);
        let v: f64 = self.rng.random();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }
}

/// Air temperature of a moment in this northern city: seasonal (about −1 °C
/// in January, 27 °C in July), warmer in the afternoon, with noise.
fn temperature(g: &mut Gen, ms: i64) -> f64 {
    let day = ms as f64 / DAY as f64;
    let doy = day.rem_euclid(365.2425);
    let hour = ((ms + 8 * HOUR).rem_euclid(DAY)) as f64 / HOUR as f64;
    let seasonal = 13.0 + 14.0 * (std::f64::consts::TAU * (doy - 200.0) / 365.2425).cos();
    let daily = 3.0 * (std::f64::consts::TAU * (hour - 15.0) / 24.0).cos();
    ((seasonal + daily + g.normal() * 1.5) * 10.0).round() / 10.0
}

fn materials(fcu: u32, retarding: bool) -> Vec<Material> {
    let m = |kind: &str, name: &str, kg: f64| Material { kind: kind.into(), name: name.into(), kg_per_m3: kg };
    let cement = 220.0 + f64::from(fcu) * 4.0;
    let mut v = vec![
        m("cement", "P·O 42.5 普通硅酸盐水泥", cement),
        m("mineral", "Ⅱ级粉煤灰", 70.0),
        m("mineral", "S95 级矿渣粉", 40.0),
        m("water", "自来水", 170.0),
        m("sand", "中砂（河砂）", 780.0 - f64::from(fcu) * 2.0),
        m("stone", "5-25 mm 连续级配碎石", 1040.0),
        m("admixture", "聚羧酸高性能减水剂", (cement * 0.022 * 10.0).round() / 10.0),
    ];
    if retarding {
        v.push(m("retarder", "缓凝型减水剂（夏季及大体积）", 2.4));
    }
    v
}

/// Demo USCCs of the plants' enterprises: checksummed, not among the city's.
fn uscc(g: &mut Gen, grid: &str, taken: &std::collections::HashSet<String>) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    loop {
        let body: String = (0..9).map(|_| ALPHABET[g.rng.random_range(0..ALPHABET.len())] as char).collect();
        let u = Uscc::with_check_char(&format!("91{}{body}", &grid[..6])).expect("valid body");
        if !taken.contains(u.as_str()) {
            return u.as_str().into();
        }
    }
}

fn plants(g: &mut Gen, city: &DemoCity, spec: ConcreteSpec, now: i64) -> Vec<PlantSeed> {
    let grids: Vec<&crate::Region> = city.grids().collect();
    let mut taken: std::collections::HashSet<String> = city.enterprises.iter().map(|e| e.uscc.clone()).collect();
    let mut out = Vec::new();
    for k in 0..spec.plants {
        let grid = grids[(k * 7 + 3) % grids.len()];
        let b = grid.bbox;
        let lon = ((b[0] + (b[2] - b[0]) * g.rng.random_range(0.2..0.8)) * 1e6).round() / 1e6;
        let lat = ((b[1] + (b[3] - b[1]) * g.rng.random_range(0.2..0.8)) * 1e6).round() / 1e6;
        let brand = BRANDS[(k * 5 + 2) % BRANDS.len()];
        let place = PLACE[(k * 3 + 1) % PLACE.len()];
        let u = uscc(g, &grid.code, &taken);
        taken.insert(u.clone());
        let id = format!("ent-plant-{:02}", k + 1);
        let head_name = g.name();
        let enterprise = Enterprise {
            id: id.clone(),
            uscc: u,
            name: format!("安澜市{brand}{place}商品混凝土有限公司"),
            industry: "manufacturing".into(),
            address: format!("安澜市{place}工业园{}号", g.rng.random_range(1..200)),
            lon,
            lat,
            region_code: grid.code.clone(),
            scale: "medium".into(),
            responsible: vec![
                Responsible { role: "法定代表人".into(), name: g.name(), phone: None },
                Responsible { role: "安全负责人".into(), name: head_name.clone(), phone: None },
            ],
            licences: vec![Licence {
                kind: "预拌混凝土专业承包资质".into(),
                number: format!("D337{:06}", 100_000 + k * 7_919),
                issued_on: "2024-03-01".into(),
                expires_on: "2029-02-28".into(),
            }],
        };
        let plant = Plant {
            id: format!("demo-plant-{:02}", k + 1),
            enterprise_id: id.clone(),
            name: format!("{brand}{place}搅拌站"),
            address: enterprise.address.clone(),
            lon: Some(lon),
            lat: Some(lat),
            licence_no: Some(enterprise.licences[0].number.clone()),
            created_at: now - 120 * DAY,
        };
        let mut mixes = Vec::new();
        for (j, (fcu, marks, retarding)) in
            [(25u32, "", false), (30, "", false), (30, "P6", true), (35, "P8", false), (40, "", false)]
                .into_iter()
                .enumerate()
        {
            let mats = materials(fcu, retarding);
            let a = rules::check_mix(&rules::MixInput {
                code: "demo".into(),
                grade: format!("C{fcu}"),
                marks: marks.into(),
                slump_mm: 180,
                slump_tolerance_mm: 30,
                materials: mats.clone(),
            })
            .expect("the demo's mix designs are valid");
            let code = format!("{}-C{fcu}{}-{:02}", plant.name.chars().take(2).collect::<String>(), marks, j + 1);
            mixes.push((
                Mix {
                    id: format!("demo-mix-{:02}-{j}", k + 1),
                    plant_id: plant.id.clone(),
                    code,
                    grade: a.grade,
                    marks: marks.into(),
                    slump_mm: 180,
                    slump_tolerance_mm: 30,
                    materials: serde_json::to_string(&mats).expect("serialisable"),
                    water_binder: a.water_binder,
                    density_kg_m3: a.density_kg_m3,
                    retarding: i64::from(a.retarding),
                    created_at: now - 110 * DAY,
                },
                mats,
            ));
        }
        let short = format!("{brand}混凝土");
        let account = |suffix: &str, role: Role, who: &str| User {
            username: format!("plant{:02}-{suffix}", k + 1),
            display_name: format!("{short}·{who}"),
            role,
            region_code: None,
            enterprise_ids: vec![id.clone()],
        };
        let head = account("head", Role::EnterpriseHead, &head_name);
        let staff = account("staff", Role::EnterpriseStaff, "调度员");
        out.push(PlantSeed { enterprise, plant, mixes, head, staff });
    }
    out
}

pub fn generate(city: &DemoCity, seed: u64, now: i64, spec: ConcreteSpec) -> ConcreteDemo {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x636f_6e63_7265_7465) };
    let plants = plants(&mut g, city, spec, now);
    let (mut receivers, mut batches, mut tickets, mut specimens, mut lots) = (vec![], vec![], vec![], vec![], vec![]);
    let projects: Vec<&crate::Project> =
        city.projects.iter().filter(|p| p.status == "active").take(spec.projects).collect();
    let (mut lot_no, mut ticket_no) = (0usize, 0usize);
    for (pi, p) in projects.iter().enumerate() {
        let rcv = User {
            username: format!("{}-rcv", p.id.replace('-', "")),
            display_name: format!("{}·{}", p.name.chars().take(6).collect::<String>(), g.name()),
            role: Role::EnterpriseStaff,
            region_code: None,
            enterprise_ids: vec![p.contractor_id.clone()],
        };
        let plant = &plants[pi % plants.len()];
        let n = g.rng.random_range(spec.batches.0..=spec.batches.1);
        // Pours of the last ten weeks, oldest first; the first projects also pour today.
        let mut days: Vec<i64> = Vec::new();
        while days.len() < n {
            let d = g.between(3, 70);
            if !days.contains(&d) {
                days.push(d);
            }
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        if pi < 2 {
            *days.last_mut().expect("n ≥ 1") = 0;
        }
        let mut project_batches: Vec<(usize, usize)> = Vec::new(); // (index in batches, mix index)
        for (bi, d) in days.iter().enumerate() {
            let mix_k = [1usize, 1, 3, 1, 0, 1, 2, 1, 4, 1][(pi + bi) % 10];
            let (mix, _) = &plant.mixes[mix_k];
            let floor = bi + 1 + pi % 3;
            let part = *g.pick(&["梁板", "墙柱", "楼梯", "基础筏板", "顶板"]);
            let planned = (g.between(6, 45) * 4) as f64;
            // Today's pour is still going on: enough trucks that the last ones are on the road.
            let planned = if *d == 0 { planned.max(144.0) } else { planned };
            // Start of the pour: 06:00–13:00 Shanghai on that day (today: two hours ago).
            let start = if *d == 0 {
                now - 2 * HOUR
            } else {
                let midnight = (now + 8 * HOUR).div_euclid(DAY) * DAY - 8 * HOUR;
                midnight - d * DAY + g.between(6, 13) * HOUR
            };
            let b = Batch {
                id: format!("demo-batch-{pi:03}-{bi}"),
                plant_id: plant.plant.id.clone(),
                mix_id: mix.id.clone(),
                project_id: p.id.clone(),
                pour_location: format!("{}号楼 {floor}层 {part}", pi % 4 + 1),
                planned_m3: planned,
                produced_on: anjian_app::time::today_local(start),
                acceptance_id: None,
                created_at: start - HOUR,
            };
            let trucks = ((planned / 12.0).ceil() as usize).max(1);
            let mut received: Vec<&Ticket> = Vec::new();
            let first_ticket = tickets.len();
            for j in 0..trucks {
                ticket_no += 1;
                if let Some(t) = ticket(&mut g, &b, mix, j, start, now, &rcv.username, ticket_no) {
                    tickets.push(t);
                }
            }
            for t in &tickets[first_ticket..] {
                if matches!(t.ticket.status.as_str(), "received" | "placed") {
                    received.push(&t.ticket);
                }
            }
            // Standard-cured groups: one per 60 m³ poured, at least one; tested at 28 days.
            let groups = ((planned / 60.0).ceil() as usize).max(1);
            for s in 0..groups.min(received.len()) {
                let from = received[(s * 3) % received.len()];
                let sampled_at = from.arrived_at.unwrap_or(from.departed_at) + 10 * MIN;
                specimens.push(Specimen {
                    id: format!("demo-spec-{pi:03}-{bi}-{s}"),
                    batch_id: b.id.clone(),
                    ticket_id: Some(from.id.clone()),
                    project_id: p.id.clone(),
                    code: format!("{}-{:02}-{s}", b.produced_on.replace('-', ""), bi + 1),
                    curing: "standard".into(),
                    age_days: 28,
                    specimen_mm: 150,
                    sampled_at,
                    strengths: None,
                    tested_at: None,
                    report_no: None,
                    created_at: sampled_at,
                });
            }
            project_batches.push((batches.len(), mix_k));
            batches.push(b);
        }
        // Lots: a project's batches of one mix, in order, up to ten at a time,
        // once all their groups are tested; then the strength results.
        for mix_k in 0..plant.mixes.len() {
            let same: Vec<usize> = project_batches.iter().filter(|(_, m)| *m == mix_k).map(|(i, _)| *i).collect();
            for chunk in same.chunks(10) {
                lot_no += 1;
                let weak = lot_no % 13 == 2 || g.rng.random_bool(0.03);
                let fcu = f64::from(gb50107::parse_grade("grade", &plant.mixes[mix_k].0.grade).expect("demo grade"));
                let (mu, sd) = if weak { (fcu * 1.0, 2.5) } else { (fcu * 1.3, 3.0) };
                let mut lot_specimens: Vec<usize> = Vec::new();
                let mut all_tested = true;
                for &bi in chunk {
                    for (si, s) in specimens.iter_mut().enumerate().filter(|(_, s)| s.batch_id == batches[bi].id) {
                        let tested_at = s.sampled_at + 28 * DAY + g.between(2, 6) * HOUR;
                        if tested_at > now - HOUR {
                            all_tested = false;
                            continue;
                        }
                        let base = mu + g.normal() * sd;
                        let mut cubes = [0.0; 3];
                        for c in cubes.iter_mut() {
                            *c = ((base * (1.0 + g.normal() * 0.03)) * 10.0).round() / 10.0;
                        }
                        if g.rng.random_bool(0.04) {
                            cubes[2] = (cubes[2] * 1.2 * 10.0).round() / 10.0; // an outlier cube (the 15 % rule)
                        }
                        s.strengths = Some(serde_json::to_string(&cubes).expect("serialisable"));
                        s.tested_at = Some(tested_at);
                        s.report_no = Some(format!("AL-JC-{}", 20_000 + si));
                        lot_specimens.push(si);
                    }
                }
                if !all_tested || lot_specimens.is_empty() {
                    continue;
                }
                lot_specimens.sort_by_key(|&si| (specimens[si].sampled_at, specimens[si].code.clone()));
                let groups: Vec<Vec<f64>> = lot_specimens
                    .iter()
                    .map(|&si| {
                        serde_json::from_str(specimens[si].strengths.as_deref().unwrap_or("[]")).unwrap_or_default()
                    })
                    .collect();
                let input = gb50107::Gb50107Input {
                    grade: plant.mixes[mix_k].0.grade.clone(),
                    specimen_mm: 150,
                    groups,
                    sigma0: None,
                };
                let Ok(output) = gb50107::assess(&input) else { continue };
                let at = lot_specimens.iter().filter_map(|&si| specimens[si].tested_at).max().unwrap_or(now) + DAY / 2;
                let id = format!("demo-lot-{pi:03}-{mix_k}-{lot_no}");
                let batch_ids: Vec<String> = chunk.iter().map(|&bi| batches[bi].id.clone()).collect();
                let specimen_ids: Vec<&str> = lot_specimens.iter().map(|&si| specimens[si].id.as_str()).collect();
                let locations: Vec<String> = chunk.iter().map(|&bi| batches[bi].pour_location.clone()).collect();
                for &bi in chunk {
                    batches[bi].acceptance_id = Some(id.clone());
                }
                lots.push(LotSeed {
                    acceptance: Acceptance {
                        id: id.clone(),
                        project_id: p.id.clone(),
                        grade: output.grade.clone(),
                        batch_ids: serde_json::to_string(&batch_ids).expect("serialisable"),
                        specimen_ids: serde_json::to_string(&specimen_ids).expect("serialisable"),
                        sigma0: None,
                        method: anjian_app::concrete::quality::method_name(output.method).into(),
                        n: output.n as i64,
                        pass: i64::from(output.pass),
                        result: serde_json::to_string(&output).expect("serialisable"),
                        hazard_id: None,
                        assessed_by: None,
                        created_at: at.min(now),
                    },
                    locations: locations.join("、"),
                    output,
                });
            }
        }
        receivers.push((p.id.clone(), rcv));
    }
    ConcreteDemo { plants, receivers, batches, tickets, specimens, lots }
}

/// Truck `j` of a batch: mixed every 12–20 min from `start`; mostly on time,
/// some slow in traffic or kept waiting on site, a few refused for their
/// slump; today's last trucks still on the road or not yet placed, and none
/// that would leave after `now`.
#[allow(clippy::too_many_arguments)]
fn ticket(
    g: &mut Gen,
    b: &Batch,
    mix: &Mix,
    j: usize,
    start: i64,
    now: i64,
    receiver: &str,
    counter: usize,
) -> Option<TicketSeed> {
    // Normally mixing → end of placing is 30–83 min, within every limit.
    let mixed_at = start + j as i64 * g.between(12, 20) * MIN;
    let departed_at = mixed_at + g.between(3, 8) * MIN;
    let transit = if g.rng.random_bool(0.06) { g.between(92, 130) } else { g.between(15, 40) } * MIN;
    let wait = if g.rng.random_bool(0.06) { g.between(50, 90) } else { g.between(2, 15) } * MIN;
    let arrived_at = departed_at + transit;
    let placed_at = arrived_at + wait + g.between(10, 20) * MIN;
    let temp = temperature(g, mixed_at);
    let site_slump = ((mix.slump_mm as f64 + g.normal() * 12.0) / 5.0).round() as i64 * 5;
    let refused = g.rng.random_bool(0.02);
    let site_slump = if refused { mix.slump_mm - mix.slump_tolerance_mm - 20 } else { site_slump };
    let mut code_bytes = [0u8; 10];
    g.rng.fill(&mut code_bytes);
    let number = format!("{}-{:05}", b.produced_on.replace('-', ""), counter);
    let mut t = Ticket {
        id: format!("{}-t{j:02}", b.id.replace("demo-batch", "demo-ticket")),
        code: anjian_app::hazards::tracking_code_from(code_bytes),
        number,
        batch_id: b.id.clone(),
        plant_id: b.plant_id.clone(),
        project_id: b.project_id.clone(),
        truck: format!("鲁A·{}{:04}", ["D", "F", "G"][j % 3], 1000 + (counter * 37) % 9000),
        volume_m3: if j == 0 && b.planned_m3 % 12.0 != 0.0 { b.planned_m3 % 12.0 } else { 12.0 },
        slump_mm: (mix.slump_mm + g.between(-2, 2) * 5).clamp(10, 280),
        temperature_c: temp,
        mixed_at,
        departed_at,
        arrived_at: None,
        placed_at: None,
        site_slump_mm: None,
        site_temperature_c: None,
        status: "issued".into(),
        issued_by: None,
        received_by: None,
        received_at: None,
        reject_reason: None,
        created_at: departed_at,
        updated_at: departed_at,
    };
    let mut reason = None;
    if departed_at > now {
        return None; // today's later trucks have not left yet
    }
    if arrived_at + 2 * MIN > now {
        return Some(TicketSeed { ticket: t, reason }); // on the road: the receiver can still sign it off
    }
    t.arrived_at = Some(arrived_at);
    t.site_slump_mm = Some(site_slump);
    t.site_temperature_c = Some(temperature(g, arrived_at));
    t.received_by = Some(receiver.into());
    t.received_at = Some(arrived_at + g.between(1, 3) * MIN);
    t.updated_at = t.received_at.unwrap_or(arrived_at);
    if refused {
        t.status = "rejected".into();
        let r = format!("现场坍落度 {site_slump} mm 超出 {}±{} mm，退回搅拌站", mix.slump_mm, mix.slump_tolerance_mm);
        t.reject_reason = Some(r.clone());
        reason = Some(r);
    } else if placed_at <= now {
        t.status = "placed".into();
        t.placed_at = Some(placed_at);
    } else {
        t.status = "received".into();
    }
    Some(TicketSeed { ticket: t, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anjian_domain::concrete::TimeLimits;

    const NOW: i64 = 1_795_564_800_000; // 2026-11-25T00:00:00Z

    #[test]
    fn the_demo_has_late_deliveries_failing_lots_and_valid_data() {
        let city = crate::generate(2026, crate::DemoSize::Standard);
        let a = generate(&city, 7, NOW, ConcreteSpec::STANDARD);
        let b = generate(&city, 7, NOW, ConcreteSpec::STANDARD);
        assert_eq!(a.tickets.len(), b.tickets.len());
        assert_eq!(
            a.tickets.iter().map(|t| &t.ticket).collect::<Vec<_>>(),
            b.tickets.iter().map(|t| &t.ticket).collect::<Vec<_>>()
        );
        assert_eq!(a.plants.len(), 12);
        assert!(a.tickets.len() > 500, "{}", a.tickets.len());
        let limits = TimeLimits::default();
        let mut late = 0;
        for seed in &a.tickets {
            let t = &seed.ticket;
            let times = rules::DeliveryTimes {
                mixed_at: t.mixed_at,
                departed_at: t.departed_at,
                arrived_at: t.arrived_at,
                placed_at: t.placed_at,
            };
            times.validate().unwrap();
            assert!(t.departed_at <= NOW && t.placed_at.is_none_or(|p| p <= NOW), "{t:?}");
            rules::check_volume("volume_m3", t.volume_m3).unwrap();
            let retarding = a
                .plants
                .iter()
                .flat_map(|p| &p.mixes)
                .any(|(m, _)| m.retarding == 1 && a.batches.iter().any(|b| b.id == t.batch_id && b.mix_id == m.id));
            if t.status != "rejected"
                && !rules::check(&times, t.site_temperature_c.unwrap_or(t.temperature_c), retarding, &limits).is_empty()
            {
                late += 1;
            }
        }
        assert!(late > 20 && late < a.tickets.len() / 5, "late deliveries: {late} of {}", a.tickets.len());
        assert!(a.tickets.iter().any(|t| t.ticket.status == "rejected"));
        assert!(a.tickets.iter().any(|t| t.ticket.status == "issued"), "some trucks are on the road");
        let failed = a.lots.iter().filter(|l| !l.output.pass).count();
        assert!(failed >= 2 && failed < a.lots.len() / 5, "{failed} of {} lots fail", a.lots.len());
        assert!(a.lots.iter().any(|l| l.output.method == gb50107::Method::Statistical), "some lots have ≥ 10 groups");
        for l in &a.lots {
            assert!(l.acceptance.created_at <= NOW);
        }
        let codes: std::collections::HashSet<&str> = a.tickets.iter().map(|t| t.ticket.code.as_str()).collect();
        assert_eq!(codes.len(), a.tickets.len(), "public codes are unique");
        let small = generate(&crate::generate(11, crate::DemoSize::Small), 11, NOW, ConcreteSpec::SMALL);
        assert!(!small.tickets.is_empty() && !small.lots.is_empty());
    }
}
