//! Analytics through the API on the demo history (SQLite and PostgreSQL):
//! co-occurrence finds the planted pairs and nothing else; the forecast
//! covers the region and its children and beats seasonal naive in backtest.

use crate::common::Env;
use anjian_demo::history::{HistorySpec, PLANTED_PAIRS};
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};

both_backends! {
    async fn co_occurrence_recovers_the_planted_pairs_and_forecasts_beat_seasonal_naive(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 20_000, months: 24 };
        anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        let city = e.login("city").await;

        let (s, v) = e.call(Method::GET, "/api/v1/analytics/co-occurrence", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut found: Vec<(String, String)> = v["pairs"].as_array().unwrap().iter()
            .map(|p| (p["first"].as_str().unwrap().to_string(), p["second"].as_str().unwrap().to_string()))
            .collect();
        found.sort();
        let mut planted: Vec<(String, String)> = PLANTED_PAIRS.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        planted.sort();
        assert_eq!(found, planted, "exactly the planted pairs: {v}");
        for p in v["pairs"].as_array().unwrap() {
            assert!(p["lift"].as_f64().unwrap() >= 1.5 && p["q_value"].as_f64().unwrap() < 0.01, "{p}");
            assert!(!p["first_name"].as_str().unwrap().is_empty());
        }
        assert!(v["tested"].as_u64().unwrap() > 10, "{v}");

        let (s, v) = e.call(Method::GET, "/api/v1/analytics/forecast", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let regions = v["regions"].as_array().unwrap();
        assert!(regions.len() > 1, "the city and its districts: {v}");
        let total = &regions[0];
        assert_eq!(total["history"].as_array().unwrap().len(), 23, "24 months back, less the partial first month: {total}");
        assert!(total["history"][0]["count"].as_f64().unwrap() > 300.0, "no partial month at the start: {total}");
        assert_eq!(total["forecast"].as_array().unwrap().len(), 3);
        for f in total["forecast"].as_array().unwrap() {
            let (lo, x, hi) = (f["lower"].as_f64().unwrap(), f["value"].as_f64().unwrap(), f["upper"].as_f64().unwrap());
            assert!(lo <= x && x <= hi && x > 0.0, "{f}");
        }
        assert_eq!(total["beats_baseline"], true, "{total}");
        assert!(total["backtest_mase"].as_f64().unwrap() < total["baseline_mase"].as_f64().unwrap());

        // Regulators only, within their scope.
        let head = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead).unwrap();
        let t = e.login(&head.username).await;
        let (s, _) = e.call(Method::GET, "/api/v1/analytics/forecast", &t, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/co-occurrence?window_days=0", &city, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("window_days")));
        e.t.cleanup().await;
    }
}
