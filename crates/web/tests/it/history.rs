//! The demo city's hazard history loaded into the database (SQLite and
//! PostgreSQL): the API's counts agree with a direct count, timelines read
//! back in order, new reports are numbered after the imported ones, the
//! import is on the evidence ledger, and a second start reuses it.

use crate::common::Env;
use anjian_demo::history::{HistorySpec, history};
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::json;

both_backends! {
    async fn the_history_loads_once_and_the_api_counts_it(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 2_500, months: 24 };
        let s = anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        assert!(!s.reused);
        assert_eq!(s.hazards, 2_500);
        let generated: Vec<_> = history(&e.city, 11, spec).collect();
        assert_eq!(s.events, generated.iter().map(|i| i.events.len()).sum::<usize>());

        // Direct counts by state against the API's (city supervisor, whole city).
        let mut c = e.app.db.read().await.unwrap();
        let mut direct = std::collections::HashMap::new();
        for st in ["reported", "pending", "rectifying", "awaiting_acceptance", "closed", "dismissed"] {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hazards WHERE state = $1")
                .bind(st).fetch_one(&mut *c).await.unwrap();
            direct.insert(st, n);
        }
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hazard_events").fetch_one(&mut *c).await.unwrap();
        assert_eq!(events as usize, s.events);
        drop(c);
        let city = e.login("city").await;
        let (st, counts) = e.call(Method::GET, "/api/v1/hazards/counts", &city, None).await;
        assert_eq!(st, StatusCode::OK, "{counts}");
        assert_eq!(counts["rectified"], direct["closed"]);
        assert_eq!(counts["dismissed"], direct["dismissed"]);
        assert_eq!(counts["rectifying"], direct["rectifying"]);
        assert_eq!(counts["found"].as_i64().unwrap(), 2_500 - direct["dismissed"]);
        assert!(counts["rectification_rate"].as_f64().unwrap() > 0.9, "{counts}");
        assert!(counts["overdue"].as_i64().unwrap() > 0, "{counts}");

        // A closed hazard's timeline reads back in order through the API.
        let closed = generated.iter().find(|i| i.hazard.state == "closed").unwrap();
        let (st, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{}/timeline", closed.hazard.id), &city, None).await;
        assert_eq!(st, StatusCode::OK, "{tl}");
        let names: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        let expected: Vec<&str> = closed.events.iter().map(|x| x.event.as_str()).collect();
        assert_eq!(names, expected);
        assert_eq!(names.last(), Some(&"accept"));

        // New reports continue the numbering.
        let ent = &e.city.enterprises[0];
        let (st, h) = e.call(Method::POST, "/api/v1/hazards", &city, Some(json!({
            "channel": "enforcement_check", "description": "仓库灭火器压力不足已过期", "enterprise_id": ent.id}))).await;
        assert_eq!(st, StatusCode::CREATED, "{h}");
        let n: i64 = h["code"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap();
        assert!(n > 2_500, "{}", h["code"]);

        // On the evidence ledger as one import record with the content hash.
        let mut c = e.app.db.read().await.unwrap();
        let logged: Vec<String> = sqlx::query_scalar("SELECT record FROM ledger_pending WHERE subject = 'demo_history'")
            .fetch_all(&mut *c).await.unwrap();
        drop(c);
        assert_eq!(logged.len(), 1);
        assert!(logged[0].contains("import.demo_history"), "{}", logged[0]);

        // A second start reuses it.
        let again = anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        assert!(again.reused);
        assert_eq!(again.sha256, s.sha256);
        let mut c = e.app.db.read().await.unwrap();
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hazards").fetch_one(&mut *c).await.unwrap();
        assert_eq!(total, 2_501);
        drop(c);

        // The inspection records load once on top: every failing answer links a
        // history hazard of the same enterprise, and the discipline view reads them.
        let n = anjian_demo::load::ensure_inspections(&e.app, &e.city, 11).await.unwrap();
        assert!(n > e.city.enterprises.len() * 3, "{n}");
        assert_eq!(anjian_demo::load::ensure_inspections(&e.app, &e.city, 11).await.unwrap(), n, "reused");
        let mut c = e.app.db.read().await.unwrap();
        let unlinked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inspection_results r JOIN inspections i ON i.id = r.inspection_id \
             LEFT JOIN hazards h ON h.id = r.hazard_id \
             WHERE r.outcome = 'fail' AND (h.id IS NULL OR h.enterprise_id <> i.enterprise_id)")
            .fetch_one(&mut *c).await.unwrap();
        assert_eq!(unlinked, 0);
        let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_results WHERE hazard_id IS NOT NULL")
            .fetch_one(&mut *c).await.unwrap();
        assert!(linked > 0);
        drop(c);
        let last = anjian_app::time::add_months(&anjian_app::time::month_of(anjian_store::now_ms()), -2);
        let (s, v) = e.call(Method::GET, &format!("/api/v1/discipline/self-inspections?month={last}"), &city, None).await;
        assert_eq!(s, axum::http::StatusCode::OK, "{v}");
        let sum = &v["summary"];
        assert!(sum["on_time"].as_u64().unwrap() > sum["missing"].as_u64().unwrap(), "{sum}");
        let (s, v) = e.call(Method::GET, "/api/v1/attendance/duty-rates", &city, None).await;
        assert_eq!(s, axum::http::StatusCode::OK, "{v}");
        assert!(v["trend"][4]["rate"].as_f64().unwrap() > 0.5, "{v}");
        let _ = &e.t;
    }
}
