//! Use cases of anjian. Each public function takes the [`Caller`] (who asks
//! and what they may reach), validates input into domain types (errors name
//! the field), reads or writes through `anjian-store` in one transaction, and
//! writes the audit trail in that same transaction. No HTTP here.

pub mod alarm_feed;
pub mod analytics;
pub mod attachments;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod concrete;
pub mod crypto;
pub mod documents;
pub mod emergency;
mod error;
pub mod hazards;
pub mod hotline;
pub mod inspections;
pub mod knowledge;
pub mod ledger;
pub mod map;
pub mod monitoring;
pub mod outbound;
pub mod registry;
mod report_queue;
pub mod reports;
pub mod resources;
pub mod risk;
pub mod scheduler;
pub mod time;
pub mod vocabulary;

pub use error::AppError;

use anjian_domain::role::{Role, Scope};
use anjian_store::Db;
use crypto::Secrets;
use std::sync::{Arc, RwLock};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The application: database, secrets and hazard knowledge. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub secrets: Secrets,
    pub knowledge: Arc<dyn knowledge::HazardKnowledge>,
    pub outbound: outbound::Outbound,
    pub ledger: Arc<ledger::Ledger>,
    pub reports: reports::ReportConfig,
    grids: Arc<RwLock<Option<Arc<hazards::GridIndex>>>>,
    /// The group-commit writers of public reports, started on first use.
    report_queue: Arc<std::sync::OnceLock<report_queue::ReportQueue>>,
    /// The live alarm feed's fan-out (its poller runs while pages listen).
    pub alarm_feed: alarm_feed::Feed,
    /// Devices known to the ingest path.
    pub device_cache: monitoring::DeviceCache,
}

impl App {
    /// The app with the platform's taxonomy, classifier and determination rules.
    pub fn new(db: Db, secrets: Secrets) -> App {
        App::with_knowledge(db, secrets, Arc::new(knowledge::Taxonomy))
    }

    pub fn with_knowledge(db: Db, secrets: Secrets, knowledge: Arc<dyn knowledge::HazardKnowledge>) -> App {
        App {
            db,
            secrets,
            knowledge,
            outbound: outbound::Outbound::default(),
            ledger: Arc::new(ledger::Ledger::default()),
            reports: reports::ReportConfig::default(),
            grids: Arc::new(RwLock::new(None)),
            report_queue: Arc::new(std::sync::OnceLock::new()),
            alarm_feed: alarm_feed::Feed::default(),
            device_cache: monitoring::DeviceCache::default(),
        }
    }

    /// Where notifications are delivered besides the inbox.
    pub fn with_outbound(mut self, outbound: outbound::Outbound) -> App {
        self.outbound = outbound;
        // The writers deliver with the outbound they were started with.
        self.report_queue = Arc::new(std::sync::OnceLock::new());
        self
    }

    /// The evidence ledger's origin and accepted witnesses.
    pub fn with_ledger(mut self, config: ledger::LedgerConfig) -> App {
        self.ledger = Arc::new(ledger::Ledger::new(config));
        self
    }

    /// The public-report writers (must be called inside the Tokio runtime).
    /// How periodic reports are written (language model, fonts).
    pub fn with_reports(mut self, config: reports::ReportConfig) -> App {
        self.reports = config;
        self
    }

    pub(crate) fn report_queue(&self) -> &report_queue::ReportQueue {
        self.report_queue.get_or_init(|| report_queue::ReportQueue::start(self.db.clone(), self.outbound.clone()))
    }

    /// The grid polygons for snapping points, loaded once.
    pub async fn grids(&self, c: &mut anjian_store::AnyConnection) -> Result<Arc<hazards::GridIndex>> {
        if let Some(g) = self.grids.read().map_err(|_| AppError::Internal("grid lock".into()))?.as_ref() {
            return Ok(g.clone());
        }
        let g = Arc::new(hazards::load_grids(c).await?);
        *self.grids.write().map_err(|_| AppError::Internal("grid lock".into()))? = Some(g.clone());
        Ok(g)
    }

    /// Forget the cached grid polygons (after regions change).
    pub fn invalidate_grids(&self) {
        if let Ok(mut g) = self.grids.write() {
            *g = None;
        }
    }
}

/// The authenticated account behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub enterprise_ids: Vec<String>,
    pub scope: Scope,
    /// The session's CSRF token when authenticated by session cookie.
    pub csrf: Option<String>,
}

impl Caller {
    /// The built-in actor for CLI and system jobs.
    pub fn system() -> Caller {
        Caller {
            user_id: String::new(),
            username: "system".into(),
            display_name: "系统".into(),
            role: Role::SuperAdmin,
            region_code: None,
            enterprise_ids: vec![],
            scope: Scope::All,
            csrf: None,
        }
    }

    pub fn require(&self, ok: bool) -> Result<()> {
        if ok { Ok(()) } else { Err(AppError::Forbidden) }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }

    pub fn actor_id(&self) -> Option<String> {
        (!self.user_id.is_empty()).then(|| self.user_id.clone())
    }

    /// The subtree prefix of a region filter the caller asked for (`field`
    /// names it in errors): 403 outside the caller's scope; None when none.
    pub fn region_filter(&self, field: &str, asked: Option<&str>) -> Result<Option<String>> {
        let Some(r) = asked else { return Ok(None) };
        let r = anjian_domain::ids::RegionCode::parse(field, r)?;
        if !self.scope.allows_region(&r) {
            return Err(AppError::Forbidden);
        }
        Ok(Some(r.prefix().to_string()))
    }
}
