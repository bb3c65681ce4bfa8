//! MQTT ingest against the real broker (Mosquitto, `ANJIAN_TEST_MQTT`,
//! default 127.0.0.1:1883), on SQLite and PostgreSQL.

use anjian_app::monitoring::{self, DeviceInput, MetricSpec, RuleInput};
use anjian_app::{App, Caller};
use anjian_ingest::MqttConfig;
use anjian_store::both_backends;
use anjian_store::testing::TestDb;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::time::{Duration, Instant};

fn broker() -> (String, u16) {
    let v = std::env::var("ANJIAN_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into());
    let (h, p) = v.rsplit_once(':').expect("host:port");
    (h.into(), p.parse().expect("port"))
}

/// A publisher that keeps its event loop running.
async fn publisher(tag: &str) -> AsyncClient {
    let (h, p) = broker();
    let (client, mut ev) = AsyncClient::new(MqttOptions::new(format!("pub-{tag}"), h, p), 64);
    tokio::spawn(async move {
        loop {
            if ev.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    client
}

struct Sub {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn subscribe(app: &App, cfg: &MqttConfig) -> Sub {
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(anjian_ingest::run(app.clone(), cfg.clone(), |_| {}, rx));
    Sub { stop, task }
}

impl Sub {
    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn readings(app: &App, device: &str) -> i64 {
    let mut c = app.db.read().await.unwrap();
    anjian_store::monitoring::count_readings(&mut c, device).await.unwrap()
}

async fn wait_for(app: &App, device: &str, n: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = readings(app, device).await;
        if got >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn msg(secret: &str, ts: i64, v: f64) -> Vec<u8> {
    serde_json::json!({"secret": secret, "readings": [{"ts": ts, "values": {"lel_percent": v}}]})
        .to_string()
        .into_bytes()
}

both_backends! {
    async fn readings_published_over_mqtt_are_stored_and_alarm_and_survive_a_restart(b: Backend) {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), anjian_app::crypto::Secrets::from_key(&[9; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, anjian_demo::DemoSize::Small).await.unwrap();
        let ent = anjian_demo::generate(11, anjian_demo::DemoSize::Small).enterprises[0].id.clone();
        let sys = Caller::system();
        let dev = monitoring::register_device(&app, &sys, &DeviceInput {
            name: "储罐区可燃气体探头".into(), device_type: "gas_detector".into(), enterprise_id: ent, project_id: None,
            lon: None, lat: None, metrics: vec![MetricSpec { name: "lel_percent".into(), unit: "%LEL".into() }], interval_s: 30,
        }).await.unwrap();
        monitoring::add_rule(&app, &sys, &dev.id, &RuleInput { template: Some("combustible_gas".into()), rule: None, name: None }).await.unwrap();
        let secret = dev.secret.clone().unwrap();
        let tag = uuid_like();
        let (h, p) = broker();
        let cfg = MqttConfig { host: h, port: p, client_id: format!("anjian-test-{tag}"), prefix: format!("t{tag}") };
        let topic = format!("{}/devices/{}/readings", cfg.prefix, dev.id);
        let pubc = publisher(&tag).await;
        let now = anjian_store::now_ms();

        let sub = subscribe(&app, &cfg);
        // Until the subscription is in place, probes may be missed: repeat one until it lands.
        let deadline = Instant::now() + Duration::from_secs(20);
        while readings(&app, &dev.id).await == 0 {
            assert!(Instant::now() < deadline, "subscriber never received a probe");
            pubc.publish(&topic, QoS::AtLeastOnce, false, msg(&secret, now - 60_000, 1.0)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // A malformed message and a forged one do not stop the subscriber.
        pubc.publish(&topic, QoS::AtLeastOnce, false, b"{not json".to_vec()).await.unwrap();
        pubc.publish(&topic, QoS::AtLeastOnce, false, msg("ajd_forged", now - 50_000, 99.0)).await.unwrap();
        pubc.publish(&topic, QoS::AtLeastOnce, false, msg(&secret, now - 40_000, 60.0)).await.unwrap();
        assert_eq!(wait_for(&app, &dev.id, 2).await, 2);
        let (alarms, _) = monitoring::list_alarms(&app, &sys, &Default::default()).await.unwrap();
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].level, "red", "60 %LEL");

        // The service goes down; readings keep arriving at the broker.
        sub.stop().await;
        for i in 0..5 {
            pubc.publish(&topic, QoS::AtLeastOnce, false, msg(&secret, now - 30_000 + i * 1000, 5.0)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(readings(&app, &dev.id).await, 2, "nothing processed while down");
        // Back up under the same session: every message published meanwhile arrives.
        let sub = subscribe(&app, &cfg);
        assert_eq!(wait_for(&app, &dev.id, 7).await, 7);
        sub.stop().await;
        t.cleanup().await;
    }
}

fn uuid_like() -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{:x}{:x}", n, std::process::id())
}

both_backends! {
    async fn the_simulator_publishes_for_the_demo_devices_and_its_faults_raise_red_alarms(b: Backend) {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), anjian_app::crypto::Secrets::from_key(&[9; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, anjian_demo::DemoSize::Small).await.unwrap();
        let city = anjian_demo::generate(11, anjian_demo::DemoSize::Small);
        let loaded = anjian_demo::devices::load(&app, &city, 11, anjian_store::now_ms()).await.unwrap();
        assert!(loaded.devices > 0 && loaded.readings > 0 && loaded.resources > 0);
        let sys = Caller::system();
        let (devices, _) = monitoring::list_devices(&app, &sys, anjian_store::filter::Page::new(Some(1), Some(500))).await.unwrap();
        assert!(devices.iter().any(|d| d.device_type == "gas_detector"), "the small city has a chemical plant");
        let tag = uuid_like();
        let (h, p) = broker();
        let cfg = MqttConfig { host: h.clone(), port: p, client_id: format!("anjian-test-{tag}"), prefix: format!("s{tag}") };
        let sub = subscribe(&app, &cfg);
        // Wait for the subscription: a probe reading of one device until it is stored.
        let probe = &devices[0];
        let row = { let mut c = app.db.read().await.unwrap(); anjian_store::monitoring::device(&mut c, &probe.id).await.unwrap().unwrap() };
        let secret = app.secrets.decrypt(&row.secret_enc).unwrap();
        let before = readings(&app, &probe.id).await;
        let pubc = publisher(&tag).await;
        let topic = format!("{}/devices/{}/readings", cfg.prefix, probe.id);
        let probe_at = anjian_store::now_ms() - 1_000;
        let deadline = Instant::now() + Duration::from_secs(20);
        while readings(&app, &probe.id).await == before {
            assert!(Instant::now() < deadline, "subscriber never received a probe");
            let m = serde_json::json!({"secret": secret, "readings": [{"ts": probe_at, "values": {probe.metrics[0].name.clone(): 0.0}}]});
            pubc.publish(&topic, QoS::AtLeastOnce, false, m.to_string().into_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let start = anjian_store::now_ms();
        let o = anjian_demo::simulate::SimOptions {
            host: h, port: p, prefix: cfg.prefix.clone(), every: Duration::from_millis(200), ticks: Some(6),
            faults: vec![anjian_demo::simulate::Fault::Storm, anjian_demo::simulate::Fault::GasLeak],
            fault_from_tick: 1, only: vec![], seed: 3,
        };
        let r = anjian_demo::simulate::run(&app, &o).await.unwrap();
        assert_eq!(r.devices, devices.len());
        assert_eq!(r.published, 6 * devices.len() as u64);
        assert_eq!(r.acknowledged, r.published);
        assert_eq!(r.faulty.len(), 2, "{:?}", r.faulty);
        // Every faulty device gets a red alarm raised or escalated from the simulator's readings.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (open, _) = monitoring::list_alarms(&app, &sys, &monitoring::AlarmFilter { state: Some("open".into()), per_page: Some(500), ..Default::default() }).await.unwrap();
            let red: Vec<&str> = r.faulty.iter().map(|(d, _)| d.as_str()).filter(|d| open.iter().any(|a| a.device_id == *d && a.level == "red")).collect();
            if red.len() == r.faulty.len() { break; }
            assert!(Instant::now() < deadline, "red alarms for {:?}, got {red:?}", r.faulty);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // … from readings published now (not the loaded history), each with its emergency response.
        let mut c = app.db.read().await.unwrap();
        let mut red_ids = vec![];
        for (d, _) in &r.faulty {
            let (alarms, _) = anjian_store::monitoring::alarms(&mut c, &anjian_domain::role::Scope::All, Some("open"), Some(d), anjian_store::filter::Page::new(None, None)).await.unwrap();
            let red = alarms.iter().find(|a| a.level == "red").unwrap();
            assert!(red.level_at >= start, "{d}: red at {} before the simulation at {start}", red.level_at);
            red_ids.push(red.id.clone());
        }
        drop(c);
        let em = anjian_app::emergency::list(&app, &sys, &anjian_app::emergency::EmergencyFilter { open: false }).await.unwrap();
        for id in &red_ids {
            assert!(em.iter().any(|e| &e.alarm_id == id), "no emergency response for red alarm {id}");
        }
        sub.stop().await;
        t.cleanup().await;
    }
}
