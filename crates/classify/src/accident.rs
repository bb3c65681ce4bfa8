//! Accident categories (GB 6441-1986, 20 categories), kept as versioned data
//! because GB 6441-2025 revises them from 2026-07-01.

use serde::{Deserialize, Serialize};

use crate::Error;

const FILE: &str = "data/gb6441.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccidentCategory {
    /// Two-digit number in the standard's order, e.g. "08" (火灾).
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccidentCategories {
    /// e.g. "GB 6441-1986".
    pub version: String,
    pub title: String,
    pub categories: Vec<AccidentCategory>,
}

impl AccidentCategories {
    pub fn from_json(json: &str) -> Result<AccidentCategories, Error> {
        let c: AccidentCategories = serde_json::from_str(json).map_err(|e| Error::data(FILE, e))?;
        let mut seen = std::collections::HashSet::new();
        for cat in &c.categories {
            if !seen.insert(cat.code.as_str()) {
                return Err(Error::invalid(FILE, format!("duplicate category code {}", cat.code)));
            }
        }
        Ok(c)
    }

    pub fn get(&self, code: &str) -> Option<&AccidentCategory> {
        self.categories.iter().find(|c| c.code == code)
    }
}
