//! Group commit for anonymous public reports (H1 随手拍), the channel that
//! takes bursts from thousands of phones at once.
//!
//! A request validates, places and classifies its report on its own task,
//! then hands the ready row to a writer. Each writer takes every report
//! waiting (up to [`MAX_BATCH`]) and stores them in ONE transaction with
//! multi-row INSERTs: numbers, hazards, their `report` events, the events'
//! evidence-ledger records, audit rows and the closest supervisors'
//! notifications (and their outbound deliveries). Under light load a batch
//! is one report, so latency does not wait for company; under heavy load the
//! per-report round trips and commits are shared. A request is answered
//! only after its batch commits, so an acknowledged report is stored. If a
//! batch fails (an idempotency key raced with a retry, say), each of its
//! reports is written alone, so one bad report never fails another.

use crate::hazards::{self, Assessed, Placement};
use crate::outbound::Outbound;
use crate::{AppError, Result};
use anjian_domain::hazard::Party;
use anjian_store::hazards::{Hazard, HazardEvent};
use anjian_store::{Db, notifications, now_ms};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most reports stored by one transaction.
pub const MAX_BATCH: usize = 128;

/// A public report ready to store.
pub(crate) struct Draft {
    pub description: String,
    pub placement: Placement,
    pub assessed: Assessed,
    pub attachments: Vec<String>,
    pub contact: Option<Vec<u8>>,
    pub idempotency_key: Option<String>,
}

type Job = (Draft, oneshot::Sender<Result<Hazard>>);

/// The queue's sending side; writers run until every sender is gone.
#[derive(Clone)]
pub(crate) struct ReportQueue {
    tx: mpsc::Sender<Job>,
}

impl ReportQueue {
    /// Starts the writers (two on PostgreSQL, whose writes run in
    /// parallel; one on SQLite, which has a single writer anyway).
    pub fn start(db: Db, outbound: Outbound) -> ReportQueue {
        let (tx, rx) = mpsc::channel::<Job>(8 * MAX_BATCH);
        let rx = Arc::new(Mutex::new(rx));
        let writers = if db.backend() == anjian_store::Backend::Postgres { 2 } else { 1 };
        for _ in 0..writers {
            tokio::spawn(writer(db.clone(), outbound.clone(), rx.clone()));
        }
        ReportQueue { tx }
    }

    /// Stores a report with whatever else is waiting; answers after commit.
    pub async fn submit(&self, d: Draft) -> Result<Hazard> {
        let (tx, rx) = oneshot::channel();
        self.tx.send((d, tx)).await.map_err(|_| AppError::Internal("report writer stopped".into()))?;
        rx.await.map_err(|_| AppError::Internal("report writer stopped".into()))?
    }
}

async fn writer(db: Db, out: Outbound, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(j) => batch.push(j),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
        }
        let drafts: Vec<&Draft> = batch.iter().map(|(d, _)| d).collect();
        match write(&db, &out, &drafts).await {
            Ok(hs) => {
                for ((_, reply), h) in batch.into_iter().zip(hs) {
                    let _ = reply.send(Ok(h));
                }
            }
            Err(e) if batch.len() == 1 => {
                let (_, reply) = batch.pop().expect("one");
                let _ = reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(reports = batch.len(), error = %e, "report batch failed; storing its reports one by one");
                for (d, reply) in batch {
                    let r = write(&db, &out, &[&d]).await.map(|mut hs| hs.remove(0));
                    let _ = reply.send(r);
                }
            }
        }
    }
}

/// Stores `drafts` in one transaction; the hazards in the same order.
async fn write(db: &Db, out: &Outbound, drafts: &[&Draft]) -> Result<Vec<Hazard>> {
    let mut tx = db.begin().await?;
    let numbers = anjian_store::hazards::next_numbers(&mut tx, db.backend(), drafts.len()).await?;
    let now = now_ms();
    let actor = hazards::public_actor();
    let mut hs = Vec::with_capacity(drafts.len());
    let mut events = Vec::with_capacity(drafts.len());
    let mut ledger = Vec::with_capacity(drafts.len());
    let mut audits = Vec::with_capacity(drafts.len());
    for (d, n) in drafts.iter().zip(numbers) {
        let h = hazards::new_hazard(
            n,
            now,
            "public",
            &d.description,
            d.placement.clone(),
            &d.assessed,
            None,
            d.contact.clone(),
            d.idempotency_key.clone(),
        );
        let data = hazards::report_data("public", d.assessed.grade, d.assessed.basis.as_ref(), d.assessed.confidence);
        // A new hazard's first event is number 1.
        let e = HazardEvent {
            seq: 1,
            ..hazards::event_row(&h, &actor, Party::System, "report", None, None, data, &d.attachments, true, now)
        };
        ledger.push(hazards::event_pending(&h, &e, &actor, &d.attachments)?);
        audits.push(crate::audit::entry::<(), _>(
            &actor,
            "report",
            "hazard",
            &h.id,
            None,
            Some(&hazards::audit_view(&h)),
        ));
        events.push(e);
        hs.push(h);
    }
    anjian_store::hazards::insert_many(&mut tx, &hs).await?;
    anjian_store::hazards::insert_events_many(&mut tx, &events).await?;
    anjian_store::ledger::enqueue_many(&mut tx, &ledger).await?;
    anjian_store::audit::insert_many(&mut tx, &audits).await?;
    // The closest supervisors of each report's grid, found in one query.
    let regions: Vec<&str> = hs.iter().map(|h| h.region_code.as_str()).collect();
    let sups = notifications::supervisors_of_many(&mut tx, &regions).await?;
    let mut rows = Vec::new();
    for h in &hs {
        let to = hazards::closest_supervisors(&sups, &h.region_code);
        let (title, body) = hazards::new_report_text(h);
        rows.extend(hazards::notification_rows(&to, "new_report", &title, &body, Some(&h.id), now));
    }
    notifications::insert_many(&mut tx, &rows).await?;
    for n in &rows {
        crate::outbound::enqueue(&mut tx, out, n).await?;
    }
    tx.commit().await?;
    Ok(hs)
}
