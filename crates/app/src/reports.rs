//! Weekly and monthly reports for a region (issue 9 point 7): the numbers
//! come from the analytics use cases (statistics, ranking) for the period,
//! the previous period and the same period a year before, plus the alarms
//! raised; a rule-based paragraph says what they mean, optionally rewritten
//! by an OpenAI-compatible chat-completions endpoint; `anjian-docs` renders
//! the PDF (charts, Chinese fonts) or the XLSX workbook.
//!
//! The language model is never required and never trusted with numbers: its
//! text is used only if every number in it appears in the rule-based text,
//! otherwise (or on any failure) the rule-based text stays and the report
//! says why.

use crate::analytics::{self, RankingParams, RankingView, StatRowView, StatsParams, StatsView, region_for};
use crate::{App, AppError, Caller, Result};
use anjian_docs::chart::{Chart, ChartKind, Series};
use anjian_docs::fonts::FontSet;
use anjian_docs::report::{Cell, Report, Section, Sheet, percent};
use anjian_domain::ids::{RegionCode, RegionLevel};
use jiff::civil::{Date, ISOWeekDate, Weekday};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// An OpenAI-compatible chat-completions endpoint.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// The endpoint, e.g. `https://llm.example/v1/chat/completions`; a base
    /// URL ending in `/v1` gets `/chat/completions` appended.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<String>,
    pub timeout: Duration,
}

/// How reports are written.
#[derive(Clone, Default)]
pub struct ReportConfig {
    pub llm: Option<LlmConfig>,
    /// Fonts for PDFs (the bundled subset with a configured fallback); None: the bundled subset.
    pub fonts: Option<Arc<FontSet>>,
}

impl ReportConfig {
    pub fn fonts(&self) -> &FontSet {
        self.fonts.as_deref().unwrap_or_else(|| FontSet::bundled())
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// Region (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// A month, `YYYY-MM` (monthly report).
    pub month: Option<String>,
    /// An ISO week, `YYYY-Www` (weekly report), e.g. `2026-W44`.
    pub week: Option<String>,
    /// `pdf` (default) or `xlsx`.
    pub format: Option<String>,
}

/// A reporting period: a calendar month or an ISO week, Beijing time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Month { year: i16, month: i8 },
    Week { year: i16, week: i8 },
}

impl Period {
    /// From the `month` or `week` parameter (exactly one).
    pub fn parse(month: Option<&str>, week: Option<&str>) -> Result<Period> {
        match (month, week) {
            (Some(_), Some(_)) => Err(AppError::field("week", "month 与 week 只能给一个")),
            (None, None) => Err(AppError::field("month", "需要 month（YYYY-MM）或 week（YYYY-Www）")),
            (Some(m), None) => {
                let bad = || AppError::field("month", "月份格式应为 YYYY-MM，例如 2026-10");
                let (y, mo) = m.trim().split_once('-').ok_or_else(bad)?;
                let (year, month) = (y.parse::<i16>().map_err(|_| bad())?, mo.parse::<i8>().map_err(|_| bad())?);
                if y.len() != 4 || mo.len() != 2 || !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
                    return Err(bad());
                }
                Ok(Period::Month { year, month })
            }
            (None, Some(w)) => {
                let bad = || AppError::field("week", "周格式应为 YYYY-Www，例如 2026-W44");
                let (y, wk) = w.trim().split_once("-W").ok_or_else(bad)?;
                let (year, week) = (y.parse::<i16>().map_err(|_| bad())?, wk.parse::<i8>().map_err(|_| bad())?);
                if y.len() != 4 || wk.len() != 2 || !(2000..=2100).contains(&year) {
                    return Err(bad());
                }
                ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| bad())?;
                Ok(Period::Week { year, week })
            }
        }
    }

    /// First and last day (inclusive).
    pub fn days(&self) -> (Date, Date) {
        match *self {
            Period::Month { year, month } => {
                let first = Date::new(year, month, 1).expect("validated month");
                (first, first.last_of_month())
            }
            Period::Week { year, week } => {
                let monday = ISOWeekDate::new(year, week, Weekday::Monday).expect("validated week").date();
                (monday, monday.checked_add(jiff::Span::new().days(6)).expect("in range"))
            }
        }
    }

    pub fn previous(&self) -> Period {
        match *self {
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
            Period::Week { .. } => {
                let d = self.days().0.checked_sub(jiff::Span::new().days(7)).expect("in range").iso_week_date();
                Period::Week { year: d.year(), week: d.week() }
            }
        }
    }

    /// The same month, or the same ISO week number (52 for a week 53), a year before.
    pub fn a_year_before(&self) -> Period {
        match *self {
            Period::Month { year, month } => Period::Month { year: year - 1, month },
            Period::Week { year, week } => {
                let week = if ISOWeekDate::new(year - 1, week, Weekday::Monday).is_ok() { week } else { 52 };
                Period::Week { year: year - 1, week }
            }
        }
    }

    /// `2026-10` or `2026-W44`.
    pub fn key(&self) -> String {
        match *self {
            Period::Month { year, month } => format!("{year:04}-{month:02}"),
            Period::Week { year, week } => format!("{year:04}-W{week:02}"),
        }
    }

    /// `2026年10月` or `2026年第44周（10月26日至11月1日）`.
    pub fn label(&self) -> String {
        let (a, b) = self.days();
        match *self {
            Period::Month { year, month } => format!("{year}年{month}月"),
            Period::Week { year, week } => {
                format!("{year}年第{week}周（{}月{}日至{}月{}日）", a.month(), a.day(), b.month(), b.day())
            }
        }
    }

    fn noun(&self) -> (&'static str, &'static str) {
        match self {
            Period::Month { .. } => ("月报", "上月"),
            Period::Week { .. } => ("周报", "上周"),
        }
    }
}

/// How the narrative paragraph was written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Narrative {
    /// By the rules (no model configured).
    Rules,
    /// Rewritten by the model, its numbers checked against the rules' text.
    Llm { model: String },
    /// The model failed or was rejected; the rules' text stands.
    Fallback { reason: String },
}

impl Narrative {
    /// The value of the `X-Anjian-Narrative` header: `rules`, `llm` or `fallback`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Narrative::Rules => "rules",
            Narrative::Llm { .. } => "llm",
            Narrative::Fallback { .. } => "fallback",
        }
    }

    fn note(&self) -> String {
        match self {
            Narrative::Rules => "说明：本段由系统根据统计数据按规则生成。".into(),
            Narrative::Llm { model } => {
                format!("说明：本段由大模型（{model}）根据规则生成的文本改写，所有数字已与统计数据核对一致。")
            }
            Narrative::Fallback { reason } => format!("说明：大模型改写失败（{reason}），本段为按规则生成的文本。"),
        }
    }
}

/// The figures of one period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub found: i64,
    pub rectified: i64,
    pub in_progress: i64,
    pub overdue: i64,
    pub rectification_rate: f64,
    pub on_time_rate: f64,
    pub mean_days_to_rectify: Option<f64>,
    pub major_found: i64,
    pub major_in_progress: i64,
    pub major_overdue: i64,
}

/// A ranked region in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    pub name: String,
    pub grade: Option<String>,
    pub score: Option<f64>,
    pub found: i64,
    pub overdue: i64,
}

/// Everything the narrative is written from (also what the language model is shown).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Facts {
    pub region: String,
    pub period: String,
    pub current: Totals,
    pub previous: Totals,
    pub a_year_before: Totals,
    /// Children of the region with the most hazards (at most three).
    pub busiest: Vec<(String, i64)>,
    /// Lowest-scored regions of the ranking level (at most three).
    pub worst: Vec<Ranked>,
    /// Enterprises with the most overdue hazards (at most three).
    pub overdue_enterprises: Vec<(String, i64)>,
    /// Alarms raised in the period by level (blue, yellow, orange, red).
    pub alarms: Vec<(String, i64)>,
}

fn totals(grade_view: &StatsView) -> Totals {
    let t = &grade_view.total;
    let major = grade_view.rows.iter().find(|r| r.key == "major").cloned().unwrap_or_default();
    Totals {
        found: t.found,
        rectified: t.rectified,
        in_progress: t.in_progress,
        overdue: t.overdue,
        rectification_rate: t.rectification_rate,
        on_time_rate: t.on_time_rate,
        mean_days_to_rectify: t.mean_days_to_rectify,
        major_found: major.found,
        major_in_progress: major.in_progress,
        major_overdue: major.overdue,
    }
}

fn change(now: i64, before: i64, what: &str) -> String {
    if before == 0 {
        return if now == 0 { format!("与{what}持平") } else { format!("{what}无记录") };
    }
    let pct = (now - before) as f64 / before as f64 * 100.0;
    if pct.abs() < 0.05 {
        format!("与{what}持平")
    } else if pct > 0.0 {
        format!("较{what}（{before}项）增加{pct:.1}%")
    } else {
        format!("较{what}（{before}项）减少{:.1}%", -pct)
    }
}

fn points(now: f64, before: f64, what: &str) -> String {
    let d = (now - before) * 100.0;
    if d.abs() < 0.05 {
        format!("与{what}持平")
    } else if d > 0.0 {
        format!("较{what}提高{d:.1}个百分点")
    } else {
        format!("较{what}下降{:.1}个百分点", -d)
    }
}

fn level_label(l: &str) -> &'static str {
    anjian_domain::monitor::Level::ALL.iter().find(|x| x.as_str() == l).map_or("其他预警", |x| x.label())
}

/// The rule-based narrative paragraph.
pub fn narrative(f: &Facts, period: &Period) -> String {
    let (_, prev_word) = period.noun();
    let c = &f.current;
    let mut s = format!(
        "{}，{}共排查发现隐患{}项，{}，{}。",
        f.period,
        f.region,
        c.found,
        change(c.found, f.previous.found, prev_word),
        change(c.found, f.a_year_before.found, "去年同期")
    );
    s += &format!(
        "已整改{}项，整改率{}（{}），按期整改率{}",
        c.rectified,
        percent(c.rectification_rate),
        points(c.rectification_rate, f.previous.rectification_rate, prev_word),
        percent(c.on_time_rate)
    );
    if let Some(d) = c.mean_days_to_rectify {
        s += &format!("，平均整改用时{d:.1}天");
    }
    s += &format!("；整改中{}项，其中逾期未整改{}项", c.in_progress, c.overdue);
    s += if c.overdue > 0 { "，应督促相关单位限期整改。" } else { "。" };
    if c.major_found > 0 {
        s += &format!("重大隐患{}项，其中{}项尚未整改完毕", c.major_found, c.major_in_progress);
        if c.major_overdue > 0 {
            s += &format!("、{}项已逾期，须挂牌督办", c.major_overdue);
        }
        s += "。";
    } else {
        s += "本期未发现重大隐患。";
    }
    if !f.busiest.is_empty() {
        let list: Vec<String> = f.busiest.iter().map(|(n, k)| format!("{n}（{k}项）")).collect();
        s += &format!("隐患数量较多的是{}。", list.join("、"));
    }
    if !f.worst.is_empty() {
        let list: Vec<String> = f
            .worst
            .iter()
            .map(|r| match (&r.grade, r.score) {
                (Some(g), Some(sc)) => format!("{}（{g}级，{sc:.1}分）", r.name),
                _ => r.name.clone(),
            })
            .collect();
        s += &format!("综合评分较低的是{}，建议重点督导。", list.join("、"));
    }
    if !f.overdue_enterprises.is_empty() {
        let list: Vec<String> = f.overdue_enterprises.iter().map(|(n, k)| format!("{n}（{k}项）")).collect();
        s += &format!("逾期隐患较多的企业有{}。", list.join("、"));
    }
    let total: i64 = f.alarms.iter().map(|a| a.1).sum();
    if total > 0 {
        let red = f.alarms.iter().find(|a| a.0 == "red").map_or(0, |a| a.1);
        s += &format!("本期物联网监测共产生预警{total}次，其中红色预警{red}次。");
    } else {
        s += "本期物联网监测未产生预警。";
    }
    s
}

/// The numbers in a text (runs of digits with an optional decimal part).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty() && !cur.contains('.')) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(cur.trim_end_matches('.').to_string());
            cur.clear();
        }
    }
    out
}

fn chat_url(u: &str) -> String {
    let u = u.trim_end_matches('/');
    if u.ends_with("/chat/completions") { u.to_string() } else { format!("{u}/chat/completions") }
}

/// Asks the model to rewrite `text`; checks that it invents no number.
async fn rewrite(cfg: &LlmConfig, facts: &Facts, text: &str) -> std::result::Result<String, String> {
    let system = "你是应急管理部门的公文写作助手。请把用户给出的安全生产隐患排查治理报告段落改写得更通顺、正式，\
        保持原意，不得增加、删除或改动任何数字、名称和事实，不要使用列表或标题，只输出改写后的一段文字。";
    let facts_json = serde_json::to_string(facts).map_err(|e| e.to_string())?;
    let body = serde_json::json!({
        "model": cfg.model,
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": format!("统计数据（JSON）：{facts_json}\n\n待改写的段落：{text}")},
        ],
    })
    .to_string();
    let (url, token, timeout) = (chat_url(&cfg.url), cfg.token.clone(), cfg.timeout);
    // ureq is blocking: keep it off the async workers.
    let answer = tokio::task::spawn_blocking(move || -> std::result::Result<String, String> {
        let agent =
            ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build().new_agent();
        let mut req = agent.post(&url).header("content-type", "application/json");
        if let Some(t) = &token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        let mut resp = req.send(body.as_bytes()).map_err(|e| format!("请求失败：{e}"))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().map_err(|e| format!("读取应答失败：{e}"))?;
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}"));
        }
        Ok(text)
    })
    .await
    .map_err(|e| e.to_string())??;
    let v: serde_json::Value = serde_json::from_str(&answer).map_err(|_| "应答不是 JSON".to_string())?;
    let out = v["choices"][0]["message"]["content"].as_str().ok_or("应答缺少 choices[0].message.content")?.trim();
    if out.is_empty() {
        return Err("应答为空".into());
    }
    if out.chars().count() > text.chars().count() * 3 {
        return Err("改写文本过长".into());
    }
    let allowed = numbers(text);
    if let Some(n) = numbers(out).into_iter().find(|n| !allowed.contains(n)) {
        return Err(format!("改写文本含有统计数据中没有的数字 {n}"));
    }
    Ok(out.to_string())
}

/// A rendered report.
pub struct RenderedReport {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// e.g. `379901-2026-10.pdf`.
    pub file_name: String,
    pub narrative: Narrative,
}

fn stats_params(by: &str, region: &str, p: &Period) -> StatsParams {
    let (a, b) = p.days();
    StatsParams { by: by.into(), region: Some(region.into()), since: Some(a.to_string()), until: Some(b.to_string()) }
}

fn row_cells(name: &str, r: &StatRowView) -> Vec<Cell> {
    vec![
        Cell::Text(name.into()),
        Cell::Int(r.found),
        Cell::Int(r.rectified),
        Cell::Int(r.in_progress),
        Cell::Int(r.overdue),
        Cell::Rate(r.rectification_rate),
        Cell::Rate(r.on_time_rate),
        r.mean_days_to_rectify.map_or(Cell::Empty, Cell::Num),
    ]
}

const STAT_HEADER: [&str; 8] = ["名称", "发现", "已整改", "整改中", "逾期", "整改率", "按期整改率", "平均整改天数"];

fn stat_sheet(name: &str, first: &str, rows: Vec<Vec<Cell>>) -> Sheet {
    let mut header: Vec<String> = STAT_HEADER.iter().map(|s| s.to_string()).collect();
    header[0] = first.into();
    Sheet { name: name.into(), header, widths: vec![3.2, 1.2, 1.2, 1.2, 1.1, 1.3, 1.5, 1.6], rows }
}

/// The level whose regions the report ranks: streets for a city or district,
/// communities for a street, grids for a community.
fn ranking_level(r: &RegionCode) -> Option<&'static str> {
    match r.level() {
        RegionLevel::Province | RegionLevel::City | RegionLevel::District => Some("street"),
        RegionLevel::Street => Some("community"),
        RegionLevel::Community => Some("grid"),
        RegionLevel::Grid => None,
    }
}

/// Builds the report of a region for a period: the facts, the narrative and the sections.
pub async fn build(app: &App, caller: &Caller, p: &ReportParams) -> Result<(Report, Narrative)> {
    let region = region_for(caller, p.region.as_deref())?.ok_or_else(|| AppError::field("region", "需要 region"))?;
    let period = Period::parse(p.month.as_deref(), p.week.as_deref())?;
    let code = region.as_str().to_string();
    let name = {
        let mut c = app.db.read().await?;
        anjian_store::regions::get(&mut c, &code)
            .await?
            .ok_or_else(|| AppError::field("region", "没有这个行政区划"))?
            .name
    };
    let stats = |by: &'static str, per: Period| {
        let params = stats_params(by, &code, &per);
        async move { analytics::stats(app, caller, &params).await }
    };
    let by_region = stats("region", period).await?;
    let cur = totals(&stats("grade", period).await?);
    let prev = totals(&stats("grade", period.previous()).await?);
    let ago = totals(&stats("grade", period.a_year_before()).await?);
    let by_day = stats("day", period).await?;
    let by_domain = stats("domain", period).await?;
    let (a, b) = period.days();
    let rank = |target: &str, level: Option<&str>| RankingParams {
        target: Some(target.into()),
        level: level.map(String::from),
        region: Some(code.clone()),
        since: Some(a.to_string()),
        until: Some(b.to_string()),
    };
    let level = ranking_level(&region);
    let regions_ranked: Option<RankingView> = match level {
        Some(l) => Some(analytics::ranking(app, caller, &rank("regions", Some(l))).await?),
        None => None,
    };
    let enterprises = analytics::ranking(app, caller, &rank("enterprises", None)).await?;
    let alarms = {
        let since = a.to_zoned_datetime(crate::time::shanghai()).map_err(|e| AppError::Internal(e.to_string()))?;
        let until = b
            .tomorrow()
            .and_then(|d| d.to_zoned_datetime(crate::time::shanghai()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut c = app.db.read().await?;
        anjian_store::monitoring::alarm_level_counts(
            &mut c,
            &caller.scope,
            Some(region.prefix()),
            since.timestamp().as_millisecond(),
            until.timestamp().as_millisecond(),
        )
        .await?
    };

    let mut busiest: Vec<(String, i64)> =
        by_region.rows.iter().filter(|r| r.found > 0).map(|r| (r.label.clone(), r.found)).collect();
    busiest.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    busiest.truncate(3);
    let worst: Vec<Ranked> = regions_ranked
        .as_ref()
        .map(|v| {
            v.rows
                .iter()
                .rev()
                .filter(|r| r.score.is_some() && r.found > 0)
                .take(3)
                .map(|r| Ranked {
                    name: r.name.clone(),
                    grade: r.grade.clone(),
                    score: r.score,
                    found: r.found,
                    overdue: r.overdue,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut overdue_ents: Vec<(String, i64)> =
        enterprises.rows.iter().filter(|r| r.overdue > 0).map(|r| (r.name.clone(), r.overdue)).collect();
    overdue_ents.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    overdue_ents.truncate(3);
    let facts = Facts {
        region: name.clone(),
        period: period.label(),
        current: cur.clone(),
        previous: prev.clone(),
        a_year_before: ago.clone(),
        busiest,
        worst,
        overdue_enterprises: overdue_ents,
        alarms: alarms.clone(),
    };
    let rules = narrative(&facts, &period);
    let (text, source) = match &app.reports.llm {
        None => (rules, Narrative::Rules),
        Some(cfg) => match rewrite(cfg, &facts, &rules).await {
            Ok(t) => (t, Narrative::Llm { model: cfg.model.clone() }),
            Err(reason) => {
                tracing::warn!(%reason, "report narrative: the language model failed; using the rule-based text");
                (rules, Narrative::Fallback { reason })
            }
        },
    };

    let (noun, prev_word) = period.noun();
    let mut sections = Vec::new();
    // Key figures with the comparisons.
    let fig = |label: &str, f: &dyn Fn(&Totals) -> Cell| vec![Cell::Text(label.into()), f(&cur), f(&prev), f(&ago)];
    let key_rows = vec![
        fig("发现隐患（项）", &|t| Cell::Int(t.found)),
        fig("已整改（项）", &|t| Cell::Int(t.rectified)),
        fig("整改中（项）", &|t| Cell::Int(t.in_progress)),
        fig("逾期未整改（项）", &|t| Cell::Int(t.overdue)),
        fig("整改率", &|t| Cell::Rate(t.rectification_rate)),
        fig("按期整改率", &|t| Cell::Rate(t.on_time_rate)),
        fig("平均整改天数", &|t| t.mean_days_to_rectify.map_or(Cell::Empty, Cell::Num)),
        fig("重大隐患（项）", &|t| Cell::Int(t.major_found)),
        fig("重大隐患未整改（项）", &|t| Cell::Int(t.major_in_progress)),
        fig("重大隐患逾期（项）", &|t| Cell::Int(t.major_overdue)),
    ];
    sections.push(Section {
        heading: "主要指标".into(),
        paragraphs: vec![format!(
            "本期为{}，{}为{}，去年同期为{}。逾期数为统计时仍未整改且已过整改期限的隐患数。",
            period.label(),
            prev_word,
            period.previous().label(),
            period.a_year_before().label()
        )],
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: format!("发现与整改隐患：本期、{prev_word}与去年同期"),
            categories: vec!["本期".into(), prev_word.into(), "去年同期".into()],
            series: vec![
                Series { name: "发现".into(), values: vec![cur.found as f64, prev.found as f64, ago.found as f64] },
                Series {
                    name: "已整改".into(),
                    values: vec![cur.rectified as f64, prev.rectified as f64, ago.rectified as f64],
                },
            ],
            x_label: String::new(),
            y_label: "隐患数（项）".into(),
            height: 170.0,
        }),
        table: Some(Sheet {
            name: "主要指标".into(),
            header: vec!["指标".into(), "本期".into(), prev_word.into(), "去年同期".into()],
            widths: vec![3.0, 1.5, 1.5, 1.5],
            rows: key_rows,
        }),
    });
    // Trend by day.
    let days: Vec<Date> = {
        let mut v = Vec::new();
        let mut d = a;
        while d <= b {
            v.push(d);
            d = d.tomorrow().map_err(|e| AppError::Internal(e.to_string()))?;
        }
        v
    };
    let day_row = |d: &Date| by_day.rows.iter().find(|r| r.key == d.to_string()).cloned().unwrap_or_default();
    sections.push(Section {
        heading: "逐日趋势".into(),
        paragraphs: vec![],
        chart: Some(Chart {
            kind: ChartKind::Line,
            title: "每日发现与已整改隐患".into(),
            categories: days.iter().map(|d| format!("{}/{}", d.month(), d.day())).collect(),
            series: vec![
                Series { name: "发现".into(), values: days.iter().map(|d| day_row(d).found as f64).collect() },
                Series {
                    name: "其中已整改".into(),
                    values: days.iter().map(|d| day_row(d).rectified as f64).collect(),
                },
            ],
            x_label: "日期".into(),
            y_label: "隐患数（项）".into(),
            height: 180.0,
        }),
        table: Some(stat_sheet("逐日", "日期", days.iter().map(|d| row_cells(&d.to_string(), &day_row(d))).collect())),
    });
    // By child region.
    let mut region_rows: Vec<Vec<Cell>> = by_region.rows.iter().map(|r| row_cells(&r.label, r)).collect();
    region_rows.push(row_cells("合计", &by_region.total));
    let top: Vec<&StatRowView> = {
        let mut v: Vec<&StatRowView> = by_region.rows.iter().collect();
        v.sort_by(|x, y| y.found.cmp(&x.found).then(x.key.cmp(&y.key)));
        v.truncate(12);
        v
    };
    sections.push(Section {
        heading: "分区域情况".into(),
        paragraphs: vec![],
        chart: (!top.is_empty()).then(|| Chart {
            kind: ChartKind::StackedBar,
            title: "隐患最多的下级区域：已整改与整改中".into(),
            categories: top.iter().map(|r| r.label.clone()).collect(),
            series: vec![
                Series { name: "已整改".into(), values: top.iter().map(|r| r.rectified as f64).collect() },
                Series { name: "整改中".into(), values: top.iter().map(|r| r.in_progress as f64).collect() },
            ],
            x_label: String::new(),
            y_label: "隐患数（项）".into(),
            height: 190.0,
        }),
        table: Some(stat_sheet("分区域", "区域", region_rows)),
    });
    // By hazard domain.
    let mut domains: Vec<&StatRowView> = by_domain.rows.iter().filter(|r| r.found > 0).collect();
    domains.sort_by(|x, y| y.found.cmp(&x.found).then(x.key.cmp(&y.key)));
    let pie: Vec<&StatRowView> = domains.iter().take(7).copied().collect();
    let others: i64 = domains.iter().skip(7).map(|r| r.found).sum();
    let mut cats: Vec<String> = pie.iter().map(|r| r.label.clone()).collect();
    let mut vals: Vec<f64> = pie.iter().map(|r| r.found as f64).collect();
    if others > 0 {
        cats.push("其他".into());
        vals.push(others as f64);
    }
    sections.push(Section {
        heading: "隐患类别".into(),
        paragraphs: vec![],
        chart: (!pie.is_empty()).then(|| Chart {
            kind: ChartKind::Pie,
            title: "隐患类别构成".into(),
            categories: cats,
            series: vec![Series { name: "发现".into(), values: vals }],
            x_label: String::new(),
            y_label: String::new(),
            height: 190.0,
        }),
        table: Some(stat_sheet("隐患类别", "类别", domains.iter().map(|r| row_cells(&r.label, r)).collect())),
    });
    // Ranking and grading.
    if let Some(v) = &regions_ranked {
        let level_name = match level {
            Some("street") => "街道（乡镇）",
            Some("community") => "社区（村）",
            _ => "网格",
        };
        let grades: Vec<String> = v.grade_counts.iter().map(|(g, n)| format!("{g}级{n}个")).collect();
        sections.push(Section {
            heading: format!("{level_name}排名与分级"),
            paragraphs: vec![format!(
                "按加权指标评分并分级：{}。",
                if grades.is_empty() { "本期无可评分的区域".to_string() } else { grades.join("，") }
            )],
            chart: None,
            table: Some(Sheet {
                name: "排名".into(),
                header: ["排名", "名称", "得分", "等级", "发现", "逾期"].iter().map(|s| s.to_string()).collect(),
                widths: vec![1.0, 3.6, 1.2, 1.0, 1.2, 1.2],
                rows: v
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::Int(r.rank as i64),
                            Cell::Text(r.name.clone()),
                            r.score.map_or(Cell::Empty, Cell::Num),
                            r.grade.clone().map_or(Cell::Empty, Cell::Text),
                            Cell::Int(r.found),
                            Cell::Int(r.overdue),
                        ]
                    })
                    .collect(),
            }),
        });
    }
    // Alarms.
    let alarm_rows: Vec<Vec<Cell>> = anjian_domain::monitor::Level::ALL
        .iter()
        .rev()
        .map(|l| {
            let n = alarms.iter().find(|a| a.0 == l.as_str()).map_or(0, |a| a.1);
            vec![Cell::Text(level_label(l.as_str()).into()), Cell::Int(n)]
        })
        .collect();
    sections.push(Section {
        heading: "物联网监测预警".into(),
        paragraphs: vec![],
        chart: None,
        table: Some(Sheet {
            name: "预警".into(),
            header: vec!["预警级别".into(), "次数".into()],
            widths: vec![3.0, 1.5],
            rows: alarm_rows,
        }),
    });

    let now = jiff::Timestamp::from_millisecond(anjian_store::now_ms())
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_zoned_datetime(crate::time::shanghai())
        .datetime();
    let report = Report {
        title: format!("{name}安全生产隐患排查治理{noun}"),
        period: format!("{}（{}至{}）", period.label(), a, b),
        author: format!("{name} · 安监平台"),
        generated: now.round(jiff::Unit::Second).unwrap_or(now),
        narrative: text,
        narrative_note: source.note(),
        sections,
        id: format!("report:{code}:{}", period.key()),
    };
    Ok((report, source))
}

/// The report of a region for a period as PDF or XLSX (regulators only, within their scope).
pub async fn region_report(app: &App, caller: &Caller, p: &ReportParams) -> Result<RenderedReport> {
    let format = p.format.as_deref().unwrap_or("pdf");
    if !matches!(format, "pdf" | "xlsx") {
        return Err(AppError::field("format", "格式应为 pdf 或 xlsx"));
    }
    let (report, narrative) = build(app, caller, p).await?;
    let key = report.id.trim_start_matches("report:").replace(':', "-");
    let fonts = app.reports.clone();
    // Rendering is CPU work: keep it off the async workers.
    let fmt = format.to_string();
    let bytes = tokio::task::spawn_blocking(move || match fmt.as_str() {
        "xlsx" => anjian_docs::report::render_xlsx(&report),
        _ => anjian_docs::report::render_pdf_with(&report, fonts.fonts()),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| match e {
        anjian_docs::Error::MissingGlyphs(_) => AppError::field("region", e.to_string()),
        other => AppError::Internal(other.to_string()),
    })?;
    Ok(RenderedReport {
        bytes,
        content_type: if format == "xlsx" {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        } else {
            "application/pdf"
        },
        file_name: format!("{key}.{format}"),
        narrative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_name_their_days() {
        let m = Period::parse(Some("2026-10"), None).unwrap();
        assert_eq!(m.days(), (Date::new(2026, 10, 1).unwrap(), Date::new(2026, 10, 31).unwrap()));
        assert_eq!(m.previous(), Period::Month { year: 2026, month: 9 });
        assert_eq!(Period::parse(Some("2026-01"), None).unwrap().previous(), Period::Month { year: 2025, month: 12 });
        assert_eq!(m.a_year_before().key(), "2025-10");
        let w = Period::parse(None, Some("2026-W44")).unwrap();
        assert_eq!(w.days(), (Date::new(2026, 10, 26).unwrap(), Date::new(2026, 11, 1).unwrap()));
        assert_eq!(w.label(), "2026年第44周（10月26日至11月1日）");
        assert_eq!(w.previous().key(), "2026-W43");
        assert_eq!(Period::parse(None, Some("2026-W01")).unwrap().previous().key(), "2025-W52");
        // 2026 has 53 ISO weeks, 2025 has 52.
        assert_eq!(Period::parse(None, Some("2026-W53")).unwrap().a_year_before().key(), "2025-W52");
    }

    #[test]
    fn bad_periods_name_the_field() {
        let field = |m: Option<&str>, w: Option<&str>| match Period::parse(m, w) {
            Err(AppError::Invalid(f)) => f.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(Some("2026-13"), None), "month");
        assert_eq!(field(Some("2026-1"), None), "month");
        assert_eq!(field(None, Some("2025-W53")), "week");
        assert_eq!(field(None, Some("2026-44")), "week");
        assert_eq!(field(None, None), "month");
        assert_eq!(field(Some("2026-10"), Some("2026-W44")), "week");
    }

    fn facts() -> Facts {
        Facts {
            region: "临江区".into(),
            period: "2026年10月".into(),
            current: Totals {
                found: 120,
                rectified: 90,
                in_progress: 30,
                overdue: 4,
                rectification_rate: 0.75,
                on_time_rate: 0.9,
                mean_days_to_rectify: Some(6.25),
                major_found: 2,
                major_in_progress: 1,
                major_overdue: 1,
            },
            previous: Totals { found: 100, rectification_rate: 0.7, ..Default::default() },
            a_year_before: Totals { found: 150, ..Default::default() },
            busiest: vec![("城关街道".into(), 40), ("江滨街道".into(), 30)],
            worst: vec![Ranked {
                name: "北山街道".into(),
                grade: Some("D".into()),
                score: Some(55.5),
                found: 10,
                overdue: 3,
            }],
            overdue_enterprises: vec![("鑫达化工".into(), 3)],
            alarms: vec![("red".into(), 2), ("yellow".into(), 5)],
        }
    }

    #[test]
    fn narrative_states_trends_rates_and_the_worst() {
        let s = narrative(&facts(), &Period::Month { year: 2026, month: 10 });
        for part in [
            "2026年10月，临江区共排查发现隐患120项",
            "较上月（100项）增加20.0%",
            "较去年同期（150项）减少20.0%",
            "整改率75.0%（较上月提高5.0个百分点）",
            "按期整改率90.0%",
            "逾期未整改4项，应督促",
            "重大隐患2项，其中1项尚未整改完毕、1项已逾期",
            "城关街道（40项）",
            "北山街道（D级，55.5分）",
            "预警7次，其中红色预警2次",
        ] {
            assert!(s.contains(part), "{part:?} missing from {s}");
        }
        let quiet = Facts { alarms: vec![], current: Totals::default(), ..facts() };
        let s = narrative(&quiet, &Period::Week { year: 2026, week: 44 });
        assert!(s.contains("较上周") && s.contains("本期未发现重大隐患") && s.contains("未产生预警"), "{s}");
    }

    #[test]
    fn numbers_are_found_for_the_llm_check() {
        assert_eq!(numbers("共120项，整改率75.0%，第3."), vec!["120", "75.0", "3"]);
        assert_eq!(chat_url("http://h/v1/"), "http://h/v1/chat/completions");
        assert_eq!(chat_url("http://h/v1/chat/completions"), "http://h/v1/chat/completions");
    }
}
