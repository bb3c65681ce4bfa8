//! Delivery of notifications beyond the inbox (H3): every notification is
//! also queued, in the same transaction, for the configured webhooks; the
//! scheduler delivers it after commit and retries with backoff, so a
//! delivery is never lost and is attempted until it succeeds.
//!
//! A webhook receives `POST` JSON:
//! `{"id","kind","title","body","hazard_id","created_at","user":{"id","username","display_name","role"}}`.
//! An SMS gateway is one more webhook target that your gateway turns into
//! texts; configure it like any other URL.

use crate::{AppError, Result};
use anjian_store::{AnyConnection, jobs, notifications};

/// Where notifications go besides the inbox.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    pub webhooks: Vec<String>,
}

impl Outbound {
    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty()
    }

    /// Checks the URLs at start-up.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for w in &self.webhooks {
            if !(w.starts_with("http://") || w.starts_with("https://")) {
                return Err(format!("webhook URL must start with http:// or https://: {w}"));
            }
        }
        Ok(())
    }
}

/// Queues one delivery job per target for a stored notification.
pub async fn enqueue(c: &mut AnyConnection, out: &Outbound, notification_id: &str, now: i64) -> Result<()> {
    for (i, url) in out.webhooks.iter().enumerate() {
        let payload = serde_json::json!({"notification_id": notification_id, "url": url}).to_string();
        jobs::schedule(c, "webhook", &format!("webhook:{notification_id}:{i}"), &payload, now).await?;
    }
    Ok(())
}

/// Delivers one queued notification (run by the scheduler outside any
/// transaction: an HTTP call must never hold the database's write lock).
pub async fn deliver(app: &crate::App, job: &jobs::Job) -> Result<String> {
    let mut conn = app.db.read().await?;
    let c: &mut AnyConnection = &mut conn;
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = p["notification_id"].as_str().unwrap_or_default().to_string();
    let url = p["url"].as_str().unwrap_or_default().to_string();
    let Some(n) = notifications::get(c, &id).await? else { return Ok("notification gone".into()) };
    let user = anjian_store::accounts::user_by_id(c, &n.user_id).await?;
    let body = serde_json::json!({
        "id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "hazard_id": n.hazard_id,
        "created_at": crate::time::fmt_local(n.created_at),
        "user": user.map(|u| serde_json::json!({"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role})),
    })
    .to_string();
    // ureq is blocking: keep it off the async workers.
    let target = url.clone();
    let status = tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        agent
            .post(&target)
            .header("content-type", "application/json")
            .send(body.as_bytes())
            .map(|r| r.status().as_u16())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(format!("webhook {url}: {e}")))?;
    if (200..300).contains(&status) {
        Ok(format!("delivered to {url} ({status})"))
    } else {
        Err(AppError::Internal(format!("webhook {url} answered {status}")))
    }
}
