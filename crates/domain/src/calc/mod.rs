//! Standards calculators (standards.md §1–§4), as pure functions.
//!
//! Each submodule takes a serde input value and returns a serde output value
//! (the JSON shapes are the HTTP API's, unchanged) or a [`FieldError`] naming
//! the offending field by its JSON path, e.g. `substances[2].quantity_t`.
//!
//! - [`gb18218`]: major hazard sources of hazardous chemicals (S, R, grade).
//! - [`gb50107`]: acceptance of concrete strength by batch.
//! - [`jgj59`]: construction-site safety inspection scoring.
//! - [`risk`]: LEC and LS risk levels.
//!
//! Numbers: decisions (≥, >) are taken on the values the calculator reports,
//! after the rounding each module documents, and compare with a tolerance of
//! [`EPS`] so that a value lying exactly on a limit in decimal is not pushed
//! to the wrong side by binary floating point.
//!
//! [`FieldError`]: crate::FieldError

pub mod gb18218;
pub mod gb50107;
pub mod jgj59;
pub mod risk;

/// Tolerance for comparisons of decimal quantities held in `f64`. Far below
/// every reporting precision used here (the finest is 1e-6).
pub const EPS: f64 = 1e-9;

/// `a ≥ b`, tolerant of binary representation error.
pub(crate) fn at_least(a: f64, b: f64) -> bool {
    a >= b - EPS
}

/// `a > b`, tolerant of binary representation error (a value equal to `b` in
/// decimal is not greater).
pub(crate) fn greater(a: f64, b: f64) -> bool {
    a > b + EPS
}

/// Round half up (四舍五入) to `places` decimals. A value that is a half in
/// decimal but lies just below it in binary (23.085 is 23.08499… in `f64`)
/// still rounds up: the nudge (1e-13 relative, at least 1e-9 of the last
/// place) is far larger than representation error and far smaller than any
/// real difference at these precisions. Intended for non-negative values.
pub(crate) fn round_half_up(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    let scaled = x * scale;
    let nudged = scaled + (scaled.abs() * 1e-13).max(1e-9);
    nudged.round() / scale
}

/// Serialize an `f64` that holds an integral value as a JSON integer
/// (`108` rather than `108.0`); other values as usual.
pub(crate) fn integral_f64<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 { s.serialize_i64(*x as i64) } else { s.serialize_f64(*x) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_up_rounds_decimal_halves_up() {
        assert_eq!(round_half_up(23.085, 2), 23.09);
        assert_eq!(round_half_up(0.95 * 24.3, 1), 23.1); // 23.085
        assert_eq!(round_half_up(24.25, 1), 24.3);
        assert_eq!(round_half_up(24.249, 1), 24.2);
        assert_eq!(round_half_up(1.0, 6), 1.0);
        assert_eq!(round_half_up(0.0, 1), 0.0);
    }

    #[test]
    fn comparisons_tolerate_representation_error() {
        assert!(at_least(0.1 + 0.2, 0.3));
        assert!(!greater(0.1 + 0.2, 0.3));
        assert!(!at_least(0.29, 0.3));
        assert!(greater(0.31, 0.3));
    }
}
