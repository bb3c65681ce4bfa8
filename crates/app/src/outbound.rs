//! Delivery of notifications beyond the inbox (H3): every notification is
//! also queued, in the same transaction, for the configured webhooks and, for
//! the kinds chosen for SMS, as a text to the recipient's mobile number; the
//! scheduler delivers each after commit and retries with backoff, so a
//! delivery is never lost and is attempted until it succeeds.
//!
//! A webhook receives `POST` JSON:
//! `{"id","kind","title","body","hazard_id","created_at","user":{"id","username","display_name","role"}}`.
//!
//! SMS goes through an [`SmsSender`], the pluggable adapter to a carrier or an
//! SMS platform. [`HttpSmsGateway`] is the one shipped: it posts
//! `{"id","to","text"}` (`to` in E.164, `id` the notification id so the
//! gateway can drop a retried duplicate) with an optional bearer token, the
//! shape of most in-house SMS gateways; a vendor API (Aliyun, Tencent Cloud)
//! is one more implementation of the trait. Mobile numbers are stored
//! encrypted and decrypted only at the moment of sending; job payloads carry
//! the notification id, never the number.

use crate::{AppError, Result};
use anjian_domain::ids::MobileNumber;
use anjian_store::{AnyConnection, accounts, jobs, notifications};
use std::sync::Arc;

/// Where notifications go besides the inbox.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    pub webhooks: Vec<String>,
    pub sms: Option<Sms>,
}

/// Texts for chosen notification kinds.
#[derive(Debug, Clone)]
pub struct Sms {
    pub sender: Arc<dyn SmsSender>,
    /// Notification kinds that are also texted (`dispatch`, `listed`,
    /// `reminder`, `escalation`, `alarm`, `new_report`, `hazard_source`).
    pub kinds: Vec<String>,
    /// The signature the carrier requires, shown as `【安监】` at the start.
    pub signature: String,
}

/// The notification kinds texted when the configuration names none: the
/// ones that ask someone to act now.
pub const DEFAULT_SMS_KINDS: [&str; 5] = ["dispatch", "listed", "reminder", "escalation", "alarm"];

/// Longest text sent: three 67-character segments of a concatenated SMS.
pub const SMS_MAX_CHARS: usize = 201;

/// One text to send.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    /// The notification's id: lets a gateway recognise a retried message.
    pub id: String,
    pub to: MobileNumber,
    pub text: String,
}

/// An adapter to an SMS carrier or platform. Called on a blocking thread;
/// returns what the gateway said on success.
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    fn send(&self, msg: &SmsMessage) -> std::result::Result<String, String>;
}

/// A gateway that takes `POST {url}` with JSON `{"id","to","text"}`.
#[derive(Clone)]
pub struct HttpSmsGateway {
    pub url: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for HttpSmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSmsGateway")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl SmsSender for HttpSmsGateway {
    fn send(&self, msg: &SmsMessage) -> std::result::Result<String, String> {
        let body = serde_json::json!({"id": msg.id, "to": msg.to.e164(), "text": msg.text}).to_string();
        let mut req = agent().post(&self.url).header("content-type", "application/json");
        if let Some(t) = &self.token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        let status = req.send(body.as_bytes()).map_err(|e| format!("SMS gateway {}: {e}", self.url))?.status().as_u16();
        if (200..300).contains(&status) {
            Ok(format!("texted {} via {} ({status})", msg.to.masked(), self.url))
        } else {
            Err(format!("SMS gateway {} answered {status}", self.url))
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn check_url(what: &str, u: &str) -> std::result::Result<(), String> {
    if u.starts_with("http://") || u.starts_with("https://") {
        Ok(())
    } else {
        Err(format!("{what} URL must start with http:// or https://: {u}"))
    }
}

impl Outbound {
    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty() && self.sms.is_none()
    }

    /// Checks the URLs at start-up.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for w in &self.webhooks {
            check_url("webhook", w)?;
        }
        if let Some(s) = &self.sms
            && (s.signature.trim().is_empty() || s.signature.chars().count() > 12)
        {
            return Err("SMS signature must be 1 to 12 characters".into());
        }
        Ok(())
    }

    /// An SMS set-up posting to an HTTP gateway, checked.
    pub fn http_sms(
        url: &str,
        token: Option<String>,
        kinds: Vec<String>,
        signature: String,
    ) -> std::result::Result<Sms, String> {
        check_url("SMS gateway", url)?;
        const KNOWN: [&str; 7] =
            ["dispatch", "listed", "reminder", "escalation", "alarm", "new_report", "hazard_source"];
        if let Some(k) = kinds.iter().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("unknown notification kind {k} (known: {})", KNOWN.join(", ")));
        }
        let kinds = if kinds.is_empty() { DEFAULT_SMS_KINDS.iter().map(|k| k.to_string()).collect() } else { kinds };
        Ok(Sms { sender: Arc::new(HttpSmsGateway { url: url.into(), token }), kinds, signature })
    }
}

/// `【安监】title：body`, cut to [`SMS_MAX_CHARS`].
pub fn sms_text(signature: &str, title: &str, body: &str) -> String {
    let full = if body.is_empty() {
        format!("【{signature}】{title}")
    } else {
        format!("【{signature}】{title}：{body}")
    };
    if full.chars().count() <= SMS_MAX_CHARS {
        full
    } else {
        full.chars().take(SMS_MAX_CHARS - 1).collect::<String>() + "…"
    }
}

/// Queues one delivery job per target for a stored notification: each
/// webhook, and a text when its kind is texted and the user has a number.
pub async fn enqueue(c: &mut AnyConnection, out: &Outbound, n: &notifications::Notification) -> Result<()> {
    for (i, url) in out.webhooks.iter().enumerate() {
        let payload = serde_json::json!({"notification_id": n.id, "url": url}).to_string();
        jobs::schedule(c, "webhook", &format!("webhook:{}:{i}", n.id), &payload, n.created_at).await?;
    }
    if let Some(sms) = &out.sms
        && sms.kinds.contains(&n.kind)
        && accounts::phone_of(c, &n.user_id).await?.is_some()
    {
        let payload = serde_json::json!({"notification_id": n.id}).to_string();
        jobs::schedule(c, "sms", &format!("sms:{}", n.id), &payload, n.created_at).await?;
    }
    Ok(())
}

/// Runs one queued external delivery (`webhook` or `sms`).
pub async fn deliver_job(app: &crate::App, job: &jobs::Job) -> Result<String> {
    match job.kind.as_str() {
        "sms" => deliver_sms(app, job).await,
        _ => deliver(app, job).await,
    }
}

/// Texts one queued notification (outside any transaction, like webhooks).
async fn deliver_sms(app: &crate::App, job: &jobs::Job) -> Result<String> {
    let Some(sms) = app.outbound.sms.clone() else { return Ok("SMS no longer configured".into()) };
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = p["notification_id"].as_str().unwrap_or_default().to_string();
    let mut conn = app.db.read().await?;
    let c: &mut AnyConnection = &mut conn;
    let Some(n) = notifications::get(c, &id).await? else { return Ok("notification gone".into()) };
    let Some(phone) = accounts::phone_of(c, &n.user_id).await? else {
        return Ok("recipient has no mobile number any more".into());
    };
    drop(conn);
    let to = MobileNumber::parse("phone", &app.secrets.decrypt(&phone.phone_enc)?)
        .map_err(|e| AppError::Internal(format!("stored phone of {}: {e}", n.user_id)))?;
    let msg = SmsMessage { id: n.id.clone(), to, text: sms_text(&sms.signature, &n.title, &n.body) };
    tokio::task::spawn_blocking(move || sms.sender.send(&msg))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)
}

/// Delivers one queued notification (run by the scheduler outside any
/// transaction: an HTTP call must never hold the database's write lock).
async fn deliver(app: &crate::App, job: &jobs::Job) -> Result<String> {
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
        agent()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_carry_the_signature_and_stay_within_three_segments() {
        assert_eq!(sms_text("安监", "隐患已派发", "请于3日内整改"), "【安监】隐患已派发：请于3日内整改");
        assert_eq!(sms_text("安监", "红色预警", ""), "【安监】红色预警");
        let long = sms_text("安监", "标题", &"很".repeat(500));
        assert_eq!(long.chars().count(), SMS_MAX_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn sms_setup_checks_url_and_kinds() {
        let s = Outbound::http_sms("http://127.0.0.1:9/sms", None, vec![], "安监".into()).unwrap();
        assert_eq!(s.kinds, DEFAULT_SMS_KINDS.map(String::from).to_vec());
        assert!(Outbound::http_sms("ftp://x", None, vec![], "安监".into()).is_err());
        assert!(Outbound::http_sms("http://x", None, vec!["weather".into()], "安监".into()).is_err());
        let out = Outbound { webhooks: vec![], sms: Some(Sms { signature: " ".into(), ..s }) };
        assert!(out.validate().is_err());
    }

    #[test]
    fn gateway_token_is_hidden_from_debug() {
        let g = HttpSmsGateway { url: "http://gw".into(), token: Some("s3cret".into()) };
        assert!(!format!("{g:?}").contains("s3cret"));
    }
}
