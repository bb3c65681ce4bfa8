//! Simple vector charts for reports: grouped bars, stacked bars, lines and
//! pies, drawn as paths with Chinese axis labels, value labels and a legend.

use crate::fonts::Weight;
use crate::layout::{Align, Op, Rgb, Shaper};

/// What kind of chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// One bar per series in each category.
    Bar,
    /// The series stacked in one bar per category.
    StackedBar,
    /// One line per series across the categories.
    Line,
    /// Shares of the first series' values; categories name the slices.
    Pie,
}

/// A named series of values, one per category.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A chart: categories along the x axis (or the slices of a pie) and one or more series.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Under the x axis, e.g. "月份".
    pub x_label: String,
    /// Above the y axis, e.g. "隐患数（项）".
    pub y_label: String,
    /// Height of the whole chart in points.
    pub height: f32,
}

/// Series colours, distinguishable in print.
const PALETTE: [Rgb; 8] = [
    Rgb(46, 99, 163),
    Rgb(214, 96, 39),
    Rgb(76, 150, 72),
    Rgb(180, 46, 52),
    Rgb(128, 96, 166),
    Rgb(140, 110, 70),
    Rgb(200, 120, 170),
    Rgb(110, 110, 110),
];

pub(crate) fn colour(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// A "nice" axis maximum and step (1, 2 or 5 × 10^k) for about five intervals.
pub fn nice_axis(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 {
        return (1.0, 0.2);
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let step = if step < 1.0 && max >= 1.0 { 1.0 } else { step };
    ((max / step).ceil() * step, step)
}

/// A number as a label: integers without decimals, others with one.
pub fn label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as i64) } else { format!("{v:.1}") }
}

const TITLE: f32 = 11.0;
const TICK: f32 = 8.0;
const LEGEND: f32 = 8.5;

impl Chart {
    pub(crate) fn draw(&self, s: &mut Shaper, out: &mut Vec<Op>, x: f32, y: f32, w: f32) {
        let h = self.height;
        let mut top = y;
        if !self.title.is_empty() {
            s.aligned(out, &self.title, Weight::Bold, TITLE, x, w, y + TITLE, Align::Center, Rgb::BLACK);
            top += TITLE * 1.8;
        }
        let legend_h = if self.kind == ChartKind::Pie || self.series.len() > 1 { LEGEND * 2.2 } else { 0.0 };
        let bottom = y + h - legend_h;
        match self.kind {
            ChartKind::Pie => self.pie(s, out, x, top, w, bottom - top),
            _ => self.axes_chart(s, out, x, top, w, bottom - top),
        }
        if legend_h > 0.0 {
            let names: Vec<String> = if self.kind == ChartKind::Pie {
                let vals = self.series.first().map(|s| s.values.clone()).unwrap_or_default();
                let total: f64 = vals.iter().filter(|v| **v > 0.0).sum();
                self.categories
                    .iter()
                    .zip(&vals)
                    .map(|(c, v)| {
                        let pct = if total > 0.0 { v / total * 100.0 } else { 0.0 };
                        format!("{c} {} ({pct:.1}%)", label(*v))
                    })
                    .collect()
            } else {
                self.series.iter().map(|s| s.name.clone()).collect()
            };
            legend(s, out, &names, x, bottom + LEGEND * 0.6, w);
        }
    }

    fn axes_chart(&self, s: &mut Shaper, out: &mut Vec<Op>, x: f32, top: f32, w: f32, h: f32) {
        let n = self.categories.len().max(1);
        let max = match self.kind {
            ChartKind::StackedBar => (0..n)
                .map(|i| self.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0)).sum::<f64>())
                .fold(0.0, f64::max),
            _ => self.series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max),
        };
        let (axis_max, step) = nice_axis(max);
        let ticks: Vec<String> = (0..=((axis_max / step).round() as usize)).map(|k| label(k as f64 * step)).collect();
        let tick_w = ticks.iter().map(|t| s.width(t, Weight::Regular, TICK)).fold(0.0, f32::max);
        // The unit label sits above the y axis; the x label under the category labels.
        let y_label_h = if self.y_label.is_empty() { 0.0 } else { TICK * 1.8 };
        let x_label_h = if self.x_label.is_empty() { 0.0 } else { TICK * 1.8 };
        let left = x + tick_w + 6.0;
        let right = x + w - 4.0;
        let plot_top = top + y_label_h + TICK * 0.6;
        let plot_bottom = top + h - TICK * 2.0 - x_label_h;
        let ph = (plot_bottom - plot_top).max(10.0);
        let pw = right - left;
        let to_y = |v: f64| plot_bottom - (v / axis_max) as f32 * ph;
        if !self.y_label.is_empty() {
            s.runs(out, &self.y_label, None, Weight::Regular, TICK, x, top + TICK, 0.0, Rgb::GREY);
        }
        // Grid and tick labels.
        for (k, t) in ticks.iter().enumerate() {
            let yy = to_y(k as f64 * step);
            let grid = if k == 0 { Rgb::BLACK } else { Rgb::LIGHT };
            out.push(Op::Line {
                x1: left,
                y1: yy,
                x2: right,
                y2: yy,
                width: if k == 0 { 0.8 } else { 0.4 },
                color: grid,
                dash: None,
            });
            s.aligned(out, t, Weight::Regular, TICK, x, tick_w, yy + TICK * 0.35, Align::Right, Rgb::GREY);
        }
        out.push(Op::Line {
            x1: left,
            y1: plot_top,
            x2: left,
            y2: plot_bottom,
            width: 0.8,
            color: Rgb::BLACK,
            dash: None,
        });
        let slot = pw / n as f32;
        // Category labels: every k-th when they would collide.
        let widest = self.categories.iter().map(|c| s.width(c, Weight::Regular, TICK)).fold(0.0, f32::max);
        let every = ((widest + 4.0) / slot).ceil().max(1.0) as usize;
        for (i, c) in self.categories.iter().enumerate() {
            if i % every == 0 {
                let cx = left + slot * i as f32;
                s.aligned(
                    out,
                    c,
                    Weight::Regular,
                    TICK,
                    cx - slot,
                    slot * 3.0,
                    plot_bottom + TICK * 1.4,
                    Align::Center,
                    Rgb::BLACK,
                );
            }
        }
        if !self.x_label.is_empty() {
            s.aligned(
                out,
                &self.x_label,
                Weight::Regular,
                TICK,
                left,
                pw,
                plot_bottom + TICK * 3.2,
                Align::Center,
                Rgb::GREY,
            );
        }
        let value_labels = self.series.len() == 1 && n <= 16;
        match self.kind {
            ChartKind::Bar => {
                let group = slot * 0.7;
                let bw = group / self.series.len().max(1) as f32;
                for (si, ser) in self.series.iter().enumerate() {
                    for (i, v) in ser.values.iter().enumerate().take(n) {
                        let bx = left + slot * i as f32 + (slot - group) / 2.0 + bw * si as f32;
                        let top_y = to_y(v.max(0.0));
                        out.push(Op::Rect {
                            x: bx,
                            y: top_y,
                            w: bw,
                            h: plot_bottom - top_y,
                            fill: Some(colour(si)),
                            stroke: None,
                        });
                        if value_labels {
                            s.aligned(
                                out,
                                &label(*v),
                                Weight::Regular,
                                TICK,
                                bx - 10.0,
                                bw + 20.0,
                                top_y - 2.0,
                                Align::Center,
                                Rgb::BLACK,
                            );
                        }
                    }
                }
            }
            ChartKind::StackedBar => {
                let bw = slot * 0.6;
                for i in 0..n {
                    let bx = left + slot * i as f32 + (slot - bw) / 2.0;
                    let mut acc = 0.0;
                    for (si, ser) in self.series.iter().enumerate() {
                        let v = ser.values.get(i).copied().unwrap_or(0.0).max(0.0);
                        let (y0, y1) = (to_y(acc), to_y(acc + v));
                        if v > 0.0 {
                            out.push(Op::Rect {
                                x: bx,
                                y: y1,
                                w: bw,
                                h: y0 - y1,
                                fill: Some(colour(si)),
                                stroke: None,
                            });
                        }
                        acc += v;
                    }
                    if n <= 16 {
                        s.aligned(
                            out,
                            &label(acc),
                            Weight::Regular,
                            TICK,
                            bx - 10.0,
                            bw + 20.0,
                            to_y(acc) - 2.0,
                            Align::Center,
                            Rgb::BLACK,
                        );
                    }
                }
            }
            ChartKind::Line => {
                for (si, ser) in self.series.iter().enumerate() {
                    let pts: Vec<(f32, f32)> = ser
                        .values
                        .iter()
                        .take(n)
                        .enumerate()
                        .map(|(i, v)| (left + slot * (i as f32 + 0.5), to_y(v.max(0.0))))
                        .collect();
                    out.push(Op::Path {
                        points: pts.clone(),
                        closed: false,
                        fill: None,
                        stroke: Some((colour(si), 1.4)),
                    });
                    for (i, (px, py)) in pts.iter().enumerate() {
                        out.push(Op::Rect {
                            x: px - 1.8,
                            y: py - 1.8,
                            w: 3.6,
                            h: 3.6,
                            fill: Some(colour(si)),
                            stroke: None,
                        });
                        if value_labels {
                            let v = ser.values[i];
                            s.aligned(
                                out,
                                &label(v),
                                Weight::Regular,
                                TICK,
                                px - 15.0,
                                30.0,
                                py - 4.0,
                                Align::Center,
                                Rgb::BLACK,
                            );
                        }
                    }
                }
            }
            ChartKind::Pie => {}
        }
    }

    fn pie(&self, _s: &mut Shaper, out: &mut Vec<Op>, x: f32, top: f32, w: f32, h: f32) {
        let vals: Vec<f64> = self.series.first().map(|s| s.values.clone()).unwrap_or_default();
        let total: f64 = vals.iter().filter(|v| **v > 0.0).sum();
        let r = (h / 2.0 - 4.0).min(w / 4.0).max(5.0);
        let (cx, cy) = (x + w / 2.0, top + h / 2.0);
        if total <= 0.0 {
            out.push(Op::Sector {
                cx,
                cy,
                r,
                a0: 0.0,
                a1: std::f32::consts::TAU,
                fill: None,
                stroke: Some((Rgb::GREY, 0.6)),
                dash: Some(2.0),
            });
            return;
        }
        let mut a = 0.0f32;
        for (i, v) in vals.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let da = (*v / total) as f32 * std::f32::consts::TAU;
            out.push(Op::Sector {
                cx,
                cy,
                r,
                a0: a,
                a1: a + da,
                fill: Some(colour(i)),
                stroke: Some((Rgb(255, 255, 255), 0.8)),
                dash: None,
            });
            a += da;
        }
    }
}

fn legend(s: &mut Shaper, out: &mut Vec<Op>, names: &[String], x: f32, y: f32, w: f32) {
    let widths: Vec<f32> = names.iter().map(|n| s.width(n, Weight::Regular, LEGEND) + LEGEND * 2.4).collect();
    let total: f32 = widths.iter().sum();
    let mut lx = x + ((w - total) / 2.0).max(0.0);
    let mut ly = y;
    for (i, (n, nw)) in names.iter().zip(&widths).enumerate() {
        if lx + nw > x + w {
            lx = x;
            ly += LEGEND * 1.5;
        }
        out.push(Op::Rect { x: lx, y: ly, w: LEGEND, h: LEGEND, fill: Some(colour(i)), stroke: None });
        s.runs(out, n, None, Weight::Regular, LEGEND, lx + LEGEND * 1.3, ly + LEGEND * 0.85, 0.0, Rgb::BLACK);
        lx += nw;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis_rounds_up_to_one_two_five_steps() {
        assert_eq!(nice_axis(87.0), (100.0, 20.0));
        assert_eq!(nice_axis(4.0), (4.0, 1.0));
        assert_eq!(nice_axis(1234.0), (1500.0, 500.0));
        assert_eq!(nice_axis(0.0), (1.0, 0.2));
        assert_eq!(nice_axis(0.42), (0.5, 0.1));
    }

    #[test]
    fn labels_drop_needless_decimals() {
        assert_eq!(label(12.0), "12");
        assert_eq!(label(87.26), "87.3");
    }
}
