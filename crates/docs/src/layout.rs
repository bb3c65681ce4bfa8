//! Page layout: blocks (paragraphs, tables, seal blocks, charts, rules)
//! flowed onto A4 pages, with a running header and the footer
//! 第 N 页 共 M 页. The result is a list of positioned drawing operations
//! per page ([`Laid`]), independent of the PDF writer (`pdf.rs`), so the
//! layout can be built, inspected and measured on its own.
//!
//! Units are PostScript points, origin at the top left of the page, y down.

use crate::Error;
use crate::chart::Chart;
use crate::fonts::{FontSet, Weight};
use crate::linebreak::{break_lines, is_cjk};
use std::ops::Range;

/// Millimetres to points.
pub const MM: f32 = 72.0 / 25.4;

/// Page size and margins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub width: f32,
    pub height: f32,
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

impl Geometry {
    /// A4 portrait with the type area of GB/T 9704-2012 (党政机关公文格式):
    /// top margin 37 mm, left 28 mm, type area 156 × 225 mm.
    pub const A4: Geometry = Geometry {
        width: 210.0 * MM,
        height: 297.0 * MM,
        top: 37.0 * MM,
        bottom: 35.0 * MM,
        left: 28.0 * MM,
        right: 26.0 * MM,
    };

    pub fn body_width(&self) -> f32 {
        self.width - self.left - self.right
    }

    fn body_bottom(&self) -> f32 {
        self.height - self.bottom
    }
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const GREY: Rgb = Rgb(110, 110, 110);
    pub const LIGHT: Rgb = Rgb(235, 235, 235);
    /// The red of official seals and header rules.
    pub const SEAL: Rgb = Rgb(200, 30, 30);
}

/// Horizontal alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    /// Both edges (两端对齐); the last line of a paragraph is left-aligned.
    Justify,
}

/// A run of text in one weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub text: String,
    pub weight: Weight,
    /// Drawn with a line under it (filled-in form fields).
    pub underline: bool,
}

impl Span {
    pub fn new(text: impl Into<String>) -> Span {
        Span { text: text.into(), weight: Weight::Regular, underline: false }
    }
    pub fn bold(text: impl Into<String>) -> Span {
        Span { text: text.into(), weight: Weight::Bold, underline: false }
    }
    pub fn underlined(text: impl Into<String>) -> Span {
        Span { text: text.into(), weight: Weight::Regular, underline: true }
    }
}

/// A paragraph: spans broken into lines with the kinsoku rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Paragraph {
    pub spans: Vec<Span>,
    /// Font size in points.
    pub size: f32,
    /// Line pitch as a multiple of the size.
    pub leading: f32,
    pub align: Align,
    /// First-line indent in ems (2 for Chinese body text).
    pub indent: f32,
    /// Indent of every line in points (lists, hanging text).
    pub inset: f32,
    pub space_before: f32,
    pub space_after: f32,
    /// Never end a page with this paragraph (headings).
    pub keep_with_next: bool,
    pub color: Rgb,
}

impl Paragraph {
    /// Body text: 14 pt (四号), justified, first line indented two characters.
    pub fn body(text: impl Into<String>) -> Paragraph {
        Paragraph::spans(vec![Span::new(text)])
    }

    pub fn spans(spans: Vec<Span>) -> Paragraph {
        Paragraph {
            spans,
            size: 14.0,
            leading: 1.5,
            align: Align::Justify,
            indent: 2.0,
            inset: 0.0,
            space_before: 0.0,
            space_after: 0.0,
            keep_with_next: false,
            color: Rgb::BLACK,
        }
    }

    /// A document title: bold, centred, 22 pt (二号).
    pub fn title(text: impl Into<String>) -> Paragraph {
        Paragraph {
            size: 22.0,
            leading: 1.4,
            space_after: 6.0,
            keep_with_next: true,
            align: Align::Center,
            ..Paragraph::heading(text)
        }
    }

    /// A heading: bold, left, no indent, kept with the next block.
    pub fn heading(text: impl Into<String>) -> Paragraph {
        Paragraph {
            align: Align::Left,
            indent: 0.0,
            keep_with_next: true,
            space_before: 4.0,
            ..Paragraph::spans(vec![Span::bold(text)])
        }
    }

    pub fn align(mut self, a: Align) -> Paragraph {
        self.align = a;
        if a != Align::Justify {
            self.indent = 0.0;
        }
        self
    }
    pub fn size(mut self, s: f32) -> Paragraph {
        self.size = s;
        self
    }
    pub fn indent(mut self, ems: f32) -> Paragraph {
        self.indent = ems;
        self
    }
    pub fn inset(mut self, pt: f32) -> Paragraph {
        self.inset = pt;
        self
    }
    pub fn space(mut self, before: f32, after: f32) -> Paragraph {
        self.space_before = before;
        self.space_after = after;
        self
    }
    pub fn color(mut self, c: Rgb) -> Paragraph {
        self.color = c;
        self
    }
    pub fn keep_with_next(mut self) -> Paragraph {
        self.keep_with_next = true;
        self
    }

    fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A table column: relative width and alignment of its cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub width: f32,
    pub align: Align,
}

impl Column {
    pub fn new(width: f32, align: Align) -> Column {
        Column { width, align }
    }
}

/// A table with wrapped cells; the header row is repeated on every page the table continues on.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub size: f32,
}

impl Table {
    pub fn new(columns: Vec<Column>, header: Vec<String>) -> Table {
        Table { columns, header, rows: Vec::new(), size: 10.5 }
    }
    pub fn row(mut self, cells: Vec<String>) -> Table {
        self.rows.push(cells);
        self
    }
}

/// The issuing department's signature and date at the right, with the seal's
/// place marked by a dashed circle over them (GB/T 9704: 成文日期右空四字,
/// the seal pressing down on the signature and the date).
#[derive(Clone, Debug, PartialEq)]
pub struct Seal {
    pub issuer: String,
    pub date: String,
    /// The words inside the circle, e.g. "（印章）".
    pub label: String,
}

/// One element of the flow.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Paragraph(Paragraph),
    Table(Table),
    Seal(Seal),
    Chart(Chart),
    /// Vertical space in points.
    Space(f32),
    /// A horizontal rule across the type area.
    Rule {
        color: Rgb,
        width: f32,
    },
    /// Blocks that move to the next page together rather than split.
    Keep(Vec<Block>),
    PageBreak,
}

/// A document to lay out.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub geometry: Geometry,
    /// Small text above the type area on every page but the first (none if empty).
    pub header: String,
    /// Print 第 N 页 共 M 页 below the type area.
    pub page_numbers: bool,
    pub blocks: Vec<Block>,
}

impl Flow {
    pub fn new(blocks: Vec<Block>) -> Flow {
        Flow { geometry: Geometry::A4, header: String::new(), page_numbers: true, blocks }
    }
}

/// One glyph of a text run.
#[derive(Clone, Debug, PartialEq)]
pub struct Glyph {
    pub id: u32,
    /// Advance in ems (including any justification space after it).
    pub advance: f32,
    /// Bytes of the run's text this glyph stands for.
    pub range: Range<usize>,
}

/// Text in one face at one position.
#[derive(Clone, Debug, PartialEq)]
pub struct TextRun {
    pub x: f32,
    /// Baseline.
    pub y: f32,
    pub size: f32,
    pub weight: Weight,
    /// Index of the face in the weight's chain of the [`FontSet`].
    pub face: usize,
    pub text: String,
    pub glyphs: Vec<Glyph>,
    pub color: Rgb,
}

/// A positioned drawing operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Text(TextRun),
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
        dash: Option<f32>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    /// A polygon (closed) or polyline.
    Path {
        points: Vec<(f32, f32)>,
        closed: bool,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    /// A circular sector from angle `a0` to `a1` (radians, clockwise from 12 o'clock), or a full circle.
    Sector {
        cx: f32,
        cy: f32,
        r: f32,
        a0: f32,
        a1: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
        dash: Option<f32>,
    },
}

/// The laid-out document: operations per page.
#[derive(Clone, Debug, PartialEq)]
pub struct Laid {
    pub geometry: Geometry,
    pub pages: Vec<Vec<Op>>,
}

impl Laid {
    /// All text of a page in drawing order (for tests and search).
    pub fn page_text(&self, page: usize) -> String {
        self.pages[page]
            .iter()
            .filter_map(|op| match op {
                Op::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Measures and shapes text with a font set, remembering characters no face has.
pub(crate) struct Shaper<'f> {
    pub(crate) fonts: &'f FontSet,
    missing: Vec<char>,
}

impl<'f> Shaper<'f> {
    pub(crate) fn new(fonts: &'f FontSet) -> Shaper<'f> {
        Shaper { fonts, missing: Vec::new() }
    }

    pub(crate) fn char_width(&self, w: Weight, c: char, size: f32) -> f32 {
        if c.is_control() { 0.0 } else { self.fonts.advance(w, c) * size }
    }

    pub(crate) fn width(&self, text: &str, w: Weight, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(w, c, size)).sum()
    }

    /// Text runs for `text` starting at `x` on baseline `y`, split where the face changes;
    /// `spacing` is added after each glyph at a justifiable gap (`next` is the
    /// character that follows `text` on the line). Returns the end x.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn runs(
        &mut self,
        out: &mut Vec<Op>,
        text: &str,
        next: Option<char>,
        w: Weight,
        size: f32,
        x: f32,
        y: f32,
        spacing: f32,
        color: Rgb,
    ) -> f32 {
        let mut x = x;
        let mut run: Option<TextRun> = None;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_control() {
                continue;
            }
            let extra = match chars.peek().copied().or(next) {
                Some(n) if spacing != 0.0 && (is_cjk(c) || is_cjk(n)) => spacing,
                _ => 0.0,
            };
            let Some((face, id, advance)) = self.fonts.resolve(w, c) else {
                if !self.missing.contains(&c) {
                    self.missing.push(c);
                }
                continue;
            };
            if run.as_ref().is_some_and(|r| r.face != face) {
                out.extend(run.take().map(Op::Text));
            }
            let r = run.get_or_insert_with(|| TextRun {
                x,
                y,
                size,
                weight: w,
                face,
                text: String::new(),
                glyphs: Vec::new(),
                color,
            });
            let start = r.text.len();
            r.text.push(c);
            r.glyphs.push(Glyph { id, advance: advance + extra / size, range: start..r.text.len() });
            x += advance * size + extra;
        }
        out.extend(run.map(Op::Text));
        x
    }

    /// Text aligned in `[x, x + width]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn aligned(
        &mut self,
        out: &mut Vec<Op>,
        text: &str,
        w: Weight,
        size: f32,
        x: f32,
        width: f32,
        y: f32,
        align: Align,
        color: Rgb,
    ) {
        let tw = self.width(text, w, size);
        let x = match align {
            Align::Left | Align::Justify => x,
            Align::Center => x + (width - tw) / 2.0,
            Align::Right => x + width - tw,
        };
        self.runs(out, text, None, w, size, x, y, 0.0, color);
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.missing.is_empty() { Ok(()) } else { Err(Error::MissingGlyphs(self.missing)) }
    }
}

/// Lines of a paragraph: for each, the byte range in the paragraph text and its visible width.
fn paragraph_lines(s: &Shaper, p: &Paragraph, width: f32) -> Vec<(Range<usize>, f32)> {
    let text = p.text();
    let weights = span_weights(p);
    let weight_at = |i: usize| weights.iter().find(|(r, _)| r.contains(&i)).map_or(Weight::Regular, |x| x.1);
    let first = width - p.inset - p.indent * p.size;
    let rest = width - p.inset;
    let ranges = break_lines(&text, |i, c| s.char_width(weight_at(i), c, p.size), first, rest);
    ranges
        .into_iter()
        .map(|r| {
            let visible = text[r.clone()].trim_end_matches([' ', '\n', '\t']);
            let w = visible.char_indices().map(|(i, c)| s.char_width(weight_at(r.start + i), c, p.size)).sum();
            (r, w)
        })
        .collect()
}

/// Gaps between adjacent characters of which at least one is CJK.
fn justifiable_gaps(line: &str) -> usize {
    let cs: Vec<char> = line.chars().filter(|c| !c.is_control()).collect();
    cs.windows(2).filter(|w| is_cjk(w[0]) || is_cjk(w[1])).count()
}

fn span_weights(p: &Paragraph) -> Vec<(Range<usize>, Weight)> {
    let mut at = 0;
    p.spans
        .iter()
        .map(|s| {
            let r = at..at + s.text.len();
            at = r.end;
            (r, s.weight)
        })
        .collect()
}

/// The layout in progress.
struct Pager<'f> {
    shaper: Shaper<'f>,
    geo: Geometry,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Pager<'f> {
    fn new(fonts: &'f FontSet, geo: Geometry) -> Pager<'f> {
        Pager { shaper: Shaper::new(fonts), geo, pages: vec![Vec::new()], y: geo.top }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn remaining(&self) -> f32 {
        self.geo.body_bottom() - self.y
    }

    fn at_top(&self) -> bool {
        (self.y - self.geo.top).abs() < 0.01
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.geo.top;
    }

    /// Starts a new page unless `h` fits on this one (or this page is still empty).
    fn need(&mut self, h: f32) {
        if h > self.remaining() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    fn block(&mut self, b: &Block, next: Option<&Block>) {
        match b {
            Block::Paragraph(p) => self.paragraph(p, next),
            Block::Table(t) => self.table(t),
            Block::Seal(s) => self.seal(s),
            Block::Chart(c) => {
                self.need(c.height);
                let (x, y, w) = (self.geo.left, self.y, self.geo.body_width());
                let mut ops = Vec::new();
                c.draw(&mut self.shaper, &mut ops, x, y, w);
                self.ops().extend(ops);
                self.y += c.height;
            }
            Block::Space(h) => {
                if !self.at_top() {
                    self.y = (self.y + h).min(self.geo.body_bottom());
                }
            }
            Block::Rule { color, width } => {
                self.need(*width + 2.0);
                let (x1, x2, y) = (self.geo.left, self.geo.width - self.geo.right, self.y + width / 2.0);
                self.ops().push(Op::Line { x1, y1: y, x2, y2: y, width: *width, color: *color, dash: None });
                self.y += width + 2.0;
            }
            Block::Keep(blocks) => {
                let h: f32 = blocks.iter().map(|b| self.height(b)).sum();
                self.need(h);
                for (i, b) in blocks.iter().enumerate() {
                    self.block(b, blocks.get(i + 1));
                }
            }
            Block::PageBreak => {
                if !self.at_top() {
                    self.new_page();
                }
            }
        }
    }

    /// Height of a block laid out at the top of a page (for keeping blocks together).
    fn height(&self, b: &Block) -> f32 {
        let width = self.geo.body_width();
        match b {
            Block::Paragraph(p) => {
                let n = paragraph_lines(&self.shaper, p, width).len() as f32;
                p.space_before + n * p.size * p.leading + p.space_after
            }
            Block::Table(t) => {
                let widths = column_widths(t, width);
                let head = row_height(&self.shaper, t, &t.header, &widths, Weight::Bold);
                head + t.rows.iter().map(|r| row_height(&self.shaper, t, r, &widths, Weight::Regular)).sum::<f32>()
            }
            Block::Seal(_) => SEAL_HEIGHT,
            Block::Chart(c) => c.height,
            Block::Space(h) => *h,
            Block::Rule { width, .. } => width + 2.0,
            Block::Keep(bs) => bs.iter().map(|b| self.height(b)).sum(),
            Block::PageBreak => 0.0,
        }
    }

    /// Height of the first line (or row) of a block: what must fit after a heading.
    fn first_line_height(&self, b: &Block) -> f32 {
        match b {
            Block::Paragraph(p) => p.space_before + p.size * p.leading,
            Block::Table(t) => {
                let widths = column_widths(t, self.geo.body_width());
                let head = row_height(&self.shaper, t, &t.header, &widths, Weight::Bold);
                head + t.rows.first().map_or(0.0, |r| row_height(&self.shaper, t, r, &widths, Weight::Regular))
            }
            other => self.height(other),
        }
    }

    fn paragraph(&mut self, p: &Paragraph, next: Option<&Block>) {
        let width = self.geo.body_width();
        let lines = paragraph_lines(&self.shaper, p, width);
        let pitch = p.size * p.leading;
        let mut own = p.space_before + pitch;
        if p.keep_with_next {
            own = p.space_before + pitch * lines.len() as f32 + p.space_after;
            own += next.map_or(0.0, |n| self.first_line_height(n));
        }
        self.need(own);
        if !self.at_top() {
            self.y += p.space_before;
        }
        let text = p.text();
        let spans = span_weights(p);
        let last = lines.len() - 1;
        for (li, (range, line_w)) in lines.iter().enumerate() {
            self.need(pitch);
            let indent = p.inset + if li == 0 { p.indent * p.size } else { 0.0 };
            let avail = width - indent;
            let hard_end = text[range.clone()].ends_with('\n');
            let x0 = self.geo.left
                + indent
                + match p.align {
                    Align::Center => (avail - line_w) / 2.0,
                    Align::Right => avail - line_w,
                    _ => 0.0,
                };
            let visible = text[range.clone()].trim_end_matches([' ', '\n', '\t']);
            // Justification widens the gaps next to CJK characters only: Latin words and numbers keep their spacing.
            let gaps = justifiable_gaps(visible);
            let spacing = if p.align == Align::Justify && li != last && !hard_end && gaps > 0 {
                let s = (avail - line_w) / gaps as f32;
                if s <= p.size * 0.35 { s.max(0.0) } else { 0.0 }
            } else {
                0.0
            };
            // Baseline: the line box is `pitch` tall, the glyphs centred in it.
            let baseline = self.y + (pitch - p.size) / 2.0 + p.size * 0.88;
            let mut x = x0;
            for (sr, weight) in &spans {
                let a = sr.start.max(range.start);
                let b = sr.end.min(range.start + visible.len());
                if a >= b {
                    continue;
                }
                let piece = &text[a..b];
                let next = text[b..range.start + visible.len()].chars().next();
                let mut ops = Vec::new();
                let end = self.shaper.runs(&mut ops, piece, next, *weight, p.size, x, baseline, spacing, p.color);
                let underline = p.spans.iter().zip(&spans).any(|(s, (r, _))| s.underline && r == sr);
                if underline {
                    let uy = baseline + p.size * 0.15;
                    ops.push(Op::Line { x1: x, y1: uy, x2: end, y2: uy, width: 0.6, color: p.color, dash: None });
                }
                self.ops().extend(ops);
                x = end;
            }
            self.y += pitch;
        }
        self.y += p.space_after;
    }

    fn table(&mut self, t: &Table) {
        let widths = column_widths(t, self.geo.body_width());
        let head_h = row_height(&self.shaper, t, &t.header, &widths, Weight::Bold);
        let first_h = t.rows.first().map_or(0.0, |r| row_height(&self.shaper, t, r, &widths, Weight::Regular));
        self.need(head_h + first_h);
        self.table_row(t, &t.header, &widths, Weight::Bold, Some(Rgb::LIGHT));
        for row in &t.rows {
            let h = row_height(&self.shaper, t, row, &widths, Weight::Regular);
            let full_page = self.geo.body_bottom() - self.geo.top - head_h;
            if h > self.remaining() + 0.01 && h <= full_page {
                self.new_page();
                self.table_row(t, &t.header, &widths, Weight::Bold, Some(Rgb::LIGHT));
            }
            self.table_row(t, row, &widths, Weight::Regular, None);
        }
        self.y += 4.0;
    }

    /// Draws one row at the cursor, continuing it on the next page (header
    /// repeated) when it is taller than what is left.
    fn table_row(&mut self, t: &Table, cells: &[String], widths: &[f32], weight: Weight, fill: Option<Rgb>) {
        let pitch = t.size * TABLE_LEADING;
        let lines: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| cell_lines(&self.shaper, c, *w - 2.0 * PAD, weight, t.size))
            .collect();
        let mut from = 0; // first line of each cell still to draw
        loop {
            let total = lines.iter().map(|l| l.len()).max().unwrap_or(1).max(1);
            let left_lines = total - from;
            let fit = (((self.remaining() - 2.0 * PAD) / pitch).floor().max(0.0)) as usize;
            let take = left_lines.min(fit.max(if self.at_top() { 1 } else { 0 }));
            if take == 0 {
                self.new_page();
                self.table_row(t, &t.header, widths, Weight::Bold, Some(Rgb::LIGHT));
                continue;
            }
            let h = take as f32 * pitch + 2.0 * PAD;
            let mut x = self.geo.left;
            let y = self.y;
            let mut ops = Vec::new();
            for (ci, w) in widths.iter().enumerate() {
                ops.push(Op::Rect { x, y, w: *w, h, fill, stroke: Some((Rgb::BLACK, 0.6)) });
                let align = if weight == Weight::Bold { Align::Center } else { t.columns[ci].align };
                for (k, line) in lines[ci].iter().skip(from).take(take).enumerate() {
                    let baseline = y + PAD + k as f32 * pitch + (pitch - t.size) / 2.0 + t.size * 0.88;
                    self.shaper.aligned(
                        &mut ops,
                        line,
                        weight,
                        t.size,
                        x + PAD,
                        w - 2.0 * PAD,
                        baseline,
                        align,
                        Rgb::BLACK,
                    );
                }
                x += w;
            }
            self.ops().extend(ops);
            self.y += h;
            from += take;
            if from >= total {
                return;
            }
            self.new_page();
            if weight == Weight::Regular {
                self.table_row(t, &t.header, widths, Weight::Bold, Some(Rgb::LIGHT));
            }
        }
    }

    fn seal(&mut self, s: &Seal) {
        self.need(SEAL_HEIGHT);
        let size = 14.0;
        let right = self.geo.width - self.geo.right - 4.0 * size; // 右空四字
        let date_w = self.shaper.width(&s.date, Weight::Regular, size);
        let issuer_w = self.shaper.width(&s.issuer, Weight::Regular, size);
        let centre = right - date_w / 2.0; // the signature is centred over the date
        // The circle (a 42 mm seal) spans the block; the signature and date sit across its middle.
        let y_issuer = self.y + 56.0;
        let y_date = y_issuer + size * 1.8;
        let mut ops = Vec::new();
        ops.push(Op::Sector {
            cx: centre,
            cy: (y_issuer + y_date) / 2.0 - size * 0.3,
            r: 21.0 * MM,
            a0: 0.0,
            a1: std::f32::consts::TAU,
            fill: None,
            stroke: Some((Rgb::SEAL, 0.8)),
            dash: Some(3.0),
        });
        let label_w = self.shaper.width(&s.label, Weight::Regular, 10.0);
        self.shaper.runs(
            &mut ops,
            &s.label,
            None,
            Weight::Regular,
            10.0,
            centre - label_w / 2.0,
            self.y + 30.0,
            0.0,
            Rgb::SEAL,
        );
        self.shaper.runs(
            &mut ops,
            &s.issuer,
            None,
            Weight::Regular,
            size,
            centre - issuer_w / 2.0,
            y_issuer,
            0.0,
            Rgb::BLACK,
        );
        self.shaper.runs(
            &mut ops,
            &s.date,
            None,
            Weight::Regular,
            size,
            centre - date_w / 2.0,
            y_date,
            0.0,
            Rgb::BLACK,
        );
        self.ops().extend(ops);
        self.y += SEAL_HEIGHT;
    }

    /// Header and footer on every page, once the page count is known.
    fn finish(mut self, flow: &Flow) -> Result<Laid, Error> {
        let total = self.pages.len();
        let geo = self.geo;
        for (i, page) in self.pages.iter_mut().enumerate() {
            if !flow.header.is_empty() && i > 0 {
                let y = geo.top - 14.0;
                self.shaper.aligned(
                    page,
                    &flow.header,
                    Weight::Regular,
                    9.0,
                    geo.left,
                    geo.body_width(),
                    y,
                    Align::Right,
                    Rgb::GREY,
                );
                let ly = y + 4.0;
                page.push(Op::Line {
                    x1: geo.left,
                    y1: ly,
                    x2: geo.width - geo.right,
                    y2: ly,
                    width: 0.5,
                    color: Rgb::GREY,
                    dash: None,
                });
            }
            if flow.page_numbers {
                let text = format!("第 {} 页 共 {} 页", i + 1, total);
                let y = geo.height - geo.bottom + 28.0;
                self.shaper.aligned(
                    page,
                    &text,
                    Weight::Regular,
                    10.5,
                    geo.left,
                    geo.body_width(),
                    y,
                    Align::Center,
                    Rgb::BLACK,
                );
            }
        }
        self.shaper.finish()?;
        Ok(Laid { geometry: geo, pages: self.pages })
    }
}

const PAD: f32 = 4.0;
const TABLE_LEADING: f32 = 1.35;
const SEAL_HEIGHT: f32 = 126.0;

fn column_widths(t: &Table, width: f32) -> Vec<f32> {
    let total: f32 = t.columns.iter().map(|c| c.width).sum();
    t.columns.iter().map(|c| width * c.width / total).collect()
}

fn cell_lines(s: &Shaper, text: &str, width: f32, w: Weight, size: f32) -> Vec<String> {
    break_lines(text, |_, c| s.char_width(w, c, size), width, width)
        .into_iter()
        .map(|r| text[r].trim_end_matches([' ', '\n']).to_string())
        .collect()
}

fn row_height(s: &Shaper, t: &Table, cells: &[String], widths: &[f32], w: Weight) -> f32 {
    let n =
        cells.iter().zip(widths).map(|(c, cw)| cell_lines(s, c, cw - 2.0 * PAD, w, t.size).len()).max().unwrap_or(1);
    n.max(1) as f32 * t.size * TABLE_LEADING + 2.0 * PAD
}

/// Lays out a flow. Fails with [`Error::MissingGlyphs`] when some character
/// has no glyph in any face of `fonts`.
pub fn layout(flow: &Flow, fonts: &FontSet) -> Result<Laid, Error> {
    let mut pager = Pager::new(fonts, flow.geometry);
    for (i, b) in flow.blocks.iter().enumerate() {
        pager.block(b, flow.blocks.get(i + 1));
    }
    pager.finish(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static FontSet {
        FontSet::bundled()
    }

    #[test]
    fn long_paragraph_flows_onto_a_second_page_with_page_numbers() {
        let text = "安全生产工作应当以人为本，坚持人民至上、生命至上。".repeat(60);
        let laid = layout(&Flow::new(vec![Block::Paragraph(Paragraph::body(text.clone()))]), fonts()).unwrap();
        assert!(laid.pages.len() >= 2);
        let all: String = (0..laid.pages.len()).map(|p| laid.page_text(p)).collect();
        assert!(all.contains(&format!("第 1 页 共 {} 页", laid.pages.len())));
        // Every character of the paragraph is drawn, in order.
        let drawn: String = all.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(drawn.contains(&text[..text.len() / 2]));
        // Nothing below the type area but the footer.
        for page in &laid.pages {
            for op in page {
                if let Op::Text(t) = op
                    && !t.text.starts_with('第')
                {
                    assert!(t.y <= Geometry::A4.height - Geometry::A4.bottom + 1.0, "{} at {}", t.text, t.y);
                }
            }
        }
    }

    #[test]
    fn table_header_repeats_on_each_page() {
        let mut t = Table::new(
            vec![Column::new(1.0, Align::Center), Column::new(6.0, Align::Left)],
            vec!["序号".into(), "存在的问题".into()],
        );
        for i in 1..=60 {
            t = t.row(vec![i.to_string(), format!("第{i}项问题：配电箱未设置漏电保护器，电缆随地拖拉。")]);
        }
        let laid = layout(&Flow::new(vec![Block::Table(t)]), fonts()).unwrap();
        assert!(laid.pages.len() >= 2);
        for p in 0..laid.pages.len() {
            assert!(laid.page_text(p).starts_with("序号存在的问题"), "page {p}: {}", laid.page_text(p));
        }
    }

    #[test]
    fn a_cell_taller_than_a_page_continues_on_the_next() {
        let t = Table::new(vec![Column::new(1.0, Align::Left)], vec!["内容".into()])
            .row(vec!["很长的检查情况说明。".repeat(200)]);
        let laid = layout(&Flow::new(vec![Block::Table(t)]), fonts()).unwrap();
        assert!(laid.pages.len() >= 2);
        assert!(laid.page_text(1).starts_with("内容"));
    }

    #[test]
    fn heading_is_kept_with_the_following_paragraph() {
        let filler = Paragraph::body("填充内容。".repeat(8));
        let mut blocks: Vec<Block> = Vec::new();
        // Fill the page until less than two lines are left.
        let mut probe = blocks.clone();
        loop {
            probe.push(Block::Paragraph(filler.clone()));
            let l = layout(&Flow::new(probe.clone()), fonts()).unwrap();
            if l.pages.len() > 1 {
                break;
            }
            blocks = probe.clone();
        }
        blocks.push(Block::Paragraph(Paragraph::heading("二、检查情况")));
        blocks.push(Block::Paragraph(Paragraph::body("正文。".repeat(30))));
        let laid = layout(&Flow::new(blocks), fonts()).unwrap();
        let last = laid.pages.len() - 1;
        assert!(laid.page_text(last).starts_with("二、检查情况"), "{}", laid.page_text(last));
    }

    #[test]
    fn missing_characters_are_an_error_listing_them() {
        let e = layout(&Flow::new(vec![Block::Paragraph(Paragraph::body("当事人：王𠀀"))]), fonts()).unwrap_err();
        assert!(matches!(&e, Error::MissingGlyphs(c) if c == &vec!['𠀀']), "{e:?}");
        assert!(e.to_string().contains('𠀀'));
    }

    #[test]
    fn justified_lines_reach_the_right_margin() {
        let laid =
            layout(&Flow::new(vec![Block::Paragraph(Paragraph::body("依据GB 50720标准，".repeat(20)))]), fonts())
                .unwrap();
        let g = Geometry::A4;
        // The first full line ends at the margin: its last glyph's end is within a hair of it.
        let first_line_y = match &laid.pages[0][0] {
            Op::Text(t) => t.y,
            _ => unreachable!(),
        };
        let end = laid.pages[0]
            .iter()
            .filter_map(|op| match op {
                Op::Text(t) if t.y == first_line_y => {
                    // The last glyph of the line carries no extra space.
                    Some(t.x + t.glyphs.iter().map(|g| g.advance * t.size).sum::<f32>())
                }
                _ => None,
            })
            .fold(0.0f32, f32::max);
        assert!((end - (g.width - g.right)).abs() < 0.5, "line ends at {end}, margin at {}", g.width - g.right);
    }
}
