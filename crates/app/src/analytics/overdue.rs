//! The enterprises with the most overdue hazards (the dashboard's
//! 超期隐患企业 list, A1).

use super::{DAY_MS, region_for};
use crate::{App, AppError, Caller, Result};
use anjian_store::{now_ms, rollup};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OverdueParams {
    /// Region subtree (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// How many enterprises, 1–100; default 20.
    pub limit: Option<i64>,
}

/// One enterprise and its open hazards past their deadline now.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OverdueEnterpriseView {
    pub enterprise_id: String,
    pub name: String,
    pub industry: String,
    pub industry_label: String,
    pub region_code: String,
    pub overdue: i64,
    /// Of them, major hazards (重大隐患).
    pub major_overdue: i64,
    /// Whole days past the earliest of their deadlines.
    pub most_days_overdue: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverdueView {
    pub region: Option<String>,
    /// When counted (Shanghai).
    pub at: String,
    /// Most overdue hazards first; ties: the oldest deadline first.
    pub enterprises: Vec<OverdueEnterpriseView>,
}

/// The `limit` enterprises in the caller's scope with the most open hazards
/// past their deadline now.
pub async fn overdue_enterprises(app: &App, caller: &Caller, p: &OverdueParams) -> Result<OverdueView> {
    let region = region_for(caller, p.region.as_deref())?;
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field("limit", "应为 1 到 100"));
    }
    let now = now_ms();
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    let rows = rollup::top_overdue_enterprises(&mut c, &caller.scope, prefix.as_deref(), now, limit).await?;
    drop(c);
    Ok(OverdueView {
        region: region.map(|r| r.as_str().to_string()),
        at: crate::time::fmt_local(now),
        enterprises: rows
            .into_iter()
            .map(|r| OverdueEnterpriseView {
                industry_label: anjian_domain::registry::industry_label("industry", &r.industry)
                    .map(String::from)
                    .unwrap_or_default(),
                enterprise_id: r.enterprise_id,
                name: r.name,
                industry: r.industry,
                region_code: r.region_code,
                overdue: r.overdue,
                major_overdue: r.major_overdue,
                most_days_overdue: (now - r.oldest_deadline_ms) / DAY_MS,
            })
            .collect(),
    })
}
