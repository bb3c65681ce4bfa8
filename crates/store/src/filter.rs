//! A small builder for WHERE clauses with numbered `$n` placeholders, so
//! list queries with optional filters stay plain SQL on both backends.

use anjian_domain::role::Scope;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};

#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next placeholder, e.g. `$3`.
    pub fn next(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    /// Adds a clause; `{}` in `sql` is replaced by a placeholder for `b`.
    pub fn and(&mut self, sql: &str, b: Bind) -> &mut Self {
        let p = self.next(b);
        self.clauses.push(sql.replace("{}", &p));
        self
    }

    pub fn and_raw(&mut self, sql: impl Into<String>) -> &mut Self {
        self.clauses.push(sql.into());
        self
    }

    /// Rows whose `region_col` lies in the region subtree `prefix`.
    pub fn region_prefix(&mut self, region_col: &str, prefix: &str) -> &mut Self {
        let (lo, hi) = crate::prefix_range(prefix);
        let a = self.next(Bind::Text(lo));
        let b = self.next(Bind::Text(hi));
        self.clauses.push(format!("({region_col} >= {a} AND {region_col} < {b})"));
        self
    }

    /// Restricts to what `scope` may see. `enterprise_cols` are the columns
    /// holding an owning enterprise id (any of them may match); with none,
    /// enterprise users see nothing.
    pub fn scope(&mut self, scope: &Scope, region_col: &str, enterprise_cols: &[&str]) -> &mut Self {
        match scope {
            Scope::All => self,
            Scope::Region(r) => self.region_prefix(region_col, r.prefix()),
            Scope::Enterprises(ids) if ids.is_empty() || enterprise_cols.is_empty() => self.and_raw("1 = 0"),
            Scope::Enterprises(ids) => {
                let mut ors = Vec::new();
                for col in enterprise_cols {
                    let ps: Vec<String> = ids.iter().map(|i| self.next(Bind::Text(i.clone()))).collect();
                    ors.push(format!("{col} IN ({})", ps.join(", ")));
                }
                self.clauses.push(format!("({})", ors.join(" OR ")));
                self
            }
        }
    }

    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }

    pub fn bind_query<'q>(&self, mut q: Query<'q, Any, AnyArguments>) -> Query<'q, Any, AnyArguments> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Real(f) => q.bind(f),
            };
        }
        q
    }

    pub fn bind_as<'q, O>(&self, mut q: QueryAs<'q, Any, O, AnyArguments>) -> QueryAs<'q, Any, O, AnyArguments> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Real(f) => q.bind(f),
            };
        }
        q
    }

    pub fn bind_scalar<'q, O>(
        &self,
        mut q: QueryScalar<'q, Any, O, AnyArguments>,
    ) -> QueryScalar<'q, Any, O, AnyArguments> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Real(f) => q.bind(f),
            };
        }
        q
    }
}

/// Page bounds: 1-based page, clamped page size.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub const MAX_PER_PAGE: i64 = 500;
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Page {
        Page { page: page.unwrap_or(1).max(1), per_page: per_page.unwrap_or(50).clamp(1, Self::MAX_PER_PAGE) }
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
    /// ` LIMIT n OFFSET m` with literal numbers (already clamped).
    pub fn sql(&self) -> String {
        format!(" LIMIT {} OFFSET {}", self.per_page, self.offset())
    }
}
