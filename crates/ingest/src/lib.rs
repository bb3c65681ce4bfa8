//! MQTT ingest (M1). Devices publish JSON to
//! `<prefix>/devices/<device_id>/readings`:
//!
//! ```json
//! {"secret": "ajd_…", "readings": [{"ts": 1795564800000, "values": {"rainfall_mm": 1.2}}]}
//! ```
//!
//! (`ts` in epoch milliseconds or RFC 3339.) The subscriber speaks MQTT 5
//! (devices may use 3.1.1 or 5) with QoS 1, a session that never expires
//! and manual acknowledgement: a message is acknowledged only after its
//! readings are committed, so a crash or a database outage before the
//! commit makes the broker deliver it again — no acknowledged reading is
//! lost. Malformed messages are counted and acknowledged (a redelivery
//! could not fix them); they never stop the subscriber.
//!
//! Throughput comes from the window of unacknowledged messages: the
//! subscriber announces a Receive Maximum of [`RECEIVE_MAXIMUM`], so the
//! broker keeps sending while a batch is being committed (Mosquitto's
//! default for 3.1.1 clients is 20 in flight, which bounds a batch to 20
//! messages and makes every batch wait for its acknowledgements' round
//! trip). One connection keeps each device's messages in order, which the
//! rules rely on.

use anjian_app::App;
use anjian_app::monitoring::{self, DeviceBatch, IngestReport, ReadingIn};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
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

/// Most messages taken into one transaction …
pub const MAX_BATCH: usize = 2_000;
/// … and most bytes of payload (about 4,000 readings of 50 bytes), so a
/// backlog of large uploads does not make one huge transaction.
pub const MAX_BATCH_BYTES: usize = 200_000;
/// Unacknowledged messages the broker may have in flight to the subscriber.
pub const RECEIVE_MAXIMUM: u16 = 4_000;

/// The device batch a message carries, or None when it is malformed
/// (not JSON of the documented shape, or a topic outside the layout).
pub fn decode(prefix: &str, p: &Publish) -> Option<DeviceBatch> {
    let topic = std::str::from_utf8(&p.topic).ok()?;
    let device_id = device_of(prefix, topic)?;
    let payload = serde_json::from_slice::<Payload>(&p.payload).ok()?;
    Some(DeviceBatch { device_id, secret: payload.secret, readings: payload.readings })
}

/// Ingests the messages received so far in one transaction: decodes them,
/// counts the malformed ones, stores the rest. Err only when the database
/// failed: then nothing was stored and none may be acknowledged.
pub async fn handle_many(app: &App, prefix: &str, msgs: &[Publish]) -> Result<IngestReport, String> {
    let mut batches = Vec::with_capacity(msgs.len());
    let mut malformed = 0;
    for p in msgs {
        match decode(prefix, p) {
            Some(b) => batches.push(b),
            None => malformed += 1,
        }
    }
    let mut r = monitoring::ingest_many(app, &batches).await.map_err(|e| e.to_string())?;
    if malformed > 0 {
        *r.rejected.entry("malformed".into()).or_default() += malformed;
    }
    Ok(r)
}

/// Runs the subscriber until `stop` resolves. Reconnects on errors.
/// `on_report` sees every processed batch's report (for metrics), after
/// its commit and before its acknowledgements.
pub async fn run<F>(app: App, cfg: MqttConfig, on_report: F, stop: tokio::sync::watch::Receiver<bool>)
where
    F: Fn(&IngestReport) + Send + Sync + 'static,
{
    let mut opts = MqttOptions::new(cfg.client_id.clone(), cfg.host.clone(), cfg.port);
    opts.set_keep_alive(Duration::from_secs(30));
    // A persistent session: the broker keeps unacknowledged messages
    // across a restart of the server (0xFFFFFFFF: the session never expires).
    opts.set_clean_start(false);
    opts.set_session_expiry_interval(Some(u32::MAX));
    opts.set_receive_maximum(Some(RECEIVE_MAXIMUM));
    opts.set_manual_acks(true);
    opts.set_max_packet_size(Some(4 * 1024 * 1024));
    let (client, mut events) = AsyncClient::new(opts, usize::from(RECEIVE_MAXIMUM) * 2);
    // Messages are processed off the event loop, in order, as many at a time
    // as have arrived (the broker's in-flight window bounds them).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Publish>();
    let worker_client = client.clone();
    let prefix = cfg.prefix.clone();
    let worker = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut bytes = first.payload.len();
            let mut msgs = vec![first];
            while msgs.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
                match rx.try_recv() {
                    Ok(p) => {
                        bytes += p.payload.len();
                        msgs.push(p);
                    }
                    Err(_) => break,
                }
            }
            loop {
                match handle_many(&app, &prefix, &msgs).await {
                    Ok(r) => {
                        on_report(&r);
                        for p in &msgs {
                            if let Err(e) = worker_client.ack(p).await {
                                tracing::warn!(error = %e, "mqtt ack failed");
                            }
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, messages = msgs.len(), "ingest failed, retrying");
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
                    if tx.send(p).is_err() {
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
