//! The JSON API under `/api/v1`, one module per resource. Handlers extract,
//! call one use case, and map the result.

pub mod alarm_stream;
pub mod analytics;
pub mod attachments;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod calc;
pub mod concrete;
pub mod documents;
pub mod enterprises;
pub mod hazards;
pub mod import;
pub mod inspections;
pub mod ledger;
pub mod map;
pub mod monitoring;
pub mod notifications;
pub mod people;
pub mod projects;
pub mod public;
pub mod regions;
pub mod reports;
pub mod resources;
pub mod risk;
pub mod system;
pub mod users;

use serde::Serialize;

/// One page of a list and the total number of matches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn of((items, total): (Vec<T>, i64)) -> Paged<T> {
        Paged { items, total }
    }
}
