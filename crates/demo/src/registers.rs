//! The demo city's risk registers (issue 8): major hazard source units for
//! the hazardous-chemicals enterprises (and a few manufacturers that keep
//! gas), graded by GB 18218 exactly as the API would; risk points for every
//! enterprise from a catalogue of typical risks per industry, assessed by
//! LEC or LS. Deterministic for a seed.

use crate::{DemoCity, Enterprise};
use anjian_domain::calc::{gb18218, risk};
use anjian_store::risk::{RiskPoint, SourceUnit, SourceVersion};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// (substance as named in table 1 or by alias, lowest and highest quantity in t).
const CHEMICALS: &[(&str, f64, f64)] = &[
    ("液氯", 1.0, 40.0),
    ("液氨", 2.0, 60.0),
    ("甲醇", 50.0, 900.0),
    ("汽油", 20.0, 400.0),
    ("液化石油气", 5.0, 120.0),
    ("苯", 5.0, 100.0),
    ("硫化氢", 0.5, 8.0),
    ("环氧乙烷", 1.0, 30.0),
    ("乙炔", 0.2, 5.0),
    ("甲苯", 50.0, 800.0),
];

const GASES: &[(&str, f64, f64)] = &[("液化石油气", 0.5, 8.0), ("天然气", 0.5, 10.0), ("氢", 0.1, 2.0)];

/// (name, location, method, factors) per industry.
fn catalogue(industry: &str) -> &'static [(&'static str, &'static str, &'static str, [u32; 3])] {
    match industry {
        "construction" => &[
            ("深基坑开挖", "基坑作业区", "lec", [3, 6, 15]),
            ("塔式起重机安装拆卸", "塔吊作业区", "lec", [3, 3, 40]),
            ("高处作业", "主体结构外围", "lec", [6, 6, 7]),
            ("施工临时用电", "配电房及线路", "lec", [3, 6, 7]),
            ("落地式脚手架搭设", "外架", "lec", [3, 6, 15]),
            ("高大模板支撑", "地下室顶板", "ls", [2, 5, 0]),
        ],
        "hazardous_chemicals" => &[
            ("储罐区泄漏", "罐区", "ls", [3, 5, 0]),
            ("槽车装卸", "装卸台", "ls", [3, 4, 0]),
            ("动火作业", "生产装置区", "lec", [3, 6, 15]),
            ("有限空间作业", "反应釜及储罐内部", "ls", [4, 5, 0]),
            ("反应釜超温超压", "合成车间", "ls", [2, 5, 0]),
            ("电气设备", "配电室", "lec", [1, 6, 7]),
        ],
        "mining" => &[
            ("爆破作业", "采场", "lec", [3, 6, 40]),
            ("尾矿库溃坝", "尾矿库", "ls", [2, 5, 0]),
            ("井下运输", "主运输巷", "lec", [3, 6, 7]),
            ("边坡坍塌", "露天采场边坡", "ls", [3, 4, 0]),
            ("粉尘", "破碎车间", "lec", [3, 6, 3]),
        ],
        "manufacturing" => &[
            ("冲压设备", "冲压车间", "lec", [3, 6, 3]),
            ("粉尘涉爆", "抛光车间", "ls", [3, 5, 0]),
            ("喷涂作业", "喷涂线", "lec", [3, 6, 7]),
            ("厂内叉车", "仓储区", "lec", [3, 6, 3]),
            ("有限空间作业", "污水池", "ls", [2, 5, 0]),
        ],
        _ => &[
            ("仓库货物堆垛", "仓库", "lec", [1, 6, 7]),
            ("电气线路老化", "营业场所", "lec", [1, 6, 15]),
            ("人员密集场所疏散", "营业厅", "ls", [2, 4, 0]),
            ("燃气使用", "后厨", "ls", [2, 4, 0]),
        ],
    }
}

/// The registers of the whole city.
pub struct Registers {
    pub units: Vec<(SourceUnit, SourceVersion)>,
    pub points: Vec<RiskPoint>,
}

pub fn generate(city: &DemoCity, seed: u64, now: i64) -> Registers {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7269_736b_7265_6773);
    let mut units = Vec::new();
    let mut points = Vec::new();
    for (k, e) in city.enterprises.iter().enumerate() {
        let (n_units, pool) = match e.industry.as_str() {
            "hazardous_chemicals" => (rng.random_range(1..=3), CHEMICALS),
            "manufacturing" if rng.random_bool(0.2) => (1, GASES),
            _ => (0, CHEMICALS),
        };
        for u in 0..n_units {
            units.push(unit(&mut rng, e, u, pool, now, k));
        }
        let cat = catalogue(&e.industry);
        let n = rng.random_range(2..=cat.len().min(5));
        let mut picks: Vec<usize> = (0..cat.len()).collect();
        for i in 0..n {
            let j = rng.random_range(i..picks.len());
            picks.swap(i, j);
            let (name, location, method, f) = cat[picks[i]];
            points.push(point(&mut rng, e, name, location, method, f, now, k * 10 + i));
        }
    }
    Registers { units, points }
}

fn demo_id(kind: &str, k: usize) -> String {
    format!("demo-{kind}-{k:06}")
}

fn unit(
    rng: &mut ChaCha8Rng,
    e: &Enterprise,
    u: usize,
    pool: &[(&str, f64, f64)],
    now: i64,
    k: usize,
) -> (SourceUnit, SourceVersion) {
    let n_subs = rng.random_range(1..=pool.len().min(3));
    let mut subs: Vec<gb18218::SubstanceInput> = Vec::new();
    while subs.len() < n_subs {
        let (name, lo, hi) = pool[rng.random_range(0..pool.len())];
        if subs.iter().any(|s| s.name == name) {
            continue;
        }
        // Log-uniform between lo and hi, to one decimal.
        let q = (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp();
        subs.push(gb18218::SubstanceInput {
            name: name.into(),
            quantity_t: (q * 10.0).round() / 10.0,
            critical_t: None,
            beta: None,
            class: None,
        });
    }
    let exposed_people = [0, 12, 35, 60, 150, 420][rng.random_range(0..6)];
    let input = gb18218::Gb18218Input { substances: subs, exposed_people };
    let out = gb18218::assess(&input).expect("the demo's substances are in table 1");
    let storage = u.is_multiple_of(2);
    let name = if storage { format!("{}号储存单元", u + 1) } else { format!("{}号生产单元", u + 1) };
    let id = demo_id("unit", k * 10 + u);
    let substances = serde_json::to_string(&input.substances).expect("serialisable");
    let unit = SourceUnit {
        id: id.clone(),
        enterprise_id: e.id.clone(),
        name,
        kind: if storage { "storage" } else { "production" }.into(),
        exposed_people,
        substances: substances.clone(),
        s: out.s,
        is_major: i64::from(out.is_major),
        r: out.r,
        grade: out.grade.map(i64::from),
        standard: out.standard,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let version = SourceVersion {
        unit_id: id,
        version: 1,
        at: now,
        actor_id: None,
        actor_name: "演示数据".into(),
        exposed_people,
        substances,
        s: unit.s,
        is_major: unit.is_major,
        r: unit.r,
        grade: unit.grade,
    };
    (unit, version)
}

#[allow(clippy::too_many_arguments)]
fn point(
    rng: &mut ChaCha8Rng,
    e: &Enterprise,
    name: &str,
    location: &str,
    method: &str,
    f: [u32; 3],
    now: i64,
    k: usize,
) -> RiskPoint {
    // Controls differ between enterprises: the likelihood moves one step either way.
    const LEC_L: [f64; 7] = [0.1, 0.2, 0.5, 1.0, 3.0, 6.0, 10.0];
    let (factors, score, level, color) = if method == "lec" {
        let base = LEC_L.iter().position(|l| *l == f64::from(f[0])).unwrap_or(3) as i64;
        let l = LEC_L[(base + rng.random_range(-1..=1)).clamp(0, 6) as usize];
        let i = risk::LecInput { l, e: f64::from(f[1]), c: f64::from(f[2]) };
        let o = risk::lec(&i, &risk::LecBands::default()).expect("catalogue factors are in the LEC tables");
        (serde_json::json!({"l": l, "e": f[1], "c": f[2]}), o.d, o.level, o.color)
    } else {
        let l = (i64::from(f[0]) + rng.random_range(-1..=1)).clamp(1, 5);
        let i = risk::LsInput { l, s: i64::from(f[1]) };
        let o = risk::ls(&i, &risk::LsBands::default()).expect("catalogue factors are 1-5");
        (serde_json::json!({"l": l, "s": f[1]}), f64::from(o.r), o.level, o.color)
    };
    let color = serde_json::to_value(color).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    let who =
        e.responsible.get(1).or(e.responsible.first()).map(|r| r.name.clone()).unwrap_or_else(|| "安全负责人".into());
    RiskPoint {
        id: demo_id("risk", k),
        enterprise_id: e.id.clone(),
        project_id: None,
        name: name.into(),
        location: location.into(),
        lon: None,
        lat: None,
        method: method.into(),
        factors: factors.to_string(),
        score,
        level,
        color,
        measures: serde_json::json!(["落实岗位安全操作规程", "作业前安全条件确认", "定期检查并记录"]).to_string(),
        responsible: who,
        review_on: None,
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_deterministic_and_graded_like_the_api() {
        let city = crate::generate(2026, crate::DemoSize::Standard);
        let a = generate(&city, 7, 1);
        let b = generate(&city, 7, 1);
        assert_eq!(a.units.len(), b.units.len());
        assert_eq!(a.points, b.points);
        let majors = a.units.iter().filter(|(u, _)| u.is_major == 1).count();
        assert!(majors > 0 && majors < a.units.len(), "some units are major, not all: {majors}/{}", a.units.len());
        let grades: std::collections::BTreeSet<i64> = a.units.iter().filter_map(|(u, _)| u.grade).collect();
        assert!(grades.len() >= 3, "several grades appear: {grades:?}");
        for col in ["red", "orange", "yellow", "blue"] {
            assert!(a.points.iter().any(|p| p.color == col), "{col} risk points exist");
        }
        for (u, _) in &a.units {
            let input = gb18218::Gb18218Input {
                substances: serde_json::from_str(&u.substances).unwrap(),
                exposed_people: u.exposed_people,
            };
            assert_eq!(gb18218::assess(&input).unwrap().grade.map(i64::from), u.grade);
        }
    }
}
