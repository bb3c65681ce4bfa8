//! Standards calculators through the HTTP API: no login, nothing stored,
//! the fixed shapes of issue 8 and issue 7, field-named errors, rate limit.
//! The arithmetic itself is tested beside the code in `anjian_domain::calc`.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_store::testing::TestDb;
use anjian_web::WebOptions;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Env {
    t: TestDb,
    router: axum::Router,
}

impl Env {
    async fn new(per_minute: u32) -> Env {
        let t = TestDb::new(anjian_store::Backend::Sqlite).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[7; 32]));
        let opts = WebOptions { calc_per_minute: per_minute, ..WebOptions::default() };
        Env { router: anjian_web::router_with(app, opts), t }
    }

    /// A POST without any credentials.
    async fn post(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let s = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await.unwrap();
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn audit_rows(&self) -> i64 {
        let mut c = self.t.db.read().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&mut *c).await.unwrap()
    }
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn gb18218_worked_example_and_non_major_unit() {
    let e = Env::new(600).await;
    let (s, v) = e
        .post("/api/v1/calc/gb18218", json!({"substances": [{"name": "氯", "quantity_t": 5.0}], "exposed_people": 0}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["s"].as_f64(), v["is_major"].as_bool()), (Some(1.0), Some(true)), "{v}");
    assert_eq!((v["alpha"].as_f64(), v["r"].as_f64(), v["grade"].as_u64()), (Some(0.5), Some(2.0), Some(4)), "{v}");
    // Aliases resolve; below S = 1 there is no R and no grade.
    let (s, v) = e
        .post("/api/v1/calc/gb18218", json!({"substances": [{"name": "液氯", "quantity_t": 2.0}, {"name": "7664-41-7", "quantity_t": 3.0}], "exposed_people": 120}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["s"].as_f64(), v["is_major"].as_bool()), (Some(0.7), Some(false)), "{v}");
    assert_eq!((&v["r"], &v["grade"]), (&Value::Null, &Value::Null));
    assert_eq!(v["substances"][0]["name"], "氯");
    assert_eq!(v["substances"][1]["name"], "氨");
    // A substance outside table 1 brings its own Q and β.
    let (s, v) = e
        .post("/api/v1/calc/gb18218", json!({"substances": [{"name": "某新型溶剂", "quantity_t": 100.0, "critical_t": 50.0, "beta": 1.5}], "exposed_people": 60}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["s"].as_f64(), v["alpha"].as_f64(), v["r"].as_f64(), v["grade"].as_u64()),
        (Some(2.0), Some(1.5), Some(4.5), Some(4))
    );
    assert_eq!(e.audit_rows().await, 0, "calculators store nothing");
    e.t.cleanup().await;
}

#[tokio::test]
async fn calculators_refuse_bad_input_naming_the_field() {
    let e = Env::new(600).await;
    let cases = [
        (
            "/api/v1/calc/gb18218",
            json!({"substances": [{"name": "氯", "quantity_t": -1.0}], "exposed_people": 0}),
            "substances[0].quantity_t",
        ),
        (
            "/api/v1/calc/gb18218",
            json!({"substances": [{"name": "不存在的物质", "quantity_t": 1.0}], "exposed_people": 0}),
            "substances[0].critical_t",
        ),
        (
            "/api/v1/calc/gb18218",
            json!({"substances": [{"name": "氯", "quantity_t": 1.0}], "exposed_people": -3}),
            "exposed_people",
        ),
        ("/api/v1/calc/lec", json!({"l": 5, "e": 6, "c": 3}), "l"),
        ("/api/v1/calc/lec", json!({"l": 6, "e": 6, "c": 2}), "c"),
        ("/api/v1/calc/ls", json!({"l": 4, "s": 6}), "s"),
        ("/api/v1/calc/gb50107", json!({"grade": "C25", "specimen_mm": 150, "groups": [[10.0, 25.0, 40.0]]}), "groups"),
        ("/api/v1/calc/gb50107", json!({"grade": "C27", "specimen_mm": 150, "groups": [[25.0, 25.0, 25.0]]}), "grade"),
        (
            "/api/v1/calc/gb50107",
            json!({"grade": "C25", "specimen_mm": 120, "groups": [[25.0, 25.0, 25.0]]}),
            "specimen_mm",
        ),
        (
            "/api/v1/calc/jgj59",
            json!({"tables": [{"name": "食堂", "items": [{"points": 10, "deduction": 0.0, "guarantee": false, "applicable": true}]}]}),
            "tables[0].name",
        ),
        (
            "/api/v1/calc/jgj59",
            json!({"tables": [{"name": "安全管理", "items": [{"points": 10, "deduction": -1.0, "guarantee": true, "applicable": true}]}]}),
            "tables[0].items[0].deduction",
        ),
    ];
    for (uri, body, want) in cases {
        let (s, v) = e.post(uri, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{uri} {body}: {v}");
        assert_eq!(field(&v), want, "{uri} {body}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A wrong type is refused by the JSON reader, also naming the field.
    let (s, v) = e.post("/api/v1/calc/lec", json!({"l": "六", "e": 6, "c": 3})).await;
    assert_eq!((s, field(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "l"), "{v}");
    e.t.cleanup().await;
}

#[tokio::test]
async fn lec_ls_gb50107_and_jgj59_answer_in_the_fixed_shapes() {
    let e = Env::new(600).await;
    let (s, v) = e.post("/api/v1/calc/lec", json!({"l": 6, "e": 6, "c": 3})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"d": 108, "level": "显著危险", "color": "yellow"}));
    let (_, v) = e.post("/api/v1/calc/ls", json!({"l": 4, "s": 5})).await;
    assert_eq!(v, json!({"r": 20, "level": "重大", "color": "red"}));

    // Three groups (non-statistical), one of them invalid and reported, not dropped silently.
    let groups = json!([[24.1, 25.0, 23.8], [30.0, 25.0, 25.5], [10.0, 25.0, 40.0], [26.0, 27.0, 28.0]]);
    let (s, v) = e
        .post("/api/v1/calc/gb50107", json!({"grade": "C25", "specimen_mm": 150, "groups": groups, "sigma0": null}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["method"], "non_statistical");
    assert_eq!(v["group_values"], json!([24.3, 25.5, 27.0]));
    assert_eq!(v["invalid_groups"][0]["index"], 2, "{v}");
    assert_eq!(v["pass"], false);
    assert_eq!(v["failed"], json!(["mean"]), "mean 25.6 < 1.15 × 25 = 28.75; min 24.3 ≥ 0.95 × 25: {v}");
    assert!(v["mean"].is_number() && v["limits"]["mean"].is_number());

    let item = |points: u32, deduction: f64, guarantee: bool| json!({"points": points, "deduction": deduction, "guarantee": guarantee, "applicable": true});
    let mut tables = vec![];
    for name in [
        "安全管理",
        "文明施工",
        "脚手架",
        "基坑工程",
        "模板支架",
        "施工用电",
        "物料提升机与施工升降机",
        "塔式起重机与起重吊装",
    ] {
        tables.push(json!({"name": name, "items": [item(60, 10.0, true), item(40, 5.0, false)]}));
    }
    tables.push(json!({"name": "高处作业", "items": [item(100, 15.0, false)]}));
    tables.push(json!({"name": "施工机具", "items": [item(100, 15.0, false)]}));
    let (s, v) = e.post("/api/v1/calc/jgj59", json!({"tables": tables})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["total"].as_f64(), v["grade"].as_str()), (Some(85.0), Some("优良")), "{v}");
    assert_eq!(v["tables"].as_array().unwrap().len(), 10);
    assert_eq!(
        (v["tables"][0]["name"].as_str(), v["tables"][0]["score"].as_f64(), v["tables"][0]["zeroed"].as_bool()),
        (Some("安全管理"), Some(85.0), Some(false))
    );
    // A guarantee item fully deducted zeroes its sub-table and fails the site.
    tables[0] = json!({"name": "安全管理", "items": [item(10, 10.0, true), item(50, 0.0, true), item(40, 0.0, false)]});
    let (_, v) = e.post("/api/v1/calc/jgj59", json!({"tables": tables})).await;
    assert_eq!(
        (v["grade"].as_str(), v["tables"][0]["zeroed"].as_bool(), v["tables"][0]["score"].as_f64()),
        (Some("不合格"), Some(true), Some(0.0)),
        "{v}"
    );
    e.t.cleanup().await;
}

#[tokio::test]
async fn substance_table_is_served_and_searchable() {
    let e = Env::new(600).await;
    let req = Request::get("/api/v1/calc/gb18218/substances").body(Body::empty()).unwrap();
    let (s, v) = e.send(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"].as_array().unwrap().len(), 85, "all of table 1");
    assert_eq!(v["standard"], "GB 18218-2018");
    let req = Request::get("/api/v1/calc/gb18218/substances?q=%E6%B6%B2%E6%B0%AF").body(Body::empty()).unwrap(); // 液氯
    let (_, v) = e.send(req).await;
    assert_eq!(v["items"][0]["name"], "氯", "{v}");
    assert_eq!(v["items"][0]["critical_t"], 5.0);
    e.t.cleanup().await;
}

#[tokio::test]
async fn calculators_are_rate_limited_per_client() {
    let e = Env::new(3).await;
    for _ in 0..3 {
        assert_eq!(e.post("/api/v1/calc/ls", json!({"l": 1, "s": 1})).await.0, StatusCode::OK);
    }
    let (s, v) = e.post("/api/v1/calc/ls", json!({"l": 1, "s": 1})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited");
    e.t.cleanup().await;
}
