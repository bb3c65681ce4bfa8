//! The demo city generator.
