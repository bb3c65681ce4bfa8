//! The background scheduler: claims due jobs from the durable queue and runs
//! each in its own transaction together with its completion mark, so a job's
//! effects and "done" commit together (nothing sent twice) and a crash before
//! the commit leaves it to be retried after its lease (nothing lost).

use crate::{App, Result};
use anjian_store::{jobs, now_ms};

/// How long a claimed job is reserved for the worker that claimed it.
pub const LEASE_MS: i64 = 5 * 60_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub done: usize,
    pub failed: usize,
}

/// Runs every job due at `now`, up to `limit`.
pub async fn run_due(app: &App, now: i64, limit: i64) -> Result<RunReport> {
    let claimed = jobs::claim_due(&app.db, now, LEASE_MS, limit).await?;
    let mut report = RunReport::default();
    for job in claimed {
        let outcome = if job.kind == "webhook" || job.kind == "sms" {
            // External calls run outside the transaction; only the mark is transactional.
            match crate::outbound::deliver_job(app, &job).await {
                Ok(what) => {
                    let mut tx = app.db.begin().await?;
                    jobs::complete(&mut tx, &job.id, now_ms()).await?;
                    tx.commit().await?;
                    Ok(what)
                }
                Err(e) => Err(e),
            }
        } else {
            let mut tx = app.db.begin().await?;
            let r = match job.kind.as_str() {
                "hazard_reminder" | "hazard_escalation" => crate::hazards::run_job(app, &mut tx, &job).await,
                other => Err(crate::AppError::Internal(format!("unknown job kind {other}"))),
            };
            match r {
                Ok(what) => {
                    jobs::complete(&mut tx, &job.id, now_ms()).await?;
                    tx.commit().await?;
                    Ok(what)
                }
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok(what) => {
                tracing::info!(job = %job.id, kind = %job.kind, %what, "job done");
                report.done += 1;
            }
            Err(e) => {
                let retry = now + 60_000 * (1 << job.attempts.clamp(0, 6));
                let mut tx = app.db.begin().await?;
                jobs::fail(&mut tx, &job.id, &e.to_string(), retry).await?;
                tx.commit().await?;
                tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job failed, will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// Runs the scheduler forever, every `every`.
pub async fn run_forever(app: App, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = run_due(&app, now_ms(), 200).await {
            tracing::warn!(error = %e, "scheduler pass failed");
        }
    }
}
