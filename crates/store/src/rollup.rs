//! Hazard counts by street × month × industry × grade × state for the
//! statistics API (issue 9): read from the `hazard_rollup` table that
//! triggers keep in step with every hazard write (migration 0013), or
//! aggregated from the hazards themselves for part of a month and for the
//! clock-dependent overdue count. Every source yields the same [`CubeRow`].

use crate::filter::{Bind, Filter};
use crate::{AnyConnection, Result};
use anjian_domain::role::Scope;

/// The longest region prefix the rollup answers (streets; communities and
/// grids are read from the hazards).
pub const STREET_LEN: usize = 9;

/// One group: `n` hazards (for [`overdue`]: open and past the deadline).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CubeRow {
    pub street_code: String,
    /// `YYYY-MM` in Shanghai.
    pub month: String,
    /// The enterprise's industry; '' without an enterprise.
    pub industry: String,
    pub grade: String,
    pub state: String,
    pub n: i64,
    pub closed_with_deadline: i64,
    pub closed_on_time: i64,
    /// Sum over closed hazards of close-out minus report time.
    pub rectify_ms: i64,
}

/// What to group by (state always: the counts depend on it). Columns not
/// grouped come back as ''; `region_len` cuts the street code to the
/// children's prefix length.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grouping {
    pub region_len: Option<usize>,
    pub month: bool,
    pub industry: bool,
    pub grade: bool,
}

impl Grouping {
    /// Everything, streets in full.
    pub const ALL: Grouping = Grouping { region_len: Some(STREET_LEN), month: true, industry: true, grade: true };

    /// The select list's five key columns and the GROUP BY list, from the
    /// expressions of street, month, industry and grade.
    fn keys(&self, street: &str, month: &str, industry: &str, grade: &str, state: &str) -> (String, String) {
        let mut sel = Vec::new();
        let mut by = Vec::new();
        let none = "CAST('' AS TEXT)";
        let mut col = |on: bool, expr: String, name: &str| {
            if on {
                sel.push(format!("{expr} AS {name}"));
                by.push(expr);
            } else {
                sel.push(format!("{none} AS {name}"));
            }
        };
        col(self.region_len.is_some(), format!("substr({street}, 1, {})", self.region_len.unwrap_or(0)), "street_code");
        col(self.month, month.to_string(), "month");
        col(self.industry, industry.to_string(), "industry");
        col(self.grade, grade.to_string(), "grade");
        col(true, state.to_string(), "state");
        (sel.join(", "), by.join(", "))
    }
}

/// Whether the rollup can answer for `scope` under `region_prefix`.
pub fn answers(scope: &Scope, region_prefix: Option<&str>) -> bool {
    let scope_ok = match scope {
        Scope::All => true,
        Scope::Region(r) => r.prefix().len() <= STREET_LEN,
        Scope::Enterprises(_) => false,
    };
    scope_ok && region_prefix.is_none_or(|p| p.len() <= STREET_LEN)
}

const SUMS: &str = "CAST(SUM(n) AS BIGINT), CAST(SUM(closed_with_deadline) AS BIGINT), \
    CAST(SUM(closed_on_time) AS BIGINT), CAST(SUM(rectify_ms) AS BIGINT)";

/// The rollup's groups of months `from..=to` (`YYYY-MM`) for `scope` under
/// `region_prefix` (see [`answers`]).
pub async fn months(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    from: &str,
    to: &str,
    g: Grouping,
) -> Result<Vec<CubeRow>> {
    let (sel, by) = g.keys("street_code", "month", "industry", "grade", "state");
    let mut f = Filter::new();
    f.scope(scope, "street_code", &[]);
    if let Some(p) = region_prefix {
        f.region_prefix("street_code", p);
    }
    f.and("month >= {}", Bind::Text(from.into()));
    f.and("month <= {}", Bind::Text(to.into()));
    let sql = format!("SELECT {sel}, {SUMS} FROM hazard_rollup{} GROUP BY {by} HAVING SUM(n) <> 0", f.where_sql());
    rows(c, f, sql).await
}

const STREET: &str = "substr(h.region_code, 1, 9)";
const INDUSTRY: &str = "COALESCE(e.industry, '')";
const HAZARD_SUMS: &str = "CAST(SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL AND h.deadline_ms IS NOT NULL \
    THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL \
    AND h.deadline_ms IS NOT NULL AND h.closed_at <= h.deadline_ms THEN 1 ELSE 0 END) AS BIGINT), \
    CAST(SUM(CASE WHEN h.state = 'closed' AND h.closed_at IS NOT NULL THEN h.closed_at - h.reported_at ELSE 0 END) AS BIGINT)";

/// The same groups aggregated from the hazards reported in `[since, until)`,
/// which must lie within the month `month`.
pub async fn part_month(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    month: &str,
    since: i64,
    until: i64,
    g: Grouping,
) -> Result<Vec<CubeRow>> {
    let mut f = crate::hazards::scoped(scope, region_prefix);
    f.and("h.reported_at >= {}", Bind::Int(since));
    f.and("h.reported_at < {}", Bind::Int(until));
    let m = f.next(Bind::Text(month.into()));
    // The month is one value here: it is selected, never grouped by.
    let (sel, by) = Grouping { month: false, ..g }.keys("h.region_code", "", INDUSTRY, "h.grade", "h.state");
    let sel = if g.month {
        sel.replacen("CAST('' AS TEXT) AS month", &format!("CAST({m} AS TEXT) AS month"), 1)
    } else {
        sel
    };
    let sql = format!(
        "SELECT {sel}, COUNT(*), {HAZARD_SUMS} FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id{} \
         GROUP BY {by}",
        f.where_sql()
    );
    rows(c, f, sql).await
}

/// Open hazards past their deadline at `now`, reported in `[since, until)`,
/// per group (`n`; the other sums are 0). Reads the open hazards only
/// (index `hazards_open_deadline`).
pub async fn overdue(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    since: i64,
    until: i64,
    now: i64,
    g: Grouping,
) -> Result<Vec<CubeRow>> {
    let mut f = crate::hazards::scoped(scope, region_prefix);
    crate::hazards::overdue_at(&mut f, now);
    f.and("h.reported_at >= {}", Bind::Int(since));
    f.and("h.reported_at < {}", Bind::Int(until));
    let month = month_sql(c, "h.reported_at");
    let (sel, by) = g.keys("h.region_code", &month, INDUSTRY, "h.grade", "h.state");
    let sql = format!(
        "SELECT {sel}, COUNT(*), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT) \
         FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id{} GROUP BY {by}",
        f.where_sql()
    );
    rows(c, f, sql).await
}

/// `YYYY-MM` in UTC+8 of an epoch-ms column, as the rollup's triggers compute it.
fn month_sql(c: &AnyConnection, col: &str) -> String {
    if c.backend_name() == "SQLite" {
        format!("strftime('%Y-%m', {col} / 1000 + 28800, 'unixepoch')")
    } else {
        format!("hazard_rollup_month({col})")
    }
}

async fn rows(c: &mut AnyConnection, f: Filter, sql: String) -> Result<Vec<CubeRow>> {
    let raw: Vec<(String, String, String, String, String, i64, i64, i64, i64)> =
        f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?;
    Ok(raw
        .into_iter()
        .map(|(street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms)| {
            CubeRow { street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms }
        })
        .collect())
}

/// The rollup as the hazards say it should be (for checks and tests):
/// every non-empty group, sorted.
pub async fn recount(c: &mut AnyConnection) -> Result<Vec<CubeRow>> {
    let month = month_sql(c, "h.reported_at");
    let sql = format!(
        "SELECT {STREET} AS street_code, {month} AS month, COALESCE(e.industry, '') AS industry, h.grade, h.state, \
         COUNT(*), {HAZARD_SUMS} \
         FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id \
         GROUP BY {STREET}, {month}, COALESCE(e.industry, ''), h.grade, h.state ORDER BY 1, 2, 3, 4, 5"
    );
    rows(c, Filter::new(), sql).await
}

/// The rollup table's non-empty groups, sorted like [`recount`].
pub async fn stored(c: &mut AnyConnection) -> Result<Vec<CubeRow>> {
    let sql = "SELECT street_code, month, industry, grade, state, n, closed_with_deadline, closed_on_time, rectify_ms \
               FROM hazard_rollup WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5"
        .to_string();
    rows(c, Filter::new(), sql).await
}

/// Enterprises with the most open hazards past their deadline at `now`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OverdueEnterprise {
    pub enterprise_id: String,
    pub name: String,
    pub industry: String,
    pub region_code: String,
    pub overdue: i64,
    pub major_overdue: i64,
    /// The earliest deadline among them.
    pub oldest_deadline_ms: i64,
}

/// The `limit` enterprises with the most overdue hazards in `scope` under
/// `region_prefix` (ties: the oldest deadline first).
pub async fn top_overdue_enterprises(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    now: i64,
    limit: i64,
) -> Result<Vec<OverdueEnterprise>> {
    let mut f = crate::hazards::scoped(scope, region_prefix);
    crate::hazards::overdue_at(&mut f, now);
    f.and_raw("h.enterprise_id IS NOT NULL");
    let lim = f.next(Bind::Int(limit));
    let sql = format!(
        "SELECT t.enterprise_id, e.name, e.industry, e.region_code, t.overdue, t.major_overdue, t.oldest_deadline_ms \
         FROM (SELECT h.enterprise_id, COUNT(*) AS overdue, \
               CAST(SUM(CASE WHEN h.grade = 'major' THEN 1 ELSE 0 END) AS BIGINT) AS major_overdue, MIN(h.deadline_ms) AS oldest_deadline_ms \
               FROM hazards h{} GROUP BY h.enterprise_id \
               ORDER BY overdue DESC, oldest_deadline_ms, h.enterprise_id LIMIT {lim}) t \
         JOIN enterprises e ON e.id = t.enterprise_id ORDER BY t.overdue DESC, t.oldest_deadline_ms, t.enterprise_id",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}
