use serde::{Deserialize, Serialize};

/// 事故隐患分级 (standards.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// 一般事故隐患
    General,
    /// 重大事故隐患
    Major,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::General => "general",
            Grade::Major => "major",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Grade::General => "一般事故隐患",
            Grade::Major => "重大事故隐患",
        }
    }
}
