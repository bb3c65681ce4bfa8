//! Ready-mixed concrete traceability (L2), the pure rules: delivery time
//! limits (standards.md §2), mix designs, delivery-ticket values and the
//! site slump check. Strength acceptance is [`crate::calc::gb50107`].
//!
//! Time limits (**[verify]** in standards.md, so they are one table a
//! deployment can replace, [`TimeLimits`]):
//! - transport, departure → arrival: at most 90 min (GB/T 14902);
//! - mixing → end of placing: 90 min at an air temperature ≤ 25 °C and
//!   60 min above 25 °C without retarding admixtures; 150 / 120 min with a
//!   retarding admixture (GB 50666).
//!
//! Boundaries exactly as written: a delivery *at* the limit is on time (90
//! min 0 ms is not late, 90 min 1 ms is); 25.0 °C is "≤ 25 °C". Times are
//! epoch milliseconds; elapsed time is compared in milliseconds, never
//! rounded first.

use crate::FieldError;
use crate::calc::{at_least, gb50107, greater};
use serde::{Deserialize, Serialize};

pub const MINUTE_MS: i64 = 60_000;

/// The time-limit table. Minutes are whole minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeLimits {
    /// Departure → arrival, at most (GB/T 14902).
    pub transport_min: u32,
    /// Air temperatures above this (°C) take the hot limits; at or below it, the cool ones.
    pub hot_above_c: f64,
    /// Mixing → end of placing without retarding admixture: [≤ hot_above_c, > hot_above_c].
    pub plain_min: [u32; 2],
    /// Mixing → end of placing with a retarding admixture: [cool, hot].
    pub retarded_min: [u32; 2],
    /// Where the numbers come from, shown with every warning.
    pub basis: String,
}

impl Default for TimeLimits {
    fn default() -> Self {
        TimeLimits {
            transport_min: 90,
            hot_above_c: 25.0,
            plain_min: [90, 60],
            retarded_min: [150, 120],
            basis: "GB/T 14902（运输≤90 min）；GB 50666（搅拌至浇筑完毕：不掺外加剂 ≤25 ℃ 90 min、>25 ℃ 60 min，\
                    掺缓凝剂 150 / 120 min）"
                .into(),
        }
    }
}

impl TimeLimits {
    /// Every limit between 1 minute and 24 hours; the temperature finite.
    pub fn validate(&self) -> Result<(), FieldError> {
        let ok = |m: u32| (1..=24 * 60).contains(&m);
        if !ok(self.transport_min) {
            return Err(FieldError::new("transport_min", "时限应为 1 到 1440 分钟"));
        }
        if !self.hot_above_c.is_finite() || !(-20.0..=50.0).contains(&self.hot_above_c) {
            return Err(FieldError::new("hot_above_c", "温度界限应在 -20 到 50 ℃ 之间"));
        }
        for (field, pair) in [("plain_min", self.plain_min), ("retarded_min", self.retarded_min)] {
            for (k, m) in pair.iter().enumerate() {
                if !ok(*m) {
                    return Err(FieldError::new(format!("{field}[{k}]"), "时限应为 1 到 1440 分钟"));
                }
            }
        }
        if self.basis.trim().is_empty() {
            return Err(FieldError::new("basis", "请注明时限依据"));
        }
        Ok(())
    }

    /// Mixing → end of placing, in minutes, at `temperature_c`.
    pub fn placing_min(&self, temperature_c: f64, retarding: bool) -> u32 {
        let pair = if retarding { self.retarded_min } else { self.plain_min };
        if greater(temperature_c, self.hot_above_c) { pair[1] } else { pair[0] }
    }
}

/// The four times of a delivery, epoch ms UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryTimes {
    pub mixed_at: i64,
    pub departed_at: i64,
    pub arrived_at: Option<i64>,
    pub placed_at: Option<i64>,
}

impl DeliveryTimes {
    /// Each time no earlier than the one before it. Errors name the later field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.departed_at < self.mixed_at {
            return Err(FieldError::new("departed_at", "出站时间不能早于搅拌时间"));
        }
        if let Some(a) = self.arrived_at
            && a < self.departed_at
        {
            return Err(FieldError::new("arrived_at", "到场时间不能早于出站时间"));
        }
        if let Some(p) = self.placed_at {
            let after = self.arrived_at.unwrap_or(self.departed_at);
            if p < after {
                return Err(FieldError::new("placed_at", "浇筑完成时间不能早于到场时间"));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// Departure → arrival.
    Transport,
    /// Mixing → end of placing (or, before placing is recorded, mixing →
    /// arrival already beyond it: the load can no longer be placed in time).
    Placing,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Transport => "transport",
            LimitKind::Placing => "placing",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            LimitKind::Transport => "运输超时",
            LimitKind::Placing => "浇筑超时",
        }
    }
}

/// A time limit exceeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: LimitKind,
    pub limit_min: u32,
    /// The measured span, ms.
    pub elapsed_ms: i64,
    /// `elapsed_ms − limit`, always > 0.
    pub over_ms: i64,
    /// For `placing`: whether the span ends at the recorded end of placing
    /// (`true`) or at the arrival (placing not yet recorded).
    pub placed: bool,
}

/// The limits exceeded by a delivery so far. Late means strictly more than
/// the limit, to the millisecond.
pub fn check(t: &DeliveryTimes, temperature_c: f64, retarding: bool, l: &TimeLimits) -> Vec<Finding> {
    let mut out = Vec::new();
    let over = |elapsed: i64, limit_min: u32| elapsed - i64::from(limit_min) * MINUTE_MS;
    if let Some(a) = t.arrived_at {
        let elapsed = a - t.departed_at;
        if over(elapsed, l.transport_min) > 0 {
            out.push(Finding {
                kind: LimitKind::Transport,
                limit_min: l.transport_min,
                elapsed_ms: elapsed,
                over_ms: over(elapsed, l.transport_min),
                placed: false,
            });
        }
    }
    let limit = l.placing_min(temperature_c, retarding);
    let end = t.placed_at.or(t.arrived_at);
    if let Some(end) = end {
        let elapsed = end - t.mixed_at;
        if over(elapsed, limit) > 0 {
            out.push(Finding {
                kind: LimitKind::Placing,
                limit_min: limit,
                elapsed_ms: elapsed,
                over_ms: over(elapsed, limit),
                placed: t.placed_at.is_some(),
            });
        }
    }
    out
}

/// Minutes to one decimal, for messages (`90.0`).
pub fn minutes(ms: i64) -> f64 {
    (ms as f64 / MINUTE_MS as f64 * 10.0).round() / 10.0
}

// ---------------------------------------------------------------- mix designs

/// Kinds of mix-design materials, with their Chinese labels.
pub const MATERIAL_KINDS: &[(&str, &str)] = &[
    ("cement", "水泥"),
    ("water", "水"),
    ("sand", "砂"),
    ("stone", "石子"),
    ("mineral", "矿物掺合料"),
    ("admixture", "外加剂"),
    ("retarder", "缓凝型外加剂"),
];

pub fn material_label(kind: &str) -> Option<&'static str> {
    MATERIAL_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Material {
    /// cement | water | sand | stone | mineral | admixture | retarder
    pub kind: String,
    /// e.g. P·O 42.5 普通硅酸盐水泥
    pub name: String,
    /// Dosage, kg per m³ of concrete.
    pub kg_per_m3: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixInput {
    /// The plant's mix-design number (配合比编号).
    pub code: String,
    /// Strength class C15 … C80.
    pub grade: String,
    /// Other marks (抗渗 P8, 抗冻 F100, 早强 …), free text.
    #[serde(default)]
    pub marks: String,
    /// Design slump, mm.
    pub slump_mm: u32,
    /// Allowed deviation of the slump, mm.
    pub slump_tolerance_mm: u32,
    pub materials: Vec<Material>,
}

/// What a valid mix design implies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixAssessed {
    /// Normalised class, e.g. `C30`.
    pub grade: String,
    pub fcu_k: u32,
    /// Contains a retarding admixture (longer placing limits).
    pub retarding: bool,
    /// Water / (cement + mineral), two decimals.
    pub water_binder: f64,
    /// Sum of the dosages, kg/m³ (the design density).
    pub density_kg_m3: f64,
}

pub const SLUMP_MM: std::ops::RangeInclusive<u32> = 10..=280;

pub fn check_mix(i: &MixInput) -> Result<MixAssessed, FieldError> {
    let code = i.code.trim();
    if code.is_empty() || code.chars().count() > 50 {
        return Err(FieldError::new("code", "配合比编号不能为空，且不超过50个字符"));
    }
    let fcu = gb50107::parse_grade("grade", &i.grade)?;
    if i.marks.chars().count() > 50 {
        return Err(FieldError::new("marks", "其他标记不超过50个字符"));
    }
    check_slump("slump_mm", i.slump_mm)?;
    if !(5..=50).contains(&i.slump_tolerance_mm) {
        return Err(FieldError::new("slump_tolerance_mm", "坍落度允许偏差应为 5 到 50 mm"));
    }
    if i.materials.is_empty() {
        return Err(FieldError::new("materials", "请填写配合比材料用量"));
    }
    let (mut water, mut binder, mut total, mut retarding) = (0.0, 0.0, 0.0, false);
    for (k, m) in i.materials.iter().enumerate() {
        if material_label(&m.kind).is_none() {
            let kinds: Vec<&str> = MATERIAL_KINDS.iter().map(|(k, _)| *k).collect();
            return Err(FieldError::new(format!("materials[{k}].kind"), format!("材料类别应为 {}", kinds.join("、"))));
        }
        if m.name.trim().is_empty() || m.name.chars().count() > 100 {
            return Err(FieldError::new(format!("materials[{k}].name"), "材料名称不能为空，且不超过100个字符"));
        }
        if !m.kg_per_m3.is_finite() || m.kg_per_m3 <= 0.0 || m.kg_per_m3 > 2500.0 {
            return Err(FieldError::new(
                format!("materials[{k}].kg_per_m3"),
                "用量应为大于 0、不超过 2500 的数（kg/m³）",
            ));
        }
        total += m.kg_per_m3;
        match m.kind.as_str() {
            "water" => water += m.kg_per_m3,
            "cement" | "mineral" => binder += m.kg_per_m3,
            "retarder" => retarding = true,
            _ => {}
        }
    }
    if !i.materials.iter().any(|m| m.kind == "cement") || water == 0.0 {
        return Err(FieldError::new("materials", "配合比应至少包含水泥和水"));
    }
    Ok(MixAssessed {
        grade: format!("C{fcu}"),
        fcu_k: fcu,
        retarding,
        water_binder: crate::calc::round_half_up(water / binder, 2),
        density_kg_m3: crate::calc::round_half_up(total, 1),
    })
}

/// The site slump is within the design slump ± tolerance (both ends included).
pub fn slump_ok(design_mm: u32, tolerance_mm: u32, measured_mm: u32) -> bool {
    design_mm.abs_diff(measured_mm) <= tolerance_mm
}

// ------------------------------------------------------------ ticket values

pub fn check_slump(field: &str, mm: u32) -> Result<(), FieldError> {
    if SLUMP_MM.contains(&mm) { Ok(()) } else { Err(FieldError::new(field, "坍落度应为 10 到 280 mm")) }
}

/// A truck load, m³: more than 0, at most 20.
pub fn check_volume(field: &str, m3: f64) -> Result<(), FieldError> {
    if m3.is_finite() && m3 > 0.0 && at_least(20.0, m3) {
        Ok(())
    } else {
        Err(FieldError::new(field, "方量应为大于 0、不超过 20 的数（m³）"))
    }
}

/// Air temperature, °C: −40 … 60.
pub fn check_temperature(field: &str, c: f64) -> Result<(), FieldError> {
    if c.is_finite() && (-40.0..=60.0).contains(&c) {
        Ok(())
    } else {
        Err(FieldError::new(field, "气温应在 -40 到 60 ℃ 之间"))
    }
}

/// Three cube strengths, MPa, each more than 0 and at most 150.
pub fn check_strengths(field: &str, s: &[f64]) -> Result<[f64; 3], FieldError> {
    let cubes: [f64; 3] =
        s.try_into().map_err(|_| FieldError::new(field, format!("一组试块应为 3 个强度值，实为 {} 个", s.len())))?;
    for (k, v) in cubes.iter().enumerate() {
        if !v.is_finite() || *v <= 0.0 || *v > 150.0 {
            return Err(FieldError::new(format!("{field}[{k}]"), "试块强度应为大于 0、不超过 150 的数（MPa）"));
        }
    }
    Ok(cubes)
}

/// Curing of a specimen group: standard (标准养护, used for acceptance) or
/// same-condition (同条件养护, for formwork removal and entity checks).
pub const CURING: &[(&str, &str)] = &[("standard", "标准养护"), ("same_condition", "同条件养护")];

pub fn curing_label(kind: &str) -> Option<&'static str> {
    CURING.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const M: i64 = MINUTE_MS;
    const T0: i64 = 1_795_564_800_000;

    fn times(transit_ms: i64, mix_to_arrival_ms: i64, placed_after_arrival_ms: Option<i64>) -> DeliveryTimes {
        let arrived = T0 + mix_to_arrival_ms;
        DeliveryTimes {
            mixed_at: T0,
            departed_at: arrived - transit_ms,
            arrived_at: Some(arrived),
            placed_at: placed_after_arrival_ms.map(|d| arrived + d),
        }
    }

    fn kinds(f: &[Finding]) -> Vec<LimitKind> {
        f.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn placing_limits_by_temperature_and_admixture() {
        let l = TimeLimits::default();
        assert_eq!(l.placing_min(20.0, false), 90);
        assert_eq!(l.placing_min(25.0, false), 90, "25.0 counts as ≤ 25");
        assert_eq!(l.placing_min(25.1, false), 60);
        assert_eq!(l.placing_min(25.0, true), 150);
        assert_eq!(l.placing_min(25.1, true), 120);
        assert_eq!(l.placing_min(-5.0, true), 150);
        // 0.1 + 24.9 is 25.000000000000004 in binary: still ≤ 25 in decimal.
        assert_eq!(l.placing_min(0.1 + 24.9, false), 90);
    }

    #[test]
    fn transport_boundary_is_inclusive() {
        let l = TimeLimits::default();
        let on_time = times(90 * M, 90 * M, None);
        assert!(check(&on_time, 20.0, false, &l).is_empty(), "exactly 90 min is on time");
        let late = times(90 * M + 1, 90 * M + 1, None);
        let f = check(&late, 20.0, true, &l);
        assert_eq!(kinds(&f), [LimitKind::Transport]);
        assert_eq!((f[0].limit_min, f[0].over_ms, f[0].elapsed_ms), (90, 1, 90 * M + 1));
    }

    #[test]
    fn placing_boundary_is_inclusive_on_both_temperature_sides() {
        let l = TimeLimits::default();
        for (temp, retarding, limit) in [(25.0, false, 90), (25.5, false, 60), (25.0, true, 150), (30.0, true, 120)] {
            let at = times(30 * M, 40 * M, Some(limit * M - 40 * M));
            assert!(check(&at, temp, retarding, &l).is_empty(), "{temp} {retarding}: at the limit");
            let over = times(30 * M, 40 * M, Some(limit * M - 40 * M + 1));
            let f = check(&over, temp, retarding, &l);
            assert_eq!(kinds(&f), [LimitKind::Placing], "{temp} {retarding}");
            assert_eq!((f[0].limit_min as i64, f[0].over_ms, f[0].placed), (limit, 1, true));
        }
    }

    #[test]
    fn arrival_already_past_the_placing_limit_warns_before_placing() {
        let l = TimeLimits::default();
        // Mixed 70 min before arrival at 28 °C (limit 60): cannot be placed in time.
        let t = times(50 * M, 70 * M, None);
        let f = check(&t, 28.0, false, &l);
        assert_eq!(kinds(&f), [LimitKind::Placing]);
        assert!(!f[0].placed);
        assert_eq!(f[0].over_ms, 10 * M);
        // Not yet arrived: nothing to check.
        let t = DeliveryTimes { arrived_at: None, ..t };
        assert!(check(&t, 28.0, false, &l).is_empty());
    }

    #[test]
    fn both_limits_can_be_exceeded() {
        let f = check(&times(100 * M, 100 * M, Some(10 * M)), 20.0, false, &TimeLimits::default());
        assert_eq!(kinds(&f), [LimitKind::Transport, LimitKind::Placing]);
        assert_eq!(minutes(f[1].elapsed_ms), 110.0);
    }

    #[test]
    fn times_must_be_in_order() {
        let ok = times(30 * M, 40 * M, Some(20 * M));
        assert!(ok.validate().is_ok());
        let mut t = ok;
        t.departed_at = t.mixed_at - 1;
        assert_eq!(t.validate().unwrap_err().field, "departed_at");
        let mut t = ok;
        t.arrived_at = Some(t.departed_at - 1);
        assert_eq!(t.validate().unwrap_err().field, "arrived_at");
        let mut t = ok;
        t.placed_at = t.arrived_at.map(|a| a - 1);
        assert_eq!(t.validate().unwrap_err().field, "placed_at");
        // Equal times are in order.
        let t = DeliveryTimes { mixed_at: T0, departed_at: T0, arrived_at: Some(T0), placed_at: Some(T0) };
        assert!(t.validate().is_ok());
    }

    #[test]
    fn limits_table_validates() {
        assert!(TimeLimits::default().validate().is_ok());
        let bad = TimeLimits { transport_min: 0, ..TimeLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "transport_min");
        let bad = TimeLimits { retarded_min: [150, 0], ..TimeLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "retarded_min[1]");
        let bad = TimeLimits { hot_above_c: f64::NAN, ..TimeLimits::default() };
        assert_eq!(bad.validate().unwrap_err().field, "hot_above_c");
        let json = serde_json::to_value(TimeLimits::default()).unwrap();
        assert_eq!(json["plain_min"], serde_json::json!([90, 60]));
    }

    fn mix() -> MixInput {
        let m = |kind: &str, name: &str, kg: f64| Material { kind: kind.into(), name: name.into(), kg_per_m3: kg };
        MixInput {
            code: "PB-C30-01".into(),
            grade: "c30".into(),
            marks: "P8".into(),
            slump_mm: 180,
            slump_tolerance_mm: 30,
            materials: vec![
                m("cement", "P·O 42.5", 300.0),
                m("mineral", "Ⅱ级粉煤灰", 80.0),
                m("water", "自来水", 171.0),
                m("sand", "中砂", 760.0),
                m("stone", "5-25 mm 碎石", 1060.0),
                m("admixture", "聚羧酸减水剂", 7.6),
            ],
        }
    }

    #[test]
    fn mix_design_is_checked_and_summarised() {
        let a = check_mix(&mix()).unwrap();
        assert_eq!((a.grade.as_str(), a.fcu_k, a.retarding), ("C30", 30, false));
        assert_eq!(a.water_binder, 0.45);
        assert_eq!(a.density_kg_m3, 2378.6);
        let mut m = mix();
        m.materials.push(Material { kind: "retarder".into(), name: "缓凝剂".into(), kg_per_m3: 1.2 });
        assert!(check_mix(&m).unwrap().retarding);
    }

    #[test]
    fn mix_design_errors_name_their_field() {
        let field = |f: &dyn Fn(&mut MixInput)| {
            let mut m = mix();
            f(&mut m);
            check_mix(&m).unwrap_err().field
        };
        assert_eq!(field(&|m| m.code = " ".into()), "code");
        assert_eq!(field(&|m| m.grade = "C33".into()), "grade");
        assert_eq!(field(&|m| m.slump_mm = 300), "slump_mm");
        assert_eq!(field(&|m| m.slump_tolerance_mm = 0), "slump_tolerance_mm");
        assert_eq!(field(&|m| m.materials.clear()), "materials");
        assert_eq!(field(&|m| m.materials[2].kind = "ice".into()), "materials[2].kind");
        assert_eq!(field(&|m| m.materials[1].name = "".into()), "materials[1].name");
        assert_eq!(field(&|m| m.materials[3].kg_per_m3 = -1.0), "materials[3].kg_per_m3");
        assert_eq!(field(&|m| m.materials[3].kg_per_m3 = f64::NAN), "materials[3].kg_per_m3");
        assert_eq!(field(&|m| m.materials.retain(|x| x.kind != "water")), "materials");
    }

    #[test]
    fn slump_tolerance_includes_both_ends() {
        assert!(slump_ok(180, 30, 150) && slump_ok(180, 30, 210) && slump_ok(180, 30, 180));
        assert!(!slump_ok(180, 30, 149) && !slump_ok(180, 30, 211));
    }

    #[test]
    fn ticket_values() {
        assert!(check_volume("volume_m3", 20.0).is_ok() && check_volume("volume_m3", 0.5).is_ok());
        for bad in [0.0, -1.0, 20.01, f64::INFINITY] {
            assert_eq!(check_volume("volume_m3", bad).unwrap_err().field, "volume_m3");
        }
        assert!(check_temperature("t", -40.0).is_ok() && check_temperature("t", 60.0).is_ok());
        assert!(check_temperature("t", 60.1).is_err());
        assert!(check_slump("s", 10).is_ok() && check_slump("s", 280).is_ok() && check_slump("s", 9).is_err());
        assert_eq!(check_strengths("strengths_mpa", &[30.0, 31.0, 32.0]).unwrap(), [30.0, 31.0, 32.0]);
        assert_eq!(check_strengths("strengths_mpa", &[30.0, 31.0]).unwrap_err().field, "strengths_mpa");
        assert_eq!(check_strengths("strengths_mpa", &[30.0, 0.0, 1.0]).unwrap_err().field, "strengths_mpa[1]");
    }

    // --- properties of the time-limit rule ---

    fn arb_temp() -> impl Strategy<Value = f64> {
        (-200i32..=450).prop_map(|t| f64::from(t) / 10.0)
    }

    proptest! {
        /// Late iff strictly more than the limit, to the millisecond, for
        /// every temperature and admixture.
        #[test]
        fn late_iff_strictly_over_the_limit(
            temp in arb_temp(), retarding: bool, transit in 0i64..200 * M, wait in 0i64..200 * M, placing in 0i64..200 * M,
        ) {
            let l = TimeLimits::default();
            let t = DeliveryTimes {
                mixed_at: T0,
                departed_at: T0 + wait,
                arrived_at: Some(T0 + wait + transit),
                placed_at: Some(T0 + wait + transit + placing),
            };
            let f = check(&t, temp, retarding, &l);
            let limit = l.placing_min(temp, retarding);
            prop_assert_eq!(f.iter().any(|f| f.kind == LimitKind::Transport), transit > 90 * M);
            prop_assert_eq!(f.iter().any(|f| f.kind == LimitKind::Placing), wait + transit + placing > i64::from(limit) * M);
            for x in &f {
                prop_assert!(x.over_ms > 0);
                prop_assert_eq!(x.over_ms, x.elapsed_ms - i64::from(x.limit_min) * M);
            }
        }

        /// The hot limit is never longer than the cool one, a retarder never
        /// shortens the limit, and the boundary belongs to the cool side.
        #[test]
        fn limits_are_ordered(temp in arb_temp(), retarding: bool) {
            let l = TimeLimits::default();
            prop_assert!(l.placing_min(temp, true) >= l.placing_min(temp, false));
            let cooler = temp - 5.0;
            prop_assert!(l.placing_min(cooler, retarding) >= l.placing_min(temp, retarding));
            prop_assert_eq!(l.placing_min(temp, retarding) == l.placing_min(25.0, retarding), temp <= 25.0);
        }

        /// Shifting every time by the same amount changes nothing; delaying
        /// arrival or placing never removes a finding.
        #[test]
        fn shift_invariance_and_monotone_delay(
            temp in arb_temp(), retarding: bool, transit in 0i64..150 * M, wait in 0i64..150 * M,
            shift in -1_000_000_000i64..1_000_000_000, delay in 0i64..100 * M,
        ) {
            let l = TimeLimits::default();
            let t = DeliveryTimes { mixed_at: T0, departed_at: T0 + wait, arrived_at: Some(T0 + wait + transit), placed_at: None };
            let s = DeliveryTimes {
                mixed_at: t.mixed_at + shift,
                departed_at: t.departed_at + shift,
                arrived_at: t.arrived_at.map(|a| a + shift),
                placed_at: None,
            };
            prop_assert_eq!(check(&t, temp, retarding, &l), check(&s, temp, retarding, &l));
            let later = DeliveryTimes { arrived_at: t.arrived_at.map(|a| a + delay), ..t };
            let before = kinds(&check(&t, temp, retarding, &l));
            let after = kinds(&check(&later, temp, retarding, &l));
            for k in before {
                prop_assert!(after.contains(&k));
            }
            // Recording the end of placing only extends the placing span.
            let placed = DeliveryTimes { placed_at: t.arrived_at.map(|a| a + delay), ..t };
            prop_assert!(placed.validate().is_ok());
            let p = check(&placed, temp, retarding, &l);
            let a = check(&t, temp, retarding, &l);
            prop_assert!(a.iter().all(|x| x.kind != LimitKind::Placing) || p.iter().any(|x| x.kind == LimitKind::Placing));
        }
    }
}
