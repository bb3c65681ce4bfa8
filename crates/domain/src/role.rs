//! The five roles and what each may see (product.md P1).

use crate::FieldError;
use crate::ids::RegionCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    SuperAdmin,
    CitySupervisor,
    RegionOfficer,
    EnterpriseHead,
    EnterpriseStaff,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::SuperAdmin, Role::CitySupervisor, Role::RegionOfficer, Role::EnterpriseHead, Role::EnterpriseStaff];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super-admin",
            Role::CitySupervisor => "city-supervisor",
            Role::RegionOfficer => "region-officer",
            Role::EnterpriseHead => "enterprise-head",
            Role::EnterpriseStaff => "enterprise-staff",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "超级管理员",
            Role::CitySupervisor => "市级监管",
            Role::RegionOfficer => "区县/街道/网格员",
            Role::EnterpriseHead => "企业负责人",
            Role::EnterpriseStaff => "企业员工",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Role, FieldError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| FieldError::new(field, format!("未知角色: {s}")))
    }

    /// Regulators see region subtrees; enterprise roles see their enterprises.
    pub fn is_regulator(self) -> bool {
        matches!(self, Role::SuperAdmin | Role::CitySupervisor | Role::RegionOfficer)
    }

    /// May read identity numbers in clear (others see them masked).
    pub fn sees_personal_ids(self) -> bool {
        matches!(self, Role::SuperAdmin | Role::EnterpriseHead)
    }
}

/// What data a caller may reach. Built once per request from the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Super admin: everything.
    All,
    /// A region subtree (city supervisor, district/street/grid officer).
    Region(RegionCode),
    /// A set of enterprise ids (enterprise head or staff).
    Enterprises(Vec<String>),
}

impl Scope {
    /// Whether a record located in `region` and owned by `enterprise` (if any)
    /// is visible under this scope.
    pub fn allows(&self, region: &RegionCode, enterprise: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(r) => r.contains(region),
            Scope::Enterprises(ids) => enterprise.is_some_and(|e| ids.iter().any(|i| i == e)),
        }
    }

    pub fn allows_region(&self, region: &RegionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(r) => r.contains(region),
            Scope::Enterprises(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse("r", s).unwrap()
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse("role", r.as_str()).unwrap(), r);
        }
        assert_eq!(Role::parse("role", "boss").unwrap_err().field, "role");
    }

    #[test]
    fn scope_rules() {
        let district = Scope::Region(rc("370302"));
        assert!(district.allows(&rc("370302001001"), Some("e1")));
        assert!(!district.allows(&rc("370303001"), Some("e1")));
        let ent = Scope::Enterprises(vec!["e1".into()]);
        assert!(ent.allows(&rc("370303001"), Some("e1")));
        assert!(!ent.allows(&rc("370303001"), Some("e2")));
        assert!(!ent.allows(&rc("370303001"), None));
        assert!(Scope::All.allows(&rc("110000"), None));
    }
}
