//! Risk registers through the API (R3): major hazard sources graded by
//! GB 18218 on every change with their history and notifications; risk
//! points by LEC/LS; the four-colour risk map. On SQLite and PostgreSQL.

use crate::common::Env;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// Two enterprises of the demo city and their heads' usernames.
fn two_enterprises(e: &Env) -> ((String, String), (String, String)) {
    let mut heads = e.city.users.iter().filter(|u| u.role == anjian_domain::role::Role::EnterpriseHead);
    let a = heads.next().unwrap();
    let b = heads.next().unwrap();
    ((a.enterprise_ids[0].clone(), a.username.clone()), (b.enterprise_ids[0].clone(), b.username.clone()))
}

async fn notifications_of_kind(e: &Env, kind: &str) -> Vec<(String, String)> {
    let mut c = e.app.db.read().await.unwrap();
    sqlx::query_as("SELECT user_id, title FROM notifications WHERE kind = $1 ORDER BY created_at, id")
        .bind(kind)
        .fetch_all(&mut *c)
        .await
        .unwrap()
}

both_backends! {
    async fn major_hazard_sources_are_graded_on_every_change_with_history_and_notices(b: Backend) {
        let e = Env::new(b).await;
        let ((ent, head), (_, other_head)) = two_enterprises(&e);
        let t = e.login(&head).await;
        let unit = json!({"name": "液氯储罐区", "kind": "storage", "exposed_people": 0,
            "substances": [{"name": "液氯", "quantity_t": 5.0}]});
        let (s, v) = e.call(Method::POST, &format!("/api/v1/enterprises/{ent}/hazard-sources"), &t, Some(unit.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!((v["s"].as_f64(), v["is_major"].as_bool(), v["r"].as_f64(), v["grade"].as_i64()), (Some(1.0), Some(true), Some(2.0), Some(4)), "{v}");
        assert_eq!((v["grade_label"].as_str(), v["color"].as_str(), v["version"].as_i64()), (Some("四级"), Some("blue"), Some(1)));
        assert_eq!(v["substances"][0]["name"], "氯");
        assert_eq!(v["history"].as_array().unwrap().len(), 1);
        let id = v["id"].as_str().unwrap().to_string();
        let first = notifications_of_kind(&e, "hazard_source").await;
        assert!(!first.is_empty() && first.iter().all(|(_, t)| t.contains("重大危险源辨识")), "{first:?}");
        let city_id = {
            let ct = e.login("city").await;
            let (_, me) = e.call(Method::GET, "/api/v1/auth/me", &ct, None).await;
            me["id"].as_str().unwrap().to_string()
        };
        assert!(first.iter().any(|(u, _)| *u == city_id), "the city supervisor is told");

        // The same name twice in one enterprise is a conflict.
        let (s, _) = e.call(Method::POST, &format!("/api/v1/enterprises/{ent}/hazard-sources"), &t, Some(unit)).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // Bad input names the field; nothing is stored.
        for (body, field) in [
            (json!({"name": "x", "kind": "storage", "exposed_people": 0, "substances": [{"name": "氯", "quantity_t": -1.0}]}), "substances[0].quantity_t"),
            (json!({"name": "x", "kind": "warehouse", "exposed_people": 0, "substances": [{"name": "氯", "quantity_t": 1.0}]}), "kind"),
            (json!({"name": "x", "kind": "storage", "exposed_people": 0, "substances": [{"name": "未知物", "quantity_t": 1.0}]}), "substances[0].critical_t"),
        ] {
            let (s, v) = e.call(Method::POST, &format!("/api/v1/enterprises/{ent}/hazard-sources"), &t, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }

        // More chlorine and 150 people nearby: S 12, R = 2.0 × 4 × 12 = 96 → 二级; a new version and a notice.
        let bigger = json!({"name": "液氯储罐区", "kind": "storage", "exposed_people": 150, "version": 1,
            "substances": [{"name": "氯气", "quantity_t": 60.0}]});
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/hazard-sources/{id}"), &t, Some(bigger.clone())).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["s"].as_f64(), v["r"].as_f64(), v["grade"].as_i64(), v["version"].as_i64()), (Some(12.0), Some(96.0), Some(2), Some(2)), "{v}");
        let hist = v["history"].as_array().unwrap();
        assert_eq!(hist.iter().map(|h| h["grade"].as_i64().unwrap()).collect::<Vec<_>>(), [4, 2]);
        let after = notifications_of_kind(&e, "hazard_source").await;
        let changed: Vec<_> = after.iter().filter(|(_, t)| t.contains("等级变化")).collect();
        assert!(!changed.is_empty(), "{after:?}");
        // A stale version is refused; a change that keeps the grade tells no one.
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/hazard-sources/{id}"), &t, Some(bigger)).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("version")), "{v}");
        let same = json!({"name": "液氯储罐区（东）", "kind": "storage", "exposed_people": 150, "version": 2,
            "substances": [{"name": "氯", "quantity_t": 61.0}]});
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/hazard-sources/{id}"), &t, Some(same)).await;
        assert_eq!((s, v["grade"].as_i64(), v["version"].as_i64()), (StatusCode::OK, Some(2), Some(3)), "{v}");
        assert_eq!(notifications_of_kind(&e, "hazard_source").await.len(), after.len());

        // Scope: the city sees it among major sources; another enterprise does not.
        let ct = e.login("city").await;
        let (_, list) = e.call(Method::GET, "/api/v1/hazard-sources?major=true", &ct, None).await;
        assert!(list.as_array().unwrap().iter().any(|u| u["id"] == id.as_str()), "{list}");
        let ot = e.login(&other_head).await;
        let (_, list) = e.call(Method::GET, "/api/v1/hazard-sources", &ot, None).await;
        assert_eq!(list, json!([]));
        let (s, _) = e.call(Method::GET, &format!("/api/v1/hazard-sources/{id}"), &ot, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Every change is audited.
        let mut c = e.app.db.read().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'hazard_source' AND entity_id = $1")
            .bind(&id).fetch_one(&mut *c).await.unwrap();
        assert_eq!(n, 3);
        drop(c);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn risk_points_are_assessed_and_drawn_on_the_four_colour_map(b: Backend) {
        let e = Env::new(b).await;
        let ((ent, head), (_, other_head)) = two_enterprises(&e);
        let t = e.login(&head).await;
        let point = |name: &str, method: &str, factors: Value| json!({"name": name, "location": "一号车间", "method": method,
            "factors": factors, "measures": ["作业前通风检测", "设置警示标志"], "responsible": "张三", "review_on": "2027-03-31"});
        let url = format!("/api/v1/enterprises/{ent}/risk-points");
        let (s, v) = e.call(Method::POST, &url, &t, Some(point("喷漆作业", "lec", json!({"l": 6, "e": 6, "c": 3})))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!((v["score"].as_f64(), v["level"].as_str(), v["color"].as_str(), v["color_label"].as_str()), (Some(108.0), Some("显著危险"), Some("yellow"), Some("黄")));
        let (s, v) = e.call(Method::POST, &url, &t, Some(point("有限空间作业", "ls", json!({"l": 4, "s": 5})))).await;
        assert_eq!((s, v["level"].as_str(), v["color"].as_str()), (StatusCode::CREATED, Some("重大"), Some("red")), "{v}");
        let red_id = v["id"].as_str().unwrap().to_string();
        for (body, field) in [
            (point("x", "lec", json!({"l": 5, "e": 6, "c": 3})), "factors.l"),
            (point("x", "ls", json!({"l": 4})), "factors"),
            (point("x", "hazop", json!({})), "method"),
            (json!({"name": "x", "location": "y", "method": "ls", "factors": {"l": 1, "s": 1}, "measures": [" "], "responsible": "张三"}), "measures"),
        ] {
            let (s, v) = e.call(Method::POST, &url, &t, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }
        let (_, list) = e.call(Method::GET, &url, &t, None).await;
        assert_eq!(list.as_array().unwrap().iter().map(|p| p["color"].as_str().unwrap()).collect::<Vec<_>>(), ["red", "yellow"]);

        // The enterprise's map: its points (at the enterprise when they have no position of their own).
        let (s, map) = e.call(Method::GET, &format!("/api/v1/risk-map?enterprise_id={ent}"), &t, None).await;
        assert_eq!(s, StatusCode::OK, "{map}");
        assert_eq!(map["type"], "FeatureCollection");
        assert_eq!(map["features"].as_array().unwrap().len(), 2);
        assert_eq!((map["summary"]["red"].as_i64(), map["summary"]["yellow"].as_i64()), (Some(1), Some(1)));
        // The region's map: the enterprise in the colour of its reddest point.
        let ct = e.login("city").await;
        let (_, map) = e.call(Method::GET, "/api/v1/risk-map", &ct, None).await;
        let f = map["features"].as_array().unwrap().iter().find(|f| f["properties"]["enterprise_id"] == ent.as_str()).unwrap().clone();
        assert_eq!((f["properties"]["color"].as_str(), f["properties"]["red"].as_i64(), f["properties"]["yellow"].as_i64()), (Some("red"), Some(1), Some(1)), "{f}");
        assert_eq!(f["geometry"]["type"], "Point");

        // Controls work: re-assessed to blue, and the enterprise turns yellow on the region map.
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/risk-points/{red_id}"), &t, Some(point("有限空间作业", "ls", json!({"l": 1, "s": 2})))).await;
        assert_eq!((s, v["color"].as_str(), v["level"].as_str()), (StatusCode::OK, Some("blue"), Some("低")), "{v}");
        let (_, map) = e.call(Method::GET, "/api/v1/risk-map", &ct, None).await;
        let f = map["features"].as_array().unwrap().iter().find(|f| f["properties"]["enterprise_id"] == ent.as_str()).unwrap().clone();
        assert_eq!(f["properties"]["color"], "yellow");

        // Out of scope: another enterprise sees nothing of it.
        let ot = e.login(&other_head).await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/risk-map?enterprise_id={ent}"), &ot, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/risk-points/{red_id}"), &ot, Some(point("x", "ls", json!({"l": 1, "s": 1})))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, all) = e.call(Method::GET, "/api/v1/risk-points", &ot, None).await;
        assert_eq!(all, json!([]));
        e.t.cleanup().await;
    }
}
