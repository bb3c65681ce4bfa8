//! Integration tests for anjian-classify, one module per capability.

mod classifier;
mod rules;
mod taxonomy;
