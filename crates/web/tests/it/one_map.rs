//! What the pages read besides the older API, on SQLite and PostgreSQL: the
//! one-map's layers and region polygons within scope, the vocabularies, the
//! actions each side may take on a hazard, and the session's CSRF token for
//! a reloaded page.

use crate::common::Env;
use anjian_store::both_backends;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The rows of a compact layer as objects.
fn rows(layer: &Value) -> Vec<serde_json::Map<String, Value>> {
    let cols: Vec<&str> = layer["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    layer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| cols.iter().zip(r.as_array().unwrap()).map(|(c, v)| (c.to_string(), v.clone())).collect())
        .collect()
}

both_backends! {
    async fn the_one_map_draws_a_region_within_the_callers_scope(b: Backend) {
        let env = Env::new(b).await;
        let admin = env.login("admin").await;
        let district = env.login("district01").await;
        let head = env.login("ent0001-head").await;
        let ent = env.city.enterprises.iter().find(|e| e.id == "ent-00001").unwrap();
        // A hazard at enterprise 1 (dispatched at once: its type is clear), a device and its alarm.
        let (s, hz) = env.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "grid_patrol", "description": "配电箱未接地，箱门无警示标识", "enterprise_id": ent.id}))).await;
        assert_eq!(s, StatusCode::CREATED, "{hz}");
        let (s, dev) = env.call(Method::POST, "/api/v1/devices", &admin, Some(json!({
            "name": "一号罐区探头", "device_type": "gas_detector", "enterprise_id": ent.id, "lon": ent.lon, "lat": ent.lat,
            "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dev}");
        let device = dev["id"].as_str().unwrap();
        env.call(Method::POST, &format!("/api/v1/devices/{device}/rules"), &admin, Some(json!({"template": "combustible_gas"}))).await;
        let (s, _) = env.call(Method::POST, "/api/v1/ingest", "", Some(json!({"batches": [{"device_id": device, "secret": dev["secret"],
            "readings": [{"ts": anjian_store::now_ms() - 1000, "values": {"lel_percent": 30.0}}]}]}))).await;
        assert_eq!(s, StatusCode::OK);

        // The district officer's own region by default, with the path down to it.
        let (s, m) = env.call(Method::GET, "/api/v1/map/layers", &district, None).await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(m["region"]["code"], "379901");
        let path: Vec<&str> = m["path"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
        assert_eq!(path, ["379900", "379901"]);
        let ents = rows(&m["enterprises"]);
        let in_district = env.city.enterprises.iter().filter(|e| e.region_code.starts_with("379901")).count();
        assert_eq!(ents.len(), in_district);
        assert!(ents.iter().all(|e| e["industry_label"].as_str().is_some_and(|l| !l.is_empty())));
        let hazards = rows(&m["hazards"]);
        let mine = hazards.iter().find(|h| h["id"] == hz["id"]).expect("the open hazard is on the map");
        assert_eq!((mine["state"].as_str(), mine["overdue"].as_bool()), (Some("pending"), Some(false)));
        assert_eq!(rows(&m["devices"])[0]["name"], "一号罐区探头");
        let alarms = rows(&m["alarms"]);
        assert_eq!(alarms.len(), 1);
        assert_eq!((alarms[0]["device_name"].as_str(), alarms[0]["value"].as_f64()), (Some("一号罐区探头"), Some(30.0)));
        assert_eq!(alarms[0]["lon"].as_f64(), Some(ent.lon));
        // Only some layers.
        let (_, only) = env.call(Method::GET, "/api/v1/map/layers?only=alarms", &district, None).await;
        assert!(only["enterprises"]["rows"].as_array().unwrap().is_empty());
        assert_eq!(only["alarms"]["rows"].as_array().unwrap().len(), 1);
        let (s, e) = env.call(Method::GET, "/api/v1/map/layers?only=roads", &district, None).await;
        assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("only")));
        // The neighbouring district is out of reach; the enterprise head sees only their own.
        let (s, _) = env.call(Method::GET, "/api/v1/map/layers?region=379902", &district, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, m) = env.call(Method::GET, "/api/v1/map/layers?region=379900", &head, None).await;
        assert_eq!(s, StatusCode::OK);
        let ids: Vec<String> = rows(&m["enterprises"]).iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["ent-00001"]);
        // The city sees both districts.
        let city = env.login("city").await;
        let (_, m) = env.call(Method::GET, "/api/v1/map/layers", &city, None).await;
        assert_eq!(rows(&m["enterprises"]).len(), env.city.enterprises.len());

        // The polygons to draw: the children of a region with geometry=true.
        let (s, kids) = env.call(Method::GET, "/api/v1/regions?parent=379900&geometry=true", &district, None).await;
        assert_eq!(s, StatusCode::OK);
        let codes: Vec<&str> = kids.as_array().unwrap().iter().map(|k| k["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["379901"], "of the city's districts, only their own");
        let (s, kids) = env.call(Method::GET, "/api/v1/regions?parent=379901&geometry=true", &district, None).await;
        assert_eq!(s, StatusCode::OK);
        let kids = kids.as_array().unwrap();
        assert!(!kids.is_empty());
        for k in kids {
            assert_eq!(k["geometry"]["type"], "Polygon", "{k}");
            assert_eq!(k["parent_code"], "379901");
        }
        let (_, plain) = env.call(Method::GET, "/api/v1/regions?parent=379901", &district, None).await;
        assert!(plain.as_array().unwrap().iter().all(|k| k.get("geometry").is_none()), "no polygons unless asked");
        env.t.cleanup().await;
    }
}

both_backends! {
    async fn each_side_is_offered_the_actions_it_may_take_and_pages_learn_their_csrf_token(b: Backend) {
        let env = Env::new(b).await;
        let district = env.login("district01").await;
        let head = env.login("ent0001-head").await;
        let (s, hz) = env.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "grid_patrol", "description": "配电箱未接地，箱门无警示标识", "enterprise_id": "ent-00001"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let uri = format!("/api/v1/hazards/{}", hz["id"].as_str().unwrap());
        let (_, v) = env.call(Method::GET, &uri, &district, None).await;
        assert_eq!(v["state"], "pending");
        assert_eq!(v["my_actions"], json!(["start", "reassign"]));
        let (_, v) = env.call(Method::GET, &uri, &head, None).await;
        assert_eq!(v["my_actions"], json!(["start", "dispute", "request_extension"]));
        let (s, v) = env.call(Method::POST, &format!("{uri}/actions"), &head, Some(json!({"action": "request_extension", "until": "2099-01-01"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["my_actions"], json!(["start", "dispute"]), "one request at a time");
        let (_, v) = env.call(Method::GET, "/api/v1/hazards?enterprise_id=ent-00001", &district, None).await;
        assert_eq!(v["items"][0]["my_actions"], json!(["start", "reassign", "approve_extension", "refuse_extension"]));

        // The vocabularies the pages label their filters with.
        let (s, v) = env.call(Method::GET, "/api/v1/vocabularies", &head, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["hazard_states"].as_array().unwrap().len(), 6);
        assert!(v["hazard_states"].as_array().unwrap().iter().any(|t| t["code"] == "closed" && t["label"] == "已销号"));
        assert!(v["channels"].as_array().unwrap().iter().any(|t| t["code"] == "public"));
        assert_eq!(v["alarm_levels"][3]["code"], "red");

        // A page reloaded after login learns the session's CSRF token from /auth/me (cookie only).
        let login = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": "district01", "password": anjian_demo::DEMO_PASSWORD}).to_string())).unwrap();
        let res = env.router.clone().oneshot(login).await.unwrap();
        let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
        let body: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        let me = Request::get("/api/v1/auth/me").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let res = env.router.clone().oneshot(me).await.unwrap();
        let me: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        assert_eq!(me["csrf_token"], body["csrf_token"]);
        assert_eq!(me["username"], "district01");
        // …which the cookie-authenticated write needs.
        let write = |csrf: Option<&str>| {
            let mut b = Request::post(format!("{uri}/actions")).header(header::COOKIE, &cookie).header(header::CONTENT_TYPE, "application/json");
            if let Some(c) = csrf {
                b = b.header("x-csrf-token", c);
            }
            b.body(Body::from(json!({"action": "refuse_extension", "note": "期限已足够"}).to_string())).unwrap()
        };
        assert_eq!(env.router.clone().oneshot(write(None)).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(env.router.clone().oneshot(write(me["csrf_token"].as_str())).await.unwrap().status(), StatusCode::OK);
        // An API token needs no CSRF token and is given none.
        let (_, tok) = env.call(Method::POST, "/api/v1/auth/tokens", &district, Some(json!({"name": "大屏"}))).await;
        let (_, me) = env.call(Method::GET, "/api/v1/auth/me", tok["token"].as_str().unwrap(), None).await;
        assert_eq!(me["csrf_token"], Value::Null, "{me}");
        env.t.cleanup().await;
    }
}
