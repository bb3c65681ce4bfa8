//! Analytics for regulators (A3): which hazard types follow each other at
//! the same enterprise more often than chance (co-occurrence), and hazard
//! counts per region for the next months with their backtest against a
//! seasonal-naive baseline. The models live in `anjian-analytics`; this
//! module reads the scope's hazards and names things.

use crate::{AppError, Caller, Result};
use anjian_analytics as an;
use anjian_domain::ids::RegionCode;
use anjian_store::now_ms;

mod cooccurrence;
mod forecast;
mod heatmap;
mod overdue;
mod profile;
mod ranking;
mod stats;

pub use cooccurrence::{CoOccurrenceParams, CoOccurrenceView, OutcomeView, PairView, co_occurrence};
pub use forecast::{ForecastParams, ForecastView, MonthCount, MonthForecast, RegionForecast, forecast};
pub use heatmap::{HeatmapParams, heatmap};
pub use overdue::{OverdueEnterpriseView, OverdueParams, OverdueView, overdue_enterprises};
pub use profile::{Deduction, EnterpriseProfile, ProfileFacts, profile};
pub use ranking::{
    GradeBand, GradingConfig, Indicator, IndustryLicences, LicenceParams, LicenceView, RankedRow, RankingParams,
    RankingView, grading, grading_shipped, licences, ranking, set_grading,
};
pub use stats::{StatRowView, StatsParams, StatsView, stats};

const DAY_MS: i64 = 86_400_000;
/// The region asked for, or the caller's own; regulators only.
pub(crate) fn region_for(caller: &Caller, asked: Option<&str>) -> Result<Option<RegionCode>> {
    caller.require(caller.role.is_regulator() || caller.is_admin())?;
    let region = match asked {
        Some(r) => Some(RegionCode::parse("region", r)?),
        None => caller.region_code.as_deref().map(|r| RegionCode::parse("region", r)).transpose()?,
    };
    if let Some(r) = &region
        && !caller.scope.allows_region(r)
    {
        return Err(AppError::NotFound);
    }
    Ok(region)
}

pub(super) fn analytics_error(e: an::AnalyticsError) -> AppError {
    AppError::field(&e.field, e.reason)
}

pub(super) fn day_start_ms(field: &str, d: &str) -> Result<i64> {
    anjian_domain::registry::validate_date(field, d)?;
    let date: jiff::civil::Date = d.parse().map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD"))?;
    date.to_zoned_datetime(crate::time::shanghai())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| AppError::field(field, e.to_string()))
}

/// The reporting window `[since, until)` from optional `YYYY-MM-DD` days in
/// Shanghai (`until` inclusive); by default the last `default_days` days.
pub(super) fn window(p_since: Option<&str>, p_until: Option<&str>, default_days: i64) -> Result<(i64, i64)> {
    let until = match p_until {
        Some(d) => day_start_ms("until", d)? + DAY_MS,
        None => now_ms(),
    };
    let since = match p_since {
        Some(d) => day_start_ms("since", d)?,
        None => until - default_days * DAY_MS,
    };
    if since >= until {
        return Err(AppError::field("since", "开始日期应早于结束日期"));
    }
    Ok((since, until))
}
