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

    /// A GET answering with bytes (files), through `router` (e.g. one built with other options).
    pub async fn get_raw(
        router: &axum::Router,
        uri: &str,
        token: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let req =
            Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        let res = router.clone().oneshot(req).await.unwrap();
        let (s, h) = (res.status(), res.headers().clone());
        (s, h, axum::body::to_bytes(res.into_body(), 1 << 26).await.unwrap().to_vec())
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
}
