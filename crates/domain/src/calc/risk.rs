//! Risk assessment methods of 风险分级管控 (standards.md §4): LEC
//! (作业条件危险性分析, D = L × E × C) and the LS matrix (R = L × S).
//!
//! The factor tables are the methods' own; the bands that turn D or R into a
//! level and a colour are configuration: [`LecBands`] and [`LsBands`] default
//! to the standard's bands and a deployment may replace them (serde, e.g. from
//! its configuration file; check them with `validate` at start-up).

use super::{greater, integral_f64};
use crate::FieldError;
use crate::monitor::Level;
use serde::{Deserialize, Serialize};

/// L, likelihood (事故发生的可能性).
pub const LEC_L: [f64; 7] = [10.0, 6.0, 3.0, 1.0, 0.5, 0.2, 0.1];
/// E, exposure (暴露于危险环境的频繁程度).
pub const LEC_E: [f64; 6] = [10.0, 6.0, 3.0, 2.0, 1.0, 0.5];
/// C, consequence (发生事故产生的后果).
pub const LEC_C: [f64; 6] = [100.0, 40.0, 15.0, 7.0, 3.0, 1.0];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LecInput {
    pub l: f64,
    pub e: f64,
    pub c: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LecOutput {
    /// D = L × E × C; integral values serialize as JSON integers (`108`).
    #[serde(serialize_with = "integral_f64")]
    pub d: f64,
    pub level: String,
    pub color: Level,
}

/// A LEC band: D strictly above `above` (the lowest band has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LecBand {
    pub above: Option<f64>,
    pub level: String,
    pub color: Level,
}

/// LEC bands, most severe first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LecBands {
    pub bands: Vec<LecBand>,
}

impl Default for LecBands {
    /// D > 320 极其危险 red; 160 < D ≤ 320 高度危险 orange; 70 < D ≤ 160 显著危险
    /// yellow; 20 < D ≤ 70 一般危险 blue; D ≤ 20 稍有危险 blue.
    fn default() -> Self {
        let band = |above: Option<f64>, level: &str, color| LecBand { above, level: level.into(), color };
        LecBands {
            bands: vec![
                band(Some(320.0), "极其危险", Level::Red),
                band(Some(160.0), "高度危险", Level::Orange),
                band(Some(70.0), "显著危险", Level::Yellow),
                band(Some(20.0), "一般危险", Level::Blue),
                band(None, "稍有危险", Level::Blue),
            ],
        }
    }
}

impl LecBands {
    /// Thresholds strictly falling, only the last band open below.
    pub fn validate(&self) -> Result<(), FieldError> {
        let Some((last, rest)) = self.bands.split_last() else {
            return Err(FieldError::new("bands", "至少需要一个分级"));
        };
        if last.above.is_some() {
            return Err(FieldError::new(format!("bands[{}].above", rest.len()), "最后一级不应有下限"));
        }
        let mut prev = f64::INFINITY;
        for (i, b) in rest.iter().enumerate() {
            match b.above {
                Some(a) if a.is_finite() && a < prev => prev = a,
                _ => return Err(FieldError::new(format!("bands[{i}].above"), "分级界限应逐级递减")),
            }
        }
        Ok(())
    }

    /// The band D falls in (index into `bands`; 0 is the most severe).
    pub fn index_of(&self, d: f64) -> usize {
        self.bands.iter().position(|b| b.above.is_none_or(|a| greater(d, a))).unwrap_or(self.bands.len() - 1)
    }
}

/// The factor in tenths (the tables' finest step) if it is one of `table`'s
/// values, or an error naming the field.
fn tenths(field: &str, x: f64, table: &[f64]) -> Result<u64, FieldError> {
    table.iter().find(|v| x.is_finite() && (x - **v).abs() < 1e-9).map(|v| (v * 10.0).round() as u64).ok_or_else(|| {
        let allowed: Vec<String> = table.iter().map(f64::to_string).collect();
        FieldError::new(field, format!("取值应为 {} 之一", allowed.join("、")))
    })
}

/// LEC with the given bands.
pub fn lec(input: &LecInput, bands: &LecBands) -> Result<LecOutput, FieldError> {
    let l = tenths("l", input.l, &LEC_L)?;
    let e = tenths("e", input.e, &LEC_E)?;
    let c = tenths("c", input.c, &LEC_C)?;
    // Integer arithmetic in tenths, so 0.2 × 6 × 1 is 1.2 and not 1.2000000000000002.
    let d = (l * e * c) as f64 / 1000.0;
    let band = &bands.bands[bands.index_of(d)];
    Ok(LecOutput { d, level: band.level.clone(), color: band.color })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsInput {
    /// Likelihood, 1–5.
    pub l: i64,
    /// Severity, 1–5.
    pub s: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LsOutput {
    pub r: u32,
    pub level: String,
    pub color: Level,
}

/// An LS band: R at least `min`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsBand {
    pub min: u32,
    pub level: String,
    pub color: Level,
}

/// LS bands, most severe first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsBands {
    pub bands: Vec<LsBand>,
}

impl Default for LsBands {
    /// 20–25 重大 red, 9–16 较大 orange, 4–8 一般 yellow, 1–3 低 blue.
    fn default() -> Self {
        let band = |min: u32, level: &str, color| LsBand { min, level: level.into(), color };
        LsBands {
            bands: vec![
                band(20, "重大", Level::Red),
                band(9, "较大", Level::Orange),
                band(4, "一般", Level::Yellow),
                band(1, "低", Level::Blue),
            ],
        }
    }
}

impl LsBands {
    /// Minimums strictly falling, the last at most 1 (every R has a band).
    pub fn validate(&self) -> Result<(), FieldError> {
        let Some(last) = self.bands.last() else {
            return Err(FieldError::new("bands", "至少需要一个分级"));
        };
        if last.min > 1 {
            return Err(FieldError::new(format!("bands[{}].min", self.bands.len() - 1), "最低一级应从 1 起"));
        }
        if let Some(i) = self.bands.windows(2).position(|w| w[1].min >= w[0].min) {
            return Err(FieldError::new(format!("bands[{}].min", i + 1), "分级下限应逐级递减"));
        }
        Ok(())
    }

    /// The band R falls in (index into `bands`; 0 is the most severe).
    pub fn index_of(&self, r: u32) -> usize {
        self.bands.iter().position(|b| r >= b.min).unwrap_or(self.bands.len() - 1)
    }
}

/// LS matrix with the given bands.
pub fn ls(input: &LsInput, bands: &LsBands) -> Result<LsOutput, FieldError> {
    let factor = |field: &str, v: i64| {
        u32::try_from(v)
            .ok()
            .filter(|v| (1..=5).contains(v))
            .ok_or_else(|| FieldError::new(field, "取值应为 1–5 的整数"))
    };
    let r = factor("l", input.l)? * factor("s", input.s)?;
    let band = &bands.bands[bands.index_of(r)];
    Ok(LsOutput { r, level: band.level.clone(), color: band.color })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d_of(l: f64, e: f64, c: f64) -> LecOutput {
        lec(&LecInput { l, e, c }, &LecBands::default()).unwrap()
    }

    fn level_at(d: f64) -> &'static str {
        let b = LecBands::default();
        let i = b.index_of(d);
        ["极其危险", "高度危险", "显著危险", "一般危险", "稍有危险"][i]
    }

    #[test]
    fn lec_worked_example() {
        let out = d_of(6.0, 6.0, 3.0);
        assert_eq!((out.d, out.level.as_str(), out.color), (108.0, "显著危险", Level::Yellow));
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(json, r#"{"d":108,"level":"显著危险","color":"yellow"}"#);
    }

    #[test]
    fn lec_band_boundaries() {
        for (d, level) in [
            (320.000001, "极其危险"),
            (320.0, "高度危险"),
            (160.000001, "高度危险"),
            (160.0, "显著危险"),
            (70.000001, "显著危险"),
            (70.0, "一般危险"),
            (20.000001, "一般危险"),
            (20.0, "稍有危险"),
            (0.05, "稍有危险"),
        ] {
            assert_eq!(level_at(d), level, "D = {d}");
        }
        // Reachable products on and around the limits.
        assert_eq!(d_of(10.0, 1.0, 7.0).level, "一般危险"); // 70
        assert_eq!(d_of(10.0, 2.0, 1.0).level, "稍有危险"); // 20
        assert_eq!(d_of(3.0, 1.0, 7.0).level, "一般危险"); // 21
        assert_eq!(d_of(6.0, 2.0, 7.0).level, "显著危险"); // 84
        assert_eq!(d_of(6.0, 10.0, 3.0).level, "高度危险"); // 180
        assert_eq!(d_of(10.0, 2.0, 15.0).level, "高度危险"); // 300
        let out = d_of(1.0, 10.0, 40.0); // 400
        assert_eq!((out.level.as_str(), out.color), ("极其危险", Level::Red));
    }

    #[test]
    fn lec_decimal_factors_multiply_exactly() {
        assert_eq!(d_of(0.2, 6.0, 1.0).d, 1.2);
        assert_eq!(d_of(0.1, 0.5, 1.0).d, 0.05);
        assert_eq!(d_of(10.0, 10.0, 100.0).d, 10000.0);
        let json = serde_json::to_value(d_of(0.5, 0.5, 1.0)).unwrap();
        assert_eq!(json["d"], 0.25);
    }

    #[test]
    fn lec_rejects_values_outside_the_tables() {
        let err = |l, e, c| lec(&LecInput { l, e, c }, &LecBands::default()).unwrap_err().field;
        assert_eq!(err(5.0, 6.0, 3.0), "l");
        assert_eq!(err(f64::NAN, 6.0, 3.0), "l");
        assert_eq!(err(6.0, 4.0, 3.0), "e");
        assert_eq!(err(6.0, 6.0, 50.0), "c");
        assert_eq!(err(6.0, 6.0, 0.0), "c");
    }

    #[test]
    fn lec_bands_are_configurable() {
        let mut bands = LecBands::default();
        bands.bands[3].color = Level::Yellow; // a deployment that paints 一般危险 yellow
        assert!(bands.validate().is_ok());
        let out = lec(&LecInput { l: 3.0, e: 3.0, c: 3.0 }, &bands).unwrap(); // 27
        assert_eq!((out.level.as_str(), out.color), ("一般危险", Level::Yellow));
        let parsed: LecBands = serde_json::from_str(
            r#"{"bands":[{"above":100,"level":"高","color":"red"},{"above":null,"level":"低","color":"blue"}]}"#,
        )
        .unwrap();
        assert!(parsed.validate().is_ok());
        assert_eq!(lec(&LecInput { l: 6.0, e: 6.0, c: 3.0 }, &parsed).unwrap().color, Level::Red);
    }

    #[test]
    fn invalid_band_configurations_are_rejected() {
        assert!(LecBands::default().validate().is_ok());
        let mut b = LecBands::default();
        b.bands.swap(0, 1);
        assert_eq!(b.validate().unwrap_err().field, "bands[1].above");
        let mut b = LecBands::default();
        b.bands.pop();
        assert_eq!(b.validate().unwrap_err().field, "bands[3].above");
        assert!(LsBands::default().validate().is_ok());
        let mut b = LsBands::default();
        b.bands[3].min = 2;
        assert_eq!(b.validate().unwrap_err().field, "bands[3].min");
        let mut b = LsBands::default();
        b.bands[1].min = 20;
        assert_eq!(b.validate().unwrap_err().field, "bands[1].min");
    }

    fn r_of(l: i64, s: i64) -> LsOutput {
        ls(&LsInput { l, s }, &LsBands::default()).unwrap()
    }

    #[test]
    fn ls_worked_example_and_band_boundaries() {
        let out = r_of(4, 5);
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"r":20,"level":"重大","color":"red"}"#);
        for (l, s, r, level, color) in [
            (5, 5, 25, "重大", Level::Red),
            (4, 4, 16, "较大", Level::Orange),
            (3, 3, 9, "较大", Level::Orange),
            (4, 2, 8, "一般", Level::Yellow),
            (2, 2, 4, "一般", Level::Yellow),
            (1, 3, 3, "低", Level::Blue),
            (1, 1, 1, "低", Level::Blue),
        ] {
            let out = r_of(l, s);
            assert_eq!((out.r, out.level.as_str(), out.color), (r, level, color), "{l} × {s}");
        }
    }

    #[test]
    fn ls_rejects_values_outside_1_to_5() {
        let err = |l, s| ls(&LsInput { l, s }, &LsBands::default()).unwrap_err().field;
        assert_eq!(err(0, 3), "l");
        assert_eq!(err(6, 3), "l");
        assert_eq!(err(3, -1), "s");
        assert_eq!(err(3, 6), "s");
    }

    proptest! {
        #[test]
        fn lec_level_is_monotone_in_d(
            a in (0..LEC_L.len(), 0..LEC_E.len(), 0..LEC_C.len()),
            b in (0..LEC_L.len(), 0..LEC_E.len(), 0..LEC_C.len()),
        ) {
            let bands = LecBands::default();
            let x = d_of(LEC_L[a.0], LEC_E[a.1], LEC_C[a.2]);
            let y = d_of(LEC_L[b.0], LEC_E[b.1], LEC_C[b.2]);
            let (lo, hi) = if x.d <= y.d { (x, y) } else { (y, x) };
            // A larger D is never in a less severe band (index 0 is the most severe).
            prop_assert!(bands.index_of(hi.d) <= bands.index_of(lo.d));
            prop_assert!(hi.color >= lo.color);
        }

        #[test]
        fn ls_level_is_monotone_in_r(a in (1i64..=5, 1i64..=5), b in (1i64..=5, 1i64..=5)) {
            let bands = LsBands::default();
            let x = r_of(a.0, a.1);
            let y = r_of(b.0, b.1);
            prop_assert_eq!(x.r, (a.0 * a.1) as u32);
            let (lo, hi) = if x.r <= y.r { (x, y) } else { (y, x) };
            prop_assert!(bands.index_of(hi.r) <= bands.index_of(lo.r));
            prop_assert!(hi.color >= lo.color);
        }
    }
}
