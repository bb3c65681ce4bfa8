//! Hazard governance through the API, on the small demo city, on SQLite and
//! PostgreSQL.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_demo::{DEMO_PASSWORD, DemoSize};
use anjian_store::both_backends;
use anjian_store::testing::TestDb;
use anjian_web::WebOptions;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Env {
    t: TestDb,
    app: App,
    router: axum::Router,
    city: anjian_demo::DemoCity,
}

impl Env {
    async fn new(b: anjian_store::Backend, public_per_minute: u32) -> Env {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[5; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
        let opts =
            WebOptions { public_reports_per_minute: public_per_minute, trust_forwarded: true, ..WebOptions::default() };
        let router = anjian_web::router_with(app.clone(), opts);
        Env { t, app, router, city: anjian_demo::generate(11, DemoSize::Small) }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn call(
        &self,
        m: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(m).uri(uri).header("x-forwarded-for", "203.0.113.7");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(k) = key {
            b = b.header("idempotency-key", k);
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    async fn login(&self, u: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": u, "password": DEMO_PASSWORD})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{u}: {v}");
        v["token"].as_str().unwrap().into()
    }

    /// The centre of the first grid and its code.
    fn grid_point(&self) -> (f64, f64, String) {
        let g = self.city.grids().next().unwrap();
        (g.centroid[0], g.centroid[1], g.code.clone())
    }

    async fn hazard_count(&self) -> i64 {
        let mut c = self.app.db.read().await.unwrap();
        anjian_store::hazards::count(&mut c).await.unwrap()
    }
}

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8,
    6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1,
    0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

both_backends! {
    async fn public_report_gets_a_tracking_code_and_retries_do_not_duplicate(b: Backend) {
        let e = Env::new(b, 100).await;
        let (lng, lat, grid) = e.grid_point();
        let body = json!({"description": "小区地下车库消防通道被杂物堵塞", "lat": lat, "lng": lng, "contact": "13800000000"});
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(body.clone()), Some("retry-1")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let code = v["tracking_code"].as_str().unwrap().to_string();
        assert_eq!(code.len(), 10);
        let (s, again) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(body.clone()), Some("retry-1")).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(again["tracking_code"], code.as_str(), "same key, same report");
        assert_eq!(e.hazard_count().await, 1);
        let (_, other) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(body), Some("retry-2")).await;
        assert_ne!(other["tracking_code"], code.as_str());
        assert_eq!(e.hazard_count().await, 2);

        // The public page: state and public steps, nothing about the reporter.
        let (s, st) = e.call(Method::GET, &format!("/api/v1/public/hazards/{code}"), None, None, None).await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["state"], "reported");
        assert_eq!(st["timeline"][0]["event"], "report");
        let text = st.to_string();
        assert!(!text.contains("13800000000") && !text.contains("actor") && !text.contains("public\""), "{text}");
        let (s, _) = e.call(Method::GET, "/api/v1/public/hazards/ZZZZZZZZZZ", None, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Snapped to the grid containing the point; the contact is encrypted at rest.
        let admin = e.login("admin").await;
        let (_, list) = e.call(Method::GET, "/api/v1/hazards?channel=public", Some(&admin), None, None).await;
        assert_eq!(list["total"], 2);
        assert_eq!(list["items"][0]["region_code"], grid.as_str());
        assert!(!list.to_string().contains("13800000000"));
        let mut c = e.app.db.read().await.unwrap();
        let enc: Vec<u8> = sqlx::query_scalar("SELECT reporter_contact_enc FROM hazards LIMIT 1").fetch_one(&mut *c).await.unwrap();
        assert!(!String::from_utf8_lossy(&enc).contains("13800000000"));
        drop(c);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn public_report_validation_and_rate_limit(b: Backend) {
        let e = Env::new(b, 3).await;
        let (lng, lat, _) = e.grid_point();
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "远方", "lat": 31.2, "lng": 121.5})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "lat", "outside the city");
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "  ", "lat": lat, "lng": lng})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "description");
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "x", "lng": lng})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "lat", "missing field named");
        // The fourth request from the same address within a minute is refused.
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "x", "lat": lat, "lng": lng})), None).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
        assert_eq!(v["error"]["code"], "rate_limited");
        assert_eq!(e.hazard_count().await, 0, "nothing stored");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn multipart_public_report_stores_photos_checked_by_content(b: Backend) {
        let e = Env::new(b, 100).await;
        let (lng, lat, _) = e.grid_point();
        let boundary = "XyZ";
        let part = |name: &str, value: &str| format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        let mut body = Vec::new();
        body.extend(part("description", "工地围挡倒塌压到人行道").as_bytes());
        body.extend(part("lat", &lat.to_string()).as_bytes());
        body.extend(part("lng", &lng.to_string()).as_bytes());
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        body.extend(PNG);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post("/api/v1/public/hazards")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let (s, v) = e.send(req).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let admin = e.login("admin").await;
        let (_, list) = e.call(Method::GET, "/api/v1/hazards", Some(&admin), None, None).await;
        let id = list["items"][0]["id"].as_str().unwrap();
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), Some(&admin), None, None).await;
        let sha = tl["events"][0]["attachments"][0].as_str().unwrap().to_string();
        assert_eq!(sha.len(), 64);
        let req = Request::get(format!("/api/v1/attachments/{sha}")).header(header::AUTHORIZATION, format!("Bearer {admin}")).body(Body::empty()).unwrap();
        let res = e.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
        // A file that is not an image is refused whatever its name says.
        let mut bad = Vec::new();
        bad.extend(part("description", "x").as_bytes());
        bad.extend(part("lat", &lat.to_string()).as_bytes());
        bad.extend(part("lng", &lng.to_string()).as_bytes());
        bad.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nMZ this is a program\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post("/api/v1/public/hazards")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(bad))
            .unwrap();
        let (s, v) = e.send(req).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], "photos[0]");
        assert_eq!(e.hazard_count().await, 1);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn officer_reports_are_idempotent_scoped_and_notify_the_grid(b: Backend) {
        let e = Env::new(b, 100).await;
        let (lng, lat, grid) = e.grid_point();
        let officer = e.login("district01").await;
        let body = json!({"channel": "grid_patrol", "description": "沿街商铺私拉电线给电动车充电", "lng": lng, "lat": lat});
        let (s, a) = e.call(Method::POST, "/api/v1/hazards", Some(&officer), Some(body.clone()), Some("k1")).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let (_, again) = e.call(Method::POST, "/api/v1/hazards", Some(&officer), Some(body.clone()), Some("k1")).await;
        assert_eq!(a["id"], again["id"]);
        assert_eq!(e.hazard_count().await, 1);
        let hazards_before_vague = 1;
        assert_eq!(a["region_code"], grid.as_str());
        assert_eq!(a["state"], "reported", "no enterprise yet: classified but waiting for dispatch");
        assert_eq!(a["needs_classification"], false, "{a}");
        assert!(a["classify_confidence"].as_f64().unwrap() >= 0.6);
        assert!(a["taxonomy"]["guidance"].as_str().is_some_and(|g| !g.is_empty()));
        assert!(a["code"].as_str().unwrap().starts_with("YH"));
        // A vague report waits for a person to classify it.
        let (_, vague) = e.call(Method::POST, "/api/v1/hazards", Some(&officer), Some(json!({
            "channel": "grid_patrol", "description": "那边好像有点问题，请来看看", "lng": lng, "lat": lat})), None).await;
        assert_eq!(vague["needs_classification"], true, "{vague}");
        // Another district's officer reporting into district 01 is refused.
        let (s, _) = e.call(Method::POST, "/api/v1/hazards", Some(&e.login("district02").await), Some(body.clone()), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The grid officer of that grid is told about the new report.
        let grid_user = e.city.users.iter().find(|u| u.region_code.as_deref() == Some(grid.as_str())).unwrap().username.clone();
        let gt = e.login(&grid_user).await;
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications?unread=true", Some(&gt), None, None).await;
        assert_eq!(inbox.as_array().unwrap().len(), 1 + hazards_before_vague, "{inbox}");
        let titles: Vec<&str> = inbox.as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
        assert!(titles.iter().any(|t| t.contains("待分类")) && titles.iter().any(|t| t.contains("待派发")), "{titles:?}");
        let nid = inbox[0]["id"].as_str().unwrap();
        let (s, _) = e.call(Method::POST, &format!("/api/v1/notifications/{nid}/read"), Some(&gt), None, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications?unread=true", Some(&gt), None, None).await;
        assert_eq!(inbox.as_array().unwrap().len(), 1, "one read, one left");
        // Enterprise staff report self-checks only.
        let (s, v) = e.call(Method::POST, "/api/v1/hazards", Some(&e.login("ent0001-staff").await), Some(body), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "channel");
        // Dismissing needs a reason and is recorded on the timeline and audit log.
        let id = a["id"].as_str().unwrap();
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&officer), Some(json!({"action": "dismiss"})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "note");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&officer), Some(json!({"action": "dismiss", "note": "经核实为临时充电，已当场整改"})), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "dismissed");
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), Some(&officer), None, None).await;
        let events: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["report", "dismiss"]);
        assert_eq!(tl["events"][1]["state_before"], "reported");
        let admin = e.login("admin").await;
        let (_, audit) = e.call(Method::GET, &format!("/api/v1/audit?entity=hazard&entity_id={id}"), Some(&admin), None, None).await;
        assert_eq!(audit["total"], 2);
        // A dismissed hazard accepts no more actions.
        let (s, _) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&officer), Some(json!({"action": "start"})), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn counts_agree_with_a_direct_count(b: Backend) {
        let e = Env::new(b, 1000).await;
        let (lng, lat, _) = e.grid_point();
        for i in 0..5 {
            let (s, _) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": format!("隐患{i}"), "lat": lat, "lng": lng})), None).await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let city = e.login("city").await;
        let (s, c) = e.call(Method::GET, "/api/v1/hazards/counts", Some(&city), None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(c["found"], 5);
        assert_eq!(c["reported"], 5);
        assert_eq!(c["rectification_rate"], 0.0);
        let (_, c2) = e.call(Method::GET, "/api/v1/hazards/counts?region=379902", Some(&city), None, None).await;
        assert_eq!(c2["found"], 0, "the first grid is in district 01");
        let (_, list) = e.call(Method::GET, "/api/v1/hazards?q=隐患3", Some(&city), None, None).await;
        assert_eq!(list["total"], 1);
        let (s, v) = e.call(Method::GET, "/api/v1/hazards?state=bogus", Some(&city), None, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "state");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn hotline_import_is_all_or_nothing_and_skips_known_tickets(b: Backend) {
        let e = Env::new(b, 100).await;
        let (lng, lat, _) = e.grid_point();
        let officer = e.login("district01").await;
        let csv = format!("\u{feff}ticket_no,description,lat,lng,contact\nT-1,楼道堆放电动车,{lat},{lng},13900000000\nT-2,燃气管道异味,{lat},{lng},\n");
        let send = |body: String, ct: &'static str| {
            Request::post("/api/v1/hazards/import")
                .header(header::AUTHORIZATION, format!("Bearer {officer}"))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap()
        };
        let (s, v) = e.send(send(csv.clone(), "text/csv")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["imported"].as_i64(), v["duplicates"].as_i64()), (Some(2), Some(0)));
        let (s, v) = e.send(send(csv, "text/csv")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!((v["imported"].as_i64(), v["duplicates"].as_i64()), (Some(0), Some(2)), "re-import is safe");
        // One bad row: nothing from the batch is stored, every error is listed.
        let bad = format!("ticket_no,description,lat,lng\nT-3,好的一行,{lat},{lng}\nT-4,坏的一行,north,{lng}\n");
        let (s, v) = e.send(send(bad, "text/csv")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["row"], 2);
        assert_eq!(v["errors"][0]["field"], "lat");
        let json_bad = json!({"tickets": [
            {"ticket_no": "T-5", "description": "好", "lat": lat, "lng": lng},
            {"ticket_no": "T-6", "description": "远处", "lat": 31.0, "lng": 121.0}]}).to_string();
        let (s, v) = e.send(send(json_bad, "application/json")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], "tickets[1].lat");
        assert_eq!(e.hazard_count().await, 2, "only the first file's two tickets");
        let (_, list) = e.call(Method::GET, "/api/v1/hazards?channel=hotline", Some(&officer), None, None).await;
        assert_eq!(list["total"], 2);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn notifications_are_delivered_to_webhooks_and_retried(b: Backend) {
        use std::sync::{Arc, Mutex};
        // A real HTTP receiver on loopback that fails its first call.
        let got: Arc<Mutex<Vec<Value>>> = Arc::default();
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, n) = (got.clone(), calls.clone());
        let receiver = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
                let (g, n) = (g.clone(), n.clone());
                async move {
                    if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    g.lock().unwrap().push(v);
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, receiver).await });

        let e = Env::new(b, 100).await;
        let app = e.app.clone().with_outbound(anjian_app::outbound::Outbound { webhooks: vec![url], sms: None });
        let router = anjian_web::router(app.clone(), true);
        let (lng, lat, _) = e.grid_point();
        let req = Request::post("/api/v1/public/hazards")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"description": "桥下有人私设煤气罐", "lat": lat, "lng": lng}).to_string()))
            .unwrap();
        assert_eq!(router.clone().oneshot(req).await.unwrap().status(), StatusCode::CREATED);
        let now = anjian_store::now_ms();
        let first = anjian_app::scheduler::run_due(&app, now, 100).await.unwrap();
        assert!(first.failed >= 1, "the receiver refused the first call: {first:?}");
        // The retry waits for its backoff, then succeeds; nothing is delivered twice.
        let second = anjian_app::scheduler::run_due(&app, now + 10 * 60_000, 100).await.unwrap();
        assert_eq!(second.failed, 0, "{second:?}");
        let third = anjian_app::scheduler::run_due(&app, now + 20 * 60_000, 100).await.unwrap();
        assert_eq!(third.done + third.failed, 0);
        let delivered = got.lock().unwrap().clone();
        assert_eq!(delivered.len(), first.failed + first.done);
        assert!(delivered[0]["title"].as_str().unwrap().contains("新隐患"), "{delivered:?}");
        assert!(delivered[0]["user"]["username"].is_string());
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn notifications_are_texted_to_recipients_with_a_mobile_number(b: Backend) {
        use std::sync::{Arc, Mutex};
        // A real HTTP SMS gateway on loopback that refuses its first call.
        type Texts = Vec<(Option<String>, Value)>; // (Authorization header, body)
        let got: Arc<Mutex<Texts>> = Arc::default();
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, n) = (got.clone(), calls.clone());
        let gateway = axum::Router::new().route(
            "/sms",
            axum::routing::post(move |h: axum::http::HeaderMap, axum::Json(v): axum::Json<Value>| {
                let (g, n) = (g.clone(), n.clone());
                async move {
                    if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return StatusCode::BAD_GATEWAY;
                    }
                    let auth = h.get("authorization").map(|a| a.to_str().unwrap().to_string());
                    g.lock().unwrap().push((auth, v));
                    StatusCode::OK
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, gateway).await });

        let e = Env::new(b, 100).await;
        let sms = anjian_app::outbound::Outbound::http_sms(&url, Some("gw-token".into()), vec!["new_report".into()], "安监".into())
            .unwrap();
        let app = e.app.clone().with_outbound(anjian_app::outbound::Outbound { webhooks: vec![], sms: Some(sms) });
        let e = Env { router: anjian_web::router(app.clone(), true), app, ..e };

        // Phones: bad input is refused naming the field; only the user or an admin may set one.
        let admin = e.login("admin").await;
        let (_, users) = e.call(Method::GET, "/api/v1/users?per_page=200", Some(&admin), None, None).await;
        let users = users["items"].as_array().unwrap().clone();
        let id_of = |name: &str| users.iter().find(|u| u["username"] == name).unwrap()["id"].as_str().unwrap().to_string();
        let city = id_of("city");
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/users/{city}/phone"), Some(&admin), Some(json!({"phone": "1380013800"})), None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")), "{v}");
        let grid = e.login("grid010101").await;
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/users/{city}/phone"), Some(&grid), Some(json!({"phone": "13800138000"})), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = e.call(Method::PUT, "/api/v1/users/nobody/phone", Some(&admin), Some(json!({"phone": "13800138000"})), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Every supervisor gets a number, then the city supervisor removes theirs.
        let mut numbers = std::collections::HashMap::new();
        for (i, u) in users.iter().filter(|u| u["role"] != "enterprise-head" && u["role"] != "enterprise-staff").enumerate() {
            let id = u["id"].as_str().unwrap();
            let phone = format!("139{:08}", 10_000_000 + i);
            let (s, v) = e.call(Method::PUT, &format!("/api/v1/users/{id}/phone"), Some(&admin), Some(json!({"phone": format!("+86 {phone}")})), None).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(v["phone"], format!("{}****{}", &phone[..3], &phone[7..]));
            numbers.insert(id.to_string(), phone);
        }
        let city_token = e.login("city").await;
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/users/{city}/phone"), Some(&city_token), Some(json!({"phone": null})), None).await;
        assert_eq!((s, &v["phone"]), (StatusCode::OK, &Value::Null), "{v}");
        let (_, v) = e.call(Method::GET, &format!("/api/v1/users/{city}/phone"), Some(&city_token), None, None).await;
        assert_eq!(v["phone"], Value::Null);

        // A public report notifies the closest supervisors; each with a number gets one text.
        let (lng, lat, _) = e.grid_point();
        let (s, _) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "路边加油站旁有人违规动火切割", "lat": lat, "lng": lng})), None).await;
        assert_eq!(s, StatusCode::CREATED);
        let notified: Vec<String> = {
            let mut c = e.app.db.read().await.unwrap();
            let rows: Vec<(String,)> = sqlx::query_as("SELECT user_id FROM notifications WHERE kind = 'new_report'").fetch_all(&mut *c).await.unwrap();
            rows.into_iter().map(|r| r.0).collect()
        };
        let texted: Vec<&String> = notified.iter().filter(|u| numbers.contains_key(*u) && **u != city).collect();
        assert!(!texted.is_empty(), "someone with a number was notified: {notified:?}");
        let now = anjian_store::now_ms();
        let first = anjian_app::scheduler::run_due(&e.app, now, 100).await.unwrap();
        assert_eq!(first.failed, 1, "the gateway refused the first text: {first:?}");
        let second = anjian_app::scheduler::run_due(&e.app, now + 10 * 60_000, 100).await.unwrap();
        assert_eq!((second.done, second.failed), (1, 0), "the refused text is retried once");
        let third = anjian_app::scheduler::run_due(&e.app, now + 20 * 60_000, 100).await.unwrap();
        assert_eq!(third.done + third.failed, 0);
        let delivered = got.lock().unwrap().clone();
        assert_eq!(delivered.len(), texted.len(), "one text per recipient with a number, none twice: {delivered:?}");
        let mut to: Vec<String> = delivered.iter().map(|(_, v)| v["to"].as_str().unwrap().to_string()).collect();
        to.sort();
        let mut want: Vec<String> = texted.iter().map(|u| format!("+86{}", numbers[*u])).collect();
        want.sort();
        assert_eq!(to, want);
        for (auth, v) in &delivered {
            assert_eq!(auth.as_deref(), Some("Bearer gw-token"));
            assert!(v["text"].as_str().unwrap().starts_with("【安监】新隐患"), "{v}");
            assert!(v["id"].is_string());
        }

        // Numbers are never stored or audited in clear.
        let mut c = e.app.db.read().await.unwrap();
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT phone_enc FROM user_phones").fetch_all(&mut *c).await.unwrap();
        assert!(!rows.is_empty());
        for (enc,) in rows {
            assert!(!String::from_utf8_lossy(&enc).contains("139"), "encrypted");
        }
        let audit: Vec<(Option<String>,)> = sqlx::query_as("SELECT after_json FROM audit_log WHERE action = 'set_phone'").fetch_all(&mut *c).await.unwrap();
        assert!(audit.len() > numbers.len());
        assert!(audit.iter().all(|(a,)| a.as_deref().is_none_or(|a| !a.contains("1391"))), "{audit:?}");
        drop(c);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn each_event_on_the_ledger_hashes_the_event_as_stored(b: Backend) {
        let e = Env::new(b, 100).await;
        let (lng, lat, _) = e.grid_point();
        let (s, v) = e.call(Method::POST, "/api/v1/public/hazards", None, Some(json!({"description": "厂房外墙脚手架连墙件缺失", "lat": lat, "lng": lng})), None).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let code = v["tracking_code"].as_str().unwrap();
        let mut c = e.app.db.read().await.unwrap();
        let h = anjian_store::hazards::by_tracking_code(&mut c, code).await.unwrap().unwrap();
        let events = anjian_store::hazards::events_of(&mut c, &h.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].seq, 1);
        let (record,): (String,) = sqlx::query_as("SELECT record FROM ledger_pending WHERE id = $1 UNION ALL SELECT record FROM ledger_entries WHERE id = $1")
            .bind(&events[0].id)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        let record: Value = serde_json::from_str(&record).unwrap();
        let stored = anjian_app::ledger::content_hash(&serde_json::to_value(&events[0]).unwrap()).unwrap();
        assert_eq!(record["content"], stored.as_str(), "anyone holding the event can check it against the log");
        drop(c);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn a_burst_of_public_reports_is_stored_completely_and_once(b: Backend) {
        let e = Env::new(b, 100_000).await;
        let points: Vec<(f64, f64)> = e.city.grids().take(40).map(|g| (g.centroid[0], g.centroid[1])).collect();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..300usize {
            let router = e.router.clone();
            let (lng, lat) = points[i % points.len()];
            // Every tenth request is a retry of the same report (same key).
            let key = if i % 10 == 0 { "burst-retry".to_string() } else { format!("burst-{i}") };
            set.spawn(async move {
                let req = Request::post("/api/v1/public/hazards")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("idempotency-key", key.clone())
                    .header("x-forwarded-for", format!("198.51.100.{}", i % 250))
                    .body(Body::from(json!({"description": format!("第{i}号：楼道堆放杂物堵塞安全出口"), "lat": lat, "lng": lng}).to_string()))
                    .unwrap();
                let res = router.oneshot(req).await.unwrap();
                let s = res.status();
                let v: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
                (key, s, v["tracking_code"].as_str().unwrap_or_default().to_string())
            });
        }
        let mut codes = std::collections::HashMap::<String, std::collections::HashSet<String>>::new();
        while let Some(r) = set.join_next().await {
            let (key, s, code) = r.unwrap();
            assert_eq!(s, StatusCode::CREATED);
            codes.entry(key).or_default().insert(code);
        }
        assert_eq!(codes["burst-retry"].len(), 1, "one key, one report: {:?}", codes["burst-retry"]);
        let distinct = 270 + 1;
        assert_eq!(codes.len(), distinct);
        assert_eq!(e.hazard_count().await, distinct as i64);
        let mut c = e.app.db.read().await.unwrap();
        let q = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        assert_eq!(q("SELECT COUNT(DISTINCT code) FROM hazards").fetch_one(&mut *c).await.unwrap(), distinct as i64, "numbers are unique");
        assert_eq!(q("SELECT COUNT(*) FROM hazard_events WHERE seq = 1 AND event = 'report'").fetch_one(&mut *c).await.unwrap(), distinct as i64);
        assert_eq!(q("SELECT COUNT(*) FROM hazard_events").fetch_one(&mut *c).await.unwrap(), distinct as i64);
        assert_eq!(q("SELECT COUNT(*) FROM audit_log WHERE action = 'report' AND entity = 'hazard'").fetch_one(&mut *c).await.unwrap(), distinct as i64);
        let ledgered = q("SELECT (SELECT COUNT(*) FROM ledger_pending WHERE record LIKE '%hazard.report%') + (SELECT COUNT(*) FROM ledger_entries WHERE record LIKE '%hazard.report%')");
        assert_eq!(ledgered.fetch_one(&mut *c).await.unwrap(), distinct as i64, "every event is on the ledger");
        let unnotified = q("SELECT COUNT(*) FROM hazards h WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.hazard_id = h.id AND n.kind = 'new_report')");
        assert_eq!(unnotified.fetch_one(&mut *c).await.unwrap(), 0, "every report reached its grid's officers");
        drop(c);
        e.t.cleanup().await;
    }
}
