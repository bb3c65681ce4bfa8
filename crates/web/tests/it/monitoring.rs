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
    app: App,
}

impl Env {
    async fn new(b: anjian_store::Backend) -> Env {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[8; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
        Env { router: anjian_web::router(app.clone(), true), t, city: anjian_demo::generate(11, DemoSize::Small), app }
    }

    async fn ingest(&self, id: &str, secret: &str, readings: Vec<Value>) -> Value {
        let (s, r) = self
            .call(
                Method::POST,
                "/api/v1/ingest",
                None,
                Some(json!({"batches": [{"device_id": id, "secret": secret, "readings": readings}]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        r
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

    /// A device registered at enterprise 1 (`device`: the fields after the
    /// enterprise) with one rule (`rule`: the body of POST …/rules); (id, secret, rule id).
    async fn device_with_rule(&self, token: &str, mut device: Value, rule: Value) -> (String, String, String) {
        device["enterprise_id"] = json!(self.city.enterprises[0].id);
        let (s, d) = self.call(Method::POST, "/api/v1/devices", Some(token), Some(device)).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let (id, secret) = (d["id"].as_str().unwrap().to_string(), d["secret"].as_str().unwrap().to_string());
        let (s, r) = self.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), Some(token), Some(rule)).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        (id, secret, r["id"].as_str().unwrap().to_string())
    }

    /// A rain gauge at enterprise 1 with the 24-hour rainfall rule; (id, secret).
    async fn gauge(&self, token: &str) -> (String, String) {
        let (id, secret, _) = self
            .device_with_rule(
                token,
                json!({"name": "1号采区雨量计", "device_type": "rainfall_gauge",
                    "metrics": [{"name": "rainfall_mm", "unit": "mm"}], "interval_s": 600}),
                json!({"template": "mine_rainfall_24h"}),
            )
            .await;
        (id, secret)
    }
}

fn now() -> i64 {
    anjian_store::now_ms()
}

/// Moves the hour seal (`rollup_seal`) to `at`, as if the upkeep job had sealed up to there.
async fn set_seal(app: &App, at: i64) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query("UPDATE rollup_seal SET sealed_before = $1").bind(at).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// Moves the minute seal to `at` (minute-aligned), as if the upkeep job had sealed up to there.
async fn set_minute_seal(app: &App, at: i64) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query("UPDATE rollup_seal SET minutes_sealed_before = $1, minutes_summed_before = $1")
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A series' points as (bucket start, (count, sum, min, max, last)).
type Point = (i64, (i64, f64, f64, f64, f64));

fn points_of(v: &Value) -> Vec<Point> {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = p["count"].as_i64().unwrap();
            (
                p["at"].as_i64().unwrap(),
                (
                    n,
                    p["value"].as_f64().unwrap() * n as f64,
                    p["min"].as_f64().unwrap(),
                    p["max"].as_f64().unwrap(),
                    p["last"].as_f64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The points readings at these times (in time order) with these values make at a step.
fn points_from(at: &[i64], value: impl Fn(i64) -> f64, step: i64) -> Vec<Point> {
    let mut m: std::collections::BTreeMap<i64, (i64, f64, f64, f64, f64)> = Default::default();
    for t in at {
        let (v, e) = (value(*t), m.entry(t / step * step).or_insert((0, 0.0, f64::MAX, f64::MIN, 0.0)));
        *e = (e.0 + 1, e.1 + v, e.2.min(v), e.3.max(v), v);
    }
    m.into_iter().collect()
}

fn same_points(a: &[Point], b: &[Point]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.0 == y.0
                && x.1.0 == y.1.0
                && [(x.1.1, y.1.1), (x.1.2, y.1.2), (x.1.3, y.1.3), (x.1.4, y.1.4)]
                    .iter()
                    .all(|(p, q)| (p - q).abs() < 1e-9)
        })
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

both_backends! {
    async fn readings_roll_up_by_minute_and_hour_and_outlive_raw_retention(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        // Nine readings, 20 s apart, in three whole minutes two hours ago.
        let t0 = (now() - 2 * 3_600_000) / 3_600_000 * 3_600_000;
        let readings: Vec<Value> = (0..9).map(|i| json!({"ts": t0 + i * 20_000, "values": {"rainfall_mm": 0.1 * (i + 1) as f64}})).collect();
        assert_eq!(e.ingest(&id, &secret, readings.clone()).await["accepted"], 9);
        // A redelivery changes nothing: neither the raw rows nor the rollups.
        let r = e.ingest(&id, &secret, readings).await;
        assert_eq!((r["accepted"].as_u64(), r["duplicates"].as_u64()), (Some(0), Some(9)));
        let base = format!("/api/v1/devices/{id}/series?metric=rainfall_mm&from={}&to={}", t0, t0 + 3_600_000);
        let (s, raw) = e.call(Method::GET, &format!("{base}&step=raw"), Some(&officer), None).await;
        assert_eq!(s, StatusCode::OK, "{raw}");
        assert_eq!(raw["points"].as_array().unwrap().len(), 9);
        assert_eq!(raw["unit"], "mm");
        let (_, minute) = e.call(Method::GET, &format!("{base}&step=minute"), Some(&officer), None).await;
        let pts = minute["points"].as_array().unwrap();
        assert_eq!(pts.len(), 3, "{minute}");
        assert_eq!(pts[0]["at"], t0);
        assert_eq!(pts[0]["count"], 3);
        assert!((pts[0]["min"].as_f64().unwrap() - 0.1).abs() < 1e-9);
        assert!((pts[0]["max"].as_f64().unwrap() - 0.3).abs() < 1e-9);
        assert!((pts[0]["value"].as_f64().unwrap() - 0.2).abs() < 1e-9, "mean");
        assert!((pts[2]["last"].as_f64().unwrap() - 0.9).abs() < 1e-9);
        let (_, hour) = e.call(Method::GET, &format!("{base}&step=hour"), Some(&officer), None).await;
        assert_eq!(hour["points"].as_array().unwrap().len(), 1);
        assert_eq!(hour["points"][0]["count"], 9);
        // Bad parameters name the field.
        let (s, v) = e.call(Method::GET, &format!("{base}&step=week"), Some(&officer), None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("step")));
        let (s, v) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=wind"), Some(&officer), None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("metric")));
        let (s, v) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=rainfall_mm&from=soon"), Some(&officer), None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
        // The region's latest values: the gauge's last reading.
        let (s, latest) = e.call(Method::GET, "/api/v1/monitoring/latest", Some(&officer), None).await;
        assert_eq!(s, StatusCode::OK, "{latest}");
        let mine = latest["items"].as_array().unwrap().iter().find(|d| d["device_id"] == id.as_str()).unwrap().clone();
        assert_eq!(mine["values"][0]["metric"], "rainfall_mm");
        assert!((mine["values"][0]["value"].as_f64().unwrap() - 0.9).abs() < 1e-9);
        assert_eq!(mine["values"][0]["at_ms"], t0 + 8 * 20_000);
        // Outside the caller's scope: refused, and another district sees nothing of it.
        let ent_district = &e.city.enterprises[0].region_code[..6];
        let other = e.city.regions.iter().find(|r| r.level == "district" && &r.code[..6] != ent_district).unwrap();
        let (s, _) = e.call(Method::GET, &format!("/api/v1/monitoring/latest?region={}", other.code), Some(&officer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, theirs) = e.call(Method::GET, "/api/v1/monitoring/latest", Some(&e.login("district02").await), None).await;
        assert!(!theirs["items"].as_array().unwrap().iter().any(|d| d["device_id"] == id.as_str()));
        let (s, _) = e.call(Method::GET, &format!("{base}&step=raw"), Some(&e.login("district02").await), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Retention: a day later with one day kept, the raw rows go and the rollups stay.
        let deleted = anjian_app::monitoring::prune_readings(&e.app, now() + 86_400_000, 1).await.unwrap();
        assert!(deleted >= 9, "{deleted}");
        let (_, raw) = e.call(Method::GET, &format!("{base}&step=raw"), Some(&officer), None).await;
        assert_eq!(raw["points"].as_array().unwrap().len(), 0);
        let (_, minute) = e.call(Method::GET, &format!("{base}&step=minute"), Some(&officer), None).await;
        assert_eq!(minute["points"].as_array().unwrap().len(), 3);
        // Minute retention: a minute of an hour not yet sealed stays whatever its age; once
        // the hour is sealed the minutes go and the hour row keeps the count.
        let sealed: i64 = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT sealed_before FROM rollup_seal").fetch_one(&mut *c).await.unwrap()
        };
        set_seal(&e.app, t0).await;
        let later = now() + 2 * 86_400_000;
        assert_eq!(anjian_app::monitoring::prune_minute_rollups(&e.app, later, 1).await.unwrap(), 0);
        set_seal(&e.app, sealed).await;
        assert_eq!(anjian_app::monitoring::prune_minute_rollups(&e.app, later, 1).await.unwrap(), 3);
        let (_, minute) = e.call(Method::GET, &format!("{base}&step=minute"), Some(&officer), None).await;
        assert_eq!(minute["points"].as_array().unwrap().len(), 0, "{minute}");
        let (_, hour) = e.call(Method::GET, &format!("{base}&step=hour"), Some(&officer), None).await;
        assert_eq!(hour["points"][0]["count"], 9, "{hour}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn hour_rollups_are_sealed_from_minutes_and_a_late_reading_reaches_both(b: Backend) {
        const H: i64 = 3_600_000;
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        // The hours from three hours ago on are not sealed yet; one reading falls before them.
        let t0 = now() / H * H - 3 * H;
        set_seal(&e.app, t0).await;
        let mut at: Vec<i64> = vec![t0 - 30 * 60_000];
        at.extend((0..).map(|k| t0 + k * 7 * 60_000 + (k % 5) * 1_000).take_while(|t| *t < now() - 60_000));
        let value = |t: i64| ((t / 60_000) % 17) as f64 * 0.01;
        let readings: Vec<Value> = at.iter().map(|t| json!({"ts": t, "values": {"rainfall_mm": value(*t)}})).collect();
        assert_eq!(e.ingest(&id, &secret, readings).await["accepted"].as_u64(), Some(at.len() as u64));
        // What every hour must show, from the readings themselves.
        let expect = |at: &[i64]| points_from(at, value, H);
        let hours = points_of;
        let same = same_points;
        let url = format!("/api/v1/devices/{id}/series?metric=rainfall_mm&step=hour&from={}&to={}", t0 - H, now() + 60_000);
        let stored_hours = || async {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT bucket FROM reading_rollups WHERE device_id = $1 AND step = 'hour' ORDER BY bucket")
                .bind(&id).fetch_all(&mut *c).await.unwrap()
        };
        // Before the seal: the hour before it is a stored row, the later hours are summed from minutes.
        let (s, v) = e.call(Method::GET, &url, Some(&officer), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(same(&hours(&v), &expect(&at)), "{v}\n{:?}", expect(&at));
        assert_eq!(stored_hours().await, vec![t0 - H]);
        // The seal writes the past hours' rows (not the current one) and moves on; a second one has nothing to do.
        let until = (now() - 2 * 60_000) / H * H;
        let n = anjian_app::monitoring::seal_hours(&e.app, now()).await.unwrap();
        assert_eq!(n, Some(((until - t0) / H) as u64));
        assert_eq!(anjian_app::monitoring::seal_hours(&e.app, now()).await.unwrap(), None);
        assert_eq!(stored_hours().await, std::iter::once(t0 - H).chain((t0..until).step_by(H as usize)).collect::<Vec<_>>());
        let (_, v) = e.call(Method::GET, &url, Some(&officer), None).await;
        assert!(same(&hours(&v), &expect(&at)), "{v}");
        // A late reading for a sealed hour goes to its minute and to its hour row.
        let late = t0 + 60_000 + 500;
        assert_eq!(e.ingest(&id, &secret, vec![json!({"ts": late, "values": {"rainfall_mm": value(late)}})]).await["accepted"], 1);
        at.push(late);
        at.sort();
        let (_, v) = e.call(Method::GET, &url, Some(&officer), None).await;
        assert!(same(&hours(&v), &expect(&at)), "{v}");
        // Hours are cut at the window's edges: a window inside the first sealed hour shows that hour only.
        let (_, v) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=rainfall_mm&step=hour&from={}&to={}", t0, t0 + 1), Some(&officer), None).await;
        assert_eq!(hours(&v).iter().map(|h| h.0).collect::<Vec<_>>(), vec![t0], "{v}");
        // The latest value is the newest reading.
        let (_, latest) = e.call(Method::GET, "/api/v1/monitoring/latest", Some(&officer), None).await;
        let mine = latest["items"].as_array().unwrap().iter().find(|d| d["device_id"] == id.as_str()).unwrap().clone();
        let newest = *at.iter().max().unwrap();
        assert_eq!((mine["values"][0]["at_ms"].as_i64(), mine["values"][0]["value"].as_f64()), (Some(newest), Some(value(newest))), "{mine}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn minute_rollups_are_sealed_from_readings_and_a_late_reading_reaches_its_minute(b: Backend) {
        const MIN: i64 = 60_000;
        const H: i64 = 3_600_000;
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        // Hours from two hours ago on and minutes from 90 minutes ago on are not sealed yet.
        let t0 = now() / H * H - 2 * H;
        let m0 = (now() - 90 * MIN) / MIN * MIN;
        set_seal(&e.app, t0).await;
        set_minute_seal(&e.app, m0).await;
        let mut at: Vec<i64> = (0..).map(|k| t0 - 10 * MIN + k * 47_000).take_while(|t| *t < now() - 70_000).collect();
        let value = |t: i64| ((t / 1_000) % 23) as f64 * 0.01;
        let readings: Vec<Value> = at.iter().map(|t| json!({"ts": t, "values": {"rainfall_mm": value(*t)}})).collect();
        assert_eq!(e.ingest(&id, &secret, readings).await["accepted"].as_u64(), Some(at.len() as u64));
        let url = |step: &str| format!("/api/v1/devices/{id}/series?metric=rainfall_mm&step={step}&from={}&to={}", t0 - H, now() + MIN);
        let check = |at: Vec<i64>, when: &'static str| {
            let (e, officer, url) = (&e, &officer, &url);
            async move {
                for (step, ms) in [("minute", MIN), ("hour", H)] {
                    let (s, v) = e.call(Method::GET, &url(step), Some(officer), None).await;
                    assert_eq!(s, StatusCode::OK, "{v}");
                    assert!(same_points(&points_of(&v), &points_from(&at, value, ms)), "{when}, {step}: {v}");
                }
            }
        };
        let stored_minutes = || async {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT bucket FROM reading_rollups WHERE device_id = $1 AND step = 'minute' ORDER BY bucket")
                .bind(&id).fetch_all(&mut *c).await.unwrap()
        };
        let minutes_of = |at: &[i64], lo: i64, hi: i64| -> Vec<i64> {
            let mut m: Vec<i64> = at.iter().filter(|t| **t >= lo && **t < hi).map(|t| t / MIN * MIN).collect();
            m.dedup();
            m
        };
        // Ingest wrote the minute rows of the sealed minutes only; the series sum the rest from the readings.
        assert_eq!(stored_minutes().await, minutes_of(&at, i64::MIN, m0));
        check(at.clone(), "before the seal").await;
        // The raw retention keeps the readings of minutes not yet sealed, whatever their age.
        anjian_app::monitoring::prune_readings(&e.app, now() + 2 * 86_400_000, 1).await.unwrap();
        let (_, raw) = e.call(Method::GET, &url("raw"), Some(&officer), None).await;
        assert_eq!(raw["points"].as_array().unwrap().len(), at.iter().filter(|t| **t >= m0).count(), "{raw}");
        check(at.clone(), "after the retention").await;
        // The seal writes the past minutes' rows (up to a minute ago) and moves on; a second one has nothing to do.
        let t = now();
        let until = (t - MIN) / MIN * MIN;
        let n = anjian_app::monitoring::seal_minutes(&e.app, t).await.unwrap();
        assert_eq!(n, Some(minutes_of(&at, m0, until).len() as u64));
        assert_eq!(anjian_app::monitoring::seal_minutes(&e.app, t).await.unwrap(), None);
        assert_eq!(stored_minutes().await, minutes_of(&at, i64::MIN, until));
        check(at.clone(), "after the minute seal").await;
        // Hours follow their minutes.
        assert!(anjian_app::monitoring::seal_hours(&e.app, now()).await.unwrap().is_some());
        check(at.clone(), "after the hour seal").await;
        // A late reading for a sealed minute goes to that minute's row.
        let late = m0 + 30_500;
        assert_eq!(e.ingest(&id, &secret, vec![json!({"ts": late, "values": {"rainfall_mm": value(late)}})]).await["accepted"], 1);
        at.push(late);
        at.sort();
        assert_eq!(stored_minutes().await, minutes_of(&at, i64::MIN, until));
        check(at.clone(), "after a late reading").await;
        // The seal's two steps with batches between them: once it has moved on, a reading
        // before it is rolled up at once; the sum then adds only the readings that were not.
        let fresh = [now() - 20_000, now() - 10_000];
        let readings: Vec<Value> = fresh.iter().map(|t| json!({"ts": t, "values": {"rainfall_mm": value(*t)}})).collect();
        assert_eq!(e.ingest(&id, &secret, readings).await["accepted"], 2);
        at.extend(fresh);
        let m1 = now() / MIN * MIN + MIN;
        let mut tx = e.app.db.begin().await.unwrap();
        assert!(anjian_store::readings::close_minutes(&mut tx, m1).await.unwrap());
        tx.commit().await.unwrap();
        check(at.clone(), "after the seal moved, before the sum").await;
        let late2 = m1 - 5_000;
        assert_eq!(e.ingest(&id, &secret, vec![json!({"ts": late2, "values": {"rainfall_mm": value(late2)}})]).await["accepted"], 1);
        at.push(late2);
        at.sort();
        check(at.clone(), "a late reading before the sum").await;
        let mut tx = e.app.db.begin().await.unwrap();
        assert!(anjian_store::readings::sum_minutes(&mut tx).await.unwrap() >= 1);
        tx.commit().await.unwrap();
        check(at.clone(), "after the sum").await;
        assert_eq!(stored_minutes().await, minutes_of(&at, i64::MIN, m1));
        // The latest value is the newest reading.
        let (_, latest) = e.call(Method::GET, "/api/v1/monitoring/latest", Some(&officer), None).await;
        let mine = latest["items"].as_array().unwrap().iter().find(|d| d["device_id"] == id.as_str()).unwrap().clone();
        let newest = *at.iter().max().unwrap();
        assert_eq!((mine["values"][0]["at_ms"].as_i64(), mine["values"][0]["value"].as_f64()), (Some(newest), Some(value(newest))), "{mine}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn a_silent_device_raises_one_offline_alarm_and_its_next_reading_clears_it(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let ent = &e.city.enterprises[0].id;
        let (s, d) = e.call(Method::POST, "/api/v1/devices", Some(&officer), Some(json!({
            "name": "1号塔吊", "device_type": "tower_crane", "enterprise_id": ent,
            "metrics": [{"name": "verticality_permille", "unit": "‰"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let (id, secret) = (d["id"].as_str().unwrap().to_string(), d["secret"].as_str().unwrap().to_string());
        let (s, r) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), Some(&officer), Some(json!({"template": "device_offline"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let now = now();
        // Never seen: not offline (unregistered on site yet).
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now).await.unwrap(), 0);
        // Last heard of five minutes ago: five missed intervals → yellow.
        e.ingest(&id, &secret, vec![json!({"ts": now - 300_000, "values": {"verticality_permille": 1.0}})]).await;
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now).await.unwrap(), 1);
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now + 1_000).await.unwrap(), 0, "one alarm, not one per pass");
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?state=open&device_id={id}"), Some(&officer), None).await;
        assert_eq!(alarms["total"], 1, "{alarms}");
        assert_eq!(alarms["items"][0]["metric"], "offline");
        assert_eq!(alarms["items"][0]["level"], "yellow");
        // Ten missed intervals: the same alarm escalates to orange.
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now + 300_000).await.unwrap(), 1);
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?state=open&device_id={id}"), Some(&officer), None).await;
        assert_eq!((alarms["total"].as_i64(), alarms["items"][0]["level"].as_str()), (Some(1), Some("orange")));
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", Some(&e.login("ent0001-head").await), None).await;
        assert!(inbox.as_array().unwrap().iter().any(|n| n["title"].as_str().unwrap().contains("设备离线")), "{inbox}");
        // It reports again: the alarm clears.
        let r = e.ingest(&id, &secret, vec![json!({"ts": now, "values": {"verticality_permille": 1.0}})]).await;
        assert_eq!(r["alarms"]["clear"], 1, "{r}");
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?state=open&device_id={id}"), Some(&officer), None).await;
        assert_eq!(alarms["total"], 0);
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now + 60_000).await.unwrap(), 0);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn emergency_resources_nearest_an_alarm_come_first(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        let ent = &e.city.enterprises[0];
        let mk = |kind: &str, name: &str, dlat: f64| json!({
            "kind": kind, "name": name, "region_code": ent.region_code, "address": "测试路1号",
            "lon": ent.lon, "lat": ent.lat + dlat, "contact_name": "张队长", "contact_phone": "0539-1234567",
            "capacity": 30, "capacity_unit": "人", "items": [{"name": "编织袋", "quantity": 500.0, "unit": "条"}]});
        let mut ids = vec![];
        for (kind, name, dlat) in [("rescue_team", "矿山救护队", 0.045), ("hospital", "区人民医院", 0.009), ("shelter", "远处避难场所", 0.9)] {
            let (s, r) = e.call(Method::POST, "/api/v1/emergency-resources", Some(&officer), Some(mk(kind, name, dlat))).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            assert_eq!(r["items"][0]["unit"], "条");
            ids.push(r["id"].as_str().unwrap().to_string());
        }
        // Bad input names the field.
        let mut bad = mk("spaceship", "x", 0.0);
        let (s, v) = e.call(Method::POST, "/api/v1/emergency-resources", Some(&officer), Some(bad.clone())).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
        bad["kind"] = json!("hospital");
        bad["lat"] = json!(100.0);
        let (s, v) = e.call(Method::POST, "/api/v1/emergency-resources", Some(&officer), Some(bad)).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lat")));
        // A red alarm at the gauge: the hospital (1 km) before the team (5 km); the shelter (100 km) is out of range.
        let t = now() - 3_600_000;
        e.ingest(&id, &secret, vec![json!({"ts": t, "values": {"rainfall_mm": 60.0}})]).await;
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms?state=open", Some(&officer), None).await;
        let aid = alarms["items"][0]["id"].as_str().unwrap().to_string();
        let (s, near) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}/resources"), Some(&officer), None).await;
        assert_eq!(s, StatusCode::OK, "{near}");
        let names: Vec<&str> = near["resources"].as_array().unwrap().iter().map(|r| r["resource"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["区人民医院", "矿山救护队"]);
        let d = near["resources"][0]["distance_m"].as_f64().unwrap();
        assert!((950.0..1050.0).contains(&d), "{d}");
        let (_, near) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}/resources?kind=rescue_team&within_km=200"), Some(&officer), None).await;
        assert_eq!(near["resources"].as_array().unwrap().len(), 1);
        let (_, near) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}/resources?within_km=200"), Some(&officer), None).await;
        assert_eq!(near["resources"].as_array().unwrap().len(), 3);
        let (s, v) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}/resources?limit=0"), Some(&officer), None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
        // Update, list, delete; another district sees none of it.
        let mut upd = mk("hospital", "区人民医院（急救中心）", 0.009);
        upd["capacity"] = json!(120);
        upd["capacity_unit"] = json!("床");
        let (s, r) = e.call(Method::PUT, &format!("/api/v1/emergency-resources/{}", ids[1]), Some(&officer), Some(upd)).await;
        assert_eq!((s, r["capacity"].as_i64()), (StatusCode::OK, Some(120)), "{r}");
        let (_, list) = e.call(Method::GET, "/api/v1/emergency-resources?kind=hospital", Some(&officer), None).await;
        assert_eq!(list["total"], 1);
        let other = e.login("district02").await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/emergency-resources/{}", ids[0]), Some(&other), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = e.call(Method::DELETE, &format!("/api/v1/emergency-resources/{}", ids[2]), Some(&officer), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = e.call(Method::GET, &format!("/api/v1/emergency-resources/{}", ids[2]), Some(&officer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // An enterprise head registers only the enterprise's own resources.
        let head = e.login("ent0001-head").await;
        let (s, v) = e.call(Method::POST, "/api/v1/emergency-resources", Some(&head), Some(mk("equipment", "抽水泵", 0.0))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("enterprise_id")));
        let mut own = mk("equipment", "抽水泵", 0.0);
        own["enterprise_id"] = json!(ent.id);
        let (s, v) = e.call(Method::POST, "/api/v1/emergency-resources", Some(&head), Some(own)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        e.t.cleanup().await;
    }
}

impl Env {
    /// A gas detector at enterprise 1 with one value rule (`thresholds`); (id, secret, rule id).
    async fn gas(&self, token: &str, thresholds: Value) -> (String, String, String) {
        self.device_with_rule(
            token,
            json!({"name": "3号车间气体探头", "device_type": "gas_detector",
                "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60}),
            json!({"name": "可燃气体", "rule": gas_rule(thresholds)}),
        )
        .await
    }

    /// The actions of the audit rows of one entity, oldest first (as the super admin sees them).
    async fn audit_actions(&self, entity: &str, id: &str) -> Vec<String> {
        let admin = self.login("admin").await;
        let (s, v) =
            self.call(Method::GET, &format!("/api/v1/audit?entity={entity}&entity_id={id}"), Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut out: Vec<String> =
            v["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap().to_string()).collect();
        out.reverse();
        out
    }
}

fn gas_rule(thresholds: Value) -> Value {
    json!({"metric": "lel_percent", "measure": {"type": "value"}, "direction": "above", "thresholds": thresholds})
}

fn field(v: &Value) -> Option<&str> {
    v["error"]["field"].as_str()
}

both_backends! {
    async fn an_edited_threshold_changes_what_alarms_and_an_open_alarm_waits_for_the_new_rule(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret, rid) = e.gas(&officer, json!({"red": 50.0})).await;
        let at = now() - 600_000;
        // 30 %LEL is below the only threshold (red 50): nothing.
        let r = e.ingest(&id, &secret, vec![json!({"ts": at, "values": {"lel_percent": 30.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["alarms"].as_object().map(|a| a.len())), (Some(1), Some(0)), "{r}");
        // A yellow level at 25: the same reading now raises.
        let uri = format!("/api/v1/devices/{id}/rules/{rid}");
        let (s, v) = e.call(Method::PUT, &uri, Some(&officer), Some(json!({"rule": gas_rule(json!({"yellow": 25.0, "red": 50.0}))}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["rule"]["thresholds"]["yellow"], 25.0);
        let r = e.ingest(&id, &secret, vec![json!({"ts": at + 60_000, "values": {"lel_percent": 30.0}})]).await;
        assert_eq!(r["alarms"]["raise"], 1, "{r}");
        // Back to red only: the open alarm is not dropped by the change…
        let (s, v) = e.call(Method::PUT, &uri, Some(&officer), Some(json!({"rule": gas_rule(json!({"red": 50.0})), "name": "可燃气体（红线）"}))).await;
        assert_eq!((s, v["active_level"].as_str(), v["name"].as_str()), (StatusCode::OK, Some("yellow"), Some("可燃气体（红线）")), "{v}");
        let (_, open) = e.call(Method::GET, &format!("/api/v1/alarms?state=open&device_id={id}"), Some(&officer), None).await;
        assert_eq!((open["total"].as_i64(), open["items"][0]["level"].as_str()), (Some(1), Some("yellow")), "{open}");
        let aid = open["items"][0]["id"].as_str().unwrap().to_string();
        // … the new rule's evaluation clears it: 30 is below every new threshold.
        let r = e.ingest(&id, &secret, vec![json!({"ts": at + 120_000, "values": {"lel_percent": 30.0}})]).await;
        assert_eq!(r["alarms"], json!({"clear": 1}), "{r}");
        let (_, detail) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}"), Some(&officer), None).await;
        let events: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["raise", "clear"]);
        // Bad changes name the field and change nothing.
        for (body, f) in [
            (json!({"rule": {"metric": "wind", "measure": {"type": "value"}, "direction": "above", "thresholds": {"red": 9.0}}}), "rule.metric"),
            (json!({"rule": gas_rule(json!({"yellow": 60.0, "red": 50.0}))}), "rule.thresholds.red"),
            (json!({"rule": gas_rule(json!({}))}), "rule.thresholds"),
            (json!({"name": " "}), "name"),
            (json!({}), "rule"),
            (json!({"enabled": "no"}), "enabled"),
        ] {
            let (s, v) = e.call(Method::PUT, &uri, Some(&officer), Some(body.clone())).await;
            assert_eq!((s, field(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some(f)), "{body}: {v}");
        }
        let (_, rules) = e.call(Method::GET, &format!("/api/v1/devices/{id}/rules"), Some(&officer), None).await;
        assert_eq!(rules[0]["rule"]["thresholds"], json!({"blue": null, "yellow": null, "orange": null, "red": 50.0}));
        // Someone else's rule, or a rule of another device: not found.
        let (s, _) = e.call(Method::PUT, &uri, Some(&e.login("district02").await), Some(json!({"enabled": false}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (gauge, _) = e.gauge(&officer).await;
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/devices/{gauge}/rules/{rid}"), Some(&officer), Some(json!({"enabled": false}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(e.audit_actions("device_rule", &rid).await, ["create", "update", "update"]);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn ingest_and_device_changes_at_the_same_time_all_succeed(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret, rid) = e.gas(&officer, json!({"yellow": 25.0, "red": 50.0})).await;
        let t0 = now() - 600_000;
        // Batches that raise and clear alarms, while the rule is edited and the device renamed:
        // each side waits for the other (the device-change counter), none fails.
        let ingest = async {
            for k in 0..40i64 {
                let v = if (k / 5) % 2 == 0 { 10.0 } else { 80.0 };
                let r = e.ingest(&id, &secret, vec![json!({"ts": t0 + k * 1000, "values": {"lel_percent": v}})]).await;
                assert_eq!(r["accepted"], 1, "{k}: {r}");
            }
        };
        let changes = async {
            for k in 0..20 {
                let (s, v) = e.call(Method::PUT, &format!("/api/v1/devices/{id}/rules/{rid}"), Some(&officer),
                    Some(json!({"rule": gas_rule(json!({"yellow": 20.0 + k as f64, "red": 50.0}))}))).await;
                assert_eq!(s, StatusCode::OK, "{k}: {v}");
                let (s, v) = e.call(Method::PATCH, &format!("/api/v1/devices/{id}"), Some(&officer),
                    Some(json!({"name": format!("3号车间气体探头-{k}")}))).await;
                assert_eq!(s, StatusCode::OK, "{k}: {v}");
            }
        };
        tokio::join!(ingest, changes);
        let (_, raw) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=lel_percent&step=raw&from={}", t0 - 1), Some(&officer), None).await;
        assert_eq!(raw["points"].as_array().unwrap().len(), 40, "{raw}");
        let (_, rules) = e.call(Method::GET, &format!("/api/v1/devices/{id}/rules"), Some(&officer), None).await;
        assert_eq!(rules[0]["rule"]["thresholds"]["yellow"], 39.0, "{rules}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn batches_of_one_device_at_the_same_time_each_see_the_rule_state_the_other_saved(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret) = e.gauge(&officer).await;
        // 24 uploads of one gauge at once (HTTP and MQTT can deliver a device's batches
        // together), one reading each, a second apart, the newest sent first. Whatever order
        // they commit in, the rule must end at the newest reading (the older ones come late
        // and are not evaluated): a batch that saved its state from a read taken before
        // another's commit would move it back.
        // The first reading moves the device's last-seen time, so the next 30 s of readings
        // do not, and the minutes are not sealed, so no batch writes a rollup (either row
        // lock would make the batches wait for each other).
        let t0 = now() - 120_000;
        set_seal(&e.app, t0 / 3_600_000 * 3_600_000).await;
        set_minute_seal(&e.app, t0 / 60_000 * 60_000).await;
        assert_eq!(e.ingest(&id, &secret, vec![json!({"ts": t0, "values": {"rainfall_mm": 1.0}})]).await["accepted"], 1);
        let k_max = 24i64;
        let uploads = (1..=k_max).map(|k| {
            let (e, id, secret) = (&e, &id, &secret);
            async move { e.ingest(id, secret, vec![json!({"ts": t0 + (k_max + 1 - k) * 1_000, "values": {"rainfall_mm": 1.0}})]).await }
        });
        // They all wait behind a held seal row, then start together when it is let go.
        let mut gate = e.app.db.begin().await.unwrap();
        sqlx::query("UPDATE rollup_seal SET sealed_before = sealed_before").execute(&mut *gate).await.unwrap();
        let (reports, _) = tokio::join!(futures_util::future::join_all(uploads), async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            gate.commit().await.unwrap();
        });
        assert!(reports.iter().all(|r| r["accepted"] == 1), "{reports:?}");
        let state: String = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT state FROM device_rules WHERE device_id = $1").bind(&id).fetch_one(&mut *c).await.unwrap()
        };
        let state: Value = serde_json::from_str(&state).unwrap();
        assert_eq!(state["last_at"].as_i64(), Some(t0 + k_max * 1_000), "{state}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn a_turned_off_rule_raises_nothing_and_the_readings_are_still_stored(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret, rid) = e.gas(&officer, json!({"yellow": 25.0, "red": 50.0})).await;
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/devices/{id}/rules/{rid}"), Some(&officer), Some(json!({"enabled": false}))).await;
        assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
        let at = now() - 600_000;
        let r = e.ingest(&id, &secret, vec![json!({"ts": at, "values": {"lel_percent": 80.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["alarms"].as_object().map(|a| a.len())), (Some(1), Some(0)), "{r}");
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?device_id={id}"), Some(&officer), None).await;
        assert_eq!(alarms["total"], 0);
        let (_, raw) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=lel_percent&step=raw"), Some(&officer), None).await;
        assert_eq!(raw["points"].as_array().unwrap().len(), 1, "{raw}");
        // The offline job honours it too.
        let (s, off) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), Some(&officer), Some(json!({"template": "device_offline"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{off}");
        let off_uri = format!("/api/v1/devices/{id}/rules/{}", off["id"].as_str().unwrap());
        let (s, _) = e.call(Method::PUT, &off_uri, Some(&officer), Some(json!({"enabled": false}))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now()).await.unwrap(), 0, "ten missed intervals, rule off");
        let (s, _) = e.call(Method::PUT, &off_uri, Some(&officer), Some(json!({"enabled": true}))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now()).await.unwrap(), 1);
        // Turned on again, the value rule evaluates the next reading.
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/devices/{id}/rules/{rid}"), Some(&officer), Some(json!({"enabled": true}))).await;
        assert_eq!(s, StatusCode::OK);
        let r = e.ingest(&id, &secret, vec![json!({"ts": now() - 1000, "values": {"lel_percent": 80.0}})]).await;
        assert_eq!(r["alarms"]["raise"], 1, "{r}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn device_edits_are_validated_and_a_metric_in_use_cannot_be_removed(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret, _) = e.gas(&officer, json!({"red": 50.0})).await;
        let uri = format!("/api/v1/devices/{id}");
        let at = now() - 60_000;
        // Through the cache: a metric the device does not have is refused…
        let r = e.ingest(&id, &secret, vec![json!({"ts": at, "values": {"lel_percent": 1.0, "h2s_ppm": 2.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["rejected"]["unknown_metric"].as_u64()), (Some(1), Some(1)), "{r}");
        let ent = &e.city.enterprises[0];
        let (s, d) = e.call(Method::PATCH, &uri, Some(&officer), Some(json!({
            "name": "3号车间复合气体探头", "lon": ent.lon + 0.001, "lat": ent.lat, "interval_s": 120,
            "metrics": [{"name": "lel_percent", "unit": "%LEL"}, {"name": "h2s_ppm", "unit": "ppm"}]}))).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!((d["name"].as_str(), d["interval_s"].as_i64(), d["metrics"].as_array().map(|m| m.len())), (Some("3号车间复合气体探头"), Some(120), Some(2)));
        assert!(d.get("secret").is_none());
        // … and accepted at once after the edit.
        let r = e.ingest(&id, &secret, vec![json!({"ts": at + 1000, "values": {"lel_percent": 1.0, "h2s_ppm": 2.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["rejected"].as_object().map(|x| x.len())), (Some(2), Some(0)), "{r}");
        for (body, f) in [
            (json!({"metrics": [{"name": "h2s_ppm", "unit": "ppm"}]}), "metrics"),
            (json!({"metrics": []}), "metrics"),
            (json!({"metrics": [{"name": "a b", "unit": ""}]}), "metrics[0].name"),
            (json!({"lat": 95.0}), "lat"),
            (json!({"lon": null}), "lon"),
            (json!({"interval_s": 0}), "interval_s"),
            (json!({"name": ""}), "name"),
            (json!({"project_id": "no-such-project"}), "project_id"),
            (json!({"device_type": "dust"}), ""),
        ] {
            let (s, v) = e.call(Method::PATCH, &uri, Some(&officer), Some(body.clone())).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
            if !f.is_empty() {
                assert_eq!(field(&v), Some(f), "{body}: {v}");
            }
        }
        // Removing the position takes both coordinates.
        let (s, d) = e.call(Method::PATCH, &uri, Some(&officer), Some(json!({"lon": null, "lat": null}))).await;
        assert_eq!((s, d["lon"].is_null(), d["lat"].is_null()), (StatusCode::OK, true, true), "{d}");
        // A project the device's enterprise is a party to is accepted, another is not.
        let admin = e.login("admin").await;
        let p = &e.city.projects[0];
        let (s, site) = e.call(Method::POST, "/api/v1/devices", Some(&admin), Some(json!({
            "name": "工地扬尘", "device_type": "dust", "enterprise_id": p.builder_id,
            "metrics": [{"name": "pm10", "unit": "µg/m³"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{site}");
        let site_uri = format!("/api/v1/devices/{}", site["id"].as_str().unwrap());
        let (s, d) = e.call(Method::PATCH, &site_uri, Some(&admin), Some(json!({"project_id": p.id}))).await;
        assert_eq!((s, d["project_id"].as_str()), (StatusCode::OK, Some(p.id.as_str())), "{d}");
        let not_ours = e.city.projects.iter().find(|q| ![&q.builder_id, &q.contractor_id, &q.supervisor_id].contains(&&p.builder_id)).unwrap();
        let (s, v) = e.call(Method::PATCH, &site_uri, Some(&admin), Some(json!({"project_id": not_ours.id}))).await;
        assert_eq!((s, field(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("project_id")), "{v}");
        let (s, d) = e.call(Method::PATCH, &site_uri, Some(&admin), Some(json!({"project_id": null}))).await;
        assert_eq!((s, d["project_id"].is_null()), (StatusCode::OK, true), "{d}");
        let (s, _) = e.call(Method::PATCH, &uri, Some(&e.login("district02").await), Some(json!({"name": "x"}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = e.call(Method::PATCH, &uri, Some(&e.login("ent0001-staff").await), Some(json!({"name": "x"}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, d) = e.call(Method::PATCH, &uri, Some(&e.login("ent0001-head").await), Some(json!({"name": "3号车间探头"}))).await;
        assert_eq!((s, d["name"].as_str()), (StatusCode::OK, Some("3号车间探头")), "{d}");
        let actions = e.audit_actions("device", &id).await;
        assert_eq!(actions[0], "create");
        assert!(actions[1..].iter().all(|a| a == "update") && actions.len() >= 4, "{actions:?}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn a_retired_device_stays_listed_and_its_readings_are_refused(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, secret, _) = e.gas(&officer, json!({"yellow": 25.0, "red": 50.0})).await;
        let (s, _) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), Some(&officer), Some(json!({"template": "device_offline"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let r = e.ingest(&id, &secret, vec![json!({"ts": now() - 3_600_000, "values": {"lel_percent": 30.0}})]).await;
        assert_eq!(r["alarms"]["raise"], 1, "{r}");
        let uri = format!("/api/v1/devices/{id}/retire");
        let (s, v) = e.call(Method::POST, &uri, Some(&officer), Some(json!({"note": " "}))).await;
        assert_eq!((s, field(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{v}");
        let (s, d) = e.call(Method::POST, &uri, Some(&officer), Some(json!({"note": "车间拆除，探头回收"}))).await;
        assert_eq!((s, d["status"].as_str(), d["offline"].as_bool()), (StatusCode::OK, Some("retired"), Some(false)), "{d}");
        assert!(d["retired_at"].is_string());
        // Its open alarm was cleared by the officer with the reason.
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?device_id={id}"), Some(&officer), None).await;
        assert_eq!((alarms["total"].as_i64(), alarms["items"][0]["state"].as_str()), (Some(1), Some("cleared")), "{alarms}");
        let aid = alarms["items"][0]["id"].as_str().unwrap();
        let (_, detail) = e.call(Method::GET, &format!("/api/v1/alarms/{aid}"), Some(&officer), None).await;
        let last = detail["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["event"].as_str(), last["note"].as_str()), (Some("clear"), Some("车间拆除，探头回收")), "{detail}");
        // Readings are refused with their reason (also on /metrics), nothing is evaluated, the offline job leaves it alone.
        let r = e.ingest(&id, &secret, vec![json!({"ts": now(), "values": {"lel_percent": 90.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["rejected"]["retired_device"].as_u64()), (Some(0), Some(1)), "{r}");
        let (_, m) = e.call(Method::GET, "/metrics", None, None).await;
        assert!(m.as_str().unwrap().contains("anjian_ingest_values_total{outcome=\"retired_device\"} 1"), "{m}");
        assert_eq!(anjian_app::monitoring::check_offline(&e.app, now() + 86_400_000).await.unwrap(), 0);
        let (_, alarms) = e.call(Method::GET, &format!("/api/v1/alarms?state=open&device_id={id}"), Some(&officer), None).await;
        assert_eq!(alarms["total"], 0);
        // Listed with its status and history; no longer changed.
        let (_, list) = e.call(Method::GET, "/api/v1/devices?per_page=200", Some(&officer), None).await;
        let mine = list["items"].as_array().unwrap().iter().find(|d| d["id"] == id.as_str()).unwrap().clone();
        assert_eq!(mine["status"], "retired");
        let (_, raw) = e.call(Method::GET, &format!("/api/v1/devices/{id}/series?metric=lel_percent&step=raw&from={}", now() - 7_200_000), Some(&officer), None).await;
        assert_eq!(raw["points"].as_array().unwrap().len(), 1, "{raw}");
        for (m, path, body) in [
            (Method::PATCH, format!("/api/v1/devices/{id}"), Some(json!({"name": "x"}))),
            (Method::POST, uri.clone(), Some(json!({"note": "again"}))),
            (Method::POST, format!("/api/v1/devices/{id}/secret"), None),
            (Method::POST, format!("/api/v1/devices/{id}/rules"), Some(json!({"template": "combustible_gas"}))),
        ] {
            let (s, v) = e.call(m.clone(), &path, Some(&officer), body).await;
            assert_eq!((s, field(&v)), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{m} {path}: {v}");
        }
        assert_eq!(e.audit_actions("device", &id).await, ["create", "retire"]);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn a_new_secret_replaces_the_old_one_at_once_in_every_process(b: Backend) {
        let e = Env::new(b).await;
        let officer = e.login("district01").await;
        let (id, old, _) = e.gas(&officer, json!({"red": 50.0})).await;
        // A second process over the same database, with its own device cache, has the old secret cached.
        let other = App::new(e.t.db.clone(), Secrets::from_key(&[8; 32]));
        let batch = |secret: &str, at: i64| anjian_app::monitoring::DeviceBatch {
            device_id: id.clone(),
            secret: secret.into(),
            readings: vec![serde_json::from_value(json!({"ts": at, "values": {"lel_percent": 1.0}})).unwrap()],
        };
        let t = now() - 60_000;
        assert_eq!(anjian_app::monitoring::ingest(&other, &batch(&old, t)).await.unwrap().accepted, 1);
        assert_eq!(e.ingest(&id, &old, vec![json!({"ts": t + 1000, "values": {"lel_percent": 1.0}})]).await["accepted"], 1);
        let (s, d) = e.call(Method::POST, &format!("/api/v1/devices/{id}/secret"), Some(&officer), None).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let new = d["secret"].as_str().unwrap().to_string();
        assert!(new.starts_with("ajd_") && new != old);
        let (_, dev) = e.call(Method::GET, &format!("/api/v1/devices/{id}"), Some(&officer), None).await;
        assert!(dev.get("secret").is_none(), "the new secret is shown only once");
        let r = e.ingest(&id, &old, vec![json!({"ts": t + 2000, "values": {"lel_percent": 1.0}})]).await;
        assert_eq!((r["accepted"].as_u64(), r["rejected"]["bad_secret"].as_u64()), (Some(0), Some(1)), "{r}");
        let r = anjian_app::monitoring::ingest(&other, &batch(&old, t + 3000)).await.unwrap();
        assert_eq!((r.accepted, r.rejected.get("bad_secret").copied()), (0, Some(1)), "the other process refuses it too");
        let r = e.ingest(&id, &new, vec![json!({"ts": t + 4000, "values": {"lel_percent": 1.0}})]).await;
        assert_eq!(r["accepted"], 1, "{r}");
        assert_eq!(anjian_app::monitoring::ingest(&other, &batch(&new, t + 5000)).await.unwrap().accepted, 1);
        // Stored encrypted, audited without the secret.
        let mut c = e.app.db.read().await.unwrap();
        let (enc,): (Vec<u8>,) = sqlx::query_as("SELECT secret_enc FROM devices WHERE id = $1").bind(&id).fetch_one(&mut *c).await.unwrap();
        drop(c);
        assert!(!String::from_utf8_lossy(&enc).contains(&new));
        assert_eq!(e.audit_actions("device", &id).await, ["create", "rotate_secret"]);
        let admin = e.login("admin").await;
        let (_, audit) = e.call(Method::GET, &format!("/api/v1/audit?entity=device&entity_id={id}"), Some(&admin), None).await;
        assert!(!audit.to_string().contains(&new) && !audit.to_string().contains(&old));
        let (s, _) = e.call(Method::POST, &format!("/api/v1/devices/{id}/secret"), Some(&e.login("district02").await), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        e.t.cleanup().await;
    }
}
