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
