//! The evidence ledger (issue 5).
