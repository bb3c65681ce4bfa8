//! What every capability's tests need: a database of either backend with
//! the small demo city, the router, and calls as a logged-in user.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_demo::{DEMO_PASSWORD, DemoSize};
use anjian_store::testing::TestDb;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct Env {
    pub t: TestDb,
    pub app: App,
    pub router: axum::Router,
    pub city: anjian_demo::DemoCity,
}

impl Env {
    pub async fn new(b: anjian_store::Backend) -> Env {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[6; 32]));
        anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
        let router = anjian_web::router(app.clone(), true);
        Env { t, app, router, city: anjian_demo::generate(11, DemoSize::Small) }
    }

    pub async fn call(&self, m: Method, uri: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let b = Request::builder().method(m).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn login(&self, u: &str) -> String {
        let req = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": u, "password": DEMO_PASSWORD}).to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{u}");
        let v: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        v["token"].as_str().unwrap().into()
    }

    /// A call with an `Idempotency-Key` header.
    pub async fn call_key(&self, m: Method, uri: &str, token: &str, body: Value, key: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("idempotency-key", key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A call without credentials.
    pub async fn call_anon(&self, m: Method, uri: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Raw bytes of a GET (documents, files).
    pub async fn get_bytes(&self, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
        let req =
            Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let ct = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (s, ct, axum::body::to_bytes(res.into_body(), 1 << 26).await.unwrap().to_vec())
    }

    /// Uploads a distinct 1×1 PNG (`n` varies its bytes) and returns its SHA-256.
    pub async fn upload_png(&self, token: &str, n: u8) -> String {
        let mut png: Vec<u8> = vec![
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0,
            1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0,
            0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ];
        png.push(n);
        let req = Request::post("/api/v1/attachments")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(png))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        v["sha256"].as_str().unwrap().to_string()
    }

    /// The demo account of an enterprise's head (or staff).
    pub fn enterprise_user(&self, enterprise_id: &str, role: anjian_domain::role::Role) -> String {
        self.city
            .users
            .iter()
            .find(|u| u.role == role && u.enterprise_ids.iter().any(|e| e == enterprise_id))
            .map(|u| u.username.clone())
            .unwrap_or_else(|| panic!("no {role:?} account for {enterprise_id}"))
    }
}
