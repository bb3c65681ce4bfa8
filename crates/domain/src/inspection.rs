//! Inspections (I1–I2), pure: checklist templates as data and their
//! validation, evaluating a filled checklist into findings (and a JGJ 59
//! score for JGJ 59 templates), and the self-inspection discipline rules
//! (due dates, days late, missing, suspicious "always passed" patterns,
//! the penalty rule that applies).

use crate::FieldError;
use crate::calc::jgj59;
use crate::hazard::Grade;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// 企业月度自查
    #[serde(rename = "self")]
    SelfCheck,
    /// 专家检查
    Expert,
    /// 执法检查
    Enforcement,
    /// JGJ 59-2011 评分表 (usable by any kind of inspection)
    Jgj59,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::SelfCheck => "self",
            TemplateKind::Expert => "expert",
            TemplateKind::Enforcement => "enforcement",
            TemplateKind::Jgj59 => "jgj59",
        }
    }
    pub fn parse(s: &str) -> Option<TemplateKind> {
        [TemplateKind::SelfCheck, TemplateKind::Expert, TemplateKind::Enforcement, TemplateKind::Jgj59]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who inspects: the enterprise itself, an expert, or law enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InspectionKind {
    #[serde(rename = "self")]
    SelfCheck,
    #[serde(rename = "expert")]
    Expert,
    #[serde(rename = "enforcement")]
    Enforcement,
}

impl InspectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::SelfCheck => "self",
            InspectionKind::Expert => "expert",
            InspectionKind::Enforcement => "enforcement",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            InspectionKind::SelfCheck => "企业自查",
            InspectionKind::Expert => "专家检查",
            InspectionKind::Enforcement => "执法检查",
        }
    }
    pub fn parse(s: &str) -> Option<InspectionKind> {
        [InspectionKind::SelfCheck, InspectionKind::Expert, InspectionKind::Enforcement]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    /// The hazard report channel of its findings.
    pub fn channel(self) -> &'static str {
        match self {
            InspectionKind::SelfCheck => "enterprise_self_check",
            InspectionKind::Expert => "expert_check",
            InspectionKind::Enforcement => "enforcement_check",
        }
    }
    /// Whether a template of `t` may be filled by this kind of inspection.
    pub fn accepts(self, t: TemplateKind) -> bool {
        matches!(
            (self, t),
            (_, TemplateKind::Jgj59)
                | (InspectionKind::SelfCheck, TemplateKind::SelfCheck)
                | (InspectionKind::Expert, TemplateKind::Expert | TemplateKind::Enforcement)
                | (InspectionKind::Enforcement, TemplateKind::Enforcement | TemplateKind::Expert)
        )
    }
}

fn zero() -> f64 {
    0.0
}

/// A standard problem description (标准问题描述) of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub text: String,
    /// JGJ 59: points deducted when found (≤ the item's points).
    #[serde(default = "zero")]
    pub deduction: f64,
    /// The hazard taxonomy item a finding of this problem becomes.
    pub taxonomy_item: String,
    /// `general` | `major`
    pub grade: String,
    /// Rectification deadline in days.
    pub deadline_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub text: String,
    /// JGJ 59: the item's points (应得分); 0 for pass/fail checklists.
    #[serde(default = "zero")]
    pub points: f64,
    /// JGJ 59 保证项目.
    #[serde(default)]
    pub guarantee: bool,
    /// A failing result must carry a photo.
    #[serde(default)]
    pub photo_required: bool,
    #[serde(default)]
    pub criteria: String,
    /// Legal or standard basis, cited on enforcement documents.
    #[serde(default)]
    pub basis: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub code: String,
    pub title: String,
    /// JGJ 59: the sub-table name (安全管理, 塔式起重机 …).
    #[serde(default)]
    pub jgj59_table: Option<String>,
    pub items: Vec<Item>,
}

/// A checklist template, versioned by `code` + `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub kind: TemplateKind,
    /// construction | hazardous_chemicals | mining | manufacturing | trade; none: any.
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub standard: String,
    pub sections: Vec<Section>,
}

const EPS: f64 = 1e-9;

fn code_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Template {
    /// Checks the template's shape: codes well-formed and unique, every item
    /// with a standard problem whose taxonomy item exists, grades and
    /// deadlines valid; for JGJ 59, known sub-table names, 100 points a
    /// sub-table, 60 for its guarantee items (where it has them), deductions
    /// within points.
    pub fn validate(&self, taxonomy_item_exists: impl Fn(&str) -> bool) -> Result<(), FieldError> {
        if !code_ok(&self.code) {
            return Err(FieldError::new("code", "模板编码只能包含字母、数字、- 和 _，且不超过40个字符"));
        }
        if self.version == 0 {
            return Err(FieldError::new("version", "版本号从1开始"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(FieldError::new("name", "模板名称不能为空，且不超过100个字符"));
        }
        if let Some(i) = &self.industry
            && !crate::registry::INDUSTRIES.iter().any(|(c, _)| c == i)
        {
            return Err(FieldError::new("industry", format!("未知行业: {i}")));
        }
        if self.sections.is_empty() {
            return Err(FieldError::new("sections", "模板至少要有一个部分"));
        }
        let mut codes = HashSet::new();
        for (si, s) in self.sections.iter().enumerate() {
            let at = |f: &str| format!("sections[{si}].{f}");
            if !code_ok(&s.code) || !codes.insert(s.code.clone()) {
                return Err(FieldError::new(at("code"), format!("部分编码无效或重复: {}", s.code)));
            }
            if s.title.trim().is_empty() {
                return Err(FieldError::new(at("title"), "部分标题不能为空"));
            }
            if s.items.is_empty() {
                return Err(FieldError::new(at("items"), "每个部分至少要有一个检查项"));
            }
            match (self.kind, &s.jgj59_table) {
                (TemplateKind::Jgj59, Some(t)) if jgj59::kind_of(t).is_some() => {}
                (TemplateKind::Jgj59, _) => {
                    return Err(FieldError::new(at("jgj59_table"), "JGJ 59 评分表的每个部分须注明分项检查评分表名称"));
                }
                (_, Some(_)) => return Err(FieldError::new(at("jgj59_table"), "只有 JGJ 59 模板的部分可注明分项表")),
                (_, None) => {}
            }
            let (mut total, mut guarantee) = (0.0, 0.0);
            for (ii, it) in s.items.iter().enumerate() {
                let at = |f: &str| format!("sections[{si}].items[{ii}].{f}");
                if !code_ok(&it.code) || !codes.insert(it.code.clone()) {
                    return Err(FieldError::new(at("code"), format!("检查项编码无效或重复: {}", it.code)));
                }
                if it.text.trim().is_empty() {
                    return Err(FieldError::new(at("text"), "检查内容不能为空"));
                }
                if !it.points.is_finite() || it.points < 0.0 {
                    return Err(FieldError::new(at("points"), "分值不能为负"));
                }
                if self.kind == TemplateKind::Jgj59 && it.points <= 0.0 {
                    return Err(FieldError::new(at("points"), "JGJ 59 检查项须有应得分"));
                }
                if it.guarantee && self.kind != TemplateKind::Jgj59 {
                    return Err(FieldError::new(at("guarantee"), "只有 JGJ 59 评分表有保证项目"));
                }
                total += it.points;
                if it.guarantee {
                    guarantee += it.points;
                }
                if it.problems.is_empty() {
                    return Err(FieldError::new(at("problems"), "每个检查项至少要有一条标准问题描述"));
                }
                for (pi, p) in it.problems.iter().enumerate() {
                    let at = |f: &str| format!("sections[{si}].items[{ii}].problems[{pi}].{f}");
                    if !code_ok(&p.code) || !codes.insert(p.code.clone()) {
                        return Err(FieldError::new(at("code"), format!("问题编码无效或重复: {}", p.code)));
                    }
                    if p.text.trim().is_empty() {
                        return Err(FieldError::new(at("text"), "问题描述不能为空"));
                    }
                    if !taxonomy_item_exists(&p.taxonomy_item) {
                        return Err(FieldError::new(at("taxonomy_item"), format!("未知隐患类别: {}", p.taxonomy_item)));
                    }
                    if Grade::parse(&p.grade).is_none() {
                        return Err(FieldError::new(at("grade"), "隐患等级应为 general 或 major"));
                    }
                    if !(1..=365).contains(&p.deadline_days) {
                        return Err(FieldError::new(at("deadline_days"), "整改期限应为 1 到 365 天"));
                    }
                    if !p.deduction.is_finite() || p.deduction < 0.0 || p.deduction > it.points + EPS {
                        return Err(FieldError::new(at("deduction"), "扣分不能为负，也不能超过该项应得分"));
                    }
                }
            }
            if self.kind == TemplateKind::Jgj59 {
                if (total - 100.0).abs() > EPS {
                    return Err(FieldError::new(at("items"), format!("分项检查评分表满分应为100分（现为{total}分）")));
                }
                if guarantee > EPS && (guarantee - 60.0).abs() > EPS {
                    return Err(FieldError::new(at("items"), format!("保证项目合计应为60分（现为{guarantee}分）")));
                }
            }
        }
        Ok(())
    }

    /// Every item with its section, in order.
    pub fn items(&self) -> impl Iterator<Item = (&Section, &Item)> {
        self.sections.iter().flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    /// The item with `code` and its section.
    pub fn item(&self, code: &str) -> Option<(&Section, &Item)> {
        self.items().find(|(_, i)| i.code == code)
    }
}

// ------------------------------------------------------------ filling in

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 符合
    Pass,
    /// 不符合: a finding
    Fail,
    /// 不适用 (JGJ 59 缺项)
    Na,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Na => "na",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Pass, Outcome::Fail, Outcome::Na].into_iter().find(|o| o.as_str() == s)
    }
}

fn one() -> u32 {
    1
}

/// One answered item of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultInput {
    pub item_code: String,
    /// For JGJ 59 sub-tables filled more than once (two tower cranes): 1, 2, …
    #[serde(default = "one")]
    pub instance: u32,
    pub outcome: Outcome,
    /// The standard problem found (required for a failing item with more
    /// than one standard problem).
    #[serde(default)]
    pub problem_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// JGJ 59: the deduction (defaults to the problem's).
    #[serde(default)]
    pub deduction: Option<f64>,
    /// SHA-256 of photos uploaded before.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// A failing item, ready to become a hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub section_code: String,
    pub item_code: String,
    pub instance: u32,
    pub problem_code: String,
    /// The standard problem text, with the inspector's note after it.
    pub description: String,
    pub taxonomy_item: String,
    pub grade: Grade,
    pub deadline_days: u32,
    pub deduction: f64,
    pub basis: String,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub items: usize,
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
    /// Items of the template (of the sub-tables filled, for JGJ 59) with no answer.
    pub unanswered: Vec<String>,
    pub findings: Vec<Finding>,
    /// JGJ 59 templates: the score of the sub-tables filled.
    pub jgj59: Option<jgj59::Jgj59Output>,
}

const MAX_NOTE: usize = 500;

/// The answered items of one sub-table instance: item code → (deduction, not applicable).
type Answered<'a> = HashMap<&'a str, (f64, bool)>;
const MAX_INSTANCES: u32 = 20;

/// Evaluates answers against a template. `complete` requires every item to
/// be answered (for JGJ 59: every item of each sub-table filled at least
/// once) and photos where the template requires them — the rule for
/// submitting; drafts are checked for shape only.
pub fn evaluate(t: &Template, results: &[ResultInput], complete: bool) -> Result<Evaluation, FieldError> {
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    let (mut passed, mut failed, mut na) = (0, 0, 0);
    // Deduction per (section, instance, item) for JGJ 59.
    let mut deductions: HashMap<(&str, u32), Answered> = HashMap::new();
    for (k, r) in results.iter().enumerate() {
        let at = |f: &str| format!("results[{k}].{f}");
        let (s, it) = t
            .item(&r.item_code)
            .ok_or_else(|| FieldError::new(at("item_code"), format!("模板中没有检查项 {}", r.item_code)))?;
        if r.instance == 0 || r.instance > MAX_INSTANCES || (r.instance > 1 && t.kind != TemplateKind::Jgj59) {
            return Err(FieldError::new(at("instance"), "只有 JGJ 59 分项表可重复填写（1 到 20）"));
        }
        if !seen.insert((r.item_code.as_str(), r.instance)) {
            return Err(FieldError::new(at("item_code"), format!("检查项 {} 重复填写", r.item_code)));
        }
        if let Some(n) = &r.note
            && n.chars().count() > MAX_NOTE
        {
            return Err(FieldError::new(at("note"), "说明不超过500字"));
        }
        for (j, a) in r.attachments.iter().enumerate() {
            if a.len() != 64 || !a.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(FieldError::new(format!("results[{k}].attachments[{j}]"), "应为附件的 SHA-256"));
            }
        }
        let mut deduction = 0.0;
        match r.outcome {
            Outcome::Pass => {
                passed += 1;
                if r.problem_code.is_some() {
                    return Err(FieldError::new(at("problem_code"), "符合的检查项不应选择问题"));
                }
            }
            // Guarantee items may not apply either: the calculator rescales.
            Outcome::Na => na += 1,
            Outcome::Fail => {
                failed += 1;
                let p = match &r.problem_code {
                    Some(code) => it.problems.iter().find(|p| &p.code == code).ok_or_else(|| {
                        FieldError::new(at("problem_code"), format!("检查项 {} 没有问题 {code}", it.code))
                    })?,
                    None if it.problems.len() == 1 => &it.problems[0],
                    None => return Err(FieldError::new(at("problem_code"), "请选择发现的标准问题")),
                };
                deduction = match r.deduction {
                    Some(d) if !d.is_finite() || d < 0.0 || d > it.points + EPS => {
                        return Err(FieldError::new(at("deduction"), format!("扣分应在 0 到 {} 之间", it.points)));
                    }
                    Some(d) => d,
                    None => p.deduction,
                };
                if complete && it.photo_required && r.attachments.is_empty() {
                    return Err(FieldError::new(at("attachments"), format!("检查项 {} 不符合时须附现场照片", it.code)));
                }
                let description = match r.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(n) => format!("{}：{}", p.text, n),
                    None => p.text.clone(),
                };
                findings.push(Finding {
                    section_code: s.code.clone(),
                    item_code: it.code.clone(),
                    instance: r.instance,
                    problem_code: p.code.clone(),
                    description,
                    taxonomy_item: p.taxonomy_item.clone(),
                    grade: Grade::parse(&p.grade).unwrap_or(Grade::General),
                    deadline_days: p.deadline_days,
                    deduction,
                    basis: it.basis.clone(),
                    attachments: r.attachments.clone(),
                });
            }
        }
        deductions
            .entry((s.code.as_str(), r.instance))
            .or_default()
            .insert(it.code.as_str(), (deduction, r.outcome == Outcome::Na));
    }
    // Completeness: for JGJ 59 the sub-tables (instances) touched; else all.
    let mut unanswered = Vec::new();
    for s in &t.sections {
        let instances: Vec<u32> = if t.kind == TemplateKind::Jgj59 {
            let mut v: Vec<u32> = deductions.keys().filter(|(c, _)| *c == s.code).map(|(_, i)| *i).collect();
            v.sort_unstable();
            v
        } else {
            vec![1]
        };
        for i in instances {
            for it in &s.items {
                if !seen.contains(&(it.code.as_str(), i)) {
                    unanswered.push(if i > 1 { format!("{}#{i}", it.code) } else { it.code.clone() });
                }
            }
        }
    }
    if complete && results.is_empty() {
        return Err(FieldError::new("results", "请至少填写一个检查项"));
    }
    if complete && !unanswered.is_empty() {
        let shown: Vec<&str> = unanswered.iter().take(5).map(String::as_str).collect();
        return Err(FieldError::new(
            "results",
            format!(
                "还有 {} 个检查项未填写（{}{}）",
                unanswered.len(),
                shown.join("、"),
                if unanswered.len() > 5 { "…" } else { "" }
            ),
        ));
    }
    let jgj59 = if t.kind == TemplateKind::Jgj59 && !deductions.is_empty() {
        let mut keys: Vec<&(&str, u32)> = deductions.keys().collect();
        let order: HashMap<&str, usize> = t.sections.iter().enumerate().map(|(k, s)| (s.code.as_str(), k)).collect();
        keys.sort_by_key(|(c, i)| (order[c], *i));
        let mut tables = Vec::new();
        for key in keys {
            let s = t.sections.iter().find(|s| s.code == key.0).expect("section of an answer");
            let answered = &deductions[key];
            let items = s
                .items
                .iter()
                .map(|it| {
                    let (d, is_na) = answered.get(it.code.as_str()).copied().unwrap_or((0.0, false));
                    jgj59::ItemInput { points: it.points, deduction: d, guarantee: it.guarantee, applicable: !is_na }
                })
                .collect();
            tables.push(jgj59::TableInput { name: s.jgj59_table.clone().unwrap_or_default(), items });
        }
        match jgj59::assess(&jgj59::Jgj59Input { tables }) {
            Ok(out) => Some(out),
            // Every item of a sub-table marked not applicable: no score to give.
            Err(e) => return Err(FieldError::new("results", format!("无法计算 JGJ 59 得分: {}", e.message))),
        }
    } else {
        None
    };
    Ok(Evaluation { items: results.len(), passed, failed, not_applicable: na, unanswered, findings, jgj59 })
}

// ------------------------------------------------------------ discipline

/// How an enterprise's self-inspection for one period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Punctuality {
    /// Submitted by the due time.
    OnTime,
    /// Submitted `days` days after the due time.
    Late { days: i64 },
    /// Not submitted, and the due time passed `days` days ago.
    Missing { days: i64 },
    /// Not submitted, not yet due.
    Pending,
}

impl Punctuality {
    pub fn label(self) -> &'static str {
        match self {
            Punctuality::OnTime => "按时",
            Punctuality::Late { .. } => "迟报",
            Punctuality::Missing { .. } => "漏报",
            Punctuality::Pending => "未到期",
        }
    }
    pub fn days_late(self) -> i64 {
        match self {
            Punctuality::Late { days } | Punctuality::Missing { days } => days,
            _ => 0,
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// The standing of a period due at `due_ms` (the end of the due day),
/// submitted at `submitted_ms`, seen at `now_ms`. Days count started days:
/// one minute late is one day late.
pub fn punctuality(due_ms: i64, submitted_ms: Option<i64>, now_ms: i64) -> Punctuality {
    let days = |t: i64| (t - due_ms + DAY_MS - 1).div_euclid(DAY_MS);
    match submitted_ms {
        Some(s) if s <= due_ms => Punctuality::OnTime,
        Some(s) => Punctuality::Late { days: days(s) },
        None if now_ms > due_ms => Punctuality::Missing { days: days(now_ms) },
        None => Punctuality::Pending,
    }
}

/// The "always passed" rule (seed 004: 瞒报): over the last `months`
/// periods every self-inspection was submitted and found nothing, while
/// others (regulators' inspections, reports) found at least
/// `min_other_findings` hazards at the same enterprise in that window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspicionRule {
    pub months: u32,
    pub min_other_findings: u32,
}

/// `self_findings` holds, per period of the window (oldest first), the
/// findings of that period's self-inspection, or None when it is missing.
pub fn suspicious(rule: &SuspicionRule, self_findings: &[Option<u32>], other_findings: u32) -> bool {
    let n = rule.months as usize;
    n > 0
        && self_findings.len() >= n
        && self_findings[self_findings.len() - n..].iter().all(|f| *f == Some(0))
        && other_findings >= rule.min_other_findings.max(1)
}

/// A penalty or follow-up measure for a discipline flag, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PenaltyRule {
    pub code: String,
    /// `late` | `missing` | `suspicious`
    pub when: String,
    #[serde(default)]
    pub min_days: Option<i64>,
    #[serde(default)]
    pub max_days: Option<i64>,
    pub measure: String,
    pub basis: String,
}

/// The first rule matching a flag and its days late.
pub fn penalty_for<'a>(rules: &'a [PenaltyRule], flag: &str, days: i64) -> Option<&'a PenaltyRule> {
    rules
        .iter()
        .find(|r| r.when == flag && r.min_days.is_none_or(|m| days >= m) && r.max_days.is_none_or(|m| days <= m))
}

// ------------------------------------------------------------ on duty

/// The on-duty (带班) rate: shifts covered by a leader's check-in over the
/// shifts that needed one, in [0, 1]; None when none were required.
pub fn duty_rate(required: u64, covered: u64) -> Option<f64> {
    (required > 0).then(|| covered.min(required) as f64 / required as f64)
}

/// The shift (0-based) of a time of day in minutes, for `shifts` equal
/// shifts starting at `first_start_min` (e.g. 3 shifts from 08:00).
pub fn shift_of(minute_of_day: u32, shifts: u32, first_start_min: u32) -> u32 {
    let shifts = shifts.max(1);
    let len = 1440 / shifts;
    ((minute_of_day + 1440 - first_start_min % 1440) % 1440 / len).min(shifts - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem(code: &str, deduction: f64) -> Problem {
        Problem {
            code: code.into(),
            text: format!("问题{code}"),
            deduction,
            taxonomy_item: "CONS-07-01".into(),
            grade: "general".into(),
            deadline_days: 7,
        }
    }

    fn item(code: &str, points: f64, guarantee: bool) -> Item {
        Item {
            code: code.into(),
            text: format!("检查项{code}"),
            points,
            guarantee,
            photo_required: false,
            criteria: String::new(),
            basis: "《安全生产法》第四十一条".into(),
            problems: vec![problem(&format!("{code}-a"), points), problem(&format!("{code}-b"), points / 2.0)],
        }
    }

    /// 安全管理-shaped table: six guarantee items of 10 and four general of 10.
    fn jgj() -> Template {
        let items = (1..=10).map(|k| item(&format!("A{k}"), 10.0, k <= 6)).collect();
        Template {
            code: "T".into(),
            version: 1,
            name: "评分表".into(),
            kind: TemplateKind::Jgj59,
            industry: Some("construction".into()),
            standard: String::new(),
            sections: vec![Section {
                code: "S1".into(),
                title: "安全管理".into(),
                jgj59_table: Some("安全管理".into()),
                items,
            }],
        }
    }

    fn checklist() -> Template {
        let mut t = jgj();
        t.kind = TemplateKind::SelfCheck;
        t.sections[0].jgj59_table = None;
        for it in &mut t.sections[0].items {
            it.points = 0.0;
            it.guarantee = false;
            for p in &mut it.problems {
                p.deduction = 0.0;
            }
        }
        t.sections[0].items[0].photo_required = true;
        t
    }

    fn r(code: &str, outcome: Outcome) -> ResultInput {
        ResultInput {
            item_code: code.into(),
            instance: 1,
            outcome,
            problem_code: None,
            note: None,
            deduction: None,
            attachments: vec![],
        }
    }

    #[test]
    fn templates_validate_their_shape() {
        let ok = |_: &str| true;
        assert_eq!(jgj().validate(ok), Ok(()));
        assert_eq!(checklist().validate(ok), Ok(()));
        let mut t = jgj();
        t.sections[0].items[9].points = 5.0;
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].items[9].problems[0].deduction");
        t.sections[0].items[9].problems[0].deduction = 5.0;
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].items", "95 points in all");
        let mut t = jgj();
        t.sections[0].items[1].code = "A1".into();
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].items[1].code");
        let mut t = jgj();
        t.sections[0].jgj59_table = Some("不存在的表".into());
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].jgj59_table");
        assert_eq!(
            jgj().validate(|c| c != "CONS-07-01").unwrap_err().field,
            "sections[0].items[0].problems[0].taxonomy_item"
        );
        let mut t = checklist();
        t.sections[0].items[2].problems.clear();
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].items[2].problems");
        let mut t = checklist();
        t.sections[0].items[2].problems[0].deadline_days = 0;
        assert_eq!(t.validate(ok).unwrap_err().field, "sections[0].items[2].problems[0].deadline_days");
    }

    #[test]
    fn a_failing_item_becomes_a_finding_with_its_problem() {
        let t = checklist();
        let mut rs: Vec<ResultInput> = (1..=10).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        rs[3] =
            ResultInput {
                problem_code: Some("A4-b".into()), note: Some("东侧仓库".into()), ..r("A4", Outcome::Fail)
            };
        let e = evaluate(&t, &rs, true).unwrap();
        assert_eq!((e.items, e.passed, e.failed, e.not_applicable), (10, 9, 1, 0));
        assert_eq!(e.findings.len(), 1);
        let f = &e.findings[0];
        assert_eq!((f.item_code.as_str(), f.problem_code.as_str(), f.deadline_days), ("A4", "A4-b", 7));
        assert_eq!(f.description, "问题A4-b：东侧仓库");
        assert!(e.jgj59.is_none());
    }

    #[test]
    fn submitting_needs_every_item_and_required_photos() {
        let t = checklist();
        let rs: Vec<ResultInput> = (1..=9).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results");
        assert_eq!(evaluate(&t, &rs, false).unwrap().unanswered, vec!["A10".to_string()]);
        let mut rs: Vec<ResultInput> = (1..=10).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        rs[0] = ResultInput { problem_code: Some("A1-a".into()), ..r("A1", Outcome::Fail) };
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results[0].attachments");
        rs[0].attachments = vec!["a".repeat(64)];
        assert!(evaluate(&t, &rs, true).is_ok());
        // Two problems on the item: the inspector must say which.
        rs[0].problem_code = None;
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results[0].problem_code");
        rs[0].problem_code = Some("B9".into());
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results[0].problem_code");
        // Twice the same item.
        let mut rs: Vec<ResultInput> = (1..=10).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        rs.push(r("A1", Outcome::Pass));
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results[10].item_code");
        // Unknown item.
        assert_eq!(evaluate(&t, &[r("ZZ", Outcome::Pass)], false).unwrap_err().field, "results[0].item_code");
    }

    #[test]
    fn jgj59_templates_are_scored_by_the_calculator() {
        let t = jgj();
        // A guarantee item at 0 zeroes the table (worked example).
        let mut rs: Vec<ResultInput> = (1..=10).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        rs[0] = ResultInput { problem_code: Some("A1-a".into()), ..r("A1", Outcome::Fail) };
        let e = evaluate(&t, &rs, true).unwrap();
        let s = e.jgj59.unwrap();
        assert_eq!((s.total, s.tables[0].zeroed), (0.0, true));
        assert_eq!(s.grade, jgj59::Grade::Fail);
        // A general item half deducted, one general item not applicable:
        // D = 100 - 10 (na) - 5 = 85 of E = 90 → 94.44, 优良.
        let mut rs: Vec<ResultInput> = (1..=10).map(|k| r(&format!("A{k}"), Outcome::Pass)).collect();
        rs[7] = ResultInput { problem_code: Some("A8-b".into()), ..r("A8", Outcome::Fail) };
        rs[8] = r("A9", Outcome::Na);
        let s = evaluate(&t, &rs, true).unwrap().jgj59.unwrap();
        assert_eq!(s.tables[0].score, 94.44);
        assert_eq!(s.grade, jgj59::Grade::Good);
        // A second instance of the sub-table (two tower cranes) must be complete too and is averaged.
        let mut rs2 = rs.clone();
        rs2.extend((1..=10).map(|k| ResultInput { instance: 2, ..r(&format!("A{k}"), Outcome::Pass) }));
        let s = evaluate(&t, &rs2, true).unwrap().jgj59.unwrap();
        assert_eq!(s.tables.len(), 2);
        assert_eq!(s.kinds[0].score, 97.22);
        rs2.pop();
        assert_eq!(evaluate(&t, &rs2, true).unwrap_err().field, "results");
        // Deduction over the points.
        rs[7].deduction = Some(11.0);
        assert_eq!(evaluate(&t, &rs, true).unwrap_err().field, "results[7].deduction");
    }

    #[test]
    fn punctuality_counts_started_days() {
        let due = 1_000 * DAY_MS;
        assert_eq!(punctuality(due, Some(due), due + 5), Punctuality::OnTime);
        assert_eq!(punctuality(due, Some(due + 60_000), due), Punctuality::Late { days: 1 });
        assert_eq!(punctuality(due, Some(due + DAY_MS), due), Punctuality::Late { days: 1 });
        assert_eq!(punctuality(due, Some(due + DAY_MS + 1), due), Punctuality::Late { days: 2 });
        assert_eq!(punctuality(due, None, due), Punctuality::Pending);
        assert_eq!(punctuality(due, None, due + 3 * DAY_MS), Punctuality::Missing { days: 3 });
    }

    #[test]
    fn suspicion_needs_a_full_clean_window_and_others_finding() {
        let rule = SuspicionRule { months: 6, min_other_findings: 1 };
        let clean = vec![Some(0); 6];
        assert!(suspicious(&rule, &clean, 2));
        assert!(!suspicious(&rule, &clean, 0), "nobody else found anything either");
        let mut one = clean.clone();
        one[2] = Some(1);
        assert!(!suspicious(&rule, &one, 2), "the enterprise found something itself");
        let mut missing = clean.clone();
        missing[5] = None;
        assert!(!suspicious(&rule, &missing, 2), "a missing month is flagged as missing, not as suspicious");
        assert!(!suspicious(&rule, &clean[..5], 2), "a shorter record is not enough");
    }

    #[test]
    fn penalties_match_by_flag_and_days() {
        let rules = vec![
            PenaltyRule {
                code: "L1".into(),
                when: "late".into(),
                min_days: Some(1),
                max_days: Some(15),
                measure: "提醒".into(),
                basis: String::new(),
            },
            PenaltyRule {
                code: "L2".into(),
                when: "late".into(),
                min_days: Some(16),
                max_days: None,
                measure: "约谈".into(),
                basis: String::new(),
            },
            PenaltyRule {
                code: "M".into(),
                when: "missing".into(),
                min_days: None,
                max_days: None,
                measure: "责令改正".into(),
                basis: String::new(),
            },
        ];
        assert_eq!(penalty_for(&rules, "late", 15).unwrap().code, "L1");
        assert_eq!(penalty_for(&rules, "late", 16).unwrap().code, "L2");
        assert_eq!(penalty_for(&rules, "missing", 40).unwrap().code, "M");
        assert!(penalty_for(&rules, "suspicious", 0).is_none());
    }

    #[test]
    fn shifts_split_the_day() {
        assert_eq!(shift_of(8 * 60, 3, 8 * 60), 0);
        assert_eq!(shift_of(16 * 60 - 1, 3, 8 * 60), 0);
        assert_eq!(shift_of(16 * 60, 3, 8 * 60), 1);
        assert_eq!(shift_of(7 * 60 + 59, 3, 8 * 60), 2);
        assert_eq!(shift_of(23 * 60, 1, 0), 0);
        assert_eq!(duty_rate(0, 0), None);
        assert_eq!(duty_rate(30, 27), Some(0.9));
    }

    proptest! {
        #[test]
        fn evaluation_counts_add_up_and_never_panic(outcomes in proptest::collection::vec(0u8..4, 10), deds in proptest::collection::vec(0.0f64..12.0, 10)) {
            let t = jgj();
            let rs: Vec<ResultInput> = outcomes.iter().zip(&deds).enumerate().filter(|(_, (o, _))| **o < 3).map(|(k, (o, d))| {
                let outcome = [Outcome::Pass, Outcome::Fail, Outcome::Na][*o as usize];
                ResultInput {
                    problem_code: (outcome == Outcome::Fail).then(|| format!("A{}-a", k + 1)),
                    deduction: (outcome == Outcome::Fail).then_some(*d),
                    ..r(&format!("A{}", k + 1), outcome)
                }
            }).collect();
            match evaluate(&t, &rs, false) {
                Ok(e) => {
                    prop_assert_eq!(e.passed + e.failed + e.not_applicable, rs.len());
                    prop_assert_eq!(e.findings.len(), e.failed);
                    prop_assert_eq!(e.unanswered.len() + rs.len(), if rs.is_empty() { 0 } else { 10 });
                    if let Some(s) = e.jgj59 {
                        prop_assert!((0.0..=100.0).contains(&s.total));
                    }
                }
                Err(err) => prop_assert!(err.field.starts_with("results"), "{err:?}"),
            }
        }

        #[test]
        fn days_late_grow_with_the_delay(delay in 0i64..(90 * DAY_MS), more in 1i64..DAY_MS) {
            let due = 500 * DAY_MS;
            let a = punctuality(due, Some(due + delay), 0).days_late();
            let b = punctuality(due, Some(due + delay + more), 0).days_late();
            prop_assert!(b >= a && b - a <= 1);
            prop_assert_eq!(a == 0, delay == 0);
        }
    }
}
