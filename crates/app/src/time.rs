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

#[cfg(test)]
mod tests {
    #[test]
    fn shows_shanghai_time() {
        // 2026-11-25T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(super::fmt_local(1_795_564_800_000), "2026-11-25T08:00:00+08:00");
        assert_eq!(super::today_local(1_795_564_800_000 - 9 * 3_600_000), "2026-11-24");
    }
}
