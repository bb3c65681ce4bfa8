//! Periodic reports (周报 / 月报): a title, a narrative paragraph and
//! sections with a chart and a table each, rendered as PDF (Chinese fonts,
//! vector charts) or XLSX (one sheet per table, numbers as numbers).
//!
//! The caller decides what the report says ([`Report`]); this module only
//! renders it, so the same content gives the PDF and the workbook.

use crate::Error;
use crate::chart::Chart;
use crate::fonts::FontSet;
use crate::layout::{Align, Block, Column, Flow, Paragraph, Rgb, Table, layout};
use crate::pdf::{Meta, write};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};
use serde::Serialize;

/// One table cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A fraction (0.813), shown as a percentage (81.3%).
    Rate(f64),
    /// A number with one decimal (days, scores).
    Num(f64),
    Empty,
}

impl Cell {
    /// As printed in the PDF.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Rate(r) => percent(*r),
            Cell::Num(x) => format!("{x:.1}"),
            Cell::Empty => "—".into(),
        }
    }
}

/// 0.8125 → "81.3%".
pub fn percent(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// A table of a section (also one sheet of the workbook).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sheet {
    /// Sheet name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    pub header: Vec<String>,
    /// Relative column widths in the PDF.
    pub widths: Vec<f32>,
    pub rows: Vec<Vec<Cell>>,
}

/// A numbered section: heading, paragraphs, an optional chart and table.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub chart: Option<Chart>,
    pub table: Option<Sheet>,
}

/// A periodic report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// e.g. "安澜市临江区安全生产隐患排查治理月报".
    pub title: String,
    /// e.g. "2026年10月（2026年10月1日至10月31日）".
    pub period: String,
    /// Who the report is from, e.g. "安澜市应急管理局 · 安监平台".
    pub author: String,
    /// When it was generated (Beijing time), printed and set as the file's date.
    pub generated: jiff::civil::DateTime,
    /// The summary paragraph.
    pub narrative: String,
    /// How the narrative was written (rules, or rewritten by a language model, or the model failed).
    pub narrative_note: String,
    pub sections: Vec<Section>,
    /// Identifies the report in the PDF metadata, e.g. "report:379901:2026-10".
    pub id: String,
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn flow(r: &Report) -> Flow {
    let mut b = vec![
        Block::Paragraph(Paragraph::title(r.title.clone()).size(20.0)),
        Block::Paragraph(Paragraph::body(r.period.clone()).align(Align::Center).size(12.0)),
        Block::Paragraph(
            Paragraph::body(format!("{} · 生成于 {}", r.author, r.generated.strftime("%Y-%m-%d %H:%M")))
                .align(Align::Center)
                .size(10.0)
                .color(Rgb::GREY)
                .space(0.0, 8.0),
        ),
        Block::Paragraph(Paragraph::heading(format!("{}、总体情况", NUMERALS[0])).size(15.0)),
        Block::Paragraph(Paragraph::body(r.narrative.clone()).size(12.0)),
        Block::Paragraph(
            Paragraph::body(r.narrative_note.clone()).size(9.0).color(Rgb::GREY).indent(0.0).space(2.0, 6.0),
        ),
    ];
    for (i, s) in r.sections.iter().enumerate() {
        let n = NUMERALS.get(i + 1).copied().unwrap_or("十");
        b.push(Block::Paragraph(Paragraph::heading(format!("{n}、{}", s.heading)).size(15.0).space(8.0, 2.0)));
        for p in &s.paragraphs {
            b.push(Block::Paragraph(Paragraph::body(p.clone()).size(12.0)));
        }
        if let Some(c) = &s.chart {
            b.push(Block::Chart(c.clone()));
        }
        if let Some(t) = &s.table {
            b.push(Block::Table(pdf_table(t)));
        }
    }
    let mut f = Flow::new(b);
    f.header = format!("{} · {}", r.title, r.period);
    f
}

fn pdf_table(s: &Sheet) -> Table {
    let cols = s
        .widths
        .iter()
        .enumerate()
        .map(|(i, w)| Column::new(*w, if i == 0 { Align::Left } else { Align::Right }))
        .collect();
    let mut t = Table::new(cols, s.header.clone());
    t.size = 9.0;
    for row in &s.rows {
        t = t.row(row.iter().map(Cell::display).collect());
    }
    t
}

/// Renders the report as PDF with the bundled fonts.
pub fn render_pdf(r: &Report) -> Result<Vec<u8>, Error> {
    render_pdf_with(r, FontSet::bundled())
}

/// Renders the report as PDF with the given fonts.
pub fn render_pdf_with(r: &Report, fonts: &FontSet) -> Result<Vec<u8>, Error> {
    let laid = layout(&flow(r), fonts)?;
    write(&laid, fonts, &Meta { title: r.title.clone(), author: r.author.clone(), id: r.id.clone(), date: r.generated })
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Xlsx(e.to_string())
}

/// A valid, unique sheet name.
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(28).collect();
    let mut n = if clean.is_empty() { "表".to_string() } else { clean.clone() };
    let mut k = 2;
    while taken.contains(&n) {
        n = format!("{clean}{k}");
        k += 1;
    }
    n
}

/// Renders the report as an XLSX workbook: sheet 概况 with the title, period,
/// narrative and its note, then one sheet per section table (counts as
/// integers, rates as fractions formatted as percentages).
pub fn render_xlsx(r: &Report) -> Result<Vec<u8>, Error> {
    let mut wb = Workbook::new();
    let g = r.generated;
    let when = ExcelDateTime::from_ymd(g.year() as u16, g.month() as u8, g.day() as u8)
        .and_then(|d| d.and_hms(g.hour() as u16, g.minute() as u8, g.second() as u8))
        .map_err(xlsx_error)?;
    wb.set_properties(&DocProperties::new().set_title(&r.title).set_author(&r.author).set_creation_datetime(&when));
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let pct = Format::new().set_num_format("0.0%");
    let num = Format::new().set_num_format("0.0");
    let head = Format::new().set_bold().set_background_color("#EBEBEB").set_border(rust_xlsxwriter::FormatBorder::Thin);

    let ws = wb.add_worksheet();
    ws.set_name("概况").map_err(xlsx_error)?;
    ws.set_column_width(0, 14).map_err(xlsx_error)?;
    ws.set_column_width(1, 90).map_err(xlsx_error)?;
    ws.write_string_with_format(0, 0, &r.title, &title).map_err(xlsx_error)?;
    let rows: [(&str, &str); 5] = [
        ("报告期", &r.period),
        ("编制", &r.author),
        ("生成时间", &g.strftime("%Y-%m-%d %H:%M").to_string()),
        ("总体情况", &r.narrative),
        ("说明", &r.narrative_note),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_string_with_format(row, 0, *k, &bold).map_err(xlsx_error)?;
        ws.write_string_with_format(row, 1, *v, &wrap).map_err(xlsx_error)?;
    }
    ws.set_row_height(5, 120).map_err(xlsx_error)?;
    let mut taken = vec!["概况".to_string()];
    for s in &r.sections {
        let Some(t) = &s.table else { continue };
        let name = sheet_name(&t.name, &taken);
        taken.push(name.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&name).map_err(xlsx_error)?;
        for (c, h) in t.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &head).map_err(xlsx_error)?;
            let w = t.widths.get(c).copied().unwrap_or(1.0) * 6.0;
            ws.set_column_width(c as u16, w.clamp(8.0, 40.0)).map_err(xlsx_error)?;
        }
        for (ri, row) in t.rows.iter().enumerate() {
            let rr = ri as u32 + 1;
            for (ci, cell) in row.iter().enumerate() {
                let cc = ci as u16;
                match cell {
                    Cell::Text(s) => ws.write_string(rr, cc, s).map(|_| ()),
                    Cell::Int(n) => ws.write_number(rr, cc, *n as f64).map(|_| ()),
                    Cell::Rate(x) => ws.write_number_with_format(rr, cc, *x, &pct).map(|_| ()),
                    Cell::Num(x) => ws.write_number_with_format(rr, cc, *x, &num).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(xlsx_error)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_cleaned_and_unique() {
        let taken = vec!["分区域".to_string()];
        assert_eq!(sheet_name("分区域", &taken), "分区域2");
        assert_eq!(sheet_name("a/b:c", &[]), "abc");
        assert_eq!(sheet_name("", &[]), "表");
    }

    #[test]
    fn cells_print_like_the_statistics() {
        assert_eq!(Cell::Rate(0.8126).display(), "81.3%");
        assert_eq!(Cell::Int(42).display(), "42");
        assert_eq!(Cell::Num(3.04).display(), "3.0");
    }
}
