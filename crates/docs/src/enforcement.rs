//! Enforcement documents (安全生产执法文书) after the national templates of
//! the Ministry of Emergency Management (应急管理部 安全生产执法文书式样):
//! 现场检查记录, 责令限期整改指令书 and 整改复查意见书.
//!
//! A [`Document`] carries exactly what the printed document shows; numbering,
//! locking and the evidence-ledger hash are the caller's part. [`render`] is
//! deterministic: the same document gives the same bytes (the PDF's dates and
//! identifier come from the document, never from the clock), so a hash of
//! the output can be stored and checked later.
//!
//! ```
//! use anjian_docs::enforcement::{Document, Kind, Finding, render};
//! # let doc = anjian_docs::enforcement::example(Kind::RectificationOrder, 3);
//! let pdf: Vec<u8> = render(&doc).unwrap();
//! assert!(pdf.starts_with(b"%PDF"));
//! ```

use crate::Error;
use crate::fonts::FontSet;
use crate::layout::{Align, Block, Column, Flow, Laid, Paragraph, Seal, Span, Table, layout};
use crate::pdf::{Meta, write};
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 现场检查记录: what was inspected, by whom, and what was found.
    InspectionRecord,
    /// 责令限期整改指令书: the order to correct the findings by their deadlines.
    RectificationOrder,
    /// 整改复查意见书: the re-inspection of an order's findings.
    ReviewOpinion,
}

impl Kind {
    /// The document's printed title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::InspectionRecord => "现场检查记录",
            Kind::RectificationOrder => "责令限期整改指令书",
            Kind::ReviewOpinion => "整改复查意见书",
        }
    }
}

/// The inspected unit (被检查单位).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub name: String,
    pub address: String,
    /// 法定代表人（负责人）.
    pub representative: String,
    /// 职务 of the representative.
    pub position: String,
    pub phone: String,
}

/// An inspector (安全生产执法人员) and their enforcement certificate number (执法证号).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    pub name: String,
    pub certificate: String,
}

/// The outcome of re-inspecting one finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub rectified: bool,
    /// What was seen (e.g. "已更换漏电保护器并试验合格").
    pub note: String,
}

/// One problem found (存在的问题), with its legal basis (依据) and deadline (整改期限).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub description: String,
    /// The provision violated, e.g. "《中华人民共和国安全生产法》第四十一条第二款".
    pub basis: String,
    /// Required for a 责令限期整改指令书.
    pub deadline: Option<Date>,
    /// Required for a 整改复查意见书.
    pub review: Option<Review>,
}

/// The order a review opinion reviews (or any earlier document referred to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub number: String,
    pub date: Date,
}

/// Where the unit may seek administrative reconsideration (行政复议) or
/// bring an administrative lawsuit (行政诉讼).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedies {
    /// e.g. "安澜市人民政府".
    pub government: String,
    /// The issuer's superior department, e.g. "安澜省应急管理厅".
    pub department: String,
    /// e.g. "安澜市人民法院".
    pub court: String,
}

/// An enforcement document as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: Kind,
    /// 文书编号, e.g. "安澜应急责改〔2026〕15号".
    pub number: String,
    /// The issuing department, e.g. "安澜市应急管理局".
    pub issuer: String,
    pub unit: Unit,
    /// 检查场所.
    pub place: String,
    /// 检查时间 (Beijing time).
    pub started: DateTime,
    pub ended: DateTime,
    pub inspectors: Vec<Inspector>,
    /// 检查情况 (record) or 复查意见 (review opinion); may be empty for an order.
    pub situation: String,
    pub findings: Vec<Finding>,
    /// The provision under which the order is given, e.g.
    /// "《中华人民共和国安全生产法》第六十五条第一款第（三）项".
    pub order_basis: String,
    /// For a review opinion: the order reviewed.
    pub review_of: Option<Reference>,
    pub remedies: Remedies,
    /// Date of issue (成文日期), Beijing time.
    pub issued: Date,
    /// The number of the document this one replaces, if it is a new version.
    pub supersedes: Option<String>,
}

/// Renders the document as PDF with the bundled fonts.
pub fn render(doc: &Document) -> Result<Vec<u8>, Error> {
    render_with(doc, FontSet::bundled())
}

/// Renders the document as PDF with the given fonts.
pub fn render_with(doc: &Document, fonts: &FontSet) -> Result<Vec<u8>, Error> {
    let laid = lay_out(doc, fonts)?;
    write(&laid, fonts, &meta(doc))
}

/// The document's layout without writing the PDF (for inspection and benchmarks).
pub fn lay_out(doc: &Document, fonts: &FontSet) -> Result<Laid, Error> {
    validate(doc)?;
    layout(&flow(doc), fonts)
}

fn meta(doc: &Document) -> Meta {
    Meta {
        title: format!("{} {}", doc.kind.title(), doc.number),
        author: doc.issuer.clone(),
        id: match &doc.supersedes {
            Some(old) => format!("{} (替代 {old})", doc.number),
            None => doc.number.clone(),
        },
        date: doc.issued.to_datetime(jiff::civil::Time::midnight()),
    }
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Invalid { field: field.into(), message: message.into() }
}

fn validate(doc: &Document) -> Result<(), Error> {
    if doc.number.trim().is_empty() {
        return Err(invalid("number", "文书编号不能为空"));
    }
    if doc.unit.name.trim().is_empty() {
        return Err(invalid("unit.name", "被检查单位不能为空"));
    }
    if doc.inspectors.is_empty() {
        return Err(invalid("inspectors", "至少需要一名执法人员"));
    }
    if doc.ended < doc.started {
        return Err(invalid("ended", "检查结束时间早于开始时间"));
    }
    for (i, f) in doc.findings.iter().enumerate() {
        if doc.kind == Kind::RectificationOrder && f.deadline.is_none() {
            return Err(invalid(&format!("findings[{i}].deadline"), "责令限期整改指令书的每项问题都需要整改期限"));
        }
        if doc.kind == Kind::ReviewOpinion && f.review.is_none() {
            return Err(invalid(&format!("findings[{i}].review"), "整改复查意见书的每项问题都需要复查结果"));
        }
    }
    match doc.kind {
        Kind::RectificationOrder if doc.findings.is_empty() => Err(invalid("findings", "没有需要整改的问题")),
        Kind::ReviewOpinion if doc.review_of.is_none() => Err(invalid("review_of", "复查意见书须注明所复查的指令书")),
        _ => Ok(()),
    }
}

/// 2026年10月20日
pub fn date_cn(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 2026年10月20日09时30分
pub fn datetime_cn(t: DateTime) -> String {
    format!("{}{:02}时{:02}分", date_cn(t.date()), t.hour(), t.minute())
}

/// A blank for a handwritten signature.
const BLANK: &str = "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}";

fn field(label: &str, value: &str) -> Block {
    fields(&[(label, value)])
}

fn fields(pairs: &[(&str, &str)]) -> Block {
    let mut spans = Vec::new();
    for (i, (l, v)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::new("\u{3000}"));
        }
        spans.push(Span::bold(format!("{l}：")));
        spans.push(Span::underlined(*v));
    }
    Block::Paragraph(Paragraph::spans(spans).align(Align::Left).space(0.0, 2.0))
}

fn body(text: impl Into<String>) -> Block {
    Block::Paragraph(Paragraph::body(text).space(0.0, 2.0))
}

fn flow(doc: &Document) -> Flow {
    let mut b = vec![
        Block::Paragraph(Paragraph::heading(doc.issuer.clone()).align(Align::Center).size(18.0).space(0.0, 2.0)),
        Block::Paragraph(Paragraph::title(doc.kind.title()).space(0.0, 2.0)),
        Block::Paragraph(Paragraph::body(doc.number.clone()).align(Align::Right)),
    ];
    if let Some(old) = &doc.supersedes {
        b.push(Block::Paragraph(Paragraph::body(format!("本文书替代 {old}")).align(Align::Right).size(10.5)));
    }
    b.push(Block::Space(8.0));
    match doc.kind {
        Kind::InspectionRecord => record(doc, &mut b),
        Kind::RectificationOrder => order(doc, &mut b),
        Kind::ReviewOpinion => review(doc, &mut b),
    }
    let mut f = Flow::new(b);
    f.header = format!("{} · {} · {}", doc.issuer, doc.kind.title(), doc.number);
    f
}

fn inspectors_line(doc: &Document) -> String {
    doc.inspectors.iter().map(|i| format!("{}（执法证号：{}）", i.name, i.certificate)).collect::<Vec<_>>().join("、")
}

/// Signatures, the seal and the copies note, kept together on one page.
fn closing(doc: &Document, unit_role: &str) -> Block {
    let Block::Keep(mut blocks) = signatures(doc, unit_role) else { unreachable!() };
    blocks.push(seal(doc));
    blocks.push(copies_note());
    Block::Keep(blocks)
}

fn signatures(doc: &Document, unit_role: &str) -> Block {
    let mut rows = Vec::new();
    for i in &doc.inspectors {
        rows.push(Block::Paragraph(
            Paragraph::spans(vec![
                Span::new("安全生产执法人员（签名）："),
                Span::underlined(BLANK),
                Span::new(format!("\u{3000}证号：{}", i.certificate)),
            ])
            .indent(0.0)
            .space(6.0, 0.0),
        ));
    }
    rows.push(Block::Paragraph(
        Paragraph::spans(vec![
            Span::new(format!("{unit_role}（签名）：")),
            Span::underlined(BLANK),
            Span::new("\u{3000}\u{3000}年\u{3000}月\u{3000}日"),
        ])
        .indent(0.0)
        .space(6.0, 0.0),
    ));
    Block::Keep(rows)
}

fn seal(doc: &Document) -> Block {
    Block::Seal(Seal { issuer: doc.issuer.clone(), date: date_cn(doc.issued), label: "（印章）".into() })
}

fn copies_note() -> Block {
    Block::Paragraph(
        Paragraph::body("本文书一式两份：一份由应急管理部门存档，一份交被检查单位。")
            .size(10.5)
            .indent(0.0)
            .space(6.0, 0.0),
    )
}

fn remedies(doc: &Document, what: &str) -> Block {
    let r = &doc.remedies;
    body(format!(
        "如果不服本{what}，可以依法在60日内向{}或者{}申请行政复议，或者在6个月内依法向{}提起行政诉讼，但本{what}不停止执行，法律另有规定的除外。",
        r.government, r.department, r.court
    ))
}

fn record(doc: &Document, b: &mut Vec<Block>) {
    let u = &doc.unit;
    b.push(field("被检查单位", &u.name));
    b.push(field("地址", &u.address));
    b.push(fields(&[("法定代表人（负责人）", &u.representative), ("职务", &u.position), ("联系电话", &u.phone)]));
    b.push(field("检查场所", &doc.place));
    b.push(field("检查时间", &format!("{}至{}", datetime_cn(doc.started), datetime_cn(doc.ended))));
    b.push(field("检查人员", &inspectors_line(doc)));
    let names: Vec<&str> = doc.inspectors.iter().map(|i| i.name.as_str()).collect();
    let certs: Vec<&str> = doc.inspectors.iter().map(|i| i.certificate.as_str()).collect();
    b.push(body(format!(
        "我们是{}执法人员{}，证件号码为{}，这是我们的证件（出示证件）。现依法对你单位进行现场检查，请予配合。",
        doc.issuer,
        names.join("、"),
        certs.join("、")
    )));
    b.push(Block::Paragraph(Paragraph::heading("检查情况：")));
    if !doc.situation.is_empty() {
        b.push(body(doc.situation.clone()));
    }
    if doc.findings.is_empty() {
        b.push(body("未发现安全生产违法行为和事故隐患。"));
    } else {
        b.push(body("检查发现以下问题："));
        for (i, f) in doc.findings.iter().enumerate() {
            let basis = if f.basis.is_empty() { String::new() } else { format!("（依据：{}）", f.basis) };
            b.push(body(format!("{}. {}{}", i + 1, f.description, basis)));
        }
    }
    b.push(body("（以下空白）"));
    b.push(Block::Keep(vec![
        Block::Paragraph(
            Paragraph::spans(vec![
                Span::new("检查人员（签名）："),
                Span::underlined(BLANK),
                Span::new("\u{3000}"),
                Span::underlined(BLANK),
            ])
            .indent(0.0)
            .space(10.0, 0.0),
        ),
        Block::Paragraph(
            Paragraph::spans(vec![
                Span::new("被检查单位现场负责人（签名）："),
                Span::underlined(BLANK),
                Span::new("\u{3000}\u{3000}年\u{3000}月\u{3000}日"),
            ])
            .indent(0.0)
            .space(6.0, 0.0),
        ),
        Block::Paragraph(
            Paragraph::body(format!("{}\u{3000}{}", doc.issuer, date_cn(doc.issued)))
                .align(Align::Right)
                .space(10.0, 0.0),
        ),
    ]));
}

fn findings_table(doc: &Document, review: bool) -> Block {
    let mut cols = vec![Column::new(0.9, Align::Center), Column::new(4.6, Align::Left), Column::new(3.4, Align::Left)];
    let mut head = vec!["序号".to_string(), "存在的问题".to_string(), "违反的规定（依据）".to_string()];
    cols.push(Column::new(2.6, Align::Center));
    head.push("整改期限".into());
    if review {
        cols.push(Column::new(2.8, Align::Left));
        head.push("复查结果".into());
    }
    let mut t = Table::new(cols, head);
    for (i, f) in doc.findings.iter().enumerate() {
        let mut row = vec![(i + 1).to_string(), f.description.clone(), f.basis.clone()];
        row.push(f.deadline.map(|d| format!("{}前", date_cn(d))).unwrap_or_else(|| "—".into()));
        if review {
            let r = f.review.as_ref();
            let verdict = r.map_or("—".to_string(), |r| {
                let v = if r.rectified { "已整改" } else { "未整改" };
                if r.note.is_empty() { v.to_string() } else { format!("{v}：{}", r.note) }
            });
            row.push(verdict);
        }
        t = t.row(row);
    }
    Block::Table(t)
}

/// "第1、2项问题于2026年11月5日前、第3项问题于2026年11月20日前": findings grouped by deadline.
fn deadlines_clause(doc: &Document) -> String {
    let mut by: Vec<(Date, Vec<usize>)> = Vec::new();
    for (i, f) in doc.findings.iter().enumerate() {
        let Some(d) = f.deadline else { continue };
        match by.iter_mut().find(|(x, _)| *x == d) {
            Some((_, v)) => v.push(i + 1),
            None => by.push((d, vec![i + 1])),
        }
    }
    by.sort_by_key(|(d, _)| *d);
    by.iter()
        .map(|(d, ns)| {
            let ns: Vec<String> = ns.iter().map(|n| n.to_string()).collect();
            format!("第{}项问题于{}前", ns.join("、"), date_cn(*d))
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn order(doc: &Document, b: &mut Vec<Block>) {
    b.push(Block::Paragraph(Paragraph::spans(vec![Span::bold(format!("{}：", doc.unit.name))]).indent(0.0)));
    b.push(body(format!(
        "{}至{}，本机关执法人员{}对你单位{}进行了检查。经查，你单位存在下列问题：",
        datetime_cn(doc.started),
        datetime_cn(doc.ended),
        inspectors_line(doc),
        doc.place
    )));
    b.push(findings_table(doc, false));
    if !doc.situation.is_empty() {
        b.push(body(doc.situation.clone()));
    }
    let basis =
        if doc.order_basis.is_empty() { String::new() } else { format!("依据{}的规定，", doc.order_basis) };
    b.push(body(format!(
        "以上问题违反了相关法律法规和标准的规定。{basis}现责令你单位对上述{}整改完毕，达到有关法律法规规章和标准规定的要求。由此造成事故的，依法追究有关人员的责任。",
        deadlines_clause(doc)
    )));
    b.push(body("整改期间，你单位应当采取措施，确保安全生产。对安全生产违法行为，将依法予以行政处罚。"));
    b.push(remedies(doc, "指令"));
    b.push(closing(doc, "被检查单位负责人"));
}

fn review(doc: &Document, b: &mut Vec<Block>) {
    b.push(Block::Paragraph(Paragraph::spans(vec![Span::bold(format!("{}：", doc.unit.name))]).indent(0.0)));
    let of = doc.review_of.as_ref();
    b.push(body(format!(
        "本机关于{}作出了《责令限期整改指令书》（{}）。{}至{}，本机关执法人员{}对你单位整改情况进行了复查，提出如下意见：",
        of.map_or(String::new(), |r| date_cn(r.date)),
        of.map_or("", |r| r.number.as_str()),
        datetime_cn(doc.started),
        datetime_cn(doc.ended),
        inspectors_line(doc)
    )));
    b.push(findings_table(doc, true));
    let done = doc.findings.iter().filter(|f| f.review.as_ref().is_some_and(|r| r.rectified)).count();
    let total = doc.findings.len();
    let summary = if done == total {
        format!("经复查，上述{total}项问题已全部整改完毕。")
    } else {
        format!("经复查，上述{total}项问题中{done}项已整改，{}项未整改，对未整改的问题将依法处理。", total - done)
    };
    b.push(Block::Paragraph(Paragraph::heading("复查意见：")));
    b.push(body(summary));
    if !doc.situation.is_empty() {
        b.push(body(doc.situation.clone()));
    }
    b.push(remedies(doc, "意见"));
    b.push(closing(doc, "被复查单位负责人"));
}

/// A realistic document with `n` findings (for examples, tests and benchmarks).
pub fn example(kind: Kind, n: usize) -> Document {
    let d = |y: i16, m: i8, day: i8| Date::new(y, m, day).expect("valid date");
    let problems = [
        (
            "施工现场临时用电配电箱未设置漏电保护器，部分电缆随地拖拉、浸水，存在触电风险。",
            "《施工现场临时用电安全技术规范》（JGJ 46-2005）第8.2.8条",
        ),
        ("二号厂房消防通道被成品货物堵塞，疏散指示标志损坏未及时修复。", "《中华人民共和国消防法》第二十八条"),
        ("危险化学品仓库未设置可燃气体检测报警装置，甲类物品与乙类物品混存。", "《危险化学品安全管理条例》第二十四条"),
        ("特种作业人员（电焊工）2名未取得特种作业操作证上岗作业。", "《中华人民共和国安全生产法》第三十条第一款"),
        ("未建立生产安全事故隐患排查治理制度，隐患排查记录不全。", "《中华人民共和国安全生产法》第四十一条第二款"),
        (
            "有限空间作业未执行“先通风、再检测、后作业”要求，未配备气体检测仪。",
            "《工贸企业有限空间作业安全规定》第十四条",
        ),
        ("塔式起重机力矩限制器失效，司机未持证上岗。", "《建筑起重机械安全监督管理规定》第十八条"),
        ("未按规定对从业人员进行安全生产教育和培训，培训档案缺失。", "《中华人民共和国安全生产法》第二十八条第一款"),
        ("生产安全事故应急救援预案未按规定组织演练。", "《生产安全事故应急预案管理办法》第三十三条"),
        (
            "高处作业平台防护栏杆高度不足1.2m，未挂设安全网。",
            "《建筑施工高处作业安全技术规范》（JGJ 80-2016）第4.1.1条",
        ),
    ];
    let findings = (0..n)
        .map(|i| {
            let (desc, basis) = problems[i % problems.len()];
            Finding {
                description: desc.into(),
                basis: basis.into(),
                deadline: (kind != Kind::InspectionRecord)
                    .then(|| if i % 3 == 0 { d(2026, 11, 5) } else { d(2026, 11, 20) }),
                review: (kind == Kind::ReviewOpinion).then(|| Review {
                    rectified: i % 4 != 3,
                    note: if i % 4 != 3 { "现场核查已整改".into() } else { "仍未整改".into() },
                }),
            }
        })
        .collect();
    Document {
        kind,
        number: match kind {
            Kind::InspectionRecord => "安澜应急检记〔2026〕15号",
            Kind::RectificationOrder => "安澜应急责改〔2026〕15号",
            Kind::ReviewOpinion => "安澜应急复查〔2026〕15号",
        }
        .into(),
        issuer: "安澜市应急管理局".into(),
        unit: Unit {
            name: "安澜市鑫达化工有限公司".into(),
            address: "安澜市临江区滨江路88号".into(),
            representative: "王建国".into(),
            position: "总经理".into(),
            phone: "0591-87654321".into(),
        },
        place: "生产车间、危险化学品仓库及配电房".into(),
        started: d(2026, 10, 20).at(9, 30, 0, 0),
        ended: d(2026, 10, 20).at(11, 45, 0, 0),
        inspectors: vec![
            Inspector { name: "张明".into(), certificate: "35010020001".into() },
            Inspector { name: "李华".into(), certificate: "35010020002".into() },
        ],
        situation: match kind {
            Kind::InspectionRecord => "检查组对该单位安全生产责任制落实、隐患排查治理、危险化学品储存、临时用电及特种作业人员持证情况进行了现场检查，查阅了相关台账资料。".into(),
            _ => String::new(),
        },
        findings,
        order_basis: "《中华人民共和国安全生产法》第六十五条第一款第（三）项".into(),
        review_of: (kind == Kind::ReviewOpinion)
            .then(|| Reference { number: "安澜应急责改〔2026〕15号".into(), date: d(2026, 10, 20) }),
        remedies: Remedies {
            government: "安澜市人民政府".into(),
            department: "安澜省应急管理厅".into(),
            court: "安澜市临江区人民法院".into(),
        },
        issued: if kind == Kind::ReviewOpinion { d(2026, 11, 21) } else { d(2026, 10, 20) },
        supersedes: None,
    }
}
