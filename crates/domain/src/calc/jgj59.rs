//! Construction-site safety inspection scoring, JGJ 59-2011 (standards.md §3).
//!
//! A sub-table (分项检查评分表) is a list of items with their points and the
//! deduction found. Per sub-table:
//! - item score = points − min(deduction, points);
//! - score = D / E × 100 with D the points obtained and E the points of the
//!   items that apply (the A2 rule, always applied: with every item applying
//!   and 100 points in all it is just the sum);
//! - guarantee rule (保证项目): when the sub-table has applicable guarantee
//!   items and one of them scores 0, or together they score below 40 of
//!   their 60 points, the sub-table scores 0. The 40 is taken as 40/60 of the
//!   guarantee points that apply: with the standard's 60 points all applying
//!   that is exactly "below 40"; when some guarantee items do not apply it
//!   scales down, since otherwise a table whose applicable guarantee items
//!   total under 40 points could never score. Tables without guarantee items
//!   (施工机具, 高处作业) skip the rule.
//!
//! Summary (检查评分汇总表): sub-tables of one kind (two tower cranes, or the
//! 塔式起重机 and 起重吊装 tables that share one summary row) are averaged;
//! each kind contributes weight × C / 100. Kinds absent from the input do not
//! apply to the project and are treated like non-applicable items on the
//! summary table: total = Σ(w·C/100) / Σ w(present) × 100. With all ten kinds
//! present that is the plain sum.
//!
//! Grade: 优良 total ≥ 80, 合格 70 ≤ total < 80, 不合格 total < 70 — and
//! 不合格 whenever any sub-table given scores 0 (one of two tower cranes at 0
//! is enough).
//!
//! Rounding: sub-table scores, kind averages, contributions and the total are
//! rounded half up to 0.01; kind averages are taken over rounded sub-table
//! scores, the total over rounded kind averages, and the grade is decided on
//! the reported total with the tolerance [`super::EPS`].

use super::{at_least, round_half_up};
use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Decimals kept in scores.
const PLACES: i32 = 2;

/// Guarantee items of a sub-table carry 60 points and must score at least 40.
const GUARANTEE_POINTS: f64 = 60.0;
const GUARANTEE_MIN: f64 = 40.0;

/// A row of the summary table: its weight and the sub-table names filed under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kind {
    pub name: &'static str,
    pub weight: u32,
    /// Names accepted for its sub-tables (the summary name first).
    pub tables: &'static [&'static str],
}

/// The summary table of JGJ 59-2011 (weights sum to 100), with the names of
/// the sub-tables (§3.1–§3.17) filed under each row.
pub const KINDS: [Kind; 10] = [
    Kind { name: "安全管理", weight: 10, tables: &["安全管理"] },
    Kind { name: "文明施工", weight: 15, tables: &["文明施工"] },
    Kind {
        name: "脚手架",
        weight: 10,
        tables: &[
            "脚手架",
            "扣件式钢管脚手架",
            "悬挑式脚手架",
            "门式钢管脚手架",
            "碗扣式钢管脚手架",
            "承插型盘扣式钢管脚手架",
            "满堂脚手架",
            "附着式升降脚手架",
            "高处作业吊篮",
        ],
    },
    Kind { name: "基坑工程", weight: 10, tables: &["基坑工程"] },
    Kind { name: "模板支架", weight: 10, tables: &["模板支架"] },
    Kind { name: "高处作业", weight: 10, tables: &["高处作业"] },
    Kind { name: "施工用电", weight: 10, tables: &["施工用电"] },
    Kind {
        name: "物料提升机与施工升降机",
        weight: 10,
        tables: &["物料提升机与施工升降机", "物料提升机", "施工升降机"],
    },
    Kind {
        name: "塔式起重机与起重吊装", weight: 10, tables: &["塔式起重机与起重吊装", "塔式起重机", "起重吊装"]
    },
    Kind { name: "施工机具", weight: 5, tables: &["施工机具"] },
];

/// The kind a sub-table name belongs to.
pub fn kind_of(name: &str) -> Option<&'static Kind> {
    let name = name.trim();
    KINDS.iter().find(|k| k.tables.contains(&name))
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemInput {
    /// The item's points (应得分), > 0.
    pub points: f64,
    /// Deduction found (扣减分数), ≥ 0; capped at the points.
    pub deduction: f64,
    /// A guarantee item (保证项目). Default false.
    #[serde(default)]
    pub guarantee: bool,
    /// Whether the item applies to the project (缺项 when false). Default true.
    #[serde(default = "yes")]
    pub applicable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInput {
    /// Sub-table name, e.g. 安全管理, 塔式起重机.
    pub name: String,
    pub items: Vec<ItemInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jgj59Input {
    pub tables: Vec<TableInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Grade {
    #[serde(rename = "不合格")]
    Fail,
    #[serde(rename = "合格")]
    Pass,
    #[serde(rename = "优良")]
    Good,
}

impl Grade {
    pub fn label(self) -> &'static str {
        match self {
            Grade::Fail => "不合格",
            Grade::Pass => "合格",
            Grade::Good => "优良",
        }
    }
}

/// One input sub-table, scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableResult {
    /// As given.
    pub name: String,
    /// The summary row it counts under.
    pub kind: String,
    /// 0–100, 0.01.
    pub score: f64,
    /// Zeroed by the guarantee rule.
    pub zeroed: bool,
    /// Why it was zeroed.
    pub zero_reason: Option<String>,
    /// Weight of its kind.
    pub weight: u32,
    /// weight × score / 100 of this sub-table alone, 0.01.
    pub contribution: f64,
}

/// One summary row present in the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindResult {
    pub name: String,
    pub weight: u32,
    /// Number of sub-tables averaged.
    pub count: usize,
    /// Average score, 0.01.
    pub score: f64,
    /// weight × score / 100, 0.01.
    pub contribution: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Jgj59Output {
    /// 0–100, 0.01 (scaled to the kinds present).
    pub total: f64,
    pub grade: Grade,
    /// One entry per input sub-table, in input order.
    pub tables: Vec<TableResult>,
    /// One entry per kind present, in summary-table order.
    pub kinds: Vec<KindResult>,
    /// Σ weights of the kinds present (100 when all ten are).
    pub weight_present: u32,
}

/// Score one sub-table: (score, zero reason). `i` is its index for errors.
fn score_table(i: usize, t: &TableInput) -> Result<(f64, Option<String>), FieldError> {
    if t.items.is_empty() {
        return Err(FieldError::new(format!("tables[{i}].items"), "检查项目不能为空"));
    }
    for (j, it) in t.items.iter().enumerate() {
        if !it.points.is_finite() || it.points <= 0.0 {
            return Err(FieldError::new(format!("tables[{i}].items[{j}].points"), "应得分必须大于0"));
        }
        if !it.deduction.is_finite() || it.deduction < 0.0 {
            return Err(FieldError::new(format!("tables[{i}].items[{j}].deduction"), "扣减分数不能为负"));
        }
    }
    let applicable: Vec<&ItemInput> = t.items.iter().filter(|it| it.applicable).collect();
    if applicable.is_empty() {
        return Err(FieldError::new(format!("tables[{i}].items"), "没有适用的检查项目（全部缺项）"));
    }
    let got = |it: &ItemInput| it.points - it.deduction.min(it.points);

    let guarantee: Vec<&ItemInput> = applicable.iter().copied().filter(|it| it.guarantee).collect();
    if !guarantee.is_empty() {
        if guarantee.iter().any(|it| got(it) <= super::EPS) {
            return Ok((0.0, Some("保证项目有一项未得分".into())));
        }
        let applicable_points: f64 = guarantee.iter().map(|it| it.points).sum();
        let obtained: f64 = guarantee.iter().map(|it| got(it)).sum();
        let threshold = GUARANTEE_MIN * applicable_points / GUARANTEE_POINTS;
        if !at_least(obtained, threshold) {
            return Ok((
                0.0,
                Some(format!(
                    "保证项目小计得分 {} 不足 {}",
                    round_half_up(obtained, PLACES),
                    round_half_up(threshold, PLACES)
                )),
            ));
        }
    }
    let d: f64 = applicable.iter().map(|it| got(it)).sum();
    let e: f64 = applicable.iter().map(|it| it.points).sum();
    Ok((round_half_up(d / e * 100.0, PLACES), None))
}

/// Score an inspection.
pub fn assess(input: &Jgj59Input) -> Result<Jgj59Output, FieldError> {
    if input.tables.is_empty() {
        return Err(FieldError::new("tables", "至少需要一张分项检查评分表"));
    }
    let mut tables = Vec::with_capacity(input.tables.len());
    for (i, t) in input.tables.iter().enumerate() {
        let kind = kind_of(&t.name).ok_or_else(|| {
            let names: Vec<&str> = KINDS.iter().flat_map(|k| k.tables.iter().copied()).collect();
            FieldError::new(
                format!("tables[{i}].name"),
                format!("未知分项检查评分表: {}（可选: {}）", t.name, names.join("、")),
            )
        })?;
        let (score, zero_reason) = score_table(i, t)?;
        tables.push(TableResult {
            name: t.name.clone(),
            kind: kind.name.to_string(),
            score,
            zeroed: zero_reason.is_some(),
            zero_reason,
            weight: kind.weight,
            contribution: round_half_up(f64::from(kind.weight) * score / 100.0, PLACES),
        });
    }

    let kinds: Vec<KindResult> = KINDS
        .iter()
        .filter_map(|k| {
            let scores: Vec<f64> = tables.iter().filter(|t| t.kind == k.name).map(|t| t.score).collect();
            (!scores.is_empty()).then(|| {
                let score = round_half_up(scores.iter().sum::<f64>() / scores.len() as f64, PLACES);
                KindResult {
                    name: k.name.to_string(),
                    weight: k.weight,
                    count: scores.len(),
                    score,
                    contribution: round_half_up(f64::from(k.weight) * score / 100.0, PLACES),
                }
            })
        })
        .collect();
    let weight_present: u32 = kinds.iter().map(|k| k.weight).sum();
    let weighted: f64 = kinds.iter().map(|k| f64::from(k.weight) * k.score).sum();
    let total = round_half_up(weighted / f64::from(weight_present), PLACES);

    let any_zero = tables.iter().any(|t| t.score == 0.0);
    let grade = if any_zero {
        Grade::Fail
    } else if at_least(total, 80.0) {
        Grade::Good
    } else if at_least(total, 70.0) {
        Grade::Pass
    } else {
        Grade::Fail
    };
    Ok(Jgj59Output { total, grade, tables, kinds, weight_present })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(points: f64, deduction: f64, guarantee: bool) -> ItemInput {
        ItemInput { points, deduction, guarantee, applicable: true }
    }

    /// A standard sub-table: six guarantee items of 10 and four general items
    /// of 10; `g` and `o` are the deductions on them.
    fn table(name: &str, g: [f64; 6], o: [f64; 4]) -> TableInput {
        let items = g.iter().map(|d| item(10.0, *d, true)).chain(o.iter().map(|d| item(10.0, *d, false))).collect();
        TableInput { name: name.into(), items }
    }

    /// A sub-table scoring exactly `score` (deductions on general items only).
    fn scoring(name: &str, score: f64) -> TableInput {
        let lost = 100.0 - score;
        let mut o = [0.0; 4];
        let mut left = lost;
        for d in &mut o {
            *d = left.min(10.0);
            left -= *d;
        }
        assert!(left <= 1e-9, "at most 40 general points can be lost");
        table(name, [0.0; 6], o)
    }

    fn run(tables: Vec<TableInput>) -> Jgj59Output {
        assess(&Jgj59Input { tables }).unwrap()
    }

    fn field_of(tables: Vec<TableInput>) -> String {
        assess(&Jgj59Input { tables }).expect_err("should be rejected").field
    }

    #[test]
    fn weights_sum_to_100() {
        assert_eq!(KINDS.iter().map(|k| k.weight).sum::<u32>(), 100);
        assert_eq!(kind_of("塔式起重机").map(|k| k.name), Some("塔式起重机与起重吊装"));
        assert_eq!(kind_of(" 扣件式钢管脚手架 ").map(|k| k.weight), Some(10));
        assert_eq!(kind_of("施工机具").map(|k| k.weight), Some(5));
        assert!(kind_of("消防").is_none());
    }

    #[test]
    fn full_marks_and_plain_deductions() {
        let out = run(vec![table("安全管理", [0.0; 6], [0.0; 4])]);
        assert_eq!(out.tables[0].score, 100.0);
        let out = run(vec![table("安全管理", [2.0, 0.0, 0.0, 0.0, 0.0, 0.0], [3.5, 0.0, 0.0, 0.0])]);
        assert_eq!(out.tables[0].score, 94.5);
        assert_eq!(out.tables[0].contribution, 9.45);
        assert!(!out.tables[0].zeroed);
    }

    #[test]
    fn deductions_never_exceed_the_item_points() {
        let out = run(vec![table("文明施工", [0.0; 6], [25.0, 0.0, 0.0, 0.0])]);
        assert_eq!(out.tables[0].score, 90.0);
    }

    #[test]
    fn a_guarantee_item_at_zero_zeroes_the_table() {
        let out = run(vec![table("安全管理", [10.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0; 4])]);
        assert_eq!((out.tables[0].score, out.tables[0].zeroed), (0.0, true));
        // An over-deduction counts as full.
        let out = run(vec![table("安全管理", [15.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0; 4])]);
        assert!(out.tables[0].zeroed);
        // 9.9 of 10 leaves 0.1: not zero.
        let out = run(vec![table("安全管理", [9.9, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0; 4])]);
        assert!(!out.tables[0].zeroed);
        assert_eq!(out.tables[0].score, 90.1);
        assert_eq!(out.grade, Grade::Good);
    }

    #[test]
    fn guarantee_subtotal_below_40_zeroes_the_table() {
        // 60 − 20 = 40 exactly: stays.
        let out = run(vec![table("施工用电", [5.0, 5.0, 5.0, 5.0, 0.0, 0.0], [0.0; 4])]);
        assert_eq!((out.tables[0].score, out.tables[0].zeroed), (80.0, false));
        // 60 − 20.5 = 39.5: zero.
        let out = run(vec![table("施工用电", [5.0, 5.0, 5.0, 5.5, 0.0, 0.0], [0.0; 4])]);
        assert_eq!((out.tables[0].score, out.tables[0].zeroed), (0.0, true));
        assert!(out.tables[0].zero_reason.as_deref().unwrap().contains("不足 40"));
        assert_eq!(out.grade, Grade::Fail);
    }

    #[test]
    fn tables_without_guarantee_items_skip_the_guarantee_rule() {
        let items = (0..10).map(|_| item(10.0, 6.0, false)).collect();
        let out = run(vec![TableInput { name: "施工机具".into(), items }]);
        assert_eq!((out.tables[0].score, out.tables[0].zeroed), (40.0, false));
    }

    #[test]
    fn non_applicable_items_scale_the_score() {
        // A 10-point general item does not apply: D = 90 − 9 = 81 of E = 90 → 90.
        let mut t = table("基坑工程", [0.0; 6], [0.0, 0.0, 5.0, 4.0]);
        t.items[6].applicable = false;
        t.items[6].deduction = 10.0; // ignored: the item does not apply
        assert_eq!(run(vec![t]).tables[0].score, 90.0);
        // 20 of 30 general points applicable, 3 lost: 77 / 80.
        let mut t = table("基坑工程", [0.0; 6], [0.0, 0.0, 3.0, 0.0]);
        t.items[6].applicable = false;
        t.items[7].applicable = false;
        assert_eq!(run(vec![t]).tables[0].score, 96.25);
    }

    #[test]
    fn guarantee_threshold_scales_when_guarantee_items_do_not_apply() {
        // Two guarantee items (20 points) do not apply: 40 applicable guarantee points,
        // threshold 40/60 × 40 = 26.67.
        let mut t = table("模板支架", [0.0, 0.0, 5.0, 5.0, 3.0, 0.0], [0.0; 4]);
        t.items[0].applicable = false;
        t.items[1].applicable = false;
        let out = run(vec![t.clone()]); // 40 − 13 = 27 ≥ 26.67
        assert!(!out.tables[0].zeroed);
        assert_eq!(out.tables[0].score, 83.75); // 67 / 80
        t.items[5].deduction = 0.5; // 26.5 < 26.67
        assert!(run(vec![t]).tables[0].zeroed);
    }

    #[test]
    fn repeated_sub_tables_of_one_kind_are_averaged() {
        let out = run(vec![scoring("塔式起重机", 80.0), scoring("安全管理", 90.0), scoring("塔式起重机", 90.0)]);
        assert_eq!(out.tables.len(), 3);
        assert_eq!(out.tables[2].kind, "塔式起重机与起重吊装");
        let crane = out.kinds.iter().find(|k| k.weight == 10 && k.count == 2).unwrap();
        assert_eq!((crane.score, crane.contribution), (85.0, 8.5));
        assert_eq!(out.weight_present, 20);
        assert_eq!(out.total, 87.5); // (8.5 + 9.0) / 20 × 100
        // The kinds list follows the summary table's order.
        assert_eq!(out.kinds[0].name, "安全管理");
        // 塔式起重机 and 起重吊装 share one summary row.
        let out = run(vec![scoring("塔式起重机", 80.0), scoring("起重吊装", 70.0)]);
        assert_eq!((out.kinds.len(), out.kinds[0].score), (1, 75.0));
    }

    #[test]
    fn all_ten_kinds_sum_by_weight() {
        let names = KINDS.map(|k| k.name);
        let out = run(names.iter().map(|n| scoring(n, 100.0)).collect());
        assert_eq!((out.total, out.grade, out.weight_present), (100.0, Grade::Good, 100));
        // 文明施工 (15) at 60 and the rest at 100: 100 − 6 = 94.
        let out = run(names.iter().map(|n| scoring(n, if *n == "文明施工" { 60.0 } else { 100.0 })).collect());
        assert_eq!(out.total, 94.0);
    }

    #[test]
    fn absent_kinds_are_scaled_out() {
        // 安全管理 (10) at 85 and 文明施工 (15) at 75: (8.5 + 11.25) / 25 × 100 = 79.
        let out = run(vec![scoring("安全管理", 85.0), scoring("文明施工", 75.0)]);
        assert_eq!(out.weight_present, 25);
        assert_eq!(out.total, 79.0);
        assert_eq!(out.grade, Grade::Pass);
    }

    #[test]
    fn grade_boundaries() {
        let grade = |score: f64| run(vec![scoring("安全管理", score)]).grade;
        assert_eq!(grade(80.0), Grade::Good);
        assert_eq!(grade(79.99), Grade::Pass);
        assert_eq!(grade(70.0), Grade::Pass);
        assert_eq!(grade(69.99), Grade::Fail);
        // A sub-table at 0 fails the inspection whatever the total.
        let names = KINDS.map(|k| k.name);
        let mut tables: Vec<TableInput> = names.iter().map(|n| scoring(n, 100.0)).collect();
        tables.push(table("塔式起重机", [10.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0; 4]));
        let out = run(tables);
        assert_eq!(out.total, 95.0); // the crane row averages 100 and 0
        assert_eq!(out.grade, Grade::Fail);
    }

    #[test]
    fn json_shapes() {
        let input: Jgj59Input = serde_json::from_str(
            r#"{"tables":[{"name":"安全管理","items":[{"points":10,"deduction":2.0,"guarantee":true,"applicable":true},
                {"points":90,"deduction":0}]}]}"#,
        )
        .unwrap();
        let v = serde_json::to_value(assess(&input).unwrap()).unwrap();
        assert_eq!(v["total"], 98.0);
        assert_eq!(v["grade"], "优良");
        assert_eq!(v["tables"][0]["weight"], 10);
        assert_eq!(v["tables"][0]["zeroed"], false);
        assert_eq!(v["tables"][0]["contribution"], 9.8);
    }

    #[test]
    fn invalid_inputs_name_their_field() {
        assert_eq!(field_of(vec![]), "tables");
        assert_eq!(field_of(vec![scoring("安全管理", 90.0), scoring("消防", 90.0)]), "tables[1].name");
        let mut t = scoring("安全管理", 90.0);
        t.items[3].deduction = -1.0;
        assert_eq!(field_of(vec![scoring("文明施工", 90.0), t.clone()]), "tables[1].items[3].deduction");
        t.items[3].deduction = f64::NAN;
        assert_eq!(field_of(vec![t]), "tables[0].items[3].deduction");
        let mut t = scoring("安全管理", 90.0);
        t.items[2].points = 0.0;
        assert_eq!(field_of(vec![t]), "tables[0].items[2].points");
        let t = TableInput { name: "安全管理".into(), items: vec![] };
        assert_eq!(field_of(vec![t]), "tables[0].items");
        let mut t = scoring("安全管理", 90.0);
        t.items.iter_mut().for_each(|it| it.applicable = false);
        assert_eq!(field_of(vec![t]), "tables[0].items");
    }

    // --- properties ---

    fn arb_item() -> impl Strategy<Value = ItemInput> {
        (1u32..=20, 0u32..=250, any::<bool>(), prop::bool::weighted(0.85)).prop_map(|(p, d, guarantee, applicable)| {
            ItemInput { points: f64::from(p), deduction: f64::from(d) / 10.0, guarantee, applicable }
        })
    }

    fn arb_table() -> impl Strategy<Value = TableInput> {
        (0..KINDS.len(), prop::collection::vec(arb_item(), 1..12)).prop_map(|(k, mut items)| {
            items[0].applicable = true;
            TableInput { name: KINDS[k].name.into(), items }
        })
    }

    proptest! {
        #[test]
        fn total_is_between_0_and_100_and_grade_follows_it(tables in prop::collection::vec(arb_table(), 1..14)) {
            let out = assess(&Jgj59Input { tables }).unwrap();
            prop_assert!((0.0..=100.0).contains(&out.total));
            let any_zero = out.tables.iter().any(|t| t.score == 0.0);
            let expected = if any_zero || out.total < 70.0 {
                Grade::Fail
            } else if out.total < 80.0 {
                Grade::Pass
            } else {
                Grade::Good
            };
            prop_assert_eq!(out.grade, expected);
        }

        #[test]
        fn a_table_never_exceeds_100_and_a_fully_deducted_guarantee_item_zeroes_it(t in arb_table()) {
            let out = assess(&Jgj59Input { tables: vec![t.clone()] }).unwrap();
            let r = &out.tables[0];
            prop_assert!((0.0..=100.0).contains(&r.score));
            if t.items.iter().any(|it| it.guarantee && it.applicable && it.deduction >= it.points) {
                prop_assert!(r.zeroed);
                prop_assert_eq!(r.score, 0.0);
            }
            if r.zeroed {
                prop_assert_eq!(r.score, 0.0);
            }
        }

        #[test]
        fn more_deduction_never_raises_a_score(t in arb_table(), j in 0usize..12, extra in 0u32..100) {
            let before = assess(&Jgj59Input { tables: vec![t.clone()] }).unwrap();
            let mut t = t;
            let j = j % t.items.len();
            t.items[j].deduction += f64::from(extra) / 10.0;
            let after = assess(&Jgj59Input { tables: vec![t] }).unwrap();
            prop_assert!(after.tables[0].score <= before.tables[0].score);
            prop_assert!(after.grade <= before.grade);
        }
    }
}
