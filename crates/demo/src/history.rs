//! Two years of hazard history for the demo city: reports from every
//! channel, classified, graded, dispatched and driven through the lifecycle
//! state machine of `anjian_domain::hazard` (every event is a valid
//! transition at its time), ending at [`crate::today`]. Deterministic: the
//! same city and seed give the same history.
//!
//! What is realistic about it, so that statistics, rankings and forecasts
//! have something true to find:
//! - volume follows the calendar (the Spring Festival dip in February, the
//!   building season) and grows slowly as more units report;
//! - hazard types follow the unit's industry and the season (fire in
//!   winter, electrical and heat in summer, mines in the rainy season);
//! - a few units report far more than others (a heavy-tailed propensity by
//!   industry, scale and luck); major hazards are rare;
//! - rectification takes a share of the deadline with a long tail, so some
//!   hazards run overdue and are escalated, some need an extension, some
//!   fail acceptance; recent hazards are still open.
//! - [`PLANTED_PAIRS`]: for these pairs of types, a hazard of the first
//!   type is followed at the same unit within [`PLANTED_WINDOW_DAYS`] by one
//!   of the second with probability [`PLANTED_PROBABILITY`]. No other pair
//!   is linked: co-occurrence analysis must find these and only these.

use crate::{DemoCity, Enterprise};
use anjian_app::hazards::{set_status, status_of, transition_data};
use anjian_app::knowledge::{HazardKnowledge, Taxonomy};
use anjian_domain::hazard::{self, Event, Grade, Party, State};
use anjian_store::hazards::{Hazard, HazardEvent, Plan};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// (first type, second type): planted co-occurrences at the same unit.
pub const PLANTED_PAIRS: &[(&str, &str)] = &[
    // Construction sites without 三级配电两级保护 also lack working RCDs.
    ("CONS-06-01", "ELEC-01-03"),
    // Where dust is high, workers are found without dust masks.
    ("OCCH-01-01", "OCCH-01-02"),
    // Clutter in escape routes goes with piles of combustibles.
    ("FIRE-02-02", "FIRE-03-04"),
];
pub const PLANTED_WINDOW_DAYS: i64 = 10;
pub const PLANTED_PROBABILITY: f64 = 0.5;

#[derive(Debug, Clone, Copy)]
pub struct HistorySpec {
    /// Hazards in all (planted companions included).
    pub hazards: usize,
    /// Calendar months back from [`crate::today`] (the current one included).
    pub months: u32,
}

impl HistorySpec {
    /// The demo city's default: ≥ 100,000 hazards over 24 months.
    pub const STANDARD: HistorySpec = HistorySpec { hazards: 100_000, months: 24 };
}

/// One generated hazard: the row as it stands at the end of the history,
/// its timeline (sequence numbers 1, 2, …) and, for major hazards that got
/// that far, the governance plan.
#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub hazard: Hazard,
    pub events: Vec<HazardEvent>,
    pub plan: Option<Plan>,
}

/// Epoch ms of the start of [`crate::today`] in Shanghai: the history ends
/// here, always in the past.
pub fn history_end_ms() -> i64 {
    let d: jiff::civil::Date = crate::today().parse().expect("today() is a date");
    d.at(0, 0, 0, 0).in_tz("Asia/Shanghai").expect("bundled tzdb").timestamp().as_millisecond()
}

/// Domain weights per industry (public reports use `public`).
fn domain_weights(industry: &str) -> &'static [(&'static str, f64)] {
    match industry {
        "construction" => &[
            ("CONS", 50.0),
            ("ELEC", 10.0),
            ("FIRE", 10.0),
            ("SPEQ", 6.0),
            ("OCCH", 4.0),
            ("MGMT", 12.0),
            ("CONF", 3.0),
        ],
        "hazardous_chemicals" => &[
            ("HAZC", 45.0),
            ("FIRE", 14.0),
            ("ELEC", 9.0),
            ("CONF", 8.0),
            ("SPEQ", 7.0),
            ("OCCH", 5.0),
            ("MGMT", 10.0),
            ("TRAN", 2.0),
        ],
        "mining" => &[("MINE", 55.0), ("ELEC", 10.0), ("SPEQ", 7.0), ("OCCH", 10.0), ("MGMT", 12.0), ("FIRE", 6.0)],
        "manufacturing" => &[
            ("INDU", 24.0),
            ("ELEC", 15.0),
            ("FIRE", 15.0),
            ("SPEQ", 12.0),
            ("CONF", 6.0),
            ("OCCH", 10.0),
            ("MGMT", 12.0),
            ("GAS", 6.0),
        ],
        "trade" => &[("FIRE", 40.0), ("ELEC", 22.0), ("GAS", 16.0), ("MGMT", 10.0), ("TRAN", 6.0), ("SPEQ", 6.0)],
        _ => &[("FIRE", 40.0), ("ELEC", 15.0), ("GAS", 15.0), ("TRAN", 15.0), ("CONS", 15.0)],
    }
}

/// Seasonal factor of a domain in calendar month 1..=12.
fn domain_season(domain: &str, month: i8) -> f64 {
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

/// Industries with their own type mix, and `public` for citizens' reports.
const INDUSTRIES: [&str; 6] = ["construction", "hazardous_chemicals", "mining", "manufacturing", "trade", "public"];

/// Overall reporting volume by calendar month (Spring Festival in February).
const MONTH_VOLUME: [f64; 12] = [0.85, 0.55, 1.0, 1.1, 1.15, 1.1, 1.0, 0.95, 1.1, 1.1, 1.05, 0.95];

const CHANNELS: &[(&str, f64)] = &[
    ("enterprise_self_check", 40.0),
    ("grid_patrol", 18.0),
    ("enforcement_check", 10.0),
    ("expert_check", 9.0),
    ("public", 8.0),
    ("hotline", 7.0),
    ("iot_alarm", 5.0),
    ("camera_event", 3.0),
];
const IOT_ITEMS: &[&str] =
    &["CONS-04-02", "CONS-01-04", "HAZC-04-01", "GAS-01-01", "MINE-01-01", "OCCH-01-01", "HAZC-03-03", "INDU-02-03"];
const CAMERA_ITEMS: &[&str] = &["CONS-05-02", "FIRE-02-01", "FIRE-02-02", "MGMT-05-02", "FIRE-03-01", "CONS-05-01"];

fn places(domain: &str) -> &'static [&'static str] {
    match domain {
        "FIRE" => &["一楼仓库", "三楼走廊", "东侧楼梯间", "员工宿舍", "后厨", "办公楼二层", "生产车间北侧", "地下车库"],
        "ELEC" => &["配电室", "一号车间", "办公区", "仓库", "临时工棚", "空压机房"],
        "CONS" => &["3号楼", "基坑东侧", "塔吊TC2附近", "北侧临边", "地下室顶板", "钢筋加工棚", "5号楼12层"],
        "HAZC" => &["甲类仓库", "罐区", "装卸台", "中控室", "二号反应釜旁", "危废暂存间"],
        "MINE" => &["1号井", "采掘工作面", "南帮边坡", "排土场", "主运输巷"],
        "SPEQ" => &["货梯", "锅炉房", "气瓶间", "装卸区", "行车作业区"],
        "CONF" => &["污水井", "地下室集水坑", "发酵罐", "化粪池", "污水处理站"],
        "OCCH" => &["打磨车间", "喷漆房", "铸造车间", "包装车间"],
        "TRAN" => &["停车场", "厂区道路", "运输车队", "出入口"],
        "GAS" => &["后厨", "地下餐厅", "燃气表间", "沿街商铺"],
        "INDU" => &["除尘间", "冷库", "熔炼车间", "冲压车间", "抛光车间"],
        _ => &["现场", "资料检查中", "车间", "办公区"],
    }
}

struct Pick {
    codes: Vec<String>,
    cumulative: Vec<f64>,
}

impl Pick {
    fn new(pairs: impl IntoIterator<Item = (String, f64)>) -> Pick {
        let mut codes = Vec::new();
        let mut cumulative = Vec::new();
        let mut sum = 0.0;
        for (c, w) in pairs {
            if w > 0.0 {
                sum += w;
                codes.push(c);
                cumulative.push(sum);
            }
        }
        Pick { codes, cumulative }
    }
    fn index(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().expect("non-empty");
        let x = rng.random_range(0.0..total);
        self.cumulative.partition_point(|c| *c <= x).min(self.codes.len() - 1)
    }
    fn pick(&self, rng: &mut ChaCha8Rng) -> &str {
        &self.codes[self.index(rng)]
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A time-ordered id in the UUID v7 layout, from the generator's stream.
fn id_at(rng: &mut ChaCha8Rng, ms: i64) -> String {
    let ms = ms.max(0) as u64 & 0xFFFF_FFFF_FFFF;
    let a: u16 = rng.random::<u16>() & 0x0FFF;
    let b: u16 = (rng.random::<u16>() & 0x3FFF) | 0x8000;
    let c: u64 = rng.random::<u64>() & 0xFFFF_FFFF_FFFF;
    format!("{:08x}-{:04x}-7{a:03x}-{b:04x}-{c:012x}", ms >> 16, ms & 0xFFFF)
}

/// The generator: an iterator, so two years of history never sit in memory
/// at once.
pub struct History<'a> {
    city: &'a DemoCity,
    rng: ChaCha8Rng,
    knowledge: Taxonomy,
    enterprises: Pick,
    enterprise_index: HashMap<&'a str, &'a Enterprise>,
    projects_of: HashMap<&'a str, Vec<usize>>,
    items_by_domain: HashMap<String, Pick>,
    /// Domain choice per (industry in `INDUSTRIES`, month 1..=12).
    domain_pick: Vec<Pick>,
    /// Channels, and the inspection channels alone (for planted companions).
    channels: Pick,
    checks: Pick,
    /// Who acts for the regulator in each region.
    regulators: HashMap<&'a str, String>,
    grid_bbox: HashMap<&'a str, [f64; 4]>,
    /// (calendar month, start ms, end ms, hazards still to emit) per month.
    months: Vec<(i8, i64, i64, usize)>,
    month: usize,
    /// Planted companions waiting: (enterprise id, item, time).
    queue: Vec<(String, String, i64)>,
    number: i64,
    end: i64,
}

/// The history of `city` under `seed`.
pub fn history(city: &DemoCity, seed: u64, spec: HistorySpec) -> History<'_> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6869_7374_6f72_7921);
    let end = history_end_ms();
    // Propensity: industry × scale × luck (log-normal, heavy-tailed).
    let mut weights = Vec::new();
    for e in &city.enterprises {
        let industry = match e.industry.as_str() {
            "construction" => 3.0,
            "hazardous_chemicals" | "mining" => 2.5,
            "manufacturing" => 1.5,
            _ => 0.6,
        };
        let scale = match e.scale.as_str() {
            "large" => 3.0,
            "medium" => 2.0,
            "small" => 1.0,
            _ => 0.6,
        };
        weights.push((e.id.clone(), industry * scale * (0.9 * normal(&mut rng)).exp()));
    }
    let knowledge = Taxonomy;
    // Major types are rare in practice: within each domain they share 2 % of
    // the weight (the types themselves are listed in full in the taxonomy).
    let mut by_domain: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    for item in anjian_classify::taxonomy().items() {
        let domain = item.code.split('-').next().unwrap_or_default().to_string();
        // Descriptions are built from the type's name, so a type whose name
        // meets a determination rule is graded major every time.
        let major = knowledge.item(&item.code).is_some_and(|i| i.default_grade == Grade::Major)
            || knowledge.major_basis(&item.code, &item.name).is_some();
        let slot = by_domain.entry(domain).or_default();
        if major { slot.1.push(item.code.clone()) } else { slot.0.push(item.code.clone()) }
    }
    let mut items_by_domain: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    for (domain, (general, major)) in by_domain {
        let w_major = if general.is_empty() { 1.0 } else { 0.02 * general.len() as f64 / (0.98 * major.len() as f64) };
        let v = items_by_domain.entry(domain).or_default();
        v.extend(general.into_iter().map(|c| (c, 1.0)));
        v.extend(major.into_iter().map(|c| (c, w_major)));
    }
    let mut domain_pick = Vec::new();
    for industry in INDUSTRIES {
        for m in 1..=12i8 {
            let pairs = domain_weights(industry).iter().map(|(d, w)| (d.to_string(), w * domain_season(d, m)));
            domain_pick.push(Pick::new(pairs));
        }
    }
    let channel_pick = |cs: &[(&str, f64)]| Pick::new(cs.iter().map(|(c, w)| (c.to_string(), *w)));
    let mut projects_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in city.projects.iter().enumerate() {
        projects_of.entry(p.contractor_id.as_str()).or_default().push(i);
    }
    // Who acts for the regulator in a region: a grid officer of the grid,
    // else an officer of an enclosing region, else the city bureau.
    let mut officers: HashMap<&str, &str> = HashMap::new();
    for u in &city.users {
        if let (Some(r), true) = (&u.region_code, u.role.is_regulator()) {
            officers.entry(r.as_str()).or_insert(u.display_name.as_str());
        }
    }
    let parents: HashMap<&str, Option<&str>> =
        city.regions.iter().map(|r| (r.code.as_str(), r.parent_code.as_deref())).collect();
    let regulators = city
        .regions
        .iter()
        .map(|r| {
            let mut code = Some(r.code.as_str());
            let name = loop {
                match code {
                    Some(c) if officers.contains_key(c) => break officers[c].to_string(),
                    Some(c) => code = parents.get(c).copied().flatten(),
                    None => break "安澜市应急管理局".to_string(),
                }
            };
            (r.code.as_str(), name)
        })
        .collect();
    let grid_bbox = city.grids().map(|g| (g.code.as_str(), g.bbox)).collect();
    // Month quotas: calendar volume × slow growth.
    // Calendar months: the last one is the month of the history's last day
    // (yesterday), running up to the end of the history.
    let last_day = jiff::Timestamp::from_millisecond(end - 1)
        .expect("valid instant")
        .in_tz("Asia/Shanghai")
        .expect("bundled tzdb")
        .date();
    let first = last_day.first_of_month();
    let ms = |d: jiff::civil::Date| {
        d.at(0, 0, 0, 0).in_tz("Asia/Shanghai").expect("bundled tzdb").timestamp().as_millisecond()
    };
    let mut months = Vec::new();
    let mut total_w = 0.0;
    for k in (0..spec.months).rev() {
        let start = first.checked_sub(jiff::Span::new().months(k)).expect("date in range");
        let stop = start.checked_add(jiff::Span::new().months(1)).expect("date in range");
        let (a, b) = (ms(start), ms(stop));
        let covered = (b.min(end) - a).max(0) as f64 / (b - a) as f64;
        let growth = 0.9 + 0.2 * f64::from(spec.months - 1 - k) / f64::from(spec.months.max(1));
        let w = MONTH_VOLUME[(start.month() - 1) as usize] * growth * covered;
        total_w += w;
        months.push((start.month(), a, b.min(end), w));
    }
    let mut quotas: Vec<(i8, i64, i64, usize)> = Vec::new();
    let mut assigned = 0usize;
    let n = months.len();
    for (i, (m, a, b, w)) in months.into_iter().enumerate() {
        let q = if i + 1 == n { spec.hazards - assigned } else { (spec.hazards as f64 * w / total_w).round() as usize };
        let q = q.min(spec.hazards - assigned);
        assigned += q;
        quotas.push((m, a, b, q));
    }
    History {
        city,
        rng,
        knowledge,
        enterprises: Pick::new(weights),
        enterprise_index: city.enterprises.iter().map(|e| (e.id.as_str(), e)).collect(),
        projects_of,
        items_by_domain: items_by_domain.into_iter().map(|(d, v)| (d, Pick::new(v))).collect(),
        domain_pick,
        channels: channel_pick(CHANNELS),
        checks: channel_pick(&CHANNELS[..4]),
        regulators,
        grid_bbox,
        months: quotas,
        month: 0,
        queue: Vec::new(),
        number: 0,
        end,
    }
}

impl History<'_> {
    /// Hazards numbered so far (the last `YH…-NNNNNN`).
    pub fn last_number(&self) -> i64 {
        self.number
    }

    fn regulator_name(&self, region: &str) -> String {
        self.regulators.get(region).cloned().unwrap_or_else(|| "安澜市应急管理局".into())
    }

    fn item_for(&mut self, channel: &str, industry: &str, month: i8) -> String {
        let list = match channel {
            "iot_alarm" => IOT_ITEMS,
            "camera_event" => CAMERA_ITEMS,
            _ => &[][..],
        };
        let fitting: Vec<&str> =
            list.iter().copied().filter(|c| domain_weights(industry).iter().any(|(d, _)| c.starts_with(d))).collect();
        if !fitting.is_empty() {
            return fitting[self.rng.random_range(0..fitting.len())].to_string();
        }
        let key = if channel == "public" || channel == "hotline" { "public" } else { industry };
        let i = INDUSTRIES.iter().position(|x| *x == key).unwrap_or(INDUSTRIES.len() - 1);
        let domain = self.domain_pick[i * 12 + (month - 1) as usize].pick(&mut self.rng).to_string();
        self.items_by_domain[&domain].pick(&mut self.rng).to_string()
    }

    fn describe(&mut self, channel: &str, item: &str, name: &str) -> String {
        let places = places(item.split('-').next().unwrap_or_default());
        let place = places[self.rng.random_range(0..places.len())];
        let body = match self.rng.random_range(0..5) {
            0 => format!("{place}{name}"),
            1 => format!("{place}发现{name}"),
            2 => format!("检查发现{place}{name}"),
            3 => format!("{name}（{place}）"),
            _ => format!("{place}存在{name}的问题"),
        };
        let tail = ["", "", "，已拍照取证", "，已要求立即整改", "，现场负责人已签字确认"];
        let tail = tail[self.rng.random_range(0..tail.len())];
        match channel {
            "public" => format!("群众反映：{body}"),
            "hotline" => format!("12345热线转办：{body}"),
            "iot_alarm" => format!("监测预警：{body}"),
            "camera_event" => format!("视频识别：{body}"),
            _ => format!("{body}{tail}"),
        }
    }

    /// One hazard at `e` of `item` reported at `at` through `channel`.
    fn hazard(&mut self, e: &Enterprise, item: &str, channel: &str, at: i64) -> HistoryItem {
        self.number += 1;
        let info = self.knowledge.item(item);
        let name = info.as_ref().map(|i| i.name.clone()).unwrap_or_default();
        let description = self.describe(channel, item, &name);
        let basis = self.knowledge.major_basis(item, &description);
        let default = info.as_ref().map(|i| i.default_grade).unwrap_or(Grade::General);
        let grade = if basis.is_some() { Grade::Major } else { default };
        let deadline_days =
            i64::from(info.as_ref().map(|i| i.deadline_days).unwrap_or(if grade == Grade::Major { 60 } else { 15 }));
        // Place: the unit's point (or its project's), a few metres off.
        let mut project_id = None;
        let (mut lon, mut lat, mut region) = (e.lon, e.lat, e.region_code.clone());
        if let Some(ps) = self.projects_of.get(e.id.as_str())
            && self.rng.random_bool(0.7)
        {
            let p = &self.city.projects[ps[self.rng.random_range(0..ps.len())]];
            project_id = Some(p.id.clone());
            (lon, lat, region) = (p.lon, p.lat, p.region_code.clone());
        }
        if let Some(b) = self.grid_bbox.get(region.as_str()) {
            lon = (lon + self.rng.random_range(-0.0003..0.0003)).clamp(b[0] + 1e-6, b[2] - 1e-6);
            lat = (lat + self.rng.random_range(-0.0003..0.0003)).clamp(b[1] + 1e-6, b[3] - 1e-6);
        }
        let day = anjian_app::time::today_local(at).replace('-', "");
        let confidence =
            if channel == "enterprise_self_check" { None } else { Some(self.rng.random_range(0.62..0.99)) };
        let mut h = Hazard {
            id: id_at(&mut self.rng, at),
            code: format!("YH{day}-{:06}", self.number),
            tracking_code: anjian_app::hazards::tracking_code_from(self.rng.random()),
            channel: channel.into(),
            description,
            lon: Some(lon),
            lat: Some(lat),
            region_code: region,
            enterprise_id: Some(e.id.clone()),
            project_id,
            taxonomy_item: Some(item.into()),
            classify_confidence: confidence,
            needs_classification: 0,
            grade: grade.as_str().into(),
            grade_basis: basis.as_ref().and_then(|b| serde_json::to_string(b).ok()),
            state: State::Reported.as_str().into(),
            deadline_ms: None,
            extension_until_ms: None,
            escalation_level: 0,
            assignee_user_id: None,
            reporter_user_id: None,
            reporter_contact_enc: None,
            idempotency_key: None,
            reported_at: at,
            updated_at: at,
            closed_at: None,
            reminded_at: None,
            closeout_applied_at: None,
            rechecked_at: None,
        };
        let regulator = self.regulator_name(&h.region_code);
        let head = e.responsible.first().map(|p| p.name.clone()).unwrap_or_else(|| e.name.clone());
        let report_party = match channel {
            "enterprise_self_check" => (Party::Enterprise, head.clone()),
            "expert_check" | "enforcement_check" | "grid_patrol" => (Party::Regulator, regulator.clone()),
            "public" => (Party::System, "公众".to_string()),
            _ => (Party::System, "系统".to_string()),
        };
        let mut tl = Timeline { events: Vec::new(), end: self.end };
        let data = anjian_app::hazards::report_data(channel, grade, basis.as_ref(), confidence);
        tl.push(&mut self.rng, &h, at, report_party.0, &report_party.1, "report", None, data, true);

        // Dispatch (or dismissal of a public report).
        let r = &mut self.rng;
        let mut t = at + if channel == "enterprise_self_check" { 1_000 } else { r.random_range(HOUR / 2..36 * HOUR) };
        let public = matches!(channel, "public" | "hotline");
        if public && r.random_bool(0.05) {
            tl.apply(r, &mut h, t, Event::Dismiss, Party::Regulator, &regulator);
            return self.finish(h, tl, None);
        }
        let deadline = |t: i64| t + deadline_days * DAY;
        if !tl.apply(r, &mut h, t, Event::Dispatch { deadline_ms: deadline(t) }, Party::Regulator, &regulator) {
            return self.finish(h, tl, None);
        }
        // A public report sometimes reaches the wrong unit first.
        if public && r.random_bool(0.04) {
            t += r.random_range(6 * HOUR..3 * DAY);
            if !tl.apply(r, &mut h, t, Event::Dispute, Party::Enterprise, &head) {
                return self.finish(h, tl, None);
            }
            h.enterprise_id = Some(e.id.clone());
            t += r.random_range(2 * HOUR..2 * DAY);
            if !tl.apply(r, &mut h, t, Event::Dispatch { deadline_ms: deadline(t) }, Party::Regulator, &regulator) {
                return self.finish(h, tl, None);
            }
        }
        t += r.random_range(2 * HOUR..3 * DAY);
        if !tl.apply(r, &mut h, t, Event::Start, Party::Enterprise, &head) {
            return self.finish(h, tl, None);
        }
        let start = t;
        // How long the work takes: a share of the deadline, long-tailed.
        let share = (0.45f64.ln() + 0.65 * normal(r)).exp();
        let mut done = start + ((deadline_days as f64 * share).max(0.2) * DAY as f64) as i64;
        let mut plan = None;
        if grade == Grade::Major {
            // No close-out application without the governance plan.
            let at = start + r.random_range(DAY..4 * DAY);
            done = done.max(at + HOUR);
            if at < self.end {
                plan = Some(Plan {
                    hazard_id: h.id.clone(),
                    objective: "消除重大事故隐患，恢复安全生产条件".into(),
                    methods: "停用相关设施，按专项方案整改并经专业机构检测".into(),
                    funds: "企业自筹，已列入年度安全投入计划".into(),
                    responsible: head.clone(),
                    deadline_on: anjian_app::time::today_local(deadline(start)),
                    safety_measures: "整改区域设置警戒，停止相关作业，专人监护".into(),
                    emergency_plan: "启动现场处置方案，配备应急物资，明确疏散路线".into(),
                    submitted_by: None,
                    submitted_at: at,
                    updated_at: at,
                });
            }
        }
        // Some units ask for more time; most requests are granted.
        if r.random_bool(0.05) {
            let ask = start + r.random_range(DAY..(deadline_days * DAY).max(DAY + 1));
            let until = h.deadline_ms.unwrap_or(ask) + (deadline_days * DAY) / 2 + DAY;
            if ask < done
                && tl.apply(r, &mut h, ask, Event::RequestExtension { until_ms: until }, Party::Enterprise, &head)
            {
                let answer = ask + r.random_range(4 * HOUR..2 * DAY);
                let ev = if r.random_bool(0.75) { Event::ApproveExtension } else { Event::RefuseExtension };
                tl.apply(r, &mut h, answer, ev, Party::Regulator, &regulator);
            }
        }
        // Overdue work is escalated by the scheduler, one level per step.
        let last = |tl: &Timeline| tl.events.last().map(|e| e.at).unwrap_or(at);
        if let Some(d) = h.deadline_ms {
            let mut at = (d + DAY).max(last(&tl) + 1);
            while at < done && at < self.end && h.escalation_level < 2 {
                if !tl.apply(r, &mut h, at, Event::Escalate, Party::System, "系统") {
                    break;
                }
                at += 3 * DAY;
            }
        }
        // Submit, then the re-check; some fail once.
        let mut t = done.max(last(&tl) + HOUR);
        let mut rejected = false;
        loop {
            if !tl.apply(r, &mut h, t, Event::Submit, Party::Enterprise, &head) {
                break;
            }
            if grade == Grade::Major {
                h.closeout_applied_at = Some(t);
            }
            let late = grade == Grade::Major && r.random_bool(0.1);
            t += if late { r.random_range(11 * DAY..16 * DAY) } else { r.random_range(DAY..5 * DAY) };
            let fail = !rejected && r.random_bool(0.07);
            let ev = if fail { Event::Reject } else { Event::Accept };
            if !tl.apply(r, &mut h, t, ev, Party::Regulator, &regulator) {
                break;
            }
            if grade == Grade::Major {
                h.rechecked_at = Some(t);
            }
            if !fail {
                h.closed_at = Some(t);
                break;
            }
            rejected = true;
            t += r.random_range(DAY..5 * DAY);
        }
        self.finish(h, tl, plan)
    }

    fn finish(&mut self, mut h: Hazard, tl: Timeline, plan: Option<Plan>) -> HistoryItem {
        h.updated_at = tl.events.last().map(|e| e.at).unwrap_or(h.reported_at);
        let mut events = tl.events;
        for (i, e) in events.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        HistoryItem { hazard: h, events, plan }
    }
}

/// The events of one hazard so far, through the state machine.
struct Timeline {
    events: Vec<HazardEvent>,
    end: i64,
}

impl Timeline {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rng: &mut ChaCha8Rng,
        h: &Hazard,
        at: i64,
        party: Party,
        actor: &str,
        name: &str,
        before: Option<&str>,
        data: serde_json::Value,
        public: bool,
    ) {
        self.events.push(HazardEvent {
            id: id_at(rng, at),
            hazard_id: h.id.clone(),
            seq: 0,
            at,
            actor_id: None,
            actor_name: actor.into(),
            party: format!("{party:?}").to_lowercase(),
            event: name.into(),
            state_before: before.map(Into::into),
            state_after: h.state.clone(),
            note: None,
            data: data.to_string(),
            attachments: "[]".into(),
            public: i64::from(public),
        });
    }

    /// Applies `ev` at `at` if the history has not ended by then and the
    /// state machine allows it; false otherwise (the hazard stays as is).
    fn apply(&mut self, rng: &mut ChaCha8Rng, h: &mut Hazard, at: i64, ev: Event, party: Party, actor: &str) -> bool {
        if at >= self.end {
            return false;
        }
        let before = status_of(h);
        let Ok(next) = hazard::transition(&before, &ev, party, at) else { return false };
        set_status(h, &next);
        if matches!(ev, Event::Dispute) {
            h.enterprise_id = None;
        }
        let data = transition_data(h);
        self.push(rng, h, at, party, actor, ev.name(), Some(before.state.as_str()), data, ev.is_public());
        true
    }
}

impl Iterator for History<'_> {
    type Item = HistoryItem;

    fn next(&mut self) -> Option<HistoryItem> {
        loop {
            let &(month, start, stop, left) = self.months.get(self.month)?;
            if left == 0 {
                self.month += 1;
                continue;
            }
            self.months[self.month].3 -= 1;
            // A planted companion that is due comes first.
            if let Some(k) = self.queue.iter().position(|q| q.2 < stop) {
                let (eid, item, at) = self.queue.swap_remove(k);
                let e = self.enterprise_index[eid.as_str()];
                let channel = CHANNELS[self.checks.index(&mut self.rng)].0;
                return Some(self.hazard(e, &item, channel, at));
            }
            let e = self.enterprise_index[self.enterprises.pick(&mut self.rng)];
            let channel = CHANNELS[self.channels.index(&mut self.rng)].0;
            let at = self.rng.random_range(start..stop.max(start + 1));
            // Working hours mostly: shift night-time reports into the day.
            let at = at - at.rem_euclid(DAY) + (self.rng.random_range(0..10) * HOUR) + self.rng.random_range(0..HOUR);
            let item = self.item_for(channel, &e.industry, month);
            if let Some((_, second)) = PLANTED_PAIRS.iter().find(|(first, _)| *first == item)
                && self.rng.random_bool(PLANTED_PROBABILITY)
            {
                let later = at + self.rng.random_range(HOUR..PLANTED_WINDOW_DAYS * DAY);
                if later < self.end {
                    self.queue.push((e.id.clone(), (*second).to_string(), later));
                }
            }
            let at = at.clamp(start, self.end - 1);
            return Some(self.hazard(e, &item, channel, at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoSize, generate};
    use std::collections::HashSet;

    fn small(n: usize) -> Vec<HistoryItem> {
        let city = generate(7, DemoSize::Small);
        history(&city, 7, HistorySpec { hazards: n, months: 24 }).collect()
    }

    #[test]
    fn same_seed_same_history() {
        let city = generate(7, DemoSize::Small);
        let a: Vec<_> = history(&city, 7, HistorySpec { hazards: 300, months: 24 }).collect();
        let b: Vec<_> = history(&city, 7, HistorySpec { hazards: 300, months: 24 }).collect();
        let c: Vec<_> = history(&city, 8, HistorySpec { hazards: 300, months: 24 }).collect();
        let key = |v: &[HistoryItem]| v.iter().map(|i| (i.hazard.clone(), i.events.clone())).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn every_timeline_is_a_valid_chain_ending_in_the_stored_state() {
        let end = history_end_ms();
        let items = small(4_000);
        assert_eq!(items.len(), 4_000);
        let mut ids = HashSet::new();
        let mut codes = HashSet::new();
        for i in &items {
            let h = &i.hazard;
            assert!(ids.insert(h.id.clone()) && codes.insert(h.code.clone()), "unique id and code");
            assert!(h.reported_at < end);
            assert_eq!(i.events[0].event, "report");
            assert_eq!(i.events[0].state_after, "reported");
            let mut state = "reported".to_string();
            let mut at = h.reported_at;
            for (k, e) in i.events.iter().enumerate() {
                assert_eq!(e.seq, k as i64 + 1);
                assert!(e.at >= at && e.at < end, "{} events in time order before the end", h.code);
                if k > 0 {
                    assert_eq!(e.state_before.as_deref(), Some(state.as_str()), "{}", h.code);
                }
                state = e.state_after.clone();
                at = e.at;
            }
            assert_eq!(state, h.state);
            assert_eq!(h.updated_at, at);
            assert_eq!(h.closed_at.is_some(), h.state == "closed");
            if h.state != "reported" && h.state != "dismissed" {
                assert!(h.deadline_ms.is_some(), "dispatched hazards have a deadline");
            }
            if h.grade == "major" && matches!(h.state.as_str(), "awaiting_acceptance" | "closed") {
                assert!(i.plan.is_some(), "no close-out application without a governance plan");
            }
            assert!(anjian_classify::taxonomy().contains(h.taxonomy_item.as_deref().unwrap()));
        }
    }

    #[test]
    fn distributions_look_like_a_real_city() {
        let end = history_end_ms();
        let items = small(6_000);
        let n = items.len() as f64;
        let share = |f: &dyn Fn(&HistoryItem) -> bool| items.iter().filter(|i| f(i)).count() as f64 / n;
        let major = share(&|i| i.hazard.grade == "major");
        assert!((0.003..0.08).contains(&major), "major share {major}");
        let self_check = share(&|i| i.hazard.channel == "enterprise_self_check");
        assert!((0.3..0.5).contains(&self_check), "self-check share {self_check}");
        // Old hazards are nearly all closed; recent ones are mostly open.
        let old: Vec<_> = items.iter().filter(|i| i.hazard.reported_at < end - 120 * DAY).collect();
        let old_open = old.iter().filter(|i| !matches!(i.hazard.state.as_str(), "closed" | "dismissed")).count();
        assert!((old_open as f64) < 0.03 * old.len() as f64, "{old_open} of {} old hazards open", old.len());
        let recent: Vec<_> = items.iter().filter(|i| i.hazard.reported_at > end - 3 * DAY).collect();
        assert!(recent.iter().any(|i| i.hazard.state != "closed"));
        // Some run overdue, get escalated, ask for extensions, fail a re-check.
        for ev in ["escalate", "request_extension", "approve_extension", "reject", "dismiss", "dispute"] {
            assert!(items.iter().any(|i| i.events.iter().any(|e| e.event == ev)), "some {ev}");
        }
        let overdue_open = items
            .iter()
            .filter(|i| {
                !matches!(i.hazard.state.as_str(), "closed" | "dismissed" | "reported")
                    && i.hazard.deadline_ms.is_some_and(|d| d < end)
            })
            .count();
        assert!(overdue_open > 0, "some open hazards are overdue at the end");
        // February (Spring Festival) is quieter than March in both years.
        let month = |i: &HistoryItem| anjian_app::time::today_local(i.hazard.reported_at)[5..7].to_string();
        let feb = items.iter().filter(|i| month(i) == "02").count();
        let mar = items.iter().filter(|i| month(i) == "03").count();
        assert!((feb as f64) < 0.75 * mar as f64, "February {feb}, March {mar}");
        // Every month of the window has reports.
        let months: HashSet<String> =
            items.iter().map(|i| anjian_app::time::today_local(i.hazard.reported_at)[..7].to_string()).collect();
        assert!(months.len() >= 24, "{} months", months.len());
    }

    /// How much more often a `second` follows a `first` at the same unit
    /// within the window than precedes it: independence (whatever a unit's
    /// own propensity) gives about 1, a planted link far more.
    fn lift(items: &[HistoryItem], first: &str, second: &str) -> f64 {
        let mut by_unit: HashMap<&str, Vec<(&str, i64)>> = HashMap::new();
        for i in items {
            if let (Some(e), Some(t)) = (&i.hazard.enterprise_id, &i.hazard.taxonomy_item) {
                by_unit.entry(e).or_default().push((t, i.hazard.reported_at));
            }
        }
        let w = PLANTED_WINDOW_DAYS * DAY;
        let (mut after, mut before) = (0usize, 0usize);
        for hs in by_unit.values() {
            for (_, at) in hs.iter().filter(|(t, _)| *t == first) {
                after += usize::from(hs.iter().any(|(t2, at2)| *t2 == second && *at2 > *at && *at2 - *at <= w));
                before += usize::from(hs.iter().any(|(t2, at2)| *t2 == second && *at2 < *at && *at - *at2 <= w));
            }
        }
        (after as f64 + 1.0) / (before as f64 + 1.0)
    }

    #[test]
    fn planted_pairs_co_occur_and_others_do_not() {
        let city = generate(7, DemoSize::Standard);
        let items: Vec<_> = history(&city, 7, HistorySpec { hazards: 30_000, months: 24 }).collect();
        for (a, b) in PLANTED_PAIRS {
            let l = lift(&items, a, b);
            assert!(l > 4.0, "planted {a} → {b}: lift {l}");
        }
        // Common types with no planted link.
        for (a, b) in [("FIRE-01-01", "ELEC-02-01"), ("CONS-05-01", "MGMT-05-02")] {
            let l = lift(&items, a, b);
            assert!(l < 2.0, "unplanted {a} → {b}: lift {l}");
        }
    }
}
