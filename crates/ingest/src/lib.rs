//! MQTT ingest (M1). Devices publish JSON to
//! `<prefix>/devices/<device_id>/readings`:
//!
//! ```json
//! {"secret": "ajd_…", "readings": [{"ts": 1795564800000, "values": {"rainfall_mm": 1.2}}]}
//! ```
//!
//! (`ts` in epoch milliseconds or RFC 3339.) The subscriber uses QoS 1, a
//! persistent session and manual acknowledgement: a message is acknowledged
//! only after its readings are committed, so a crash or a database outage
//! before the commit makes the broker deliver it again — no acknowledged
//! reading is lost. Malformed messages are counted and acknowledged (a
//! redelivery could not fix them); they never stop the subscriber.

use anjian_app::App;
use anjian_app::monitoring::{self, DeviceBatch, IngestReport, ReadingIn};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MqttConfig {
    pub host: String,
    pub port: u16,
    /// Stable per deployment: the broker keeps the session (and unacknowledged
    /// messages) under this id.
    pub client_id: String,
    /// Topic prefix, e.g. `anjian`.
    pub prefix: String,
}

impl MqttConfig {
    /// Parses `mqtt://host:port`.
    pub fn from_url(url: &str, client_id: &str, prefix: &str) -> Result<MqttConfig, String> {
        let rest = url.strip_prefix("mqtt://").ok_or_else(|| format!("MQTT URL must start with mqtt://: {url}"))?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => {
                (h.to_string(), p.trim_end_matches('/').parse().map_err(|_| format!("bad MQTT port in {url}"))?)
            }
            None => (rest.trim_end_matches('/').to_string(), 1883),
        };
        if host.is_empty() {
            return Err(format!("MQTT URL has no host: {url}"));
        }
        Ok(MqttConfig { host, port, client_id: client_id.into(), prefix: prefix.into() })
    }

    pub fn topic_filter(&self) -> String {
        format!("{}/devices/+/readings", self.prefix)
    }
}

#[derive(Deserialize)]
struct Payload {
    secret: String,
    readings: Vec<ReadingIn>,
}

/// The device id in `<prefix>/devices/<id>/readings`.
pub fn device_of(prefix: &str, topic: &str) -> Option<String> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix("/devices/")?;
    let id = rest.strip_suffix("/readings")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// What happened to one message.
pub enum Outcome {
    /// Processed (or hopeless): acknowledge.
    Done(IngestReport),
    /// The database failed: do not acknowledge, the broker will redeliver.
    Retry(String),
}

pub async fn handle(app: &App, prefix: &str, p: &Publish) -> Outcome {
    let mut malformed = IngestReport::default();
    malformed.rejected.insert("malformed".into(), 1);
    let Some(device_id) = device_of(prefix, &p.topic) else { return Outcome::Done(malformed) };
    let Ok(payload) = serde_json::from_slice::<Payload>(&p.payload) else { return Outcome::Done(malformed) };
    let batch = DeviceBatch { device_id, secret: payload.secret, readings: payload.readings };
    match monitoring::ingest(app, &batch).await {
        Ok(r) => Outcome::Done(r),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

/// Runs the subscriber until `stop` resolves. Reconnects on errors.
/// `on_report` sees every processed message's report (for metrics).
pub async fn run<F>(app: App, cfg: MqttConfig, on_report: F, stop: tokio::sync::watch::Receiver<bool>)
where
    F: Fn(&IngestReport) + Send + Sync + 'static,
{
    let mut opts = MqttOptions::new(cfg.client_id.clone(), cfg.host.clone(), cfg.port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_clean_session(false);
    opts.set_manual_acks(true);
    opts.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 256);
    // Messages are processed one by one, in order, off the event loop.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Publish>(256);
    let worker_client = client.clone();
    let prefix = cfg.prefix.clone();
    let worker = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            loop {
                match handle(&app, &prefix, &p).await {
                    Outcome::Done(r) => {
                        on_report(&r);
                        if let Err(e) = worker_client.ack(&p).await {
                            tracing::warn!(error = %e, "mqtt ack failed");
                        }
                        break;
                    }
                    Outcome::Retry(e) => {
                        tracing::warn!(error = %e, topic = %p.topic, "ingest failed, retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    });
    let topic = cfg.topic_filter();
    let mut stop = stop;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            ev = events.poll() => match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    tracing::info!(%topic, host = %cfg.host, "mqtt connected");
                    if let Err(e) = client.subscribe(topic.clone(), QoS::AtLeastOnce).await {
                        tracing::warn!(error = %e, "mqtt subscribe failed");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send(p).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "mqtt connection error; reconnecting");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }
    drop(tx);
    let _ = worker.await;
    let _ = client.disconnect().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_urls() {
        assert_eq!(device_of("anjian", "anjian/devices/abc/readings").as_deref(), Some("abc"));
        assert_eq!(device_of("anjian", "anjian/devices//readings"), None);
        assert_eq!(device_of("anjian", "anjian/devices/a/b/readings"), None);
        assert_eq!(device_of("anjian", "other/devices/a/readings"), None);
        let c = MqttConfig::from_url("mqtt://127.0.0.1:1883", "id", "anjian").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 1883));
        assert_eq!(MqttConfig::from_url("mqtt://broker", "id", "p").unwrap().port, 1883);
        assert!(MqttConfig::from_url("http://x", "id", "p").is_err());
        assert_eq!(c.topic_filter(), "anjian/devices/+/readings");
    }
}
