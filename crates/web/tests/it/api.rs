//! The Foundation API, end to end through the router, on SQLite and on
//! PostgreSQL (each test its own database).

use anjian_app::auth::{self, NewUser};
use anjian_app::crypto::Secrets;
use anjian_app::registry::{self, EnterpriseInput};
use anjian_app::{App, Caller};
use anjian_domain::ids::{IdNumber, Uscc};
use anjian_store::both_backends;
use anjian_store::testing::TestDb;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

const PW: &str = "test-password-1";

/// A router over a fresh database with two districts, an enterprise in
/// each, and one user per role.
struct TestApp {
    t: TestDb,
    app: App,
    router: axum::Router,
    /// ids of enterprise A (district 379901) and B (district 379902)
    ent_a: String,
    ent_b: String,
}

fn uscc(n: u32) -> String {
    Uscc::with_check_char(&format!("91379900{n:09}")).unwrap().as_str().to_string()
}

fn id_number(n: u32) -> String {
    IdNumber::with_check_char(&format!("37990119900101{n:03}")).unwrap().expose().to_string()
}

fn enterprise_input(n: u32, region: &str) -> EnterpriseInput {
    EnterpriseInput {
        uscc: uscc(n),
        name: format!("测试企业{n}有限公司"),
        industry: "construction".into(),
        address: "安澜市某路1号".into(),
        lon: Some(118.0),
        lat: Some(36.7),
        region_code: region.into(),
        scale: "small".into(),
        responsible: vec![],
    }
}

impl TestApp {
    async fn new(b: anjian_store::Backend) -> TestApp {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[3; 32]));
        let sys = Caller::system();
        for (code, name) in [
            ("379900", "安澜市"),
            ("379901", "东城区"),
            ("379902", "西城区"),
            ("379901001", "东城街道"),
            ("379902001", "西城街道"),
            ("379901001001", "东城社区"),
            ("379901001001001", "东城第1网格"),
        ] {
            let r = registry::NewRegion { code: code.into(), name: name.into(), geometry: None, centroid: None };
            registry::create_region(&app, &sys, &r).await.unwrap();
        }
        let a = registry::create_enterprise(&app, &sys, &enterprise_input(1, "379901001")).await.unwrap();
        let b = registry::create_enterprise(&app, &sys, &enterprise_input(2, "379902001")).await.unwrap();
        let users = [
            ("admin", "super-admin", None, vec![]),
            ("city", "city-supervisor", Some("379900"), vec![]),
            ("east", "region-officer", Some("379901"), vec![]),
            ("west", "region-officer", Some("379902"), vec![]),
            ("grid", "region-officer", Some("379901001001001"), vec![]),
            ("a-head", "enterprise-head", None, vec![a.id.clone()]),
            ("a-staff", "enterprise-staff", None, vec![a.id.clone()]),
            ("b-head", "enterprise-head", None, vec![b.id.clone()]),
        ];
        let hash = anjian_app::crypto::hash_password(PW).unwrap();
        for (u, role, region, ents) in users {
            let nu = NewUser {
                username: u.into(),
                display_name: None,
                role: role.into(),
                region: region.map(Into::into),
                enterprise_ids: ents,
                password: PW.into(),
                phone: None,
            };
            auth::add_user_with_hash(&app, &sys, &nu, hash.clone()).await.unwrap();
        }
        let router = anjian_web::router(app.clone(), true);
        TestApp { t, app, router, ent_a: a.id, ent_b: b.id }
    }

    async fn raw(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024).await.unwrap();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, v)
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (s, _, v) = self.raw(req).await;
        (s, v)
    }

    async fn login(&self, user: &str) -> String {
        let (s, v) =
            self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": user, "password": PW}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    async fn done(self) {
        drop(self.router);
        self.t.cleanup().await;
    }
}

/// A minimal valid PNG (1×1), uploaded; returns its SHA-256.
async fn upload_png(ta: &TestApp, token: &str) -> String {
    let png: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
        8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5,
        0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let req = Request::post("/api/v1/attachments")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(png.to_vec()))
        .unwrap();
    let (s, _, v) = ta.raw(req).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["mime"], "image/png");
    v["sha256"].as_str().unwrap().to_string()
}

fn assert_error(v: &Value, code: &str, field: Option<&str>) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    if let Some(f) = field {
        assert_eq!(v["error"]["field"], f, "{v}");
    }
}

both_backends! {
    async fn login_gives_a_bearer_token_and_wrong_password_is_401(b: Backend) {
        let ta = TestApp::new(b).await;
        let token = ta.login("east").await;
        let (s, me) = ta.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(me["role"], "region-officer");
        let (s, v) = ta.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "east", "password": "nope"}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error(&v, "unauthorized", None);
        let (s, v) = ta.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "ghost", "password": PW}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error(&v, "unauthorized", None);
        let (s, _) = ta.call(Method::GET, "/api/v1/enterprises", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Logout ends the session.
        let (s, _) = ta.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = ta.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        ta.done().await;
    }
}

both_backends! {
    async fn enterprise_list_is_paged_and_scoped(b: Backend) {
        let ta = TestApp::new(b).await;
        let admin = ta.login("admin").await;
        for n in 10..25 {
            let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(serde_json::to_value(enterprise_input(n, "379901001001001")).unwrap())).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (s, v) = ta.call(Method::GET, "/api/v1/enterprises?region=379901&page=2&per_page=10", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 16);
        assert_eq!(v["items"].as_array().unwrap().len(), 6);
        let east = ta.login("east").await;
        let (_, v) = ta.call(Method::GET, "/api/v1/enterprises?per_page=100", Some(&east), None).await;
        assert_eq!(v["total"], 16);
        assert!(v["items"].as_array().unwrap().iter().all(|e| e["region_code"].as_str().unwrap().starts_with("379901")));
        let grid = ta.login("grid").await;
        let (_, v) = ta.call(Method::GET, "/api/v1/enterprises", Some(&grid), None).await;
        assert_eq!(v["total"], 15);
        let head = ta.login("a-head").await;
        let (_, v) = ta.call(Method::GET, "/api/v1/enterprises", Some(&head), None).await;
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["id"], ta.ent_a.as_str());
        // A region filter outside the caller's region is refused, not emptied.
        let (s, v) = ta.call(Method::GET, "/api/v1/enterprises?region=379902", Some(&east), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        ta.done().await;
    }
}

both_backends! {
    async fn bad_input_is_a_4xx_naming_the_field_and_stores_nothing(b: Backend) {
        let ta = TestApp::new(b).await;
        let admin = ta.login("admin").await;
        let count = |ta: &TestApp| {
            let app = ta.app.clone();
            async move {
                let mut c = app.db.read().await.unwrap();
                anjian_store::enterprises::count(&mut c).await.unwrap()
            }
        };
        let before = count(&ta).await;
        let mut bad = serde_json::to_value(enterprise_input(50, "379901001")).unwrap();
        bad["uscc"] = json!("91379900000000050X");
        let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&v, "invalid", Some("uscc"));
        let mut bad = serde_json::to_value(enterprise_input(51, "379901001")).unwrap();
        bad["region_code"] = json!("379977");
        let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&v, "invalid", Some("region_code"));
        let mut bad = serde_json::to_value(enterprise_input(52, "379901001")).unwrap();
        bad["lon"] = json!("east");
        let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&v, "invalid", Some("lon"));
        let mut bad = serde_json::to_value(enterprise_input(53, "379901001")).unwrap();
        bad.as_object_mut().unwrap().remove("name");
        let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&v, "invalid", Some("name"));
        // Duplicate USCC is a conflict.
        let dup = serde_json::to_value(enterprise_input(1, "379901001")).unwrap();
        let (s, v) = ta.call(Method::POST, "/api/v1/enterprises", Some(&admin), Some(dup)).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_error(&v, "conflict", Some("uscc"));
        // Malformed JSON, wrong content type, oversize body.
        let req = Request::post("/api/v1/enterprises")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"uscc\": "))
            .unwrap();
        let (s, _, v) = ta.raw(req).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "malformed_json", None);
        let req = Request::post("/api/v1/enterprises")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("hello"))
            .unwrap();
        let (s, _, v) = ta.raw(req).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_error(&v, "unsupported_media_type", None);
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(anjian_web::BODY_LIMIT + 10));
        let req = Request::post("/api/v1/enterprises")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(huge))
            .unwrap();
        let (s, _, v) = ta.raw(req).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_error(&v, "payload_too_large", None);
        // Wrong query types.
        let (s, v) = ta.call(Method::GET, "/api/v1/enterprises?page=two", Some(&admin), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "invalid", None);
        let (s, v) = ta.call(Method::GET, "/api/v1/enterprises?region=12", Some(&admin), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_error(&v, "invalid", Some("region"));
        // Invalid ID number.
        let (s, v) = ta.call(Method::POST, "/api/v1/people", Some(&admin), Some(json!({
            "enterprise_id": ta.ent_a, "name": "张三", "id_number": "379901199001010011", "job": "电工"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_error(&v, "invalid", Some("id_number"));
        assert_eq!(count(&ta).await, before, "nothing stored");
        ta.done().await;
    }
}

both_backends! {
    async fn id_numbers_are_encrypted_and_masked_for_officers(b: Backend) {
        let ta = TestApp::new(b).await;
        let admin = ta.login("admin").await;
        let idn = id_number(7);
        let (s, p) = ta.call(Method::POST, "/api/v1/people", Some(&admin), Some(json!({
            "enterprise_id": ta.ent_a, "name": "李四", "id_number": idn, "job": "架子工",
            "certificates": [{"kind": "特种作业操作证", "number": "T123"}]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["id_number"], idn.as_str(), "super admin sees it in clear");
        let pid = p["id"].as_str().unwrap();
        let east = ta.login("east").await;
        let (_, v) = ta.call(Method::GET, &format!("/api/v1/people/{pid}"), Some(&east), None).await;
        assert_eq!(v["id_number"], format!("{}**********{}", &idn[..4], &idn[14..]));
        assert_eq!(v["id_number_masked"], true);
        let head = ta.login("a-head").await;
        let (_, v) = ta.call(Method::GET, &format!("/api/v1/people/{pid}"), Some(&head), None).await;
        assert_eq!(v["id_number"], idn.as_str(), "the enterprise's head sees their worker's number");
        // At rest: ciphertext only; the audit trail holds only the masked form.
        let mut c = ta.app.db.read().await.unwrap();
        let (enc,): (Vec<u8>,) = sqlx::query_as("SELECT id_number_enc FROM people WHERE id = $1").bind(pid).fetch_one(&mut *c).await.unwrap();
        assert!(!String::from_utf8_lossy(&enc).contains(&idn));
        let audit: Vec<(String,)> = sqlx::query_as("SELECT after_json FROM audit_log WHERE entity = 'person'").fetch_all(&mut *c).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert!(!audit[0].0.contains(&idn) && audit[0].0.contains("**********"));
        // The same worker twice in one enterprise is a conflict.
        drop(c);
        let (s, v) = ta.call(Method::POST, "/api/v1/people", Some(&admin), Some(json!({
            "enterprise_id": ta.ent_a, "name": "李四", "id_number": idn, "job": "架子工"}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        ta.done().await;
    }
}

both_backends! {
    async fn audit_log_records_changes_with_before_and_after(b: Backend) {
        let ta = TestApp::new(b).await;
        let east = ta.login("east").await;
        let mut upd = serde_json::to_value(enterprise_input(1, "379901001")).unwrap();
        upd["name"] = json!("改名后的企业有限公司");
        let (s, v) = ta.call(Method::PUT, &format!("/api/v1/enterprises/{}", ta.ent_a), Some(&east), Some(upd)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let admin = ta.login("admin").await;
        let (s, v) = ta.call(Method::GET, &format!("/api/v1/audit?entity=enterprise&entity_id={}", ta.ent_a), Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK);
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "create and update: {v}");
        let update = &items[0];
        assert_eq!(update["action"], "update");
        assert_eq!(update["actor_name"], "east");
        assert_eq!(update["before"]["name"], "测试企业1有限公司");
        assert_eq!(update["after"]["name"], "改名后的企业有限公司");
        assert!(update["at"].as_str().unwrap().ends_with("+08:00"));
        let (s, _) = ta.call(Method::GET, "/api/v1/audit", Some(&east), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "officers do not read the audit log");
        ta.done().await;
    }
}

both_backends! {
    async fn api_tokens_work_until_revoked(b: Backend) {
        let ta = TestApp::new(b).await;
        let session = ta.login("city").await;
        let (s, t) = ta.call(Method::POST, "/api/v1/auth/tokens", Some(&session), Some(json!({"name": "数据对接"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let secret = t["token"].as_str().unwrap().to_string();
        assert!(secret.starts_with("ajt_"));
        let (s, _) = ta.call(Method::GET, "/api/v1/enterprises", Some(&secret), None).await;
        assert_eq!(s, StatusCode::OK);
        let (_, list) = ta.call(Method::GET, "/api/v1/auth/tokens", Some(&session), None).await;
        assert!(list[0].get("token").is_none(), "secrets are shown once");
        let mut c = ta.app.db.read().await.unwrap();
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&mut *c).await.unwrap();
        assert_ne!(stored, secret, "hashed at rest");
        drop(c);
        // Someone else cannot revoke it.
        let other = ta.login("east").await;
        let (s, _) = ta.call(Method::DELETE, &format!("/api/v1/auth/tokens/{}", t["id"].as_str().unwrap()), Some(&other), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = ta.call(Method::DELETE, &format!("/api/v1/auth/tokens/{}", t["id"].as_str().unwrap()), Some(&session), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = ta.call(Method::GET, "/api/v1/enterprises", Some(&secret), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error(&v, "unauthorized", None);
        ta.done().await;
    }
}

both_backends! {
    async fn cookie_sessions_need_the_csrf_token_to_change_state(b: Backend) {
        let ta = TestApp::new(b).await;
        let req = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": "admin", "password": PW}).to_string()))
            .unwrap();
        let (s, headers, v) = ta.raw(req).await;
        assert_eq!(s, StatusCode::OK);
        let set_cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Secure") && set_cookie.contains("SameSite=Lax"));
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let csrf = v["csrf_token"].as_str().unwrap().to_string();
        let body = json!({"name": "t"}).to_string();
        let get = Request::get("/api/v1/auth/me").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        assert_eq!(ta.raw(get).await.0, StatusCode::OK, "reads need no CSRF token");
        let no_csrf = Request::post("/api/v1/auth/tokens")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let (s, _, v) = ta.raw(no_csrf).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_error(&v, "csrf", None);
        let with_csrf = Request::post("/api/v1/auth/tokens")
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(ta.raw(with_csrf).await.0, StatusCode::CREATED);
        ta.done().await;
    }
}

both_backends! {
    async fn health_readiness_metrics_and_openapi(b: Backend) {
        let ta = TestApp::new(b).await;
        let (s, v) = ta.call(Method::GET, "/healthz", None, None).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ok")));
        let (s, v) = ta.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["database"], ta.t.backend().as_str());
        let (s, v) = ta.call(Method::GET, "/metrics", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v.as_str().unwrap().contains("anjian_http_requests_total"), "{v}");
        let (s, doc) = ta.call(Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["paths"]["/api/v1/enterprises"]["get"].is_object());
        let (s, page) = ta.call(Method::GET, "/api/docs", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.as_str().unwrap().contains("/assets/swagger-ui/swagger-ui-bundle.js"));
        let (s, v) = ta.call(Method::GET, "/api/v1/nope", None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_error(&v, "not_found", None);
        ta.done().await;
    }
}

// Every endpoint of the OpenAPI document, probed with callers who must not
// reach the target: they get 401/403/404 and never the data.
both_backends! {
    async fn every_endpoint_refuses_out_of_scope_data(b: Backend) {
        let ta = TestApp::new(b).await;
        let admin = ta.login("admin").await;
        let (_, p) = ta.call(Method::POST, "/api/v1/people", Some(&admin), Some(json!({
            "enterprise_id": ta.ent_b, "name": "王五", "id_number": id_number(9), "job": "焊工"}))).await;
        let person_b = p["id"].as_str().unwrap().to_string();
        let contractor = registry::create_enterprise(&ta.app, &Caller::system(), &enterprise_input(3, "379902001")).await.unwrap();
        let (s, pr) = ta.call(Method::POST, "/api/v1/projects", Some(&admin), Some(json!({
            "name": "西城安置房项目", "region_code": "379902001", "address": "西城路8号",
            "builder_id": ta.ent_b, "contractor_id": contractor.id, "supervisor_id": ta.ent_b, "status": "active"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{pr}");
        let project_b = pr["id"].as_str().unwrap().to_string();
        let (_, tok) = ta.call(Method::POST, "/api/v1/auth/tokens", Some(&admin), Some(json!({"name": "admin's"}))).await;
        let admin_token_id = tok["id"].as_str().unwrap().to_string();
        // A hazard at enterprise B with a photo; its notification goes to B's region.
        let photo = upload_png(&ta, &admin).await;
        let (s, hz) = ta.call(Method::POST, "/api/v1/hazards", Some(&admin), Some(json!({
            "channel": "grid_patrol", "description": "西城企业配电箱无防护门", "enterprise_id": ta.ent_b,
            "attachments": [photo]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{hz}");
        let hazard_b = hz["id"].as_str().unwrap().to_string();
        // A device and an alarm at enterprise B.
        let (s, dev) = ta.call(Method::POST, "/api/v1/devices", Some(&admin), Some(json!({
            "name": "西城气体探头", "device_type": "gas_detector", "enterprise_id": ta.ent_b,
            "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dev}");
        let device_b = dev["id"].as_str().unwrap().to_string();
        let (s, rule) = ta.call(Method::POST, &format!("/api/v1/devices/{device_b}/rules"), Some(&admin), Some(json!({"template": "combustible_gas"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let rule_b = rule["id"].as_str().unwrap().to_string();
        let (_, r) = ta.call(Method::POST, "/api/v1/ingest", None, Some(json!({"batches": [{"device_id": device_b,
            "secret": dev["secret"], "readings": [{"ts": anjian_store::now_ms() - 1000, "values": {"lel_percent": 60.0}}]}]}))).await;
        assert_eq!(r["alarms"]["raise"], 1, "{r}");
        let (_, al) = ta.call(Method::GET, "/api/v1/alarms", Some(&admin), None).await;
        let alarm_b = al["items"][0]["id"].as_str().unwrap().to_string();
        let (_, em) = ta.call(Method::GET, "/api/v1/emergencies", Some(&admin), None).await;
        let emergency_b = em[0]["id"].as_str().expect("the red alarm opened a response").to_string();
        let resource_body = json!({"kind": "rescue_team", "name": "西城救援队", "enterprise_id": ta.ent_b, "region_code": "379902001",
            "address": "西城路1号", "lon": 117.0, "lat": 36.0, "contact_name": "赵队长", "contact_phone": "0539-7654321"});
        let (s, rs) = ta.call(Method::POST, "/api/v1/emergency-resources", Some(&admin), Some(resource_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{rs}");
        let resource_b = rs["id"].as_str().unwrap().to_string();
        let west = ta.login("west").await;
        let (_, inbox) = ta.call(Method::GET, "/api/v1/notifications", Some(&west), None).await;
        let note_b = inbox[0]["id"].as_str().expect("west was notified").to_string();
        let (_, us) = ta.call(Method::GET, "/api/v1/users?per_page=500", Some(&admin), None).await;
        let user_b = us["items"].as_array().unwrap().iter().find(|u| u["username"] == "b-head").unwrap()["id"].as_str().unwrap().to_string();
        let everyone_else = vec!["city", "east", "grid", "a-head", "a-staff"];
        let unit_body = json!({"name": "液氨罐区", "kind": "storage", "exposed_people": 10, "substances": [{"name": "氨", "quantity_t": 20.0}]});
        let (s, u) = ta.call(Method::POST, &format!("/api/v1/enterprises/{}/hazard-sources", ta.ent_b), Some(&admin), Some(unit_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let unit_b = u["id"].as_str().unwrap().to_string();
        let point_body = json!({"name": "液氨装卸", "location": "装卸台", "method": "ls", "factors": {"l": 3, "s": 4},
            "measures": ["装卸前检查"], "responsible": "王五"});
        let (s, p) = ta.call(Method::POST, &format!("/api/v1/enterprises/{}/risk-points", ta.ent_b), Some(&admin), Some(point_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let point_b = p["id"].as_str().unwrap().to_string();

        // An enforcement inspection at B (submitted, with a finding), a draft,
        // documents, a check-in and a training.
        anjian_app::inspections::ensure_templates(&ta.app).await.unwrap();
        let west_t = ta.login("west").await;
        let (_, tl) = ta.call(Method::GET, "/api/v1/inspection-templates?kind=enforcement", Some(&west_t), None).await;
        let enf_id = tl["items"][0]["id"].as_str().unwrap().to_string();
        let (_, tt) = ta.call(Method::GET, &format!("/api/v1/inspection-templates/{enf_id}"), Some(&west_t), None).await;
        let answers: Vec<Value> = tt["sections"].as_array().unwrap().iter().flat_map(|s| s["items"].as_array().unwrap().clone()).enumerate()
            .map(|(k, it)| if k == 0 {
                json!({"item_code": it["code"], "outcome": "fail", "problem_code": it["problems"][0]["code"], "attachments": [photo]})
            } else {
                json!({"item_code": it["code"], "outcome": "pass"})
            })
            .collect();
        let (s, ins) = ta.call(Method::POST, "/api/v1/inspections", Some(&west_t), Some(json!({"template_id": enf_id,
            "enterprise_id": ta.ent_b, "submit": true, "results": answers}))).await;
        assert_eq!(s, StatusCode::CREATED, "{ins}");
        let inspection_b = ins["id"].as_str().unwrap().to_string();
        let (s, dr) = ta.call(Method::POST, "/api/v1/inspections", Some(&west_t), Some(json!({"template_id": enf_id, "enterprise_id": ta.ent_b}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dr}");
        let draft_b = dr["id"].as_str().unwrap().to_string();
        let new_doc = |kind: &'static str| {
            let (ta, w, i) = (&ta, west_t.clone(), inspection_b.clone());
            async move {
                let (s, d) = ta.call(Method::POST, &format!("/api/v1/inspections/{i}/documents"), Some(&w), Some(json!({"kind": kind,
                    "inspectors": [{"name": "张明", "certificate": "37990100123"}, {"name": "李华", "certificate": "37990100456"}]}))).await;
                assert_eq!(s, StatusCode::CREATED, "{d}");
                d["id"].as_str().unwrap().to_string()
            }
        };
        let doc_b = new_doc("rectification_order").await;
        let doc_issued = new_doc("site_record").await;
        let (s, d) = ta.call(Method::POST, &format!("/api/v1/documents/{doc_issued}/issue"), Some(&west_t), None).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let (s, k) = ta.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", ta.ent_b), Some(&west_t),
            Some(json!({"person_id": person_b, "role": "worker", "method": "qr"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        let training_body = json!({"title": "西城企业安全培训", "hours": 1.5, "starts_at": "2026-11-01T09:00:00+08:00"});
        let (s, tr) = ta.call(Method::POST, &format!("/api/v1/enterprises/{}/trainings", ta.ent_b), Some(&west_t), Some(training_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{tr}");
        let training_b = tr["id"].as_str().unwrap().to_string();
        let template_body = serde_json::to_value(&anjian_app::inspections::shipped().unwrap()[1]).unwrap();
        // Concrete traceability at B: a plant, a mix, a batch for project B, a ticket signed by b-head, a tested specimen, an acceptance.
        let (s, pl) = ta.call(Method::POST, "/api/v1/concrete/plants", Some(&admin), Some(json!({
            "enterprise_id": ta.ent_b, "name": "西城搅拌站", "address": "西城路9号"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{pl}");
        let plant_b = pl["id"].as_str().unwrap().to_string();
        let mix_body = json!({"code": "XC-C30", "grade": "C30", "slump_mm": 180, "slump_tolerance_mm": 30, "materials": [
            {"kind": "cement", "name": "P·O 42.5", "kg_per_m3": 350}, {"kind": "water", "name": "水", "kg_per_m3": 175}]});
        let (s, mx) = ta.call(Method::POST, &format!("/api/v1/concrete/plants/{plant_b}/mixes"), Some(&admin), Some(mix_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{mx}");
        let batch_body = json!({"plant_id": plant_b, "mix_id": mx["id"], "project_id": project_b, "pour_location": "基础",
            "planned_m3": 20.0, "produced_on": "2026-11-20"});
        let (s, bt) = ta.call(Method::POST, "/api/v1/concrete/batches", Some(&admin), Some(batch_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{bt}");
        let batch_b = bt["id"].as_str().unwrap().to_string();
        let t0 = anjian_store::now_ms() - 30 * 60_000;
        let ticket_body = json!({"number": "XC-1", "truck": "鲁A·X1", "volume_m3": 10.0, "slump_mm": 180, "temperature_c": 20.0,
            "mixed_at": anjian_app::time::fmt_local(t0), "departed_at": anjian_app::time::fmt_local(t0)});
        let (s, tk) = ta.call(Method::POST, &format!("/api/v1/concrete/batches/{batch_b}/tickets"), Some(&admin), Some(ticket_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{tk}");
        let ticket_b = tk["code"].as_str().unwrap().to_string();
        let (s, _) = ta.call(Method::POST, &format!("/api/v1/projects/{project_b}/concrete-receivers"), Some(&admin), Some(json!({"user_id": user_b}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let b_head_token = ta.login("b-head").await;
        let (s, _) = ta.call(Method::POST, &format!("/api/v1/concrete/tickets/{ticket_b}/receipt"), Some(&b_head_token), Some(json!({}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, sp) = ta.call(Method::POST, &format!("/api/v1/concrete/batches/{batch_b}/specimens"), Some(&admin), Some(json!({"code": "XC-S1"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{sp}");
        let specimen_b = sp["id"].as_str().unwrap().to_string();
        let (s, _) = ta.call(Method::PUT, &format!("/api/v1/concrete/specimens/{specimen_b}/result"), Some(&admin), Some(json!({"strengths_mpa": [36.0, 37.0, 38.0]}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, ac) = ta.call(Method::POST, "/api/v1/concrete/acceptances", Some(&admin), Some(json!({"batch_ids": [batch_b]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{ac}");
        let acceptance_b = ac["id"].as_str().unwrap().to_string();
        let (s, bt2) = ta.call(Method::POST, "/api/v1/concrete/batches", Some(&admin), Some(batch_body.clone())).await;
        assert_eq!(s, StatusCode::CREATED);
        let batch_b2 = bt2["id"].as_str().unwrap().to_string();

        let ent_b = ta.ent_b.clone();
        let body_ent = serde_json::to_value(enterprise_input(60, "379902001")).unwrap();
        // (method, path template, concrete uri, body, who must be refused)
        let outsiders = ["east", "grid", "a-head", "a-staff"];
        type Case<'a> = (Method, &'a str, String, Option<Value>, Vec<&'a str>);
        let cases: Vec<Case> = vec![
            (Method::GET, "/api/v1/enterprises", "/api/v1/enterprises?region=379902".into(), None, vec!["east", "grid"]),
            (Method::POST, "/api/v1/enterprises", "/api/v1/enterprises".into(), Some(body_ent.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/enterprises/{id}", format!("/api/v1/enterprises/{ent_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/enterprises/{id}", format!("/api/v1/enterprises/{ent_b}"), Some(body_ent.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/enterprises/{id}/licences", format!("/api/v1/enterprises/{ent_b}/licences"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/enterprises/{id}/licences", format!("/api/v1/enterprises/{ent_b}/licences"),
                Some(json!({"kind": "安全生产许可证", "number": "X-1", "expires_on": "2027-01-01"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/projects", "/api/v1/projects?region=379902".into(), None, vec!["east", "grid"]),
            (Method::POST, "/api/v1/projects", "/api/v1/projects".into(), Some(json!({
                "name": "越权项目", "region_code": "379902001", "address": "x", "builder_id": ent_b,
                "contractor_id": contractor.id, "supervisor_id": ent_b, "status": "active"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/projects/{id}", format!("/api/v1/projects/{project_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/people", format!("/api/v1/people?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/people", "/api/v1/people".into(), Some(json!({
                "enterprise_id": ent_b, "name": "越权", "id_number": id_number(11), "job": "x"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/people/{id}", format!("/api/v1/people/{person_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/regions", "/api/v1/regions?parent=379902".into(), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/regions", "/api/v1/regions".into(), Some(json!({"code": "379902002", "name": "越权街道"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/regions/{code}", "/api/v1/regions/379902001".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/users", "/api/v1/users".into(), None, vec!["city", "east", "a-head"]),
            (Method::POST, "/api/v1/users", "/api/v1/users".into(), Some(json!({
                "username": "intruder", "role": "super-admin", "password": "longpassword"})), vec!["city", "east", "a-head"]),
            (Method::GET, "/api/v1/audit", "/api/v1/audit".into(), None, vec!["city", "east", "a-head"]),
            (Method::DELETE, "/api/v1/auth/tokens/{id}", format!("/api/v1/auth/tokens/{admin_token_id}"), None, vec!["city", "east", "a-head"]),
            (Method::POST, "/api/v1/hazards", "/api/v1/hazards".into(), Some(json!({
                "channel": "grid_patrol", "description": "越权上报", "enterprise_id": ent_b})), vec!["east", "grid"]),
            (Method::POST, "/api/v1/hazards", "/api/v1/hazards".into(), Some(json!({
                "channel": "enterprise_self_check", "description": "越权上报", "enterprise_id": ent_b})), vec!["a-head", "a-staff"]),
            (Method::GET, "/api/v1/hazards", "/api/v1/hazards?region=379902".into(), None, vec!["east", "grid"]),
            (Method::GET, "/api/v1/hazards/counts", "/api/v1/hazards/counts?region=379902".into(), None, vec!["east", "grid"]),
            (Method::GET, "/api/v1/hazards/{id}", format!("/api/v1/hazards/{hazard_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/hazards/{id}/timeline", format!("/api/v1/hazards/{hazard_b}/timeline"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/hazards/{id}/actions", format!("/api/v1/hazards/{hazard_b}/actions"),
                Some(json!({"action": "dismiss", "note": "越权"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/hazards/{id}/classify", format!("/api/v1/hazards/{hazard_b}/classify"),
                Some(json!({"taxonomy_item": "x"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/hazards/{id}/grade", format!("/api/v1/hazards/{hazard_b}/grade"),
                Some(json!({"grade": "major", "reason": "越权"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/hazards/import", "/api/v1/hazards/import".into(),
                Some(json!({"tickets": [{"ticket_no": "T1", "description": "x", "lat": 36.7, "lng": 118.0}]})), vec!["a-head", "a-staff"]),
            (Method::GET, "/api/v1/hazards/{id}/major", format!("/api/v1/hazards/{hazard_b}/major"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/hazards/{id}/plan", format!("/api/v1/hazards/{hazard_b}/plan"), Some(json!({
                "objective": "x", "methods": "x", "funds": "x", "responsible": "x", "deadline_on": "2027-01-01",
                "safety_measures": "x", "emergency_plan": "x"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/hazards/{id}/listing", format!("/api/v1/hazards/{hazard_b}/listing"),
                Some(json!({"level": "city", "note": "越权"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/attachments/{sha256}", format!("/api/v1/attachments/{photo}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/notifications/{id}/read", format!("/api/v1/notifications/{note_b}/read"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/devices", "/api/v1/devices?per_page=500".into(), None, vec![]),
            (Method::POST, "/api/v1/devices", "/api/v1/devices".into(), Some(json!({
                "name": "越权设备", "device_type": "gas_detector", "enterprise_id": ent_b,
                "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60})), outsiders.to_vec()),
            (Method::GET, "/api/v1/devices/{id}", format!("/api/v1/devices/{device_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/devices/{id}/rules", format!("/api/v1/devices/{device_b}/rules"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/devices/{id}/rules", format!("/api/v1/devices/{device_b}/rules"), Some(json!({"template": "combustible_gas"})), outsiders.to_vec()),
            (Method::PUT, "/api/v1/devices/{id}/rules/{rule_id}", format!("/api/v1/devices/{device_b}/rules/{rule_b}"), Some(json!({"enabled": false})), outsiders.to_vec()),
            (Method::PATCH, "/api/v1/devices/{id}", format!("/api/v1/devices/{device_b}"), Some(json!({"name": "越权改名"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/devices/{id}/retire", format!("/api/v1/devices/{device_b}/retire"), Some(json!({"note": "越权"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/devices/{id}/secret", format!("/api/v1/devices/{device_b}/secret"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/alarms", "/api/v1/alarms?per_page=500".into(), None, vec![]),
            (Method::GET, "/api/v1/alarms/{id}", format!("/api/v1/alarms/{alarm_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/alarms/{id}/actions", format!("/api/v1/alarms/{alarm_b}/actions"), Some(json!({"action": "acknowledge"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/emergencies", "/api/v1/emergencies".into(), None, vec![]),
            (Method::GET, "/api/v1/devices/{id}/series", format!("/api/v1/devices/{device_b}/series?metric=lel_percent"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/monitoring/latest", "/api/v1/monitoring/latest?region=379902".into(), None, vec!["east", "grid"]),
            (Method::GET, "/api/v1/emergency-resources", "/api/v1/emergency-resources?region=379902".into(), None, vec!["east", "grid"]),
            (Method::POST, "/api/v1/emergency-resources", "/api/v1/emergency-resources".into(), Some(resource_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/emergency-resources/{id}", format!("/api/v1/emergency-resources/{resource_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/emergency-resources/{id}", format!("/api/v1/emergency-resources/{resource_b}"), Some(resource_body.clone()), outsiders.to_vec()),
            (Method::DELETE, "/api/v1/emergency-resources/{id}", format!("/api/v1/emergency-resources/{resource_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/alarms/{id}/resources", format!("/api/v1/alarms/{alarm_b}/resources"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/emergencies/{id}", format!("/api/v1/emergencies/{emergency_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/emergencies/{id}/actions", format!("/api/v1/emergencies/{emergency_b}/actions"), Some(json!({"action": "measure", "text": "越权"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/rule-templates", "/api/v1/rule-templates".into(), None, vec![]),
            // A live stream of the caller's own scope; another region is refused.
            (Method::GET, "/api/v1/alarms/stream", "/api/v1/alarms/stream?region=379902".into(), None, vec!["east", "grid"]),
            (Method::GET, "/api/v1/map/layers", "/api/v1/map/layers?region=379902".into(), None, vec!["east", "grid"]),
            (Method::GET, "/api/v1/vocabularies", "/api/v1/vocabularies".into(), None, vec![]),
            (Method::GET, "/api/v1/taxonomy", "/api/v1/taxonomy".into(), None, vec![]),
            (Method::GET, "/api/v1/ledger/verify", "/api/v1/ledger/verify".into(), None, vec!["city", "east", "a-head"]),
            (Method::GET, "/api/v1/enterprises/{id}/hazard-sources", format!("/api/v1/enterprises/{ent_b}/hazard-sources"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/enterprises/{id}/hazard-sources", format!("/api/v1/enterprises/{ent_b}/hazard-sources"), Some(unit_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/hazard-sources", format!("/api/v1/hazard-sources?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/hazard-sources/{id}", format!("/api/v1/hazard-sources/{unit_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/hazard-sources/{id}", format!("/api/v1/hazard-sources/{unit_b}"), Some(unit_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/enterprises/{id}/risk-points", format!("/api/v1/enterprises/{ent_b}/risk-points"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/enterprises/{id}/risk-points", format!("/api/v1/enterprises/{ent_b}/risk-points"), Some(point_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/risk-points", format!("/api/v1/risk-points?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/risk-points/{id}", format!("/api/v1/risk-points/{point_b}"), Some(point_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/risk-map", format!("/api/v1/risk-map?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/co-occurrence", "/api/v1/analytics/co-occurrence?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/heatmap", "/api/v1/analytics/heatmap?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/stats", "/api/v1/analytics/stats?by=month&region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/overdue-enterprises", "/api/v1/analytics/overdue-enterprises?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/ranking", "/api/v1/analytics/ranking?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/licences", "/api/v1/analytics/licences?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/grading", "/api/v1/analytics/grading".into(), None, vec!["a-head", "a-staff"]),
            (Method::PUT, "/api/v1/analytics/grading", "/api/v1/analytics/grading".into(), Some(serde_json::to_value(anjian_app::analytics::grading_shipped()).unwrap()), vec!["east", "grid", "a-head", "a-staff"]),
            (Method::GET, "/api/v1/enterprises/{id}/profile", format!("/api/v1/enterprises/{ent_b}/profile"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/analytics/forecast", "/api/v1/analytics/forecast?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/reports/region", "/api/v1/reports/region?region=379902&month=2026-10".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/users/{id}/phone", format!("/api/v1/users/{user_b}/phone"), None, everyone_else.clone()),
            (Method::PUT, "/api/v1/users/{id}/phone", format!("/api/v1/users/{user_b}/phone"), Some(json!({"phone": "13800138000"})), everyone_else.clone()),
            (Method::GET, "/api/v1/inspection-templates", "/api/v1/inspection-templates".into(), None, vec![]),
            (Method::POST, "/api/v1/inspection-templates", "/api/v1/inspection-templates".into(), Some(template_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/inspection-templates/{id}", format!("/api/v1/inspection-templates/{enf_id}"), None, vec![]),
            (Method::POST, "/api/v1/inspections", "/api/v1/inspections".into(), Some(json!({"template_id": enf_id, "enterprise_id": ent_b})), outsiders.to_vec()),
            (Method::GET, "/api/v1/inspections", format!("/api/v1/inspections?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/inspections/{id}", format!("/api/v1/inspections/{inspection_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/inspections/{id}", format!("/api/v1/inspections/{draft_b}"), Some(json!({"results": []})), outsiders.to_vec()),
            (Method::POST, "/api/v1/inspections/{id}/submit", format!("/api/v1/inspections/{draft_b}/submit"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/inspections/{id}/documents", format!("/api/v1/inspections/{inspection_b}/documents"), Some(json!({"kind": "site_record"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/discipline/self-inspections", "/api/v1/discipline/self-inspections?region=379902".into(), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/discipline/reviews", "/api/v1/discipline/reviews".into(), Some(json!({
                "enterprise_id": ent_b, "period": "2026-01", "flag": "missing", "decision": "excused"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/enterprises/{id}/inspection-schedule", format!("/api/v1/enterprises/{ent_b}/inspection-schedule"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/enterprises/{id}/inspection-schedule", format!("/api/v1/enterprises/{ent_b}/inspection-schedule"),
                Some(json!({"period": "monthly", "due_day": 5})), outsiders.to_vec()),
            (Method::GET, "/api/v1/documents", format!("/api/v1/documents?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/documents/{id}", format!("/api/v1/documents/{doc_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/documents/{id}", format!("/api/v1/documents/{doc_b}"), Some(json!({"place": "越权"})), outsiders.to_vec()),
            (Method::POST, "/api/v1/documents/{id}/issue", format!("/api/v1/documents/{doc_b}/issue"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/documents/{id}/revise", format!("/api/v1/documents/{doc_issued}/revise"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/documents/{id}/pdf", format!("/api/v1/documents/{doc_b}/pdf"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/enterprises/{id}/checkins", format!("/api/v1/enterprises/{ent_b}/checkins"),
                Some(json!({"person_id": person_b, "role": "worker", "method": "qr"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/attendance/checkins", format!("/api/v1/attendance/checkins?enterprise_id={ent_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/attendance/duty-rates", "/api/v1/attendance/duty-rates?region=379902".into(), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/enterprises/{id}/trainings", format!("/api/v1/enterprises/{ent_b}/trainings"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/enterprises/{id}/trainings", format!("/api/v1/enterprises/{ent_b}/trainings"), Some(training_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/trainings/{id}", format!("/api/v1/trainings/{training_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/trainings/{id}/signins", format!("/api/v1/trainings/{training_b}/signins"),
                Some(json!({"person_id": person_b, "method": "qr"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/plants", format!("/api/v1/concrete/plants?enterprise_id={ent_b}"), None, vec![]),
            (Method::POST, "/api/v1/concrete/plants", "/api/v1/concrete/plants".into(), Some(json!({
                "enterprise_id": ent_b, "name": "越权搅拌站", "address": "x"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/plants/{id}", format!("/api/v1/concrete/plants/{plant_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/plants/{id}/mixes", format!("/api/v1/concrete/plants/{plant_b}/mixes"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/concrete/plants/{id}/mixes", format!("/api/v1/concrete/plants/{plant_b}/mixes"), Some(mix_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/batches", format!("/api/v1/concrete/batches?project_id={project_b}"), None, vec![]),
            (Method::POST, "/api/v1/concrete/batches", "/api/v1/concrete/batches".into(), Some(batch_body.clone()), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/batches/{id}", format!("/api/v1/concrete/batches/{batch_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/concrete/batches/{id}/tickets", format!("/api/v1/concrete/batches/{batch_b2}/tickets"), Some(ticket_body.clone()), outsiders.to_vec()),
            (Method::POST, "/api/v1/concrete/batches/{id}/specimens", format!("/api/v1/concrete/batches/{batch_b2}/specimens"), Some(json!({"code": "越权"})), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/tickets", format!("/api/v1/concrete/tickets?project_id={project_b}"), None, vec![]),
            (Method::GET, "/api/v1/concrete/tickets/{ticket}", format!("/api/v1/concrete/tickets/{ticket_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/concrete/tickets/{ticket}/receipt", format!("/api/v1/concrete/tickets/{ticket_b}/receipt"), Some(json!({})), everyone_else.clone()),
            (Method::POST, "/api/v1/concrete/tickets/{ticket}/placement", format!("/api/v1/concrete/tickets/{ticket_b}/placement"), Some(json!({})), everyone_else.clone()),
            (Method::GET, "/api/v1/concrete/warnings", format!("/api/v1/concrete/warnings?project_id={project_b}"), None, vec![]),
            (Method::GET, "/api/v1/projects/{id}/concrete-receivers", format!("/api/v1/projects/{project_b}/concrete-receivers"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/projects/{id}/concrete-receivers", format!("/api/v1/projects/{project_b}/concrete-receivers"), Some(json!({"user_id": user_b})), outsiders.to_vec()),
            (Method::DELETE, "/api/v1/projects/{id}/concrete-receivers/{user_id}", format!("/api/v1/projects/{project_b}/concrete-receivers/{user_b}"), None, outsiders.to_vec()),
            (Method::PUT, "/api/v1/concrete/specimens/{id}/result", format!("/api/v1/concrete/specimens/{specimen_b}/result"), Some(json!({"strengths_mpa": [1.0, 1.0, 1.0]})), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/acceptances", format!("/api/v1/concrete/acceptances?project_id={project_b}"), None, outsiders.to_vec()),
            (Method::POST, "/api/v1/concrete/acceptances", "/api/v1/concrete/acceptances".into(), Some(json!({"batch_ids": [batch_b2]})), outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/acceptances/{id}", format!("/api/v1/concrete/acceptances/{acceptance_b}"), None, outsiders.to_vec()),
            (Method::GET, "/api/v1/concrete/time-limits", "/api/v1/concrete/time-limits".into(), None, vec![]),
            (Method::PUT, "/api/v1/concrete/time-limits", "/api/v1/concrete/time-limits".into(), Some(json!(anjian_domain::concrete::TimeLimits::default())), vec!["east", "grid", "a-head", "a-staff"]),
            // Own-account endpoints: no data of others to leak; anonymous is refused.
            (Method::POST, "/api/v1/attachments", "/api/v1/attachments".into(), None, vec![]),
            (Method::GET, "/api/v1/notifications", "/api/v1/notifications".into(), None, vec![]),
            (Method::GET, "/api/v1/auth/me", "/api/v1/auth/me".into(), None, vec![]),
            (Method::GET, "/api/v1/auth/tokens", "/api/v1/auth/tokens".into(), None, vec![]),
            (Method::POST, "/api/v1/auth/tokens", "/api/v1/auth/tokens".into(), Some(json!({"name": "x"})), vec![]),
            (Method::POST, "/api/v1/auth/logout", "/api/v1/auth/logout".into(), None, vec![]),
        ];

        // The table must cover every operation of the OpenAPI document.
        let doc = anjian_web::openapi();
        let doc = serde_json::to_value(&doc).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let public_ledger = path.starts_with("/api/v1/ledger/") && path != "/api/v1/ledger/verify";
                let calculator = path.starts_with("/api/v1/calc/");
                let device = path == "/api/v1/ingest" || path == "/api/v1/attendance/device-checkins";
                if path == "/api/v1/auth/login" || path.starts_with("/api/v1/public/") || device || public_ledger || calculator {
                    continue; // anonymous by design (public reports, device ingest and check-ins, the transparency log and the calculators have their own tests)
                }
                let covered = cases.iter().any(|(m, p, ..)| p == path && m.as_str().eq_ignore_ascii_case(method));
                assert!(covered, "{method} {path} has no scope case: add one");
            }
        }

        let mut tokens = std::collections::HashMap::new();
        for u in ["city", "east", "grid", "a-head", "a-staff"] {
            tokens.insert(u, ta.login(u).await);
        }
        let secret_markers = [ent_b.as_str(), person_b.as_str(), project_b.as_str(), "测试企业2有限公司", "王五", hazard_b.as_str(), "配电箱", device_b.as_str(), alarm_b.as_str(), "西城气体探头", resource_b.as_str(), "西城救援队"];
        for (method, template, uri, body, refused) in &cases {
            let (s, v) = ta.call(method.clone(), uri, None, body.clone()).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "anonymous {method} {template}: {v}");
            for who in refused {
                let (s, v) = ta.call(method.clone(), uri, Some(&tokens[who]), body.clone()).await;
                assert!(
                    matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                    "{who} {method} {template} gave {s}: {v}"
                );
                let text = v.to_string();
                for m in secret_markers {
                    assert!(!text.contains(m), "{who} {method} {template} leaked {m}: {text}");
                }
            }
        }
        // The refused device changes changed nothing: B's device keeps its name, status, rule and secret.
        let (_, d) = ta.call(Method::GET, &format!("/api/v1/devices/{device_b}"), Some(&admin), None).await;
        assert_eq!((d["name"].as_str(), d["status"].as_str()), (Some("西城气体探头"), Some("active")), "{d}");
        let (_, rules) = ta.call(Method::GET, &format!("/api/v1/devices/{device_b}/rules"), Some(&admin), None).await;
        assert_eq!(rules[0]["enabled"], true, "{rules}");
        let (_, r) = ta.call(Method::POST, "/api/v1/ingest", None, Some(json!({"batches": [{"device_id": device_b,
            "secret": dev["secret"], "readings": [{"ts": anjian_store::now_ms(), "values": {"lel_percent": 1.0}}]}]}))).await;
        assert_eq!(r["accepted"], 1, "{r}");
        // Concrete lists never include B's plant, batches, tickets or warnings for outsiders.
        for who in outsiders {
            for uri in ["/api/v1/concrete/plants", "/api/v1/concrete/batches", "/api/v1/concrete/tickets", "/api/v1/concrete/warnings"] {
                let (s, v) = ta.call(Method::GET, uri, Some(&tokens[who]), None).await;
                assert_eq!(s, StatusCode::OK, "{who} {uri}: {v}");
                let text = v.to_string();
                assert!(!text.contains(&plant_b) && !text.contains(&batch_b) && !text.contains(&ticket_b), "{who} {uri} leaked: {text}");
            }
        }
        // Lists never include out-of-scope rows even without a filter.
        let (_, v) = ta.call(Method::GET, "/api/v1/people?per_page=500", Some(&tokens["east"]), None).await;
        assert!(!v.to_string().contains(&person_b));
        let (_, v) = ta.call(Method::GET, "/api/v1/projects", Some(&tokens["a-head"]), None).await;
        assert_eq!(v["total"], 0);
        let b_head = ta.login("b-head").await;
        let (_, v) = ta.call(Method::GET, "/api/v1/projects", Some(&b_head), None).await;
        assert_eq!(v["total"], 1, "a party to the project sees it");
        ta.done().await;
    }
}
