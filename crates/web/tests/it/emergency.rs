//! Emergency response (E1) through the API, on SQLite and PostgreSQL: a red
//! alarm opens one record (not two when it escalates), the first
//! acknowledgement is the response time against the 15-minute target, measures
//! and the close-out review are kept, and every step is audited.

use crate::common::Env;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn gas_detector(e: &Env, token: &str, enterprise: &str) -> (String, Value) {
    let (s, dev) = e
        .call(
            Method::POST,
            "/api/v1/devices",
            token,
            Some(json!({
        "name": "储罐区可燃气体探头", "device_type": "gas_detector", "enterprise_id": enterprise,
        "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dev}");
    let id = dev["id"].as_str().unwrap().to_string();
    let (s, _) = e
        .call(Method::POST, &format!("/api/v1/devices/{id}/rules"), token, Some(json!({"template": "combustible_gas"})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    (id, dev["secret"].clone())
}

async fn read(e: &Env, token: &str, id: &str, secret: &Value, at: i64, lel: f64) -> Value {
    let (s, r) = e
        .call(
            Method::POST,
            "/api/v1/ingest",
            token,
            Some(json!({"batches": [{"device_id": id, "secret": secret,
        "readings": [{"ts": at, "values": {"lel_percent": lel}}]}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

both_backends! {
    async fn a_red_alarm_opens_one_emergency_response_timed_against_fifteen_minutes(b: Backend) {
        let e = Env::new(b).await;
        let city = e.login("city").await;
        let head = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead).unwrap();
        let ent = head.enterprise_ids[0].clone();
        let (id, secret) = gas_detector(&e, &city, &ent).await;
        let now = anjian_store::now_ms();

        // Yellow opens nothing; escalating to red 20 minutes ago opens one response.
        read(&e, &city, &id, &secret, now - 30 * 60_000, 15.0).await;
        let (_, list) = e.call(Method::GET, "/api/v1/emergencies", &city, None).await;
        assert_eq!(list, json!([]));
        read(&e, &city, &id, &secret, now - 20 * 60_000, 60.0).await;
        read(&e, &city, &id, &secret, now - 19 * 60_000, 75.0).await;
        let (_, list) = e.call(Method::GET, "/api/v1/emergencies?open=true", &city, None).await;
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 1, "one response per alarm: {list:?}");
        let r = &list[0];
        assert!(!r["notified"].as_array().unwrap().is_empty(), "{r}");
        assert_eq!(r["state"], "open");
        assert_eq!(r["late"], true, "nobody has answered for 20 minutes: {r}");
        let rid = r["id"].as_str().unwrap().to_string();

        // Closing before anyone acknowledged is refused; a measure is kept.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/emergencies/{rid}/actions"), &city, Some(json!({"action": "close", "text": "已处置"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")), "{v}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/emergencies/{rid}/actions"), &city, Some(json!({"action": "measure", "text": "切断进料阀，疏散罐区人员"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["measures"][0]["text"], "切断进料阀，疏散罐区人员");

        // The head acknowledges the alarm: that is the response, 20 minutes late.
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms", &city, None).await;
        let alarm = alarms["items"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(r["alarm_id"], alarm.as_str());
        let ht = e.login(&head.username).await;
        let (s, _) = e.call(Method::POST, &format!("/api/v1/alarms/{alarm}/actions"), &ht, Some(json!({"action": "acknowledge"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = e.call(Method::GET, &format!("/api/v1/emergencies/{rid}"), &ht, None).await;
        let minutes = v["response_minutes"].as_f64().unwrap();
        assert!((19.5..21.0).contains(&minutes), "{v}");
        assert_eq!(v["late"], true);
        assert!(v["acknowledged_by"].is_string());

        // Close-out review; then nothing more can be added.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/emergencies/{rid}/actions"), &ht, Some(json!({"action": "close", "text": "泄漏点为法兰垫片老化，已更换并复测正常"}))).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("closed")), "{v}");
        let (s, _) = e.call(Method::POST, &format!("/api/v1/emergencies/{rid}/actions"), &ht, Some(json!({"action": "measure", "text": "补充"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, open) = e.call(Method::GET, "/api/v1/emergencies?open=true", &city, None).await;
        assert_eq!(open, json!([]));

        // Another enterprise sees nothing of it; every step is audited.
        let other = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead && u.enterprise_ids[0] != ent).unwrap();
        let ot = e.login(&other.username).await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/emergencies/{rid}"), &ot, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let mut c = e.app.db.read().await.unwrap();
        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = 'emergency' ORDER BY at, id")
            .fetch_all(&mut *c).await.unwrap();
        assert_eq!(actions, ["open", "measure", "acknowledge", "close"]);
        drop(c);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn an_acknowledgement_within_fifteen_minutes_is_on_time(b: Backend) {
        let e = Env::new(b).await;
        let city = e.login("city").await;
        let ent = e.city.enterprises[1].id.clone();
        let (id, secret) = gas_detector(&e, &city, &ent).await;
        read(&e, &city, &id, &secret, anjian_store::now_ms() - 60_000, 90.0).await;
        let (_, alarms) = e.call(Method::GET, "/api/v1/alarms", &city, None).await;
        let alarm = alarms["items"][0]["id"].as_str().unwrap().to_string();
        let (s, _) = e.call(Method::POST, &format!("/api/v1/alarms/{alarm}/actions"), &city, Some(json!({"action": "acknowledge"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (_, list) = e.call(Method::GET, "/api/v1/emergencies", &city, None).await;
        assert_eq!(list[0]["late"], false, "{list}");
        assert!(list[0]["response_minutes"].as_f64().unwrap() < 15.0);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn the_third_alarm_of_a_rule_within_a_week_opens_one_hazard(b: Backend) {
        let e = Env::new(b).await;
        let city = e.login("city").await;
        let ent = e.city.enterprises[2].id.clone();
        let (id, secret) = gas_detector(&e, &city, &ent).await;
        let now = anjian_store::now_ms();
        let hazards = |e: &Env| {
            let db = e.app.db.clone();
            async move {
                let mut c = db.read().await.unwrap();
                sqlx::query_as::<_, (String, String, Option<String>)>("SELECT channel, description, enterprise_id FROM hazards WHERE channel = 'iot_alarm'")
                    .fetch_all(&mut *c).await.unwrap()
            }
        };
        // Raise and clear twice: no hazard yet (the template's default is the 3rd alarm in 7 days).
        for k in 0..2 {
            let t0 = now - (50 - 10 * k) * 60 * 60_000;
            let r = read(&e, &city, &id, &secret, t0, 30.0).await;
            assert_eq!(r["alarms"]["raise"], 1, "{r}");
            read(&e, &city, &id, &secret, t0 + 60_000, 0.0).await;
        }
        assert!(hazards(&e).await.is_empty());
        // The third alarm opens a hazard at the device's enterprise, through the lifecycle.
        let t = now - 10 * 60 * 60_000;
        read(&e, &city, &id, &secret, t, 30.0).await;
        let hs = hazards(&e).await;
        assert_eq!(hs.len(), 1, "{hs:?}");
        assert_eq!(hs[0].2.as_deref(), Some(ent.as_str()));
        assert!(hs[0].1.contains("3次"), "{}", hs[0].1);
        // A fourth while that hazard is open adds no second one.
        read(&e, &city, &id, &secret, t + 60_000, 0.0).await;
        read(&e, &city, &id, &secret, t + 2 * 60_000, 30.0).await;
        assert_eq!(hazards(&e).await.len(), 1);
        e.t.cleanup().await;
    }
}
