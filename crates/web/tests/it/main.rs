//! The web crate's integration tests, one binary (one link of the whole
//! stack instead of five): each module covers one capability through the
//! HTTP API, on SQLite and PostgreSQL.

mod analytics;
mod api;
mod attendance;
mod browser;
mod calc;
mod common;
mod concrete;
mod documents;
mod emergency;
mod hazards;
mod history;
mod inspections;
mod ledger;
mod lifecycle;
mod live;
mod monitoring;
mod one_map;
mod pages;
mod reports;
mod risk;
