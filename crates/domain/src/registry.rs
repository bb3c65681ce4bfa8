//! Registry vocabularies (R2): industries and enterprise scales.

use crate::FieldError;

/// (code, Chinese label) pairs; codes are what the API and database carry.
pub const INDUSTRIES: &[(&str, &str)] = &[
    ("construction", "建筑施工"),
    ("hazardous_chemicals", "危险化学品"),
    ("mining", "矿山"),
    ("manufacturing", "工贸制造"),
    ("trade", "商贸服务"),
];

pub const SCALES: &[(&str, &str)] = &[("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")];

pub const PROJECT_STATUSES: &[(&str, &str)] =
    &[("planned", "未开工"), ("active", "在建"), ("suspended", "停工"), ("completed", "竣工")];

fn lookup(table: &[(&str, &'static str)], field: &str, code: &str, what: &str) -> Result<&'static str, FieldError> {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).ok_or_else(|| {
        let allowed: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
        FieldError::new(field, format!("未知{what}: {code}（可选: {}）", allowed.join(", ")))
    })
}

pub fn industry_label(field: &str, code: &str) -> Result<&'static str, FieldError> {
    lookup(INDUSTRIES, field, code, "行业")
}

pub fn scale_label(field: &str, code: &str) -> Result<&'static str, FieldError> {
    lookup(SCALES, field, code, "规模")
}

pub fn project_status_label(field: &str, code: &str) -> Result<&'static str, FieldError> {
    lookup(PROJECT_STATUSES, field, code, "项目状态")
}

/// A WGS-84 point; both coordinates or neither.
pub fn validate_point(lon: Option<f64>, lat: Option<f64>) -> Result<(), FieldError> {
    match (lon, lat) {
        (None, None) => Ok(()),
        (Some(lon), Some(lat)) => {
            if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
                return Err(FieldError::new("lon", "经度应在 -180 到 180 之间"));
            }
            if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
                return Err(FieldError::new("lat", "纬度应在 -90 到 90 之间"));
            }
            Ok(())
        }
        (None, Some(_)) => Err(FieldError::new("lon", "缺少经度")),
        (Some(_), None) => Err(FieldError::new("lat", "缺少纬度")),
    }
}

/// Days in a month of the Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A calendar date `YYYY-MM-DD` that exists (no 2026-02-30).
pub fn validate_date(field: &str, s: &str) -> Result<(), FieldError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        s.get(r).filter(|x| x.bytes().all(|c| c.is_ascii_digit())).and_then(|x| x.parse::<u32>().ok())
    };
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && match (digits(0..4), digits(5..7), digits(8..10)) {
            (Some(y), Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
            _ => false,
        };
    if ok { Ok(()) } else { Err(FieldError::new(field, "日期格式应为 YYYY-MM-DD，且须为存在的日期")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies() {
        assert_eq!(industry_label("industry", "mining").unwrap(), "矿山");
        assert_eq!(industry_label("industry", "farming").unwrap_err().field, "industry");
        assert!(validate_point(Some(118.0), Some(36.7)).is_ok());
        assert_eq!(validate_point(Some(200.0), Some(36.7)).unwrap_err().field, "lon");
        assert_eq!(validate_point(None, Some(36.7)).unwrap_err().field, "lon");
        assert!(validate_date("d", "2026-02-28").is_ok());
        assert!(validate_date("d", "2026-13-01").is_err());
        assert!(validate_date("d", "2026-02-29").is_err() && validate_date("d", "2028-02-29").is_ok());
        assert!(validate_date("d", "2100-02-29").is_err() && validate_date("d", "2000-02-29").is_ok());
        assert!(validate_date("d", "2026-11-31").is_err() && validate_date("d", "2026-12-31").is_ok());
        assert!(validate_date("d", "2026-1a-01").is_err() && validate_date("d", "+026-11-01").is_err());
    }
}
