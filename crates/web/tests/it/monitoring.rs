//! IoT monitoring through the API on SQLite and PostgreSQL: devices and
//! their secrets, rules from templates, batch ingest with rejections counted
//! by reason, four-level alarms raised, escalated, acknowledged and cleared.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_demo::{DEMO_PASSWORD, DemoSize};
use anjian_store::both_backends;
use anjian_store::testing::TestDb;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Env {
    t: TestDb,
    router: axum::Router,
    city: anjian_demo::DemoCity,
}

impl Env {
    async fn new(b: anjian_store::Backend) -> Env {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[8; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
        Env { router: anjian_web::router(app, true), t, city: anjian_demo::generate(11, DemoSize::Small) }
    }

    async fn call(&self, m: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(m).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())))
    }

    async fn login(&self, u: &str) -> String {
        let (s, v) = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": u, "password": DEMO_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::OK);
        v["token"].as_str().unwrap().into()
    }

    /// A rain gauge at enterprise 1 with the 24-hour rainfall rule; (id, secret).
    async fn gauge(&self, token: &str) -> (String, String) {
        let ent = &self.city.enterprises[0].id;
        let (s, d) = self
            .call(
                Method::POST,
                "/api/v1/devices",
                Some(token),
                Some(json!({
            "name": "1号采区雨量计", "device_type": "rainfall_gauge", "enterprise_id": ent,
            "metrics": [{"name": "rainfall_mm", "unit": "mm"}], "interval_s": 600})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let (id, secret) = (d["id"].as_str().unwrap().to_string(), d["secret"].as_str().unwrap().to_string());
        let (s, r) = self
            .call(
                Method::POST,
                &format!("/api/v1/devices/{id}/rules"),
                Some(token),
                Some(json!({"template": "mine_rainfall_24h"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        (id, secret)
    }
}

fn now() -> i64 {
    anjian_store::now_ms()
}

both_backends! {
    async fn rainfall_of_50_mm_in_24_hours_raises_a_red_alarm_once(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        let (_, dev) = e.call(Method::GET, &format!("/api/v1/devices/{id}"), Some(&officer), None).await;
        assert!(dev.get("secret").is_none(), "the secret is shown only once");
        let t0 = now() - 20 * 3_600_000;
        // 45 mm over 9 hours (orange), then 5 mm more: exactly 50.0 → red.
        let readings: Vec<Value> = (0..9).map(|h| json!({"ts": t0 + h * 3_600_000, "values": {"rainfall_mm": 5.0}})).collect();
        let (s, r) = e.call(Method::POST, "/api/v1/ingest", None, Some(json!({"batches": [{"device_id": id, "secret": secret, "readings": readings}]}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["accepted"], 9);
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms?state=open", Some(&officer), None).await;
        assert_eq!(alarms["total"], 1);
        assert_eq!(alarms["items"][0]["level"], "orange");
        let ts_red = json!(anjian_app::time::fmt_local(t0 + 9 * 3_600_000));
        let (_, r) = e.call(Method::POST, "/api/v1/ingest", None, Some(json!({"batches": [{"device_id": id, "secret": secret,
            "readings": [{"ts": ts_red, "values": {"rainfall_mm": 5.0}}]}]}))).await;
        assert_eq!(r["alarms"]["escalate"], 1, "{r}");
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms?state=open", Some(&officer), None).await;
        assert_eq!(alarms["total"], 1, "still one alarm per device × rule");
        let alarm = alarms["items"][0].clone();
        assert_eq!(alarm["level"], "red");
        // Red reaches the city supervisor and the enterprise head.
        for u in ["city", "ent0001-head"] {
            let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", Some(&e.login(u).await), None).await;
            assert!(inbox.as_array().unwrap().iter().any(|n| n["title"].as_str().unwrap().contains("红色预警")), "{u}: {inbox}");
        }
        // Acknowledge, then clear with a reason; the history keeps every step.
        let aid = alarm["id"].as_str().unwrap();
        let (s, v) = e.call(Method::POST, &format!("/api/v1/alarms/{aid}/actions"), Some(&officer), Some(json!({"action": "acknowledge"}))).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("acknowledged")));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/alarms/{aid}/actions"), Some(&officer), Some(json!({"action": "clear"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/alarms/{aid}/actions"), Some(&officer), Some(json!({"action": "clear", "note": "已停产撤人，雨停"}))).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("cleared")));
        let (_, detail) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}"), Some(&officer), None).await;
        let events: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        // blue at 10 mm, yellow at 25, orange at 40, red at 50.
        assert_eq!(events, ["raise", "escalate", "escalate", "escalate", "acknowledge", "clear"]);
        // Another district sees neither the device nor the alarm.
        let other = e.login("district02").await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}"), Some(&other), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = e.call(Method::GET, &format!("/api/v1/devices/{id}"), Some(&other), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn bad_readings_are_counted_by_reason_and_never_drop_good_ones(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        let t = now() - 60_000;
        let body = json!({"batches": [
            {"device_id": id, "secret": secret, "readings": [
                {"ts": t, "values": {"rainfall_mm": 0.5, "wind": 3.0}},
                {"ts": t + 1000, "values": {"rainfall_mm": "NaN"}},
                {"ts": t + 2000, "values": {"rainfall_mm": 0.5}},
                {"ts": now() + 3_600_000, "values": {"rainfall_mm": 0.5}},
                {"ts": "yesterday", "values": {"rainfall_mm": 0.5}},
                {"ts": t - 30 * 86_400_000, "values": {"rainfall_mm": 0.5}}]},
            {"device_id": id, "secret": "ajd_wrong", "readings": [{"ts": t, "values": {"rainfall_mm": 99.0}}]},
            {"device_id": "no-such-device", "secret": "x", "readings": [{"ts": t, "values": {"rainfall_mm": 1.0}}]}
        ]});
        let (s, r) = e.call(Method::POST, "/api/v1/ingest", None, Some(body.clone())).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["accepted"], 2);
        assert_eq!(r["rejected"], json!({"bad_secret": 1, "bad_timestamp": 1, "future_timestamp": 1, "not_a_number": 1,
            "too_old": 1, "unknown_device": 1, "unknown_metric": 1}));
        // The same batch again: stored values are duplicates, not doubled.
        let (_, r) = e.call(Method::POST, "/api/v1/ingest", None, Some(body)).await;
        assert_eq!((r["accepted"].as_i64(), r["duplicates"].as_i64()), (Some(0), Some(2)));
        // A forged secret raised nothing.
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms", Some(&officer), None).await;
        assert_eq!(alarms["total"], 0);
        // Malformed JSON is a 400, never a crash; the counters show on /metrics.
        let req = Request::post("/api/v1/ingest").header(header::CONTENT_TYPE, "application/json").body(Body::from("{\"batches\": [")).unwrap();
        assert_eq!(e.router.clone().oneshot(req).await.unwrap().status(), StatusCode::BAD_REQUEST);
        let (_, m) = e.call(Method::GET, "/metrics", None, None).await;
        assert!(m.as_str().unwrap().contains("anjian_ingest_values_total{outcome=\"bad_secret\"} 2"), "{m}");
        // Device validation names fields.
        let ent = &e.city.enterprises[0].id;
        let (s, v) = e.call(Method::POST, "/api/v1/devices", Some(&officer), Some(json!({
            "name": "x", "device_type": "toaster", "enterprise_id": ent, "metrics": [{"name": "t", "unit": "C"}], "interval_s": 60}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("device_type")));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), Some(&officer), Some(json!({"template": "combustible_gas"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule.metric")));
        e.t.cleanup().await;
    }
}
