//! Pure rules and types of anjian. Nothing here does I/O or is async: every
//! function takes values and returns values, so it is tested by unit and
//! property tests beside the code.

pub mod calc;
pub mod error;
pub mod geo;
pub mod hazard;
pub mod ids;
pub mod inspection;
pub mod monitor;
pub mod registry;
pub mod role;

pub use error::{DomainError, FieldError};
