//! Analytics over hazard history (issue 9), as pure functions: values in,
//! values out; no I/O, no async, no database.
//!
//! # Co-occurrence ([`co_occurrence`])
//!
//! Directed pairs A → B: how many A occurrences are followed by at least
//! one B at the same site within a window (each A counted once), against
//! what a null model of *no link* predicts. Hazard data are far from
//! independent across sites: a few units report most hazards, and an
//! industry fixes the mix of types, so a global-independence null (B's
//! overall share × A's count) would flag every pair of types common at busy
//! units. The null here is conditional on the site: given that B occurs `n`
//! times at site `s` over the span, those `n` are placed independently by
//! B's calendar profile (its own seasonal shape, shrunk toward the calendar
//! of all events), and an A at `t` is followed by a B with probability
//! `1 − (1 − m)^n`, `m` the profile's mass in `(t, t + W]`. Expected counts
//! sum that over A occurrences; lift = observed / expected, a Poisson upper
//! tail gives the p-value, Benjamini–Hochberg corrects over all tested
//! pairs, and a minimum count and lift keep small systematic departures out.
//! The mirror count (B in the window *before* A) is reported as a model-free
//! check. On the demo history itself (seeds 7 and 8: 100,000 hazards,
//! ~2,370 units, ~23,000 pairs tested) exactly the three planted pairs are
//! significant, with lifts 6–13. [`pair_outcomes`] asks the same question
//! of pairs and later outcomes (accidents, red alarms), conditional on each
//! site's outcome count.
//!
//! # Forecast ([`forecast()`], [`backtest()`])
//!
//! Monthly counts with a 12-month season, usually only 24 months of them.
//! The default model is a seasonal index × level model (see
//! `forecast/seasonal_index.rs`): growth from the last months against the
//! same months a year before, level from the last whole cycle, and each
//! month's index shrunk toward 1 by an empirical-Bayes weight (the share of
//! the indices' spread that is not noise). Holt–Winters (damped,
//! multiplicative or additive, grid-searched) is available too but has to
//! choose four parameters on a handful of one-step errors. In rolling-origin
//! backtests (origins 15–21 of 24 months, horizon 3) on demo-like series the
//! seasonal index model has the lower MASE at every size tried
//! (district-sized series: 0.75 against Holt–Winters 0.87 and seasonal naive
//! 1.28; street-sized: 1.21, 1.44 and 1.30). On the demo history (its 23
//! complete months) it beat seasonal naive for all 12 districts and the city
//! with history seeds 7 and 8; with the shipped city (seed 2026) for the city
//! total (MASE 0.029 against 1.187) and 9 of the 12 districts (mean over the
//! 13 series 0.734 against 1.108). Fewer than 13 months get simple exponential smoothing, and the
//! forecast says so.
//! Prediction intervals come from the model's own rolling-origin relative
//! errors on the series.

mod cooccurrence;
mod error;
mod events;
pub mod forecast;
mod outcomes;
mod probability;
pub mod spatial;
#[cfg(test)]
mod synthetic;

pub use cooccurrence::{CoOccurrenceConfig, CoOccurrenceReport, PairStat, co_occurrence};
pub use error::AnalyticsError;
pub use events::{Occurrence, OutcomeEvent, TimeSpan};
pub use forecast::{
    Backtest, BacktestConfig, ErrorSummary, Forecast, ForecastConfig, ForecastPoint, Method, ModelUsed, MonthlySeries,
    backtest, forecast,
};
pub use outcomes::{OutcomeConfig, OutcomeReport, PairOutcome, pair_outcomes};
