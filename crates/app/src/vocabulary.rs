//! The codes of the API with their Chinese labels, for the pages' filters
//! and forms (one source: the same tables the use cases validate with).

use anjian_domain::hazard::{Grade, State};
use anjian_domain::monitor::Level;
use anjian_domain::registry::{INDUSTRIES, SCALES};
use anjian_domain::role::Role;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Term {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Vocabularies {
    /// Hazard lifecycle states.
    pub hazard_states: Vec<Term>,
    pub hazard_grades: Vec<Term>,
    /// Report channels.
    pub channels: Vec<Term>,
    pub industries: Vec<Term>,
    pub scales: Vec<Term>,
    pub roles: Vec<Term>,
    /// Alarm levels, lowest first.
    pub alarm_levels: Vec<Term>,
    pub device_types: Vec<Term>,
}

fn terms<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Term> {
    pairs.into_iter().map(|(c, l)| Term { code: c.into(), label: l.into() }).collect()
}

pub fn all() -> Vocabularies {
    Vocabularies {
        hazard_states: terms(State::ALL.iter().map(|s| (s.as_str(), s.label()))),
        hazard_grades: terms([Grade::General, Grade::Major].iter().map(|g| (g.as_str(), g.label()))),
        channels: terms(crate::hazards::CHANNELS.iter().copied()),
        industries: terms(INDUSTRIES.iter().copied()),
        scales: terms(SCALES.iter().copied()),
        roles: terms(Role::ALL.iter().map(|r| (r.as_str(), r.label()))),
        alarm_levels: terms(Level::ALL.iter().map(|l| (l.as_str(), l.label()))),
        device_types: terms(crate::monitoring::DEVICE_TYPES.iter().copied()),
    }
}
