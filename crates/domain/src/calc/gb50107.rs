//! Acceptance of concrete compressive strength by batch, GB/T 50107-2010
//! (standards.md §2).
//!
//! Group value (one group = three cubes): the mean of the three, unless the
//! largest or the smallest deviates from the middle value by more than 15 %
//! of the middle value, in which case the middle value; if both deviate by
//! more than 15 % the group is invalid — it is reported in `invalid_groups`
//! with its index and does not count. Non-standard cubes are converted to the
//! 150 mm cube (100 mm × 0.95, 200 mm × 1.05).
//!
//! Methods: `sigma0` when a known σ0 is given, else `statistical` for n ≥ 10
//! valid groups, else `non_statistical`.
//!
//! Numbers, following the precision the standard gives its symbols:
//! - group values are rounded half up to 0.1 MPa, and every statistic is
//!   computed from those rounded values;
//! - the mean m is rounded to 0.1 MPa, the sample standard deviation S
//!   (n − 1) and σ0 to 0.01 MPa; the minimum is a group value (0.1 MPa);
//! - the limits (e.g. f_cu,k + λ1·S) are exact decimal products of those
//!   values and are reported to 4 decimals, which represents them exactly;
//! - m ≥ limit and f_min ≥ limit are decided on the reported values with the
//!   tolerance [`super::EPS`], so a value exactly on a limit passes;
//! - "more than 15 %" is strict and also tolerant: 20.0 / 23.0 (exactly 15 %)
//!   is not a deviation, 20.0 / 23.1 is.

use super::{at_least, greater, round_half_up};
use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Strength classes the standard covers (C15 … C80).
pub const GRADES: [u32; 14] = [15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80];

/// The smallest σ0 (and floor of S) the standard admits, MPa.
pub const MIN_SD: f64 = 2.5;

fn default_specimen() -> u32 {
    150
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gb50107Input {
    /// Strength class, `C15` … `C80`.
    pub grade: String,
    /// Cube edge in mm: 100, 150 (default) or 200.
    #[serde(default = "default_specimen")]
    pub specimen_mm: u32,
    /// Groups of three cube strengths, MPa.
    pub groups: Vec<Vec<f64>>,
    /// Known standard deviation of the previous period (≥ 2.5 MPa); selects
    /// the σ0 method. The standard's batch for this method is three
    /// consecutive groups; that is not enforced here.
    #[serde(default)]
    pub sigma0: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Statistical,
    Sigma0,
    NonStatistical,
}

/// The criterion a batch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Mean,
    Min,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvalidGroup {
    pub index: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// The mean must be at least this.
    pub mean: f64,
    /// The smallest group value must be at least this.
    pub min: f64,
}

/// The coefficients of the method used (the others are absent).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Lambdas {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda3: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda4: Option<f64>,
    /// σ0 method: the 0.7 in m ≥ f_cu,k + 0.7σ0 and f_min ≥ f_cu,k − 0.7σ0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma0_factor: Option<f64>,
    /// σ0 method: f_min ≥ this × f_cu,k (0.85 up to C20, 0.90 above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_factor: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gb50107Output {
    /// Normalised class, e.g. `C25`.
    pub grade: String,
    /// f_cu,k, MPa.
    pub fcu_k: f64,
    /// Size conversion factor applied (1.0 for 150 mm cubes).
    pub size_factor: f64,
    /// Values of the valid groups, in input order, MPa (0.1).
    pub group_values: Vec<f64>,
    /// Input indexes of the valid groups whose value is the middle cube.
    pub middle_value_groups: Vec<usize>,
    pub invalid_groups: Vec<InvalidGroup>,
    pub method: Method,
    /// Number of valid groups.
    pub n: usize,
    /// m, MPa (0.1).
    pub mean: f64,
    /// Sample standard deviation as computed, MPa (0.01); null when n < 2.
    pub sd: Option<f64>,
    /// The standard deviation entering the limit: max(S, 2.5) for the
    /// statistical method, σ0 for the σ0 method, null otherwise.
    pub sd_used: Option<f64>,
    /// f_min, MPa (0.1).
    pub min: f64,
    pub limits: Limits,
    pub lambda: Lambdas,
    pub pass: bool,
    pub failed: Vec<Criterion>,
}

/// f_cu,k of a class `C15` … `C80` (case and surrounding space ignored).
pub fn parse_grade(field: &str, s: &str) -> Result<u32, FieldError> {
    let t = s.trim();
    t.strip_prefix(['C', 'c'])
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|v| GRADES.contains(v))
        .ok_or_else(|| FieldError::new(field, format!("未知混凝土强度等级: {t}（应为 C15、C20 … C80）")))
}

/// The size conversion factor to the 150 mm cube.
fn size_factor(specimen_mm: u32, fcu_k: u32) -> Result<f64, FieldError> {
    let f = match specimen_mm {
        150 => return Ok(1.0),
        100 => 0.95,
        200 => 1.05,
        _ => return Err(FieldError::new("specimen_mm", "试件边长应为 100、150 或 200 mm")),
    };
    if fcu_k >= 60 {
        // §4.3.2: from C60 the factor for non-standard cubes must come from tests.
        return Err(FieldError::new(
            "specimen_mm",
            "C60 及以上使用非标准试件时尺寸折算系数应由试验确定，请换算后按 150 mm 提交",
        ));
    }
    Ok(f)
}

/// How a group's value was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Mean,
    Middle,
}

/// A group's representative value before size conversion and rounding, or
/// the reason it is invalid.
fn group_value(cubes: [f64; 3]) -> Result<(f64, Rule), String> {
    let mut c = cubes;
    c.sort_by(f64::total_cmp);
    let [lo, mid, hi] = c;
    let limit = 0.15 * mid;
    match (greater(hi - mid, limit), greater(mid - lo, limit)) {
        (true, true) => Err("最大值和最小值与中间值之差均超过中间值的15%，该组试件的强度不应作为评定的依据".into()),
        (true, false) | (false, true) => Ok((mid, Rule::Middle)),
        (false, false) => Ok(((lo + mid + hi) / 3.0, Rule::Mean)),
    }
}

fn lambdas_statistical(n: usize) -> (f64, f64) {
    match n {
        ..=14 => (1.15, 0.90),
        15..=19 => (1.05, 0.85),
        _ => (0.95, 0.85),
    }
}

/// Assess one batch (检验批).
pub fn assess(input: &Gb50107Input) -> Result<Gb50107Output, FieldError> {
    let fcu = parse_grade("grade", &input.grade)?;
    let fcu_k = f64::from(fcu);
    let factor = size_factor(input.specimen_mm, fcu)?;
    let sigma0 = match input.sigma0 {
        None => None,
        Some(s) if s.is_finite() && at_least(s, MIN_SD) => Some(round_half_up(s, 2)),
        Some(_) => {
            return Err(FieldError::new("sigma0", "σ0 应为不小于 2.5 MPa 的数（计算值小于 2.5 时取 2.5）"));
        }
    };
    if input.groups.is_empty() {
        return Err(FieldError::new("groups", "至少需要一组试件"));
    }

    let mut group_values = Vec::new();
    let mut middle_value_groups = Vec::new();
    let mut invalid_groups = Vec::new();
    for (i, g) in input.groups.iter().enumerate() {
        let cubes: [f64; 3] = g.as_slice().try_into().map_err(|_| {
            FieldError::new(format!("groups[{i}]"), format!("每组应为 3 个试件强度值，实为 {} 个", g.len()))
        })?;
        if let Some(j) = cubes.iter().position(|v| !v.is_finite() || *v <= 0.0) {
            return Err(FieldError::new(format!("groups[{i}][{j}]"), "试件强度应为大于 0 的数（MPa）"));
        }
        match group_value(cubes) {
            Ok((v, rule)) => {
                group_values.push(round_half_up(v * factor, 1));
                if rule == Rule::Middle {
                    middle_value_groups.push(i);
                }
            }
            Err(reason) => invalid_groups.push(InvalidGroup { index: i, reason }),
        }
    }
    let n = group_values.len();
    if n == 0 {
        return Err(FieldError::new("groups", "没有有效的试件组（各组均因离散过大而无效）"));
    }

    let mean_raw = group_values.iter().sum::<f64>() / n as f64;
    let mean = round_half_up(mean_raw, 1);
    let min = group_values.iter().copied().fold(f64::INFINITY, f64::min);
    let sd = (n >= 2).then(|| {
        let ss: f64 = group_values.iter().map(|v| (v - mean_raw).powi(2)).sum();
        round_half_up((ss / (n - 1) as f64).sqrt(), 2)
    });

    let mut lambda = Lambdas::default();
    let (method, sd_used, mean_limit, min_limit) = if let Some(s0) = sigma0 {
        let k = if fcu <= 20 { 0.85 } else { 0.90 };
        lambda.sigma0_factor = Some(0.7);
        lambda.min_factor = Some(k);
        (Method::Sigma0, Some(s0), fcu_k + 0.7 * s0, (fcu_k - 0.7 * s0).max(k * fcu_k))
    } else if n >= 10 {
        let (l1, l2) = lambdas_statistical(n);
        let s = sd.expect("n ≥ 10").max(MIN_SD);
        lambda.lambda1 = Some(l1);
        lambda.lambda2 = Some(l2);
        (Method::Statistical, Some(s), fcu_k + l1 * s, l2 * fcu_k)
    } else {
        let l3 = if fcu < 60 { 1.15 } else { 1.10 };
        let l4 = 0.95;
        lambda.lambda3 = Some(l3);
        lambda.lambda4 = Some(l4);
        (Method::NonStatistical, None, l3 * fcu_k, l4 * fcu_k)
    };
    let limits = Limits { mean: round_half_up(mean_limit, 4), min: round_half_up(min_limit, 4) };

    let mut failed = Vec::new();
    if !at_least(mean, limits.mean) {
        failed.push(Criterion::Mean);
    }
    if !at_least(min, limits.min) {
        failed.push(Criterion::Min);
    }
    Ok(Gb50107Output {
        grade: format!("C{fcu}"),
        fcu_k,
        size_factor: factor,
        group_values,
        middle_value_groups,
        invalid_groups,
        method,
        n,
        mean,
        sd,
        sd_used,
        min,
        limits,
        lambda,
        pass: failed.is_empty(),
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(grade: &str, groups: Vec<[f64; 3]>) -> Gb50107Input {
        Gb50107Input {
            grade: grade.into(),
            specimen_mm: 150,
            groups: groups.into_iter().map(|g| g.to_vec()).collect(),
            sigma0: None,
        }
    }

    /// A group of three equal cubes: its value is exactly `v`.
    fn eq(v: f64) -> [f64; 3] {
        [v, v, v]
    }

    fn field_of(r: Result<Gb50107Output, FieldError>) -> String {
        r.expect_err("should be rejected").field
    }

    fn one_group(g: [f64; 3]) -> Gb50107Output {
        assess(&input("C20", vec![g])).unwrap()
    }

    // --- group values ---

    #[test]
    fn group_value_is_the_mean_rounded_to_a_tenth() {
        let out = one_group([24.1, 25.0, 23.8]);
        assert_eq!(out.group_values, [24.3]);
        assert!(out.middle_value_groups.is_empty());
        assert_eq!(one_group([24.1, 25.0, 23.9]).group_values, [24.3]); // 24.333…
        assert_eq!(one_group([24.2, 25.0, 23.9]).group_values, [24.4]); // 24.366…
    }

    #[test]
    fn fifteen_percent_rule_high_side() {
        // 23.0 − 20.0 is exactly 15 % of 20.0: not "more than", so the mean.
        assert_eq!(one_group([20.0, 20.0, 23.0]).group_values, [21.0]);
        let out = one_group([20.0, 20.0, 23.1]);
        assert_eq!(out.group_values, [20.0]);
        assert_eq!(out.middle_value_groups, [0]);
    }

    #[test]
    fn fifteen_percent_rule_low_side() {
        assert_eq!(one_group([17.0, 20.0, 20.0]).group_values, [19.0]);
        let out = one_group([16.9, 20.0, 20.0]);
        assert_eq!(out.group_values, [20.0]);
        assert_eq!(out.middle_value_groups, [0]);
    }

    #[test]
    fn fifteen_percent_rule_both_sides() {
        // Both exactly at 15 %: the mean.
        assert_eq!(one_group([17.0, 20.0, 23.0]).group_values, [20.0]);
        // One side over: the middle value.
        assert_eq!(one_group([17.0, 20.0, 23.1]).group_values, [20.0]);
        // Both over: invalid, reported with its index, not dropped silently.
        let out = assess(&input("C20", vec![eq(25.0), [16.9, 20.0, 23.1], eq(26.0)])).unwrap();
        assert_eq!(out.group_values, [25.0, 26.0]);
        assert_eq!(out.n, 2);
        assert_eq!(out.invalid_groups.len(), 1);
        assert_eq!(out.invalid_groups[0].index, 1);
        assert!(out.invalid_groups[0].reason.contains("15%"));
    }

    #[test]
    fn cube_order_does_not_matter() {
        assert_eq!(one_group([23.1, 20.0, 20.0]).group_values, [20.0]);
        let out = assess(&input("C20", vec![eq(20.0), [20.0, 16.9, 23.1]])).unwrap();
        assert_eq!(out.invalid_groups.len(), 1);
    }

    #[test]
    fn non_standard_cubes_are_converted() {
        let mut i = input("C30", vec![eq(30.0)]);
        i.specimen_mm = 100;
        let out = assess(&i).unwrap();
        assert_eq!((out.size_factor, out.group_values.as_slice()), (0.95, [28.5].as_slice()));
        i.specimen_mm = 200;
        assert_eq!(assess(&i).unwrap().group_values, [31.5]);
        // 24.3 × 0.95 = 23.085 → 23.1 (half up, not 23.08499… → 23.0).
        let mut i = input("C20", vec![eq(24.3)]);
        i.specimen_mm = 100;
        assert_eq!(assess(&i).unwrap().group_values, [23.1]);
    }

    #[test]
    fn non_standard_cubes_from_c60_are_rejected() {
        let mut i = input("C55", vec![eq(70.0)]);
        i.specimen_mm = 100;
        assert!(assess(&i).is_ok());
        i.grade = "C60".into();
        assert_eq!(field_of(assess(&i)), "specimen_mm");
        i.specimen_mm = 150;
        assert!(assess(&i).is_ok());
    }

    // --- method selection and coefficients ---

    fn batch(grade: &str, n: usize, v: f64) -> Gb50107Input {
        input(grade, vec![eq(v); n])
    }

    #[test]
    fn method_and_lambdas_by_number_of_groups() {
        let cases = [
            (9, Method::NonStatistical, None, None),
            (10, Method::Statistical, Some(1.15), Some(0.90)),
            (14, Method::Statistical, Some(1.15), Some(0.90)),
            (15, Method::Statistical, Some(1.05), Some(0.85)),
            (19, Method::Statistical, Some(1.05), Some(0.85)),
            (20, Method::Statistical, Some(0.95), Some(0.85)),
            (40, Method::Statistical, Some(0.95), Some(0.85)),
        ];
        for (n, method, l1, l2) in cases {
            let out = assess(&batch("C30", n, 35.0)).unwrap();
            assert_eq!((out.method, out.n), (method, n), "n = {n}");
            assert_eq!((out.lambda.lambda1, out.lambda.lambda2), (l1, l2), "n = {n}");
        }
    }

    #[test]
    fn statistical_limits_use_the_floor_of_2_5() {
        // All equal: S = 0, taken as 2.5.
        let out = assess(&batch("C30", 10, 33.0)).unwrap();
        assert_eq!((out.sd, out.sd_used), (Some(0.0), Some(2.5)));
        assert_eq!(out.limits, Limits { mean: 32.875, min: 27.0 });
        assert!(out.pass);
        let out = assess(&batch("C30", 20, 33.0)).unwrap();
        assert_eq!(out.limits, Limits { mean: 32.375, min: 25.5 });
    }

    #[test]
    fn statistical_sd_above_the_floor_is_used_as_computed() {
        // Five groups of 30 and five of 40: S = sqrt(10 · 25 / 9) = 5.27.
        let groups = [vec![eq(30.0); 5], vec![eq(40.0); 5]].concat();
        let out = assess(&input("C25", groups)).unwrap();
        assert_eq!((out.mean, out.sd, out.sd_used), (35.0, Some(5.27), Some(5.27)));
        assert_eq!(out.limits.mean, 31.0605); // 25 + 1.15 × 5.27
        assert!(out.pass);
    }

    #[test]
    fn statistical_boundaries_of_mean_and_min() {
        // C30, n = 10, S below 2.5: mean limit 32.875, min limit 27.0.
        let with = |mean_group: f64, min_group: f64| {
            let mut g = vec![eq(mean_group); 9];
            g.push(eq(min_group));
            assess(&input("C30", g)).unwrap()
        };
        // 9 × 33.0 + 27.0 = 324 → mean 32.4 fails; min 27.0 exactly passes.
        let out = with(33.0, 27.0);
        assert_eq!((out.mean, out.min), (32.4, 27.0));
        assert_eq!(out.failed, [Criterion::Mean]);
        // Raise the mean: 9 × 33.6 + 27.0 = 329.4 → 32.9 ≥ 32.875 passes, min at the limit passes.
        let out = with(33.6, 27.0);
        assert_eq!((out.mean, out.sd_used), (32.9, Some(2.5)));
        assert!(out.pass, "{out:?}");
        // 26.9 < 27.0 fails on min only.
        let out = with(33.7, 26.9);
        assert_eq!(out.failed, [Criterion::Min]);
        // 9 × 33.5 + 27.0 = 328.5 → 32.85 → 32.9 half up: passes on the rounded mean.
        assert_eq!(with(33.5, 27.0).mean, 32.9);
        // 9 × 33.4 + 27.0 = 327.6 → 32.76 → 32.8 < 32.875 fails.
        assert_eq!(with(33.4, 27.0).failed, [Criterion::Mean]);
    }

    #[test]
    fn non_statistical_lambda3_changes_at_c60() {
        let out = assess(&batch("C55", 3, 70.0)).unwrap();
        assert_eq!((out.lambda.lambda3, out.lambda.lambda4), (Some(1.15), Some(0.95)));
        assert_eq!(out.limits, Limits { mean: 63.25, min: 52.25 });
        let out = assess(&batch("C60", 3, 70.0)).unwrap();
        assert_eq!(out.lambda.lambda3, Some(1.10));
        assert_eq!(out.limits, Limits { mean: 66.0, min: 57.0 });
        // C60 mean exactly 66.0 passes, 65.9 fails.
        assert!(assess(&batch("C60", 3, 66.0)).unwrap().pass);
        assert_eq!(assess(&batch("C60", 3, 65.9)).unwrap().failed, [Criterion::Mean]);
        // C55 at 63.2 fails where C60's λ3 would not matter.
        assert_eq!(assess(&batch("C55", 3, 63.2)).unwrap().failed, [Criterion::Mean]);
        assert!(assess(&batch("C55", 3, 63.3)).unwrap().pass);
    }

    #[test]
    fn non_statistical_mean_and_min_exactly_at_the_limit() {
        // C20: mean ≥ 23.0, min ≥ 19.0.
        let out = assess(&input("C20", vec![eq(27.0), eq(23.0), eq(19.0)])).unwrap();
        assert_eq!((out.mean, out.min), (23.0, 19.0));
        assert_eq!(out.limits, Limits { mean: 23.0, min: 19.0 });
        assert!(out.pass);
        let out = assess(&input("C20", vec![eq(26.9), eq(23.0), eq(19.0)])).unwrap();
        assert_eq!(out.mean, 23.0); // 22.966… rounds to 23.0
        assert!(out.pass);
        let out = assess(&input("C20", vec![eq(26.7), eq(23.0), eq(19.0)])).unwrap();
        assert_eq!(out.mean, 22.9);
        assert_eq!(out.failed, [Criterion::Mean]);
        let out = assess(&input("C20", vec![eq(27.2), eq(23.0), eq(18.9)])).unwrap();
        assert_eq!(out.failed, [Criterion::Min]);
        let out = assess(&input("C20", vec![eq(20.0), eq(20.0), eq(18.0)])).unwrap();
        assert_eq!(out.failed, [Criterion::Mean, Criterion::Min]);
        assert_eq!(out.sd, Some(1.15));
        assert_eq!(out.sd_used, None);
    }

    #[test]
    fn a_single_group_has_no_sd() {
        let out = assess(&batch("C25", 1, 30.0)).unwrap();
        assert_eq!((out.n, out.sd), (1, None));
        let json = serde_json::to_value(&out).unwrap();
        assert!(json["sd"].is_null());
        assert_eq!(json["method"], "non_statistical");
    }

    #[test]
    fn sigma0_method_limits_and_the_c20_c25_boundary() {
        let with = |grade: &str, s0: f64, groups: Vec<[f64; 3]>| {
            let mut i = input(grade, groups);
            i.sigma0 = Some(s0);
            assess(&i).unwrap()
        };
        // σ0 = 5: C20 min limit max(20 − 3.5, 0.85 × 20) = 17.0; C25 max(25 − 3.5, 0.90 × 25) = 22.5.
        let out = with("C20", 5.0, vec![eq(24.0); 3]);
        assert_eq!((out.method, out.sd_used), (Method::Sigma0, Some(5.0)));
        assert_eq!(out.limits, Limits { mean: 23.5, min: 17.0 });
        assert_eq!(out.lambda.min_factor, Some(0.85));
        let out = with("C25", 5.0, vec![eq(29.0); 3]);
        assert_eq!(out.limits, Limits { mean: 28.5, min: 22.5 });
        assert_eq!(out.lambda.min_factor, Some(0.90));
        // σ0 = 2.5: f_cu,k − 0.7σ0 binds: C25 min limit max(23.25, 22.5) = 23.25.
        let out = with("C25", 2.5, vec![eq(29.0); 3]);
        assert_eq!(out.limits, Limits { mean: 26.75, min: 23.25 });
        // Mean exactly at the limit: C30, σ0 3.00 → 32.1.
        let out = with("C30", 3.0, vec![eq(32.0), eq(32.1), eq(32.2)]);
        assert_eq!((out.mean, out.limits.mean), (32.1, 32.1));
        assert!(out.pass);
        let out = with("C30", 3.0, vec![eq(31.9), eq(32.0), eq(32.1)]);
        assert_eq!(out.failed, [Criterion::Mean]);
        // Min exactly at the C25 limit 22.5 passes, 22.4 fails.
        assert!(with("C25", 5.0, vec![eq(32.0), eq(34.0), eq(22.5)]).pass);
        assert_eq!(with("C25", 5.0, vec![eq(32.0), eq(34.0), eq(22.4)]).failed, [Criterion::Min]);
        // C20 takes 0.85: a minimum of 17.0 passes, 16.9 fails.
        assert!(with("C20", 5.0, vec![eq(26.0), eq(28.0), eq(17.0)]).pass);
        assert_eq!(with("C20", 5.0, vec![eq(26.0), eq(28.0), eq(16.9)]).failed, [Criterion::Min]);
    }

    #[test]
    fn sigma0_takes_precedence_over_the_statistical_method() {
        let mut i = batch("C30", 12, 36.0);
        i.sigma0 = Some(3.0);
        assert_eq!(assess(&i).unwrap().method, Method::Sigma0);
    }

    #[test]
    fn grade_parsing() {
        assert_eq!(parse_grade("grade", "C25"), Ok(25));
        assert_eq!(parse_grade("grade", " c80 "), Ok(80));
        assert_eq!(parse_grade("grade", "C15"), Ok(15));
        for bad in ["C10", "C22", "C85", "25", "C", "C+25", "CC25", "C25.0", ""] {
            assert!(parse_grade("grade", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_inputs_name_their_field() {
        assert_eq!(field_of(assess(&input("C22", vec![eq(30.0)]))), "grade");
        let mut i = input("C30", vec![eq(30.0)]);
        i.specimen_mm = 120;
        assert_eq!(field_of(assess(&i)), "specimen_mm");
        assert_eq!(field_of(assess(&input("C30", vec![]))), "groups");
        let mut i = input("C30", vec![eq(30.0)]);
        i.groups.push(vec![30.0, 31.0]);
        assert_eq!(field_of(assess(&i)), "groups[1]");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let i = input("C30", vec![eq(30.0), [30.0, 31.0, bad]]);
            assert_eq!(field_of(assess(&i)), "groups[1][2]");
        }
        for bad in [2.49, 0.0, f64::NAN] {
            let mut i = input("C30", vec![eq(30.0)]);
            i.sigma0 = Some(bad);
            assert_eq!(field_of(assess(&i)), "sigma0");
        }
        let mut i = input("C30", vec![eq(30.0)]);
        i.sigma0 = Some(2.5);
        assert!(assess(&i).is_ok());
        // Every group invalid: nothing to assess.
        assert_eq!(field_of(assess(&input("C30", vec![[16.9, 20.0, 23.1]]))), "groups");
    }

    #[test]
    fn json_shapes() {
        let i: Gb50107Input = serde_json::from_str(
            r#"{"grade":"C25","specimen_mm":150,"groups":[[24.1,25.0,23.8],[30,31,29]],"sigma0":null}"#,
        )
        .unwrap();
        let v = serde_json::to_value(assess(&i).unwrap()).unwrap();
        assert_eq!(v["group_values"], serde_json::json!([24.3, 30.0]));
        assert_eq!(v["method"], "non_statistical");
        assert_eq!(v["limits"], serde_json::json!({"mean": 28.75, "min": 23.75}));
        assert_eq!(v["lambda"], serde_json::json!({"lambda3": 1.15, "lambda4": 0.95}));
        assert_eq!(v["failed"], serde_json::json!(["mean"]));
        assert_eq!(v["pass"], false);
        let i: Gb50107Input = serde_json::from_str(r#"{"grade":"C25","groups":[[30,30,30]]}"#).unwrap();
        assert_eq!(i.specimen_mm, 150);
    }

    #[test]
    fn a_uniform_raise_can_lower_a_group_value_under_the_15_percent_rule() {
        // Documented property of the rule, why pass-monotonicity is stated for
        // scaling: (10, 20, 21) + 46 → middle 66.0, + 47 → mean 64.0.
        assert_eq!(one_group([56.0, 66.0, 67.0]).group_values, [66.0]);
        assert_eq!(one_group([57.0, 67.0, 68.0]).group_values, [64.0]);
    }

    // --- properties ---

    fn arb_cube() -> impl Strategy<Value = f64> {
        (150u32..=900).prop_map(|t| f64::from(t) / 10.0)
    }

    fn arb_groups() -> impl Strategy<Value = Vec<[f64; 3]>> {
        prop::collection::vec([arb_cube(), arb_cube(), arb_cube()], 1..25)
    }

    /// Groups whose cubes lie within ±7 % of a base: always the mean rule.
    fn arb_tight_groups() -> impl Strategy<Value = Vec<[f64; 3]>> {
        prop::collection::vec((200u32..=700, -7i32..=7, -7i32..=7), 1..25).prop_map(|v| {
            v.into_iter()
                .map(|(b, d1, d2)| {
                    let base = i64::from(b);
                    let other = |d: i32| (base + base * i64::from(d) / 100) as f64 / 10.0;
                    [base as f64 / 10.0, other(d1), other(d2)]
                })
                .collect()
        })
    }

    fn arb_grade() -> impl Strategy<Value = String> {
        prop::sample::select(GRADES.to_vec()).prop_map(|g| format!("C{g}"))
    }

    fn arb_sigma0() -> impl Strategy<Value = Option<f64>> {
        prop::option::of((250u32..=800).prop_map(|s| f64::from(s) / 100.0))
    }

    proptest! {
        #[test]
        fn scaling_every_cube_up_never_turns_pass_into_fail(
            grade in arb_grade(), groups in arb_groups(), sigma0 in arb_sigma0(), k in 110u32..=300,
        ) {
            let mut i = input(&grade, groups.clone());
            i.sigma0 = sigma0;
            let Ok(before) = assess(&i) else { return Ok(()) };
            let k = f64::from(k) / 100.0;
            i.groups = groups.iter().map(|g| g.iter().map(|c| c * k).collect()).collect();
            let after = assess(&i).unwrap();
            prop_assert_eq!(after.n, before.n);
            prop_assert!(after.pass || !before.pass, "before {:?}\nafter {:?}", before, after);
        }

        #[test]
        fn raising_every_cube_by_the_same_amount_never_turns_pass_into_fail(
            grade in arb_grade(), groups in arb_tight_groups(), sigma0 in arb_sigma0(), raise in 0u32..=300,
        ) {
            let mut i = input(&grade, groups.clone());
            i.sigma0 = sigma0;
            let before = assess(&i).unwrap();
            let c = f64::from(raise) / 10.0;
            i.groups = groups.iter().map(|g| g.iter().map(|v| v + c).collect()).collect();
            let after = assess(&i).unwrap();
            prop_assert!(after.invalid_groups.is_empty() && after.middle_value_groups.is_empty());
            prop_assert!(after.mean >= before.mean && after.min >= before.min);
            prop_assert!(after.pass || !before.pass, "before {:?}\nafter {:?}", before, after);
        }

        #[test]
        fn group_value_lies_between_the_cubes(cubes in [arb_cube(), arb_cube(), arb_cube()]) {
            match assess(&input("C20", vec![cubes])) {
                Ok(out) => {
                    let v = out.group_values[0];
                    let lo = cubes.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = cubes.iter().copied().fold(0.0, f64::max);
                    prop_assert!(v >= lo - 0.05 && v <= hi + 0.05);
                }
                // The only group is invalid (both extremes beyond 15 %).
                Err(e) => prop_assert_eq!(e.field, "groups"),
            }
        }

        #[test]
        fn method_follows_sigma0_and_n(groups in arb_groups(), sigma0 in arb_sigma0()) {
            let mut i = input("C30", groups);
            i.sigma0 = sigma0;
            if let Ok(out) = assess(&i) {
                let expected = match (sigma0, out.n) {
                    (Some(_), _) => Method::Sigma0,
                    (None, n) if n >= 10 => Method::Statistical,
                    _ => Method::NonStatistical,
                };
                prop_assert_eq!(out.method, expected);
                prop_assert_eq!(out.n + out.invalid_groups.len(), i.groups.len());
                prop_assert_eq!(out.pass, out.failed.is_empty());
                if let (Method::Statistical, Some(sd), Some(used)) = (out.method, out.sd, out.sd_used) {
                    prop_assert!(used >= MIN_SD && used >= sd);
                }
            }
        }
    }
}
