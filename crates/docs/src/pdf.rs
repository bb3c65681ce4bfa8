//! Writes a laid-out document as PDF with krilla: fonts embedded as subsets
//! with ToUnicode maps (text can be searched and extracted), content
//! streams compressed, metadata fixed by the caller so that the same input
//! gives the same bytes.

use crate::Error;
use crate::fonts::FontSet;
use crate::layout::{Laid, Op, Rgb, TextRun};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

/// Document metadata. Nothing here comes from the clock: the date is the
/// document's own (e.g. its issue date), so rendering is reproducible.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub title: String,
    pub author: String,
    /// A stable identifier of the document (e.g. its number and version).
    pub id: String,
    pub date: jiff::civil::DateTime,
}

/// Serialises `laid` to PDF bytes.
pub fn write(laid: &Laid, fonts: &FontSet, meta: &Meta) -> Result<Vec<u8>, Error> {
    let mut doc = Document::new();
    let d = meta.date;
    let date = DateTime::new(d.year() as u16)
        .month(d.month() as u8)
        .day(d.day() as u8)
        .hour(d.hour() as u8)
        .minute(d.minute() as u8)
        .second(d.second() as u8)
        .utc_offset_hour(8)
        .utc_offset_minute(0);
    doc.set_metadata(
        Metadata::new()
            .title(meta.title.clone())
            .authors(vec![meta.author.clone()])
            .creator("anjian".into())
            .language("zh-CN".into())
            .document_id(meta.id.clone())
            .creation_date(date),
    );
    let g = laid.geometry;
    for ops in &laid.pages {
        let settings = PageSettings::from_wh(g.width, g.height).ok_or_else(|| Error::Pdf("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, fonts, op);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill { paint: paint(c), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

fn stroke(c: Rgb, width: f32, dash: Option<f32>) -> Stroke {
    Stroke {
        paint: paint(c),
        width,
        dash: dash.map(|d| StrokeDash { array: vec![d, d], offset: 0.0 }),
        ..Stroke::default()
    }
}

fn draw(s: &mut Surface, fonts: &FontSet, op: &Op) {
    match op {
        Op::Text(t) => text(s, fonts, t),
        Op::Line { x1, y1, x2, y2, width, color, dash } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            paint_path(s, pb.finish(), None, Some(stroke(*color, *width, *dash)));
        }
        Op::Rect { x, y, w, h, fill: f, stroke: st } => {
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01)) {
                pb.push_rect(r);
            }
            paint_path(s, pb.finish(), f.map(fill), st.map(|(c, w)| stroke(c, w, None)));
        }
        Op::Path { points, closed, fill: f, stroke: st } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 { pb.move_to(*x, *y) } else { pb.line_to(*x, *y) }
            }
            if *closed {
                pb.close();
            }
            paint_path(s, pb.finish(), f.map(fill), st.map(|(c, w)| stroke(c, w, None)));
        }
        Op::Sector { cx, cy, r, a0, a1, fill: f, stroke: st, dash } => {
            let full = (a1 - a0) >= std::f32::consts::TAU - 1e-4;
            let mut pb = PathBuilder::new();
            let at = |a: f32| (cx + r * a.sin(), cy - r * a.cos());
            if full {
                let (x, y) = at(*a0);
                pb.move_to(x, y);
            } else {
                pb.move_to(*cx, *cy);
                let (x, y) = at(*a0);
                pb.line_to(x, y);
            }
            // Cubic Bézier arcs of at most 90°.
            let n = ((a1 - a0) / std::f32::consts::FRAC_PI_2).ceil().max(1.0) as usize;
            let da = (a1 - a0) / n as f32;
            let k = 4.0 / 3.0 * (da / 4.0).tan() * r;
            for i in 0..n {
                let (s0, s1) = (a0 + da * i as f32, a0 + da * (i + 1) as f32);
                let (x0, y0) = at(s0);
                let (x3, y3) = at(s1);
                // Tangent of a clockwise-from-north angle a: (cos a, sin a).
                pb.cubic_to(x0 + k * s0.cos(), y0 + k * s0.sin(), x3 - k * s1.cos(), y3 - k * s1.sin(), x3, y3);
            }
            pb.close();
            paint_path(s, pb.finish(), f.map(fill), st.map(|(c, w)| stroke(c, w, *dash)));
        }
    }
}

fn paint_path(s: &mut Surface, path: Option<Path>, f: Option<Fill>, st: Option<Stroke>) {
    let Some(path) = path else { return };
    s.set_fill(f);
    s.set_stroke(st);
    s.draw_path(&path);
}

fn text(s: &mut Surface, fonts: &FontSet, t: &TextRun) {
    let font = fonts.face(t.weight, t.face).pdf_font();
    let glyphs: Vec<KrillaGlyph> = t
        .glyphs
        .iter()
        .map(|g| KrillaGlyph::new(GlyphId::new(g.id), g.advance, 0.0, 0.0, 0.0, g.range.clone(), None))
        .collect();
    s.set_stroke(None);
    s.set_fill(Some(fill(t.color)));
    s.draw_glyphs(Point::from_xy(t.x, t.y), &glyphs, font, &t.text, t.size, false);
}
