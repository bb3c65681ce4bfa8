//! Major hazard sources of hazardous chemicals, GB 18218-2018 (standards.md §1).
//!
//! Identification: S = Σ qᵢ/Qᵢ, a major hazard source iff S ≥ 1 (1.0 counts).
//! Grading: R = α · Σ βᵢ·qᵢ/Qᵢ, graded 一级 (R ≥ 100) to 四级 (R < 10).
//!
//! The standard's tables are data, not code: `data/gb18218.json` holds table 1
//! (85 named substances with aliases and CAS numbers), tables 2 and 4 (the 24
//! hazard classes J1–J5, W1.1–W11 with Q and β), table 3 (β of named toxic
//! gases), the α table and the grade table. [`Gb18218Table::standard`] is that
//! file, parsed once; a deployment can load its own file of the same shape with
//! [`Gb18218Table::from_json`] and call [`assess_with`].
//!
//! Where Q and β come from, per substance:
//! - Q: table 1 when the name, an alias or a CAS number matches ("table1");
//!   otherwise `critical_t` from the request ("given"), otherwise the `class`
//!   from the request ("class"). A request may repeat a table-1 Q but not
//!   contradict it.
//! - β: table 3 when the substance is one of its named toxic gases ("table3",
//!   not overridable); otherwise `beta` from the request ("given"); otherwise
//!   the request's `class` ("class"); otherwise, for a table-1 substance, the
//!   default class or β the data file assigns it ("class" / "data"). Table 1
//!   has no class column: the defaults are ours and marked as such in the file.
//!
//! Rounding: each q/Q, S and R are rounded half up to 6 decimals (1 g per
//! tonne of Q) and the decisions S ≥ 1 and the grade limits are taken on those
//! reported values, with the tolerance [`super::EPS`].

use super::{at_least, round_half_up};
use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Decimals kept in ratios, S and R.
const PLACES: i32 = 6;

/// One row of table 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Substance {
    /// 序号 in table 1.
    pub no: u32,
    /// 危险化学品名称和说明, as printed.
    pub name: String,
    /// 别名 column of table 1.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Extra lookup keys added by anjian (not in the standard), e.g. 氯化氢 for
    /// 氯化氢(无水).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookup: Vec<String>,
    /// CAS numbers (several for mixtures such as LPG; none for 煤气).
    #[serde(default)]
    pub cas: Vec<String>,
    /// Critical quantity Q, in tonnes.
    pub critical_t: f64,
    /// Default hazard class (table 4) for β when table 3 does not name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Explicit default β when no class applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
}

/// One hazard class: table 2 (Q) joined with table 4 (β).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardClass {
    /// Symbol, e.g. `J1`, `W5.1`.
    pub code: String,
    /// 类别, e.g. 易燃液体.
    pub category: String,
    /// 危险性分类及说明.
    pub description: String,
    pub critical_t: f64,
    pub beta: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One row of table 3: β of a named toxic gas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedBeta {
    pub name: String,
    #[serde(default)]
    pub cas: Option<String>,
    pub beta: f64,
}

/// α by the number of people exposed within 500 m, `min..=max` (open above
/// when `max` is null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlphaBand {
    pub min: u64,
    pub max: Option<u64>,
    pub alpha: f64,
    pub label: String,
}

/// A grade applies when R ≥ `r_min` (the last band has no minimum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeBand {
    pub grade: u8,
    pub label: String,
    pub r_min: Option<f64>,
}

/// The GB 18218 tables as stored in the data file (unvalidated). Calculators
/// take a [`Gb18218Table`], which is this validated and indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gb18218Data {
    pub version: String,
    #[serde(default)]
    pub revision: u32,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub notes: Vec<String>,
    pub substances: Vec<Substance>,
    pub classes: Vec<HazardClass>,
    pub named_beta: Vec<NamedBeta>,
    pub alpha: Vec<AlphaBand>,
    pub grades: Vec<GradeBand>,
}

/// The GB 18218 tables, validated, with a lookup index. Build with
/// [`Gb18218Table::from_json`] or `TryFrom<Gb18218Data>` (deserializing one
/// validates too), or use [`Gb18218Table::standard`]. Derefs to the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Gb18218Data", into = "Gb18218Data")]
pub struct Gb18218Table {
    data: Gb18218Data,
    /// Normalised key → indexes into `substances`.
    index: HashMap<String, Vec<usize>>,
    /// Normalised table-3 name or CAS number → β (so an assessment does not
    /// normalise the table-3 rows again for every substance).
    table3: HashMap<String, f64>,
    /// Table-1 row number → its table-3 β, for the rows table 3 names.
    row_table3: HashMap<u32, f64>,
}

impl std::ops::Deref for Gb18218Table {
    type Target = Gb18218Data;

    fn deref(&self) -> &Gb18218Data {
        &self.data
    }
}

impl From<Gb18218Table> for Gb18218Data {
    fn from(t: Gb18218Table) -> Self {
        t.data
    }
}

impl TryFrom<Gb18218Data> for Gb18218Table {
    type Error = FieldError;

    fn try_from(data: Gb18218Data) -> Result<Self, FieldError> {
        data.validate()?;
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in data.substances.iter().enumerate() {
            let mut keys: Vec<String> = substance_keys(s).filter(|k| !k.is_empty()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                index.entry(k).or_default().push(i);
            }
        }
        let mut table3 = HashMap::new();
        for b in &data.named_beta {
            table3.entry(normalise(&b.name)).or_insert(b.beta);
            if let Some(c) = &b.cas {
                table3.entry(normalise(c)).or_insert(b.beta);
            }
        }
        let mut table = Gb18218Table { data, index, table3, row_table3: HashMap::new() };
        table.row_table3 =
            table.substances.iter().filter_map(|s| table.table3_beta(substance_keys(s)).map(|b| (s.no, b))).collect();
        if let Some((i, s)) = table.substances.iter().enumerate().find(|(_, s)| table.default_beta(s).is_none()) {
            return Err(FieldError::new(format!("substances[{i}]"), format!("{}: 无法确定校正系数β", s.name)));
        }
        Ok(table)
    }
}

/// The outcome of a name lookup in table 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'a> {
    Found(&'a Substance),
    /// The key names several rows (e.g. 硝化棉, or CAS 9004-70-0).
    Ambiguous(Vec<&'a Substance>),
    NotFound,
}

/// Where a substance's Q came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QSource {
    Table1,
    Class,
    Given,
}

/// Where a substance's β came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BetaSource {
    Table3,
    Class,
    /// An explicit default β in the data file (a table-1 row no class fits).
    Data,
    Given,
}

static STANDARD: LazyLock<Gb18218Table> = LazyLock::new(|| {
    Gb18218Table::from_json(include_str!("../../data/gb18218.json")).expect("data/gb18218.json is valid")
});

/// Lookup key: trimmed, without inner whitespace, full-width punctuation as
/// ASCII, ASCII upper case (so `cl2`, `Cl2` and `CL2` agree).
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '，' => ',',
            '［' => '[',
            '］' => ']',
            '；' => ';',
            '－' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

fn substance_keys(s: &Substance) -> impl Iterator<Item = String> + '_ {
    std::iter::once(&s.name).chain(&s.aliases).chain(&s.lookup).chain(&s.cas).map(|k| normalise(k))
}

fn positive_finite(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl Gb18218Table {
    /// The tables shipped with anjian (`data/gb18218.json`), parsed once.
    pub fn standard() -> &'static Gb18218Table {
        &STANDARD
    }

    /// Parse and validate a table file. Errors name the offending entry, e.g.
    /// `substances[3].critical_t`.
    pub fn from_json(json: &str) -> Result<Self, FieldError> {
        let data: Gb18218Data =
            serde_json::from_str(json).map_err(|e| FieldError::new("gb18218", format!("数据文件格式错误: {e}")))?;
        data.try_into()
    }

    /// β from table 3 for the first of `keys` (normalised) it names.
    fn table3_beta(&self, mut keys: impl Iterator<Item = String>) -> Option<f64> {
        keys.find_map(|k| self.table3.get(&k).copied())
    }

    /// The table-3 β of a table-1 row, if table 3 names it.
    fn row_beta3(&self, s: &Substance) -> Option<f64> {
        self.row_table3.get(&s.no).copied()
    }

    /// The β a table-1 row takes when the request does not say otherwise:
    /// table 3, else the row's own β, else its class's.
    pub fn default_beta(&self, s: &Substance) -> Option<(f64, BetaSource)> {
        if let Some(b) = self.row_beta3(s) {
            return Some((b, BetaSource::Table3));
        }
        if let Some(b) = s.beta {
            return Some((b, BetaSource::Data));
        }
        s.class.as_deref().and_then(|c| self.class(c)).map(|c| (c.beta, BetaSource::Class))
    }

    /// Look a substance up in table 1 by name, alias or CAS number.
    pub fn lookup(&self, query: &str) -> Lookup<'_> {
        match self.index.get(&normalise(query)).map(Vec::as_slice) {
            None | Some([]) => Lookup::NotFound,
            Some([i]) => Lookup::Found(&self.substances[*i]),
            Some(many) => Lookup::Ambiguous(many.iter().map(|i| &self.substances[*i]).collect()),
        }
    }
}

impl Gb18218Data {
    fn validate(&self) -> Result<(), FieldError> {
        if self.substances.is_empty() {
            return Err(FieldError::new("substances", "表1不能为空"));
        }
        for (i, c) in self.classes.iter().enumerate() {
            if !positive_finite(c.critical_t) {
                return Err(FieldError::new(format!("classes[{i}].critical_t"), "临界量必须大于0"));
            }
            if !positive_finite(c.beta) {
                return Err(FieldError::new(format!("classes[{i}].beta"), "校正系数必须大于0"));
            }
            if self.classes[..i].iter().any(|o| normalise(&o.code) == normalise(&c.code)) {
                return Err(FieldError::new(format!("classes[{i}].code"), format!("类别重复: {}", c.code)));
            }
        }
        for (i, b) in self.named_beta.iter().enumerate() {
            if !positive_finite(b.beta) {
                return Err(FieldError::new(format!("named_beta[{i}].beta"), "校正系数必须大于0"));
            }
        }
        for (i, s) in self.substances.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err(FieldError::new(format!("substances[{i}].name"), "名称不能为空"));
            }
            if self.substances[..i].iter().any(|o| o.no == s.no) {
                return Err(FieldError::new(format!("substances[{i}].no"), format!("序号重复: {}", s.no)));
            }
            if !positive_finite(s.critical_t) {
                return Err(FieldError::new(format!("substances[{i}].critical_t"), "临界量必须大于0"));
            }
            if let Some(b) = s.beta
                && !positive_finite(b)
            {
                return Err(FieldError::new(format!("substances[{i}].beta"), "校正系数必须大于0"));
            }
            if let Some(c) = &s.class
                && self.class(c).is_none()
            {
                return Err(FieldError::new(format!("substances[{i}].class"), format!("未知类别: {c}")));
            }
        }
        // α: every head count from 0 up to just past the highest bound falls in exactly one band.
        let top = self.alpha.iter().map(|b| b.max.unwrap_or(b.min).max(b.min)).max().unwrap_or(0) + 1;
        for n in 0..=top {
            let hits = self.alpha.iter().filter(|b| b.min <= n && b.max.is_none_or(|m| n <= m)).count();
            if hits != 1 {
                return Err(FieldError::new("alpha", format!("暴露人数 {n} 对应 {hits} 个α档（应为1个）")));
            }
        }
        if let Some((i, b)) = self.alpha.iter().enumerate().find(|(_, b)| !positive_finite(b.alpha)) {
            return Err(FieldError::new(format!("alpha[{i}].alpha"), format!("{}: α必须大于0", b.label)));
        }
        // Grades: strictly falling minimums, the last band open below.
        let Some((last, rest)) = self.grades.split_last() else {
            return Err(FieldError::new("grades", "分级表不能为空"));
        };
        if last.r_min.is_some() {
            return Err(FieldError::new(format!("grades[{}].r_min", rest.len()), "最后一级不应有下限"));
        }
        let mut prev = f64::INFINITY;
        for (i, g) in rest.iter().enumerate() {
            match g.r_min {
                Some(m) if m.is_finite() && m < prev => prev = m,
                _ => return Err(FieldError::new(format!("grades[{i}].r_min"), "分级下限应逐级递减")),
            }
        }
        Ok(())
    }

    /// Table-1 rows whose name, an alias, a lookup key or a CAS number contains
    /// `query` (all rows for an empty query), in table order.
    pub fn search(&self, query: &str) -> Vec<&Substance> {
        let q = normalise(query);
        self.substances.iter().filter(|s| q.is_empty() || substance_keys(s).any(|k| k.contains(&q))).collect()
    }

    /// A hazard class by code (case-insensitive), e.g. `W5.1`.
    pub fn class(&self, code: &str) -> Option<&HazardClass> {
        let code = normalise(code);
        self.classes.iter().find(|c| normalise(&c.code) == code)
    }

    /// β from table 3 for a table-1 row (by any of its keys) or a bare name/CAS.
    /// α for a head count.
    pub fn alpha_for(&self, people: u64) -> f64 {
        self.alpha.iter().find(|b| b.min <= people && b.max.is_none_or(|m| people <= m)).map_or(2.0, |b| b.alpha)
    }

    /// The grade band R falls in.
    pub fn grade_for(&self, r: f64) -> &GradeBand {
        self.grades
            .iter()
            .find(|g| g.r_min.is_none_or(|m| at_least(r, m)))
            .unwrap_or_else(|| self.grades.last().expect("validated: grades non-empty"))
    }
}

/// All table-1 substances of the shipped table (for a lookup endpoint).
pub fn substances() -> &'static [Substance] {
    &Gb18218Table::standard().substances
}

/// Look a name, alias or CAS number up in the shipped table 1.
pub fn lookup(query: &str) -> Lookup<'static> {
    Gb18218Table::standard().lookup(query)
}

/// One substance in a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubstanceInput {
    /// Name, alias or CAS number.
    pub name: String,
    /// Actual (design maximum) quantity q in tonnes, ≥ 0.
    pub quantity_t: f64,
    /// Q for a substance not in table 1 (may repeat, not contradict, table 1).
    #[serde(default)]
    pub critical_t: Option<f64>,
    /// β when neither table 3 nor the class gives it, or to choose among classes.
    #[serde(default)]
    pub beta: Option<f64>,
    /// Hazard class code (table 2/4), e.g. `W5.1`.
    #[serde(default)]
    pub class: Option<String>,
}

/// A production or storage unit (生产单元/储存单元).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gb18218Input {
    pub substances: Vec<SubstanceInput>,
    /// People exposed within 500 m of the unit boundary (sets α). Required: a
    /// missing count must not silently become the smallest α.
    pub exposed_people: i64,
}

/// Per-substance detail of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubstanceResult {
    /// The table-1 name matched, or the name as given when not in table 1.
    pub name: String,
    /// The name as given.
    pub input_name: String,
    /// 序号 in table 1, when matched.
    pub no: Option<u32>,
    pub q: f64,
    #[serde(rename = "Q")]
    pub critical_t: f64,
    pub beta: f64,
    /// q/Q, 6 decimals.
    pub ratio: f64,
    pub source: QSource,
    pub beta_source: BetaSource,
    /// The class used for Q or β, if any.
    pub class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gb18218Output {
    /// The table version used, e.g. `GB 18218-2018`.
    pub standard: String,
    pub s: f64,
    pub is_major: bool,
    pub alpha: f64,
    /// R, only for a major hazard source.
    pub r: Option<f64>,
    /// 1 (一级) … 4 (四级), only for a major hazard source.
    pub grade: Option<u8>,
    pub grade_label: Option<String>,
    pub substances: Vec<SubstanceResult>,
}

/// Assess a unit against the shipped tables.
pub fn assess(input: &Gb18218Input) -> Result<Gb18218Output, FieldError> {
    assess_with(Gb18218Table::standard(), input)
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= super::EPS * a.abs().max(b.abs()).max(1.0)
}

fn resolve(table: &Gb18218Table, i: usize, s: &SubstanceInput) -> Result<SubstanceResult, FieldError> {
    let field = |f: &str| format!("substances[{i}].{f}");
    let name = s.name.trim();
    if name.is_empty() {
        return Err(FieldError::new(field("name"), "名称不能为空"));
    }
    if !s.quantity_t.is_finite() || s.quantity_t < 0.0 {
        return Err(FieldError::new(field("quantity_t"), "数量应为不小于0的有限数（吨）"));
    }
    if let Some(q) = s.critical_t
        && !positive_finite(q)
    {
        return Err(FieldError::new(field("critical_t"), "临界量必须大于0"));
    }
    if let Some(b) = s.beta
        && !positive_finite(b)
    {
        return Err(FieldError::new(field("beta"), "校正系数β必须大于0"));
    }
    let class = match s.class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => Some(table.class(code).ok_or_else(|| {
            let codes: Vec<&str> = table.classes.iter().map(|c| c.code.as_str()).collect();
            FieldError::new(field("class"), format!("未知危险性类别: {code}（可选: {}）", codes.join(", ")))
        })?),
    };

    let (matched, q_cap, q_source) = match table.lookup(name) {
        Lookup::Found(row) => {
            if let Some(q) = s.critical_t
                && !same(q, row.critical_t)
            {
                return Err(FieldError::new(
                    field("critical_t"),
                    format!("{} 的临界量按表1为 {} t，不能另行指定", row.name, row.critical_t),
                ));
            }
            (Some(row), row.critical_t, QSource::Table1)
        }
        Lookup::Ambiguous(rows) => {
            let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
            return Err(FieldError::new(
                field("name"),
                format!("「{name}」对应多个条目，请写明: {}", names.join("；")),
            ));
        }
        Lookup::NotFound => match (s.critical_t, class) {
            (Some(q), _) => (None, q, QSource::Given),
            (None, Some(c)) => (None, c.critical_t, QSource::Class),
            (None, None) => {
                return Err(FieldError::new(
                    field("critical_t"),
                    format!("表1未列出「{name}」：请给出临界量 critical_t 与校正系数 beta，或危险性类别 class"),
                ));
            }
        },
    };

    let table3 = match matched {
        Some(row) => table.row_beta3(row),
        None => table.table3_beta(std::iter::once(normalise(name))),
    };
    let (beta, beta_source) = if let Some(b) = table3 {
        if let Some(given) = s.beta
            && !same(given, b)
        {
            return Err(FieldError::new(field("beta"), format!("{name} 的校正系数按表3为 {b}，不能另行指定")));
        }
        (b, BetaSource::Table3)
    } else if let Some(b) = s.beta {
        (b, BetaSource::Given)
    } else if let Some(c) = class {
        (c.beta, BetaSource::Class)
    } else if let Some((b, src)) = matched.and_then(|row| table.default_beta(row)) {
        (b, src)
    } else {
        return Err(FieldError::new(field("beta"), format!("请给出「{name}」的校正系数 beta 或危险性类别 class")));
    };

    let class_used = if q_source == QSource::Class || beta_source == BetaSource::Class {
        class.map(|c| c.code.clone()).or_else(|| matched.and_then(|row| row.class.clone()))
    } else {
        None
    };
    Ok(SubstanceResult {
        name: matched.map_or_else(|| name.to_string(), |r| r.name.clone()),
        input_name: s.name.clone(),
        no: matched.map(|r| r.no),
        q: s.quantity_t,
        critical_t: q_cap,
        beta,
        ratio: round_half_up(s.quantity_t / q_cap, PLACES),
        source: q_source,
        beta_source,
        class: class_used,
    })
}

/// Identify and grade a unit with the given tables.
pub fn assess_with(table: &Gb18218Table, input: &Gb18218Input) -> Result<Gb18218Output, FieldError> {
    if input.substances.is_empty() {
        return Err(FieldError::new("substances", "至少需要一种危险化学品"));
    }
    let people =
        u64::try_from(input.exposed_people).map_err(|_| FieldError::new("exposed_people", "暴露人员数量不能为负"))?;
    let rows: Vec<SubstanceResult> =
        input.substances.iter().enumerate().map(|(i, s)| resolve(table, i, s)).collect::<Result<_, _>>()?;

    let s = round_half_up(rows.iter().map(|r| r.q / r.critical_t).sum(), PLACES);
    let alpha = table.alpha_for(people);
    let is_major = at_least(s, 1.0);
    let (r, grade) = if is_major {
        let r = round_half_up(alpha * rows.iter().map(|r| r.beta * r.q / r.critical_t).sum::<f64>(), PLACES);
        (Some(r), Some(table.grade_for(r)))
    } else {
        (None, None)
    };
    Ok(Gb18218Output {
        standard: table.version.clone(),
        s,
        is_major,
        alpha,
        r,
        grade: grade.map(|g| g.grade),
        grade_label: grade.map(|g| g.label.clone()),
        substances: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sub(name: &str, q: f64) -> SubstanceInput {
        SubstanceInput { name: name.into(), quantity_t: q, critical_t: None, beta: None, class: None }
    }

    fn unit(subs: Vec<SubstanceInput>, people: i64) -> Gb18218Input {
        Gb18218Input { substances: subs, exposed_people: people }
    }

    fn field_of(r: Result<Gb18218Output, FieldError>) -> String {
        r.expect_err("should be rejected").field
    }

    fn t() -> &'static Gb18218Table {
        Gb18218Table::standard()
    }

    // --- the data file ---

    #[test]
    fn table1_has_85_numbered_rows() {
        let s = substances();
        assert_eq!(s.len(), 85);
        let nos: Vec<u32> = s.iter().map(|s| s.no).collect();
        assert_eq!(nos, (1..=85).collect::<Vec<_>>());
    }

    #[test]
    fn class_table_has_24_classes_with_q_and_beta() {
        let codes: Vec<&str> = t().classes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "J1", "J2", "J3", "J4", "J5", "W1.1", "W1.2", "W1.3", "W2", "W3", "W4", "W5.1", "W5.2", "W5.3", "W5.4",
                "W6.1", "W6.2", "W7.1", "W7.2", "W8", "W9.1", "W9.2", "W10", "W11"
            ]
        );
        let j1 = t().class("j1").unwrap();
        assert_eq!((j1.critical_t, j1.beta), (5.0, 4.0));
        let w2 = t().class("W2").unwrap();
        assert_eq!((w2.critical_t, w2.beta), (10.0, 1.5));
        assert_eq!(t().class("W5.4").map(|c| c.critical_t), Some(5000.0));
    }

    #[test]
    fn sample_critical_quantities_match_standards_md() {
        for (name, q) in [
            ("氨", 10.0),
            ("氯", 5.0),
            ("硫化氢", 5.0),
            ("甲醇", 500.0),
            ("汽油", 200.0),
            ("氢", 5.0),
            ("液化石油气", 50.0),
            ("苯", 50.0),
            ("二氧化硫", 20.0),
            ("光气", 0.3),
            ("氰化氢", 1.0),
        ] {
            match lookup(name) {
                Lookup::Found(s) => assert_eq!(s.critical_t, q, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn table3_betas_match_standards_md() {
        for (name, beta) in [
            ("一氧化碳", 2.0),
            ("二氧化硫", 2.0),
            ("氨", 2.0),
            ("环氧乙烷", 2.0),
            ("氯化氢", 3.0),
            ("溴甲烷", 3.0),
            ("氯", 4.0),
            ("硫化氢", 5.0),
            ("氟化氢", 5.0),
            ("二氧化氮", 10.0),
            ("氰化氢", 10.0),
            ("光气", 20.0),
            ("磷化氢", 20.0),
            ("异氰酸甲酯", 20.0),
        ] {
            let Lookup::Found(s) = lookup(name) else { panic!("{name} not in table 1") };
            assert_eq!(t().default_beta(s), Some((beta, BetaSource::Table3)), "{name}");
        }
        // Exactly those 14 rows (一氧化碳 is 煤气, row 13) take β from table 3.
        let n = substances().iter().filter(|s| matches!(t().default_beta(s), Some((_, BetaSource::Table3)))).count();
        assert_eq!(n, 14);
    }

    #[test]
    fn every_row_has_a_beta_and_flammables_follow_the_class_table() {
        for s in substances() {
            assert!(t().default_beta(s).is_some(), "{}", s.name);
        }
        let beta = |n: &str| match lookup(n) {
            Lookup::Found(s) => t().default_beta(s).unwrap().0,
            other => panic!("{n}: {other:?}"),
        };
        assert_eq!(beta("氢"), 1.5); // W2
        assert_eq!(beta("液化石油气"), 1.5);
        assert_eq!(beta("甲醇"), 1.0); // W5.3
        assert_eq!(beta("TNT"), 2.0); // W1.1
        assert_eq!(beta("氟"), 4.0); // J1: highly toxic gas
    }

    #[test]
    fn cas_numbers_carry_valid_check_digits() {
        for s in substances() {
            for cas in &s.cas {
                let digits: Vec<u32> = cas.chars().filter_map(|c| c.to_digit(10)).collect();
                let parts: Vec<&str> = cas.split('-').collect();
                assert_eq!(parts.len(), 3, "{}: {cas}", s.name);
                let (body, check) = digits.split_at(digits.len() - 1);
                let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum();
                assert_eq!(sum % 10, check[0], "{}: {cas}", s.name);
            }
        }
    }

    #[test]
    fn lookup_by_name_alias_cas_and_normalised_spelling() {
        for q in ["氯", "液氯", "氯气", "7782-50-5", " Cl2 ", "cl2"] {
            assert!(matches!(lookup(q), Lookup::Found(s) if s.name == "氯"), "{q}");
        }
        assert!(matches!(lookup("氯化氢（无水）"), Lookup::Found(s) if s.no == 11));
        assert!(matches!(lookup("tdi"), Lookup::Found(s) if s.no == 23));
        assert!(matches!(lookup("天然气"), Lookup::Found(s) if s.no == 49));
        assert!(matches!(lookup("8006-14-2"), Lookup::Found(s) if s.no == 49));
        assert!(matches!(lookup("硝化棉"), Lookup::Ambiguous(v) if v.len() == 5));
        assert!(matches!(lookup("9004-70-0"), Lookup::Ambiguous(v) if v.len() == 6));
        assert_eq!(lookup("水"), Lookup::NotFound);
        // The concentration qualifier matters: formalin is not row 8.
        assert_eq!(lookup("甲醛"), Lookup::NotFound);
    }

    #[test]
    fn search_finds_by_substring() {
        let names: Vec<u32> = t().search("硝酸铵").iter().map(|s| s.no).collect();
        assert_eq!(names, [43, 44, 45]);
        assert_eq!(t().search("").len(), 85);
    }

    #[test]
    fn alpha_table_boundaries() {
        for (n, a) in
            [(0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5), (99, 1.5), (100, 2.0), (5000, 2.0)]
        {
            assert_eq!(t().alpha_for(n), a, "{n}");
        }
    }

    #[test]
    fn grade_table_boundaries() {
        for (r, g) in
            [(1000.0, 1), (100.0, 1), (99.999999, 2), (50.0, 2), (49.999999, 3), (10.0, 3), (9.999999, 4), (0.0, 4)]
        {
            assert_eq!(t().grade_for(r).grade, g, "{r}");
        }
    }

    #[test]
    fn a_table_with_gaps_in_alpha_is_rejected() {
        let mut v: serde_json::Value = serde_json::from_str(include_str!("../../data/gb18218.json")).unwrap();
        v["alpha"].as_array_mut().unwrap().remove(2); // 30~49
        let e = Gb18218Table::from_json(&v.to_string()).unwrap_err();
        assert_eq!(e.field, "alpha");
    }

    #[test]
    fn a_deployment_can_override_the_table() {
        let mut v: serde_json::Value = serde_json::from_str(include_str!("../../data/gb18218.json")).unwrap();
        v["substances"][11]["critical_t"] = serde_json::json!(2.5); // 氯
        let table = Gb18218Table::from_json(&v.to_string()).unwrap();
        let out = assess_with(&table, &unit(vec![sub("氯", 5.0)], 0)).unwrap();
        assert_eq!(out.s, 2.0);
    }

    #[test]
    fn deserializing_a_table_validates_it_and_round_trips() {
        let json = serde_json::to_string(t()).unwrap();
        let back: Gb18218Table = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, t());
        assert!(matches!(back.lookup("液氯"), Lookup::Found(s) if s.no == 12));
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["substances"][0]["critical_t"] = serde_json::json!(0);
        let e = serde_json::from_value::<Gb18218Table>(v.clone()).unwrap_err();
        assert!(e.to_string().contains("substances[0].critical_t"), "{e}");
        let e = Gb18218Table::from_json(&v.to_string()).unwrap_err();
        assert_eq!(e.field, "substances[0].critical_t");
    }

    // --- assessment ---

    #[test]
    fn worked_example_five_tonnes_of_chlorine() {
        let out = assess(&unit(vec![sub("氯", 5.0)], 0)).unwrap();
        assert_eq!(out.s, 1.0);
        assert!(out.is_major);
        assert_eq!(out.alpha, 0.5);
        assert_eq!(out.r, Some(2.0));
        assert_eq!(out.grade, Some(4));
        assert_eq!(out.grade_label.as_deref(), Some("四级"));
        let d = &out.substances[0];
        assert_eq!((d.critical_t, d.beta, d.ratio), (5.0, 4.0, 1.0));
        assert_eq!((d.source, d.beta_source), (QSource::Table1, BetaSource::Table3));
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["s"], 1.0);
        assert_eq!(json["is_major"], true);
        assert_eq!(json["r"], 2.0);
        assert_eq!(json["grade"], 4);
        assert_eq!(json["substances"][0]["Q"], 5.0);
        assert_eq!(json["substances"][0]["source"], "table1");
    }

    #[test]
    fn s_of_exactly_one_counts_and_just_below_does_not() {
        let out = assess(&unit(vec![sub("氯", 2.5), sub("氨", 5.0)], 0)).unwrap();
        assert_eq!(out.s, 1.0);
        assert!(out.is_major);
        assert_eq!(out.r, Some(1.5)); // 0.5 × (4 × 0.5 + 2 × 0.5)
        // 0.1 t of phosgene is 1/3 of Q: three of them sum to 1 in decimal.
        let out = assess(&unit(vec![sub("光气", 0.1), sub("光气", 0.1), sub("光气", 0.1)], 0)).unwrap();
        assert_eq!(out.s, 1.0);
        assert!(out.is_major);
        let out = assess(&unit(vec![sub("氯", 4.99999)], 0)).unwrap();
        assert_eq!(out.s, 0.999998);
        assert!(!out.is_major);
        assert_eq!((out.r, out.grade), (None, None));
    }

    #[test]
    fn grade_boundaries_through_assessment() {
        // Chlorine, β 4, 100+ people (α 2): R = 8 · q/Q.
        let r_of = |q: f64| {
            let out = assess(&unit(vec![sub("氯", q)], 100)).unwrap();
            (out.r.unwrap(), out.grade.unwrap())
        };
        assert_eq!(r_of(62.5), (100.0, 1));
        assert_eq!(r_of(62.49), (99.984, 2));
        assert_eq!(r_of(31.25), (50.0, 2));
        assert_eq!(r_of(31.24), (49.984, 3));
        assert_eq!(r_of(6.25), (10.0, 3));
        assert_eq!(r_of(6.24), (9.984, 4));
    }

    #[test]
    fn alpha_boundaries_through_assessment() {
        for (people, alpha) in [(0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5), (99, 1.5), (100, 2.0)] {
            let out = assess(&unit(vec![sub("氯", 5.0)], people)).unwrap();
            assert_eq!(out.alpha, alpha, "{people}");
            assert_eq!(out.r, Some(round_half_up(alpha * 4.0, PLACES)), "{people}");
        }
    }

    #[test]
    fn unlisted_substance_takes_q_and_beta_from_its_class() {
        let s = SubstanceInput { class: Some("w5.1".into()), ..sub("某溶剂", 20.0) };
        let out = assess(&unit(vec![s], 10)).unwrap();
        let d = &out.substances[0];
        assert_eq!((d.critical_t, d.beta, d.source, d.beta_source), (10.0, 1.5, QSource::Class, BetaSource::Class));
        assert_eq!(d.class.as_deref(), Some("W5.1"));
        assert_eq!(out.s, 2.0);
        assert_eq!(out.r, Some(3.0)); // α 1 × 1.5 × 2
    }

    #[test]
    fn unlisted_substance_with_given_q_and_beta() {
        let s = SubstanceInput { critical_t: Some(40.0), beta: Some(2.0), ..sub("某混合物", 10.0) };
        let out = assess(&unit(vec![s], 0)).unwrap();
        let d = &out.substances[0];
        assert_eq!((d.critical_t, d.beta, d.source, d.beta_source), (40.0, 2.0, QSource::Given, BetaSource::Given));
        assert_eq!(d.no, None);
        assert!(!out.is_major);
    }

    #[test]
    fn request_class_overrides_the_default_class_of_a_table1_row() {
        // Methanol worked above its boiling point is W5.1 (β 1.5); Q stays 500.
        let s = SubstanceInput { class: Some("W5.1".into()), ..sub("甲醇", 500.0) };
        let d = assess(&unit(vec![s], 0)).unwrap().substances[0].clone();
        assert_eq!((d.critical_t, d.beta, d.source), (500.0, 1.5, QSource::Table1));
        let d = assess(&unit(vec![sub("甲醇", 500.0)], 0)).unwrap().substances[0].clone();
        assert_eq!((d.beta, d.beta_source, d.class.as_deref()), (1.0, BetaSource::Class, Some("W5.3")));
    }

    #[test]
    fn table_values_cannot_be_contradicted_but_may_be_repeated() {
        let same = SubstanceInput { critical_t: Some(5.0), beta: Some(4.0), ..sub("氯", 1.0) };
        assert!(assess(&unit(vec![same], 0)).is_ok());
        let q = SubstanceInput { critical_t: Some(10.0), ..sub("氯", 1.0) };
        assert_eq!(field_of(assess(&unit(vec![sub("氨", 1.0), q], 0))), "substances[1].critical_t");
        let b = SubstanceInput { beta: Some(1.0), ..sub("氯", 1.0) };
        assert_eq!(field_of(assess(&unit(vec![b], 0))), "substances[0].beta");
    }

    #[test]
    fn carbon_monoxide_by_class_keeps_its_table3_beta() {
        // 一氧化碳 is listed under 煤气 (row 13, Q 20) with table-3 β 2.
        let d = assess(&unit(vec![sub("一氧化碳", 20.0)], 0)).unwrap().substances[0].clone();
        assert_eq!((d.no, d.critical_t, d.beta, d.beta_source), (Some(13), 20.0, 2.0, BetaSource::Table3));
    }

    #[test]
    fn invalid_inputs_name_their_field() {
        assert_eq!(field_of(assess(&unit(vec![], 0))), "substances");
        assert_eq!(field_of(assess(&unit(vec![sub("氯", 1.0)], -1))), "exposed_people");
        assert_eq!(field_of(assess(&unit(vec![sub("氯", 1.0), sub("氨", -1.0)], 0))), "substances[1].quantity_t");
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(field_of(assess(&unit(vec![sub("氯", bad)], 0))), "substances[0].quantity_t");
        }
        assert_eq!(field_of(assess(&unit(vec![sub("  ", 1.0)], 0))), "substances[0].name");
        let unknown = sub("未知物", 1.0);
        assert_eq!(
            field_of(assess(&unit(vec![sub("氯", 1.0), sub("氨", 1.0), unknown], 0))),
            "substances[2].critical_t"
        );
        let no_beta = SubstanceInput { critical_t: Some(10.0), ..sub("未知物", 1.0) };
        assert_eq!(field_of(assess(&unit(vec![no_beta], 0))), "substances[0].beta");
        for q in [0.0, -3.0, f64::NAN] {
            let s = SubstanceInput { critical_t: Some(q), beta: Some(1.0), ..sub("未知物", 1.0) };
            assert_eq!(field_of(assess(&unit(vec![s], 0))), "substances[0].critical_t");
        }
        let s = SubstanceInput { critical_t: Some(1.0), beta: Some(0.0), ..sub("未知物", 1.0) };
        assert_eq!(field_of(assess(&unit(vec![s], 0))), "substances[0].beta");
        let s = SubstanceInput { class: Some("W99".into()), ..sub("未知物", 1.0) };
        assert_eq!(field_of(assess(&unit(vec![s], 0))), "substances[0].class");
        assert_eq!(field_of(assess(&unit(vec![sub("硝化棉", 1.0)], 0))), "substances[0].name");
    }

    #[test]
    fn input_json_shape() {
        let input: Gb18218Input = serde_json::from_str(
            r#"{"substances":[{"name":"氯","quantity_t":5.0,"critical_t":null,"beta":null,"class":null}],"exposed_people":0}"#,
        )
        .unwrap();
        assert_eq!(assess(&input).unwrap().grade, Some(4));
        let input: Gb18218Input =
            serde_json::from_str(r#"{"substances":[{"name":"氯","quantity_t":5}],"exposed_people":3}"#).unwrap();
        assert_eq!(assess(&input).unwrap().alpha, 1.0);
    }

    // --- properties ---

    const NAMES: [&str; 8] = ["氯", "氨", "甲醇", "汽油", "氢", "光气", "液化石油气", "TNT"];

    fn arb_subs() -> impl Strategy<Value = Vec<SubstanceInput>> {
        prop::collection::vec((0..NAMES.len(), 0u32..200_000), 1..6)
            .prop_map(|v| v.into_iter().map(|(i, q)| sub(NAMES[i], f64::from(q) / 100.0)).collect())
    }

    proptest! {
        #[test]
        fn s_is_additive_over_units(a in arb_subs(), b in arb_subs()) {
            let sa = assess(&unit(a.clone(), 0)).unwrap().s;
            let sb = assess(&unit(b.clone(), 0)).unwrap().s;
            let ab = assess(&unit([a, b].concat(), 0)).unwrap().s;
            prop_assert!((ab - (sa + sb)).abs() <= 2e-6, "{ab} vs {sa} + {sb}");
        }

        #[test]
        fn s_and_r_are_monotone_in_quantity(subs in arb_subs(), i in 0usize..6, extra in 0u32..100_000, people in 0i64..200) {
            let before = assess(&unit(subs.clone(), people)).unwrap();
            let mut more = subs;
            let i = i % more.len();
            more[i].quantity_t += f64::from(extra) / 100.0;
            let after = assess(&unit(more, people)).unwrap();
            prop_assert!(after.s >= before.s);
            prop_assert!(after.is_major || !before.is_major);
            if let (Some(r0), Some(r1)) = (before.r, after.r) {
                prop_assert!(r1 >= r0);
                prop_assert!(after.grade <= before.grade);
            }
        }

        #[test]
        fn major_iff_s_at_least_one(subs in arb_subs()) {
            let out = assess(&unit(subs, 0)).unwrap();
            prop_assert_eq!(out.is_major, out.s >= 1.0);
            prop_assert_eq!(out.r.is_some(), out.is_major);
            prop_assert_eq!(out.grade.is_some(), out.is_major);
        }

        #[test]
        fn grade_is_monotone_in_r(a in 0.0f64..500.0, b in 0.0f64..500.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(t().grade_for(hi).grade <= t().grade_for(lo).grade);
        }

        #[test]
        fn alpha_is_monotone_in_people(a in 0u64..1000, b in 0u64..1000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(t().alpha_for(hi) >= t().alpha_for(lo));
        }
    }
}
