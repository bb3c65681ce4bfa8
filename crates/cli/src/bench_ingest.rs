//! `anjian bench ingest`: end-to-end device ingest and alarm latency.
//!
//! 1. Raw broker: the same messages published (QoS 1) to Mosquitto and
//!    received by a plain subscriber (MQTT 5, QoS 1, the same Receive
//!    Maximum as the real one, acknowledging at once) that only counts
//!    them — the broker's publish→subscribe rate on this machine, the
//!    reference.
//! 2. End to end: the same messages through the real subscriber
//!    (`anjian_ingest::run`: persistent session, manual acks after the
//!    commit), decoding, secret checks, rule evaluation, the readings, their
//!    rollups, the devices' last-seen times and the rules' state stored.
//!    Counted as readings/s until every reading is in the database.
//!
//! Both phases publish with the same bound on messages not yet processed
//! (below the subscriber's Receive Maximum, so the broker never has to
//! queue beyond the in-flight window: Mosquitto queues at most 1,000 more
//! per client and drops the rest), so the publisher never outruns either
//! subscriber into losses. A phase that makes no progress for
//! [`STALL`] fails with what it got instead of waiting.
//! 3. Alarm latency: readings that cross the red threshold on devices
//!    without an alarm, published one at a time; the time from the
//!    reading's timestamp (taken just before publishing) to the commit of
//!    its alarm, notifications and emergency response (`on_report` runs
//!    after the commit).

use anjian_app::monitoring::{self, DeviceInput, MetricSpec, RuleInput};
use anjian_app::{App, Caller};
use anyhow::Context;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Args {
    pub database: Option<String>,
    pub mqtt: String,
    pub devices: usize,
    pub messages: usize,
    pub readings_per_message: usize,
    pub alarms: usize,
}

/// Messages published but not yet processed, at most.
const WINDOW: u64 = anjian_ingest::RECEIVE_MAXIMUM as u64 * 3 / 4;
/// A phase with no progress for this long has lost messages.
const STALL: Duration = Duration::from_secs(20);

/// Waits until `done()` reaches `want`; fails when it stops moving for [`STALL`].
async fn wait_until(what: &str, want: u64, done: impl Fn() -> u64) -> anyhow::Result<()> {
    let (mut last, mut since) = (done(), Instant::now());
    loop {
        let now = done();
        if now >= want {
            return Ok(());
        }
        if now != last {
            (last, since) = (now, Instant::now());
        }
        anyhow::ensure!(
            since.elapsed() < STALL,
            "{what}: {now} of {want} after no progress for {} s — the broker may have dropped messages \
             (look for \"Outgoing messages are being dropped\" in its log; raise max_queued_messages)",
            STALL.as_secs()
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The publisher (MQTT 3.1.1, as most devices; 500 messages in flight).
fn publisher(host: &str, port: u16, id: String) -> (AsyncClient, rumqttc::EventLoop) {
    let mut o = MqttOptions::new(id, host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_inflight(500);
    o.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
    AsyncClient::new(o, 4096)
}

/// Publishes every message, keeping at most WINDOW ahead of `done()` messages processed.
async fn publish_all(c: &AsyncClient, msgs: &[(String, String)], done: impl Fn() -> u64) -> anyhow::Result<()> {
    for (i, (topic, body)) in msgs.iter().enumerate() {
        while i as u64 >= done() + WINDOW {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        c.publish(topic.clone(), QoS::AtLeastOnce, false, body.clone().into_bytes()).await?;
    }
    Ok(())
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let mc = anjian_ingest::MqttConfig::from_url(&a.mqtt, "bench", "bench").map_err(|e| anyhow::anyhow!(e))?;
    let url = match &a.database {
        Some(u) => u.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!("anjian-bench-ingest-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}/ingest.db", dir.display())
        }
    };
    let db = anjian_store::Db::open(&url).await.context("无法打开数据库")?;
    let app = App::new(db, anjian_app::crypto::Secrets::from_key(&[42; 32]));
    anjian_demo::load::ensure_loaded(&app, 2026, anjian_demo::DemoSize::Small).await.map_err(|e| anyhow::anyhow!(e))?;
    let city = anjian_demo::generate(2026, anjian_demo::DemoSize::Small);
    let sys = Caller::system();
    let t = Instant::now();
    let mut devices = Vec::new();
    for i in 0..a.devices + a.alarms {
        let e = &city.enterprises[i % city.enterprises.len()];
        let d = monitoring::register_device(
            &app,
            &sys,
            &DeviceInput {
                name: format!("基准气体探头{i:05}"),
                device_type: "gas_detector".into(),
                enterprise_id: e.id.clone(),
                project_id: None,
                lon: None,
                lat: None,
                metrics: vec![MetricSpec { name: "lel_percent".into(), unit: "%LEL".into() }],
                interval_s: 60,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        monitoring::add_rule(
            &app,
            &sys,
            &d.id,
            &RuleInput { template: Some("combustible_gas".into()), rule: None, name: None },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        devices.push((d.id, d.secret.unwrap_or_default()));
    }
    println!(
        "backend: {}; {} devices with the combustible-gas rule registered in {:.1} s",
        app.db.backend().as_str(),
        devices.len(),
        t.elapsed().as_secs_f64()
    );
    let (load_devs, alarm_devs) = devices.split_at(a.devices);
    // The messages: device i's k-th upload holds `readings_per_message` one-second samples,
    // from the start of the current minute on (live readings: the minutes are sealed up to
    // it first, and a reading of a sealed minute would be a late one). The newest of a
    // buffered run is up to 200 s ahead of the clock, inside the 5 minutes allowed.
    let tag = format!("{:x}", std::process::id() as u64 * 1_000_003 + anjian_store::now_ms() as u64 % 1_000_000);
    let r = a.readings_per_message;
    let span_s = a.messages.div_ceil(a.devices) * r;
    monitoring::seal_minutes(&app, anjian_store::now_ms() + 60_000).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut c = app.db.read().await?;
    let base = anjian_store::readings::seals(&mut c).await?.minutes;
    drop(c);
    let newest = base + (span_s as i64 - 1) * 1000;
    let mut bodies = Vec::with_capacity(a.messages);
    for m in 0..a.messages {
        let (id, secret) = &load_devs[m % load_devs.len()];
        let k = (m / load_devs.len()) as i64;
        let readings: Vec<serde_json::Value> = (0..r)
            .map(|j| {
                let ts = base + (k * r as i64 + j as i64) * 1000;
                serde_json::json!({"ts": ts, "values": {"lel_percent": ((m * 7 + j * 3) % 40) as f64 / 10.0}})
            })
            .collect();
        bodies.push((id.clone(), serde_json::json!({"secret": secret, "readings": readings}).to_string()));
    }
    let total_readings = (a.messages * r) as u64;
    let bytes: usize = bodies.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{} messages of {r} readings ({} bytes on average), {total_readings} readings",
        a.messages,
        bytes / a.messages.max(1)
    );

    // ---- 1. raw broker publish → subscribe
    let raw_prefix = format!("braw{tag}");
    let raw_msgs: Vec<(String, String)> =
        bodies.iter().map(|(id, b)| (format!("{raw_prefix}/devices/{id}/readings"), b.clone())).collect();
    let mut o = rumqttc::v5::MqttOptions::new(format!("bench-rawsub-{tag}"), &mc.host, mc.port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_receive_maximum(Some(anjian_ingest::RECEIVE_MAXIMUM));
    o.set_max_packet_size(Some(4 * 1024 * 1024));
    let (sub, mut sub_ev) = rumqttc::v5::AsyncClient::new(o, 4096);
    sub.subscribe(format!("{raw_prefix}/devices/+/readings"), rumqttc::v5::mqttbytes::QoS::AtLeastOnce).await?;
    let received = Arc::new(AtomicU64::new(0));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let rc = received.clone();
    let sub_task = tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        loop {
            use rumqttc::v5::{Event, mqttbytes::v5::Packet};
            match sub_ev.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    rc.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    ready_rx.await.context("raw subscriber never subscribed")?;
    let (pubc, mut pub_ev) = publisher(&mc.host, mc.port, format!("bench-pub-{tag}"));
    let pub_task = tokio::spawn(async move {
        loop {
            if pub_ev.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let t = Instant::now();
    let rc = received.clone();
    publish_all(&pubc, &raw_msgs, move || rc.load(Ordering::Relaxed)).await?;
    let rc = received.clone();
    wait_until("raw subscriber", a.messages as u64, move || rc.load(Ordering::Relaxed)).await?;
    let raw_secs = t.elapsed().as_secs_f64();
    sub_task.abort();
    let _ = sub.disconnect().await;
    let raw_rate = total_readings as f64 / raw_secs;
    println!(
        "raw Mosquitto publish→subscribe: {:.0} messages/s = {raw_rate:.0} readings/s ({raw_secs:.2} s)",
        a.messages as f64 / raw_secs
    );

    // ---- 2. end to end through the subscriber into storage
    let cfg = anjian_ingest::MqttConfig {
        host: mc.host.clone(),
        port: mc.port,
        client_id: format!("bench-ingest-{tag}"),
        prefix: format!("bing{tag}"),
    };
    let accepted = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let (acc, lat) = (accepted.clone(), latencies.clone());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let ingest = tokio::spawn(anjian_ingest::run(
        app.clone(),
        cfg.clone(),
        move |rep| {
            acc.fetch_add(rep.accepted, Ordering::Relaxed);
            if !rep.alarm_reading_times.is_empty() {
                let now = anjian_store::now_ms();
                if let Ok(mut l) = lat.lock() {
                    l.extend(rep.alarm_reading_times.iter().map(|t| (now - t) as f64));
                }
            }
        },
        stop_rx,
    ));
    // Subscribed once a probe (an alarm device's normal reading) is stored.
    let (probe_id, probe_secret) = &alarm_devs[0];
    let probe_topic = format!("{}/devices/{probe_id}/readings", cfg.prefix);
    let t = Instant::now();
    let mut probe_ts = base;
    while accepted.load(Ordering::Relaxed) == 0 {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(30), "the ingest subscriber never received a probe");
        let m =
            serde_json::json!({"secret": probe_secret, "readings": [{"ts": probe_ts, "values": {"lel_percent": 0.5}}]});
        pubc.publish(probe_topic.clone(), QoS::AtLeastOnce, false, m.to_string().into_bytes()).await?;
        probe_ts += 1000;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let offset = accepted.load(Ordering::Relaxed);
    let e2e_msgs: Vec<(String, String)> =
        bodies.iter().map(|(id, b)| (format!("{}/devices/{id}/readings", cfg.prefix), b.clone())).collect();
    let t = Instant::now();
    let acc = accepted.clone();
    let rpm = r as u64;
    publish_all(&pubc, &e2e_msgs, move || (acc.load(Ordering::Relaxed) - offset) / rpm).await?;
    let acc = accepted.clone();
    wait_until("readings stored", total_readings, move || acc.load(Ordering::Relaxed) - offset).await?;
    let e2e_secs = t.elapsed().as_secs_f64();
    let e2e_rate = total_readings as f64 / e2e_secs;
    let mut c = app.db.read().await?;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM readings").fetch_one(&mut *c).await?;
    drop(c);
    println!(
        "end to end (MQTT → rules → {}): {e2e_rate:.0} readings/s = {:.3} of raw broker ({e2e_secs:.2} s; {stored} readings in the table)",
        app.db.backend().as_str(),
        e2e_rate / raw_rate
    );
    // The upkeep job sums these readings into their minute rows in the background; its
    // work is counted here, after the phase, as if ingest had waited for it.
    let t = Instant::now();
    let rows = monitoring::seal_minutes(&app, newest + 2 * 60_000).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let seal_secs = t.elapsed().as_secs_f64();
    let sealed_rate = total_readings as f64 / (e2e_secs + seal_secs);
    println!(
        "minute seal of those readings: {} minute rows in {seal_secs:.2} s; end to end with the seal: \
         {sealed_rate:.0} readings/s = {:.3} of raw broker",
        rows.unwrap_or(0),
        sealed_rate / raw_rate
    );

    // ---- 3. alarm latency, one red reading at a time
    for (id, secret) in &alarm_devs[1..] {
        let ts = anjian_store::now_ms();
        let m = serde_json::json!({"secret": secret, "readings": [{"ts": ts, "values": {"lel_percent": 60.0}}]});
        let before = latencies.lock().map(|l| l.len()).unwrap_or(0);
        pubc.publish(
            format!("{}/devices/{id}/readings", cfg.prefix),
            QoS::AtLeastOnce,
            false,
            m.to_string().into_bytes(),
        )
        .await?;
        let t = Instant::now();
        while latencies.lock().map(|l| l.len()).unwrap_or(0) == before {
            anyhow::ensure!(t.elapsed() < Duration::from_secs(30), "no alarm for {id}");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort_by(f64::total_cmp);
    println!(
        "alarm latency (reading published → alarm, notifications and emergency response committed), {} red alarms: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        l.len(),
        pct(&l, 0.5),
        pct(&l, 0.99),
        l.last().copied().unwrap_or(0.0)
    );
    let _ = stop.send(true);
    let _ = ingest.await;
    pub_task.abort();
    app.db.close().await;
    Ok(())
}
