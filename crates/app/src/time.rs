//! Time is stored as epoch milliseconds UTC and shown in Asia/Shanghai.

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").expect("bundled tzdb has Asia/Shanghai")
}

/// RFC 3339 with the +08:00 offset, e.g. `2026-11-25T12:00:00+08:00`.
pub fn fmt_local(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned_datetime(shanghai()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        Err(_) => String::new(),
    }
}

/// Today's date in Shanghai, `YYYY-MM-DD`.
pub fn today_local(now_ms: i64) -> String {
    Timestamp::from_millisecond(now_ms)
        .map(|ts| ts.to_zoned_datetime(shanghai()).date().to_string())
        .unwrap_or_default()
}

/// The month (`YYYY-MM`, Shanghai) of an instant.
pub fn month_of(ms: i64) -> String {
    today_local(ms).get(..7).unwrap_or_default().to_string()
}

/// A `YYYY-MM` month, checked.
pub fn parse_month(field: &str, ym: &str) -> Result<jiff::civil::Date, crate::AppError> {
    let bad = || crate::AppError::field(field, "月份格式应为 YYYY-MM");
    if ym.len() != 7 || ym.as_bytes()[4] != b'-' {
        return Err(bad());
    }
    let y: i16 = ym[..4].parse().map_err(|_| bad())?;
    let m: i8 = ym[5..].parse().map_err(|_| bad())?;
    jiff::civil::Date::new(y, m, 1).map_err(|_| bad())
}

/// Epoch ms of a civil date's midnight in Shanghai.
pub fn day_start(d: jiff::civil::Date) -> i64 {
    d.to_zoned_datetime(shanghai()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
}

/// `[start, end)` of a `YYYY-MM` month in Shanghai, epoch ms.
pub fn month_bounds(field: &str, ym: &str) -> Result<(i64, i64), crate::AppError> {
    let first = parse_month(field, ym)?;
    let next =
        first.checked_add(jiff::Span::new().months(1)).map_err(|e| crate::AppError::field(field, e.to_string()))?;
    Ok((day_start(first), day_start(next)))
}

/// The month `k` months after `ym` (negative: before), `YYYY-MM`.
pub fn add_months(ym: &str, k: i32) -> String {
    let y: i32 = ym.get(..4).and_then(|s| s.parse().ok()).unwrap_or(1970);
    let m: i32 = ym.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    let idx = y * 12 + (m - 1) + k;
    format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
}

/// An RFC 3339 instant as epoch ms.
pub fn parse_instant(field: &str, s: &str) -> Result<i64, crate::AppError> {
    s.parse::<Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| crate::AppError::field(field, "时间格式应为 RFC 3339，例如 2026-11-25T09:30:00+08:00"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shows_shanghai_time() {
        // 2026-11-25T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(super::fmt_local(1_795_564_800_000), "2026-11-25T08:00:00+08:00");
        assert_eq!(super::today_local(1_795_564_800_000 - 9 * 3_600_000), "2026-11-24");
        assert_eq!(super::month_of(1_795_564_800_000), "2026-11");
        assert_eq!(super::add_months("2026-11", 2), "2027-01");
        assert_eq!(super::add_months("2026-01", -1), "2025-12");
        let (a, b) = super::month_bounds("m", "2026-02").unwrap();
        assert_eq!(
            (super::fmt_local(a).as_str(), super::fmt_local(b).as_str()),
            ("2026-02-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00")
        );
        assert!(super::month_bounds("m", "2026-13").is_err() && super::month_bounds("m", "2026-1").is_err());
        assert_eq!(super::parse_instant("t", "2026-11-25T08:00:00+08:00").unwrap(), 1_795_564_800_000);
    }
}
