//! The device simulator (`anjian simulate devices`): publishes readings for
//! every registered device over real MQTT, one message per device per tick
//! on `<prefix>/devices/<id>/readings` with the device's own secret
//! (decrypted with the installation's key), values from the demo's models,
//! and faults on chosen devices that make their rules raise alarms.

use crate::devices::normal_value;
use anjian_app::App;
use anjian_domain::role::Scope;
use anjian_store::filter::Page;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A fault the simulator injects on the first device of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Rainfall gauge: 12 mm per reading (50 mm within five readings → red).
    Storm,
    /// Tower crane: verticality 4.6‰ (past the 4‰ limit → red after the
    /// template's minute of persistence).
    CraneTilt,
    /// Gas detector: 55 %LEL (→ red).
    GasLeak,
    /// Temperature sensor: 72 °C (→ red after two minutes).
    Overheat,
}

impl Fault {
    pub fn parse(s: &str) -> Result<Fault, String> {
        match s {
            "storm" => Ok(Fault::Storm),
            "crane-tilt" => Ok(Fault::CraneTilt),
            "gas-leak" => Ok(Fault::GasLeak),
            "overheat" => Ok(Fault::Overheat),
            o => Err(format!("未知故障 {o}（可选: storm, crane-tilt, gas-leak, overheat）")),
        }
    }

    fn applies(self, device_type: &str) -> Option<(&'static str, f64)> {
        match (self, device_type) {
            (Fault::Storm, "rainfall_gauge") => Some(("rainfall_mm", 12.0)),
            (Fault::CraneTilt, "tower_crane") => Some(("verticality_permille", 4.6)),
            (Fault::GasLeak, "gas_detector") => Some(("lel_percent", 55.0)),
            (Fault::Overheat, "temperature") => Some(("temperature_c", 72.0)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub host: String,
    pub port: u16,
    pub prefix: String,
    /// Time between ticks.
    pub every: Duration,
    /// Stop after this many ticks (None: run until interrupted).
    pub ticks: Option<u64>,
    /// Faults, from this tick on (the first tick is always normal).
    pub faults: Vec<Fault>,
    pub fault_from_tick: u64,
    /// Only devices whose id is in this list (empty: all).
    pub only: Vec<String>,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimReport {
    pub devices: usize,
    pub published: u64,
    /// Publications the broker acknowledged (QoS 1).
    pub acknowledged: u64,
    /// (device id, fault) of the faulty devices.
    pub faulty: Vec<(String, String)>,
}

struct SimDevice {
    id: String,
    secret: String,
    metrics: Vec<String>,
    fault: Option<(&'static str, f64, Fault)>,
}

/// Runs the simulator against the broker; returns once `ticks` have been
/// published and acknowledged (or never, without `ticks`).
pub async fn run(app: &App, o: &SimOptions) -> Result<SimReport, String> {
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    for page in 1.. {
        let (rows, total) = anjian_store::monitoring::devices(&mut c, &Scope::All, Page::new(Some(page), Some(500)))
            .await
            .map_err(|e| e.to_string())?;
        let n = rows.len();
        all.extend(rows);
        if n == 0 || all.len() as i64 >= total {
            break;
        }
    }
    // A fault on a device already alarming would show nothing new: prefer quiet ones.
    let (open, _) =
        anjian_store::monitoring::alarms(&mut c, &Scope::All, Some("open"), None, Page::new(Some(1), Some(500)))
            .await
            .map_err(|e| e.to_string())?;
    let alarming: std::collections::HashSet<String> = open.into_iter().map(|a| a.device_id).collect();
    drop(c);
    // A retired device is off site: it reports nothing.
    all.retain(|d| !d.is_retired() && (o.only.is_empty() || o.only.contains(&d.id)));
    all.sort_by_key(|d| alarming.contains(&d.id));
    let mut devices = Vec::new();
    let mut report = SimReport::default();
    let mut taken: Vec<Fault> = Vec::new();
    for d in all {
        let secret = app.secrets.decrypt(&d.secret_enc).map_err(|e| e.to_string())?;
        let metrics: Vec<anjian_app::monitoring::MetricSpec> = serde_json::from_str(&d.metrics).unwrap_or_default();
        let fault = o.faults.iter().filter(|f| !taken.contains(f)).find_map(|f| {
            f.applies(&d.device_type).filter(|(m, _)| metrics.iter().any(|x| x.name == *m)).map(|(m, v)| (m, v, *f))
        });
        if let Some((_, _, f)) = fault {
            taken.push(f);
            report.faulty.push((d.id.clone(), format!("{f:?}")));
        }
        devices.push(SimDevice { id: d.id, secret, metrics: metrics.into_iter().map(|m| m.name).collect(), fault });
    }
    report.devices = devices.len();
    let mut opts = MqttOptions::new(format!("anjian-sim-{}", anjian_store::new_id()), o.host.clone(), o.port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_inflight(200);
    let (client, mut events) = AsyncClient::new(opts, 1024);
    let acked = Arc::new(AtomicU64::new(0));
    let acks = acked.clone();
    let (err_tx, mut err_rx) = tokio::sync::watch::channel(None::<String>);
    let pump = tokio::spawn(async move {
        let mut failures = 0;
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acks.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    if failures >= 10 {
                        let _ = err_tx.send(Some(e.to_string()));
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let mut tick = tokio::time::interval(o.every);
    let mut k = 0u64;
    let result = loop {
        if o.ticks.is_some_and(|n| k >= n) {
            break Ok(());
        }
        tick.tick().await;
        if let Some(e) = err_rx.borrow_and_update().clone() {
            break Err(format!("MQTT 连接失败: {e}"));
        }
        let now = anjian_store::now_ms();
        for d in &devices {
            let mut values = serde_json::Map::new();
            for m in &d.metrics {
                let v = match d.fault {
                    Some((fm, fv, _)) if fm == m && k >= o.fault_from_tick => fv,
                    _ => normal_value(m, now, &mut rng),
                };
                values.insert(m.clone(), serde_json::json!(v));
            }
            let body = serde_json::json!({"secret": d.secret, "readings": [{"ts": now, "values": values}]});
            let topic = format!("{}/devices/{}/readings", o.prefix, d.id);
            client.publish(topic, QoS::AtLeastOnce, false, body.to_string()).await.map_err(|e| e.to_string())?;
            report.published += 1;
        }
        if k == 0 {
            tracing::info!(devices = devices.len(), "simulator publishing");
        }
        k += 1;
    };
    // Wait for the broker to acknowledge what was published.
    if result.is_ok() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while acked.load(Ordering::Relaxed) < report.published && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    report.acknowledged = acked.load(Ordering::Relaxed);
    let _ = client.disconnect().await;
    pump.abort();
    result.map(|_| report)
}
