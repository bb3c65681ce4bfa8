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
            // No red alarm in this history yet: every pair's association is measured and empty.
            let after = &p["red_alarms_after"];
            assert!(after["occurrences"].as_u64().unwrap() > 0, "{p}");
            assert_eq!(after["with_red_alarm"], 0, "{p}");
        }
        assert!(v["tested"].as_u64().unwrap() > 10, "{v}");

        // A planted pair happens again at an enterprise, and a red alarm follows there.
        let (a, b) = PLANTED_PAIRS[0];
        let ent = &e.city.enterprises[3].id;
        for item in [a, b] {
            let (s, h) = e.call(Method::POST, "/api/v1/hazards", &city, Some(serde_json::json!({
                "channel": "enforcement_check", "description": "现场检查发现问题", "enterprise_id": ent, "taxonomy_item": item}))).await;
            assert_eq!(s, StatusCode::CREATED, "{h}");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let (s, dev) = e.call(Method::POST, "/api/v1/devices", &city, Some(serde_json::json!({
            "name": "配电房气体探头", "device_type": "gas_detector", "enterprise_id": ent,
            "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dev}");
        let id = dev["id"].as_str().unwrap();
        let (s, _) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), &city, Some(serde_json::json!({"template": "combustible_gas"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, r) = e.call(Method::POST, "/api/v1/ingest", &city, Some(serde_json::json!({"batches": [{"device_id": id,
            "secret": dev["secret"], "readings": [{"ts": anjian_store::now_ms(), "values": {"lel_percent": 80.0}}]}]}))).await;
        assert_eq!((s, &r["alarms"]["raise"]), (StatusCode::OK, &serde_json::json!(1)), "{r}");
        let (_, v) = e.call(Method::GET, "/api/v1/analytics/co-occurrence", &city, None).await;
        let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["first"] == a && p["second"] == b).unwrap().clone();
        assert_eq!(pair["red_alarms_after"]["with_red_alarm"], 1, "{pair}");
        assert!(pair["red_alarms_after"]["rate"].as_f64().unwrap() > 0.0);

        let (s, v) = e.call(Method::GET, "/api/v1/analytics/forecast", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let regions = v["regions"].as_array().unwrap();
        assert!(regions.len() > 1, "the city and its districts: {v}");
        let total = &regions[0];
        // The history covers 24 calendar months up to yesterday; the forecast
        // uses the complete months before the current one.
        let history = total["history"].as_array().unwrap();
        let this_month = anjian_app::time::today_local(anjian_store::now_ms())[..7].to_string();
        let previous = {
            let (y, m): (i32, i32) = (this_month[..4].parse().unwrap(), this_month[5..].parse().unwrap());
            if m == 1 { format!("{:04}-12", y - 1) } else { format!("{y:04}-{:02}", m - 1) }
        };
        assert!((23..=24).contains(&history.len()), "24 months back, less a partial first or current month: {total}");
        assert_eq!(history.last().unwrap()["month"], previous.as_str(), "up to the last complete month: {total}");
        assert!(history[0]["count"].as_f64().unwrap() > 300.0, "no partial month at the start: {total}");
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

both_backends! {
    async fn the_heat_map_counts_every_hazard_once_per_grid_and_per_hexagon(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 2_500, months: 24 };
        anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        let city = e.login("city").await;
        // A red risk point at one enterprise.
        let ent = &e.city.enterprises[0];
        let (s, v) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/risk-points", ent.id), &city, Some(serde_json::json!({
            "name": "有限空间作业", "location": "污水池", "method": "ls", "factors": {"l": 4, "s": 5},
            "measures": ["先通风再检测后作业"], "responsible": "李四"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        let direct: i64 = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hazards WHERE state <> 'dismissed'").fetch_one(&mut *c).await.unwrap()
        };
        let sum = |v: &serde_json::Value, k: &str| -> u64 {
            v["features"].as_array().unwrap().iter().map(|f| f["properties"][k].as_u64().unwrap()).sum()
        };
        let (s, grid) = e.call(Method::GET, "/api/v1/analytics/heatmap?since=2020-01-01", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{grid}");
        assert_eq!(grid["type"], "FeatureCollection");
        assert_eq!(grid["features"].as_array().unwrap().len(), e.city.grids().count(), "every grid, empty ones too");
        assert_eq!(sum(&grid, "hazards") as i64, direct, "each hazard in exactly one grid");
        assert_eq!(sum(&grid, "risk_red"), 1);
        for f in grid["features"].as_array().unwrap() {
            assert!(f["properties"]["area_km2"].as_f64().unwrap() > 0.0, "{f}");
            assert!(f["geometry"]["type"].as_str().unwrap().ends_with("Polygon"));
        }

        let (s, hex) = e.call(Method::GET, "/api/v1/analytics/heatmap?since=2020-01-01&cells=hex&hex_km=2", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{hex}");
        let located: i64 = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hazards WHERE state <> 'dismissed' AND lon IS NOT NULL")
                .fetch_one(&mut *c).await.unwrap()
        };
        assert_eq!(sum(&hex, "hazards") as i64, located);
        assert_eq!(sum(&hex, "risk_red"), 1);
        let f = &hex["features"][0];
        assert_eq!(f["geometry"]["coordinates"][0].as_array().unwrap().len(), 7);
        assert!((f["properties"]["area_km2"].as_f64().unwrap() - 10.392).abs() < 0.01, "{f}");

        // A window holds only what was reported in it.
        let (_, recent) = e.call(Method::GET, "/api/v1/analytics/heatmap", &city, None).await;
        assert!((sum(&recent, "hazards") as i64) < direct);

        for (q, field) in [("cells=square", "cells"), ("cells=hex&hex_km=100", "hex_km"), ("since=2026-02-01&until=2026-01-01", "since"), ("since=2026-13-01", "since")] {
            let (s, v) = e.call(Method::GET, &format!("/api/v1/analytics/heatmap?{q}"), &city, None).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{q}: {v}");
        }
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn statistics_agree_with_a_direct_count_in_every_dimension(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 2_500, months: 24 };
        anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        let city = e.login("city").await;
        let q = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        let (found, closed, open) = {
            let mut c = e.app.db.read().await.unwrap();
            (
                q("SELECT COUNT(*) FROM hazards WHERE state <> 'dismissed'").fetch_one(&mut *c).await.unwrap(),
                q("SELECT COUNT(*) FROM hazards WHERE state = 'closed'").fetch_one(&mut *c).await.unwrap(),
                q("SELECT COUNT(*) FROM hazards WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance')").fetch_one(&mut *c).await.unwrap(),
            )
        };
        let (_, counts) = e.call(Method::GET, "/api/v1/hazards/counts", &city, None).await;
        for by in ["month", "week", "day", "quarter", "region", "industry", "channel", "domain", "class", "item", "grade", "state"] {
            let (s, v) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by={by}&since=2020-01-01"), &city, None).await;
            assert_eq!(s, StatusCode::OK, "{by}: {v}");
            let t = &v["total"];
            assert_eq!((t["found"].as_i64(), t["rectified"].as_i64(), t["in_progress"].as_i64()), (Some(found), Some(closed), Some(open)), "{by}: {t}");
            assert_eq!(t["overdue"], counts["overdue"], "the same overdue as the counts endpoint");
            let rows = v["rows"].as_array().unwrap();
            let sum = |k: &str| rows.iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
            assert_eq!((sum("found"), sum("rectified"), sum("in_progress"), sum("overdue")),
                (found, closed, open, t["overdue"].as_i64().unwrap()), "{by}: the groups add up");
            assert!(rows.iter().all(|r| !r["label"].as_str().unwrap().is_empty() || by == "state"), "{by}: {v}");
        }
        // Drill down: the city's districts, then one district's streets; each level adds up to its parent.
        let (_, by_district) = e.call(Method::GET, "/api/v1/analytics/stats?by=region&since=2020-01-01", &city, None).await;
        let district = by_district["rows"].as_array().unwrap().iter().max_by_key(|r| r["found"].as_i64().unwrap()).unwrap().clone();
        let (_, by_street) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by=region&since=2020-01-01&region={}", district["key"].as_str().unwrap()), &city, None).await;
        let streets: i64 = by_street["rows"].as_array().unwrap().iter().map(|r| r["found"].as_i64().unwrap()).sum();
        assert_eq!(streets, district["found"].as_i64().unwrap());
        assert_eq!(by_street["total"]["found"], district["found"]);
        let t = &by_district["total"];
        assert!(t["rectification_rate"].as_f64().unwrap() > 0.5 && t["on_time_rate"].as_f64().unwrap() > 0.0, "{t}");
        assert!(t["mean_days_to_rectify"].as_f64().unwrap() > 0.0);
        // A district supervisor sees only their district, whatever they ask.
        let officer = e.city.users.iter().find(|u| u.username == "district01").unwrap();
        let code = officer.region_code.clone().unwrap();
        let own = by_district["rows"].as_array().unwrap().iter().find(|r| r["key"] == code.as_str()).unwrap()["found"].clone();
        let dt = e.login("district01").await;
        let (_, v) = e.call(Method::GET, "/api/v1/analytics/stats?by=grade&since=2020-01-01", &dt, None).await;
        assert_eq!(v["total"]["found"], own, "{v}");
        let other = by_district["rows"].as_array().unwrap().iter().find(|r| r["key"] != code.as_str()).unwrap()["key"].as_str().unwrap().to_string();
        let (s, _) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by=grade&region={other}"), &dt, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Bad dimensions are named.
        for by in ["colour", "month,month", "month,state,grade,industry"] {
            let (s, v) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by={by}"), &city, None).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("by")), "{by}");
        }

        // Region × month × state (the dashboard's cube): every cell is a direct count.
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/stats?by=region,month,state&since=2020-01-01", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rows = v["rows"].as_array().unwrap();
        assert!(rows.len() > 40, "{}", rows.len());
        assert_eq!(rows.iter().map(|r| r["found"].as_i64().unwrap()).sum::<i64>(), found);
        assert_eq!(v["total"]["overdue"], counts["overdue"]);
        for r in rows.iter().step_by(3) {
            let key = r["key"].as_str().unwrap();
            let parts: Vec<&str> = key.split('|').collect();
            let (district, month, state) = (parts[0], parts[1], parts[2]);
            let n: i64 = {
                let mut c = e.app.db.read().await.unwrap();
                let (y, m): (i32, i8) = (month[..4].parse().unwrap(), month[5..].parse().unwrap());
                let start = |y: i32, m: i8| jiff::civil::date(y as i16, m, 1).at(0, 0, 0, 0).in_tz("Asia/Shanghai").unwrap().timestamp().as_millisecond();
                let (a, b) = (start(y, m), if m == 12 { start(y + 1, 1) } else { start(y, m + 1) });
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM hazards WHERE region_code >= $1 AND region_code < $2 AND state = $3 \
                    AND reported_at >= $4 AND reported_at < $5 AND state <> 'dismissed'")
                    .bind(district).bind(format!("{district}:")).bind(state).bind(a).bind(b)
                    .fetch_one(&mut *c).await.unwrap()
            };
            assert_eq!(r["found"].as_i64().unwrap(), n, "{r}");
            assert_eq!(r["label"].as_str().unwrap().split(" · ").count(), 3, "{r}");
        }
        // A window cut inside months (a small part and a large part of a month) still counts exactly.
        let today: jiff::civil::Date = anjian_app::time::today_local(anjian_store::now_ms()).parse().unwrap();
        let since = today.first_of_month().checked_sub(jiff::Span::new().months(6)).unwrap().checked_add(jiff::Span::new().days(2)).unwrap();
        let until = today.first_of_month().checked_sub(jiff::Span::new().months(2)).unwrap().checked_add(jiff::Span::new().days(24)).unwrap();
        let ms = |d: jiff::civil::Date| d.at(0, 0, 0, 0).in_tz("Asia/Shanghai").unwrap().timestamp().as_millisecond();
        for by in ["region,month,state", "industry", "week"] {
            let (s, v) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by={by}&since={since}&until={until}"), &city, None).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (f, cl): (i64, i64) = {
                let mut c = e.app.db.read().await.unwrap();
                sqlx::query_as("SELECT COALESCE(SUM(CASE WHEN state <> 'dismissed' THEN 1 ELSE 0 END), 0), \
                    COALESCE(SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END), 0) FROM hazards WHERE reported_at >= $1 AND reported_at < $2")
                    .bind(ms(since)).bind(ms(until) + 86_400_000).fetch_one(&mut *c).await.unwrap()
            };
            assert_eq!((v["total"]["found"].as_i64(), v["total"]["rectified"].as_i64()), (Some(f), Some(cl)), "{by}: {}", v["total"]);
            assert_eq!(v["rows"].as_array().unwrap().iter().map(|r| r["found"].as_i64().unwrap()).sum::<i64>(), f, "{by}");
            assert!(v["rows"].as_array().unwrap().iter().all(|r| r["found"].as_i64().unwrap() >= 0), "{v}");
        }
        // The rollup behind it stays equal to a recount through reports, state changes and an industry change.
        let recount = |e: &Env| {
            let app = e.app.clone();
            async move {
                let mut c = app.db.read().await.unwrap();
                (anjian_store::rollup::stored(&mut c).await.unwrap(), anjian_store::rollup::recount(&mut c).await.unwrap())
            }
        };
        let (stored, direct) = recount(&e).await;
        assert_eq!(stored, direct);
        let ent = &e.city.enterprises[5].id;
        let (s, h) = e.call(Method::POST, "/api/v1/hazards", &city, Some(serde_json::json!({
            "channel": "enforcement_check", "description": "消防通道堆放杂物", "enterprise_id": ent, "taxonomy_item": "FIRE-02-02"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        let (s, d) = e.call(Method::POST, &format!("/api/v1/hazards/{}/actions", h["id"].as_str().unwrap()), &city,
            Some(serde_json::json!({"action": "start"}))).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        {
            let mut tx = e.app.db.begin().await.unwrap();
            sqlx::query("UPDATE enterprises SET industry = 'trade' WHERE id = $1").bind(ent).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
        let (stored, direct) = recount(&e).await;
        assert_eq!(stored, direct);

        // The top overdue enterprises: direct counts, most first.
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/overdue-enterprises?limit=5", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let list = v["enterprises"].as_array().unwrap();
        assert!(!list.is_empty() && list.len() <= 5, "{v}");
        let now = anjian_store::now_ms();
        let direct: Vec<(String, i64)> = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_as("SELECT enterprise_id, COUNT(*) FROM hazards WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance') \
                AND deadline_ms < $1 AND enterprise_id IS NOT NULL GROUP BY enterprise_id ORDER BY 2 DESC")
                .bind(now).fetch_all(&mut *c).await.unwrap()
        };
        assert_eq!(list[0]["overdue"].as_i64().unwrap(), direct[0].1, "{v}");
        for r in list {
            let d = direct.iter().find(|(id, _)| r["enterprise_id"] == id.as_str()).unwrap();
            assert_eq!(r["overdue"].as_i64().unwrap(), d.1, "{r}");
            assert!(!r["name"].as_str().unwrap().is_empty() && r["most_days_overdue"].as_i64().unwrap() >= 0, "{r}");
        }
        assert!(list.windows(2).all(|w| w[0]["overdue"].as_i64() >= w[1]["overdue"].as_i64()));
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/overdue-enterprises?limit=0", &city, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/overdue-enterprises", &dt, None).await;
        assert_eq!(s, StatusCode::OK);
        // Scoped by where the hazard is (a builder registered elsewhere works on a site here), so the
        // district's list is the district's overdue hazards counted by enterprise.
        let now = anjian_store::now_ms();
        let in_district: Vec<(String, i64)> = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_as("SELECT enterprise_id, COUNT(*) FROM hazards WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance') \
                AND deadline_ms < $1 AND enterprise_id IS NOT NULL AND region_code >= $2 AND region_code < $3 GROUP BY enterprise_id")
                .bind(now).bind(&code).bind(format!("{code}:")).fetch_all(&mut *c).await.unwrap()
        };
        let list = v["enterprises"].as_array().unwrap();
        assert_eq!(list.len(), in_district.len().min(20), "{v}");
        for r in list {
            let d = in_district.iter().find(|(id, _)| r["enterprise_id"] == id.as_str()).unwrap_or_else(|| panic!("{r} has no overdue hazard in {code}"));
            assert_eq!(r["overdue"].as_i64().unwrap(), d.1, "{r}");
        }
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn streets_and_enterprises_are_ranked_and_graded_by_the_configured_weights(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 2_500, months: 24 };
        anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        let city = e.login("city").await;
        let found: i64 = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hazards WHERE state <> 'dismissed'").fetch_one(&mut *c).await.unwrap()
        };
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/ranking?since=2020-01-01", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rows = v["rows"].as_array().unwrap();
        let streets = e.city.regions.iter().filter(|r| r.level == "street").count();
        assert_eq!(rows.len(), streets, "every street is graded");
        assert_eq!(rows.iter().map(|r| r["found"].as_i64().unwrap()).sum::<i64>(), found);
        let mut last = f64::INFINITY;
        for (i, r) in rows.iter().enumerate() {
            let score = r["score"].as_f64().unwrap();
            assert!((0.0..=100.0).contains(&score) && score <= last, "{r}");
            last = score;
            assert!(r["rank"].as_u64().unwrap() <= i as u64 + 1);
            let want = if score >= 85.0 { "A" } else if score >= 75.0 { "B" } else if score >= 60.0 { "C" } else { "D" };
            assert_eq!(r["grade"], want, "{r}");
        }
        let graded: u64 = v["grade_counts"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(graded as usize, rows.len());

        // Enterprises too.
        let (_, v) = e.call(Method::GET, "/api/v1/analytics/ranking?target=enterprises&since=2020-01-01", &city, None).await;
        assert_eq!(v["rows"].as_array().unwrap().len(), e.city.enterprises.len());

        // A stricter grading, as data: nobody reaches A any more.
        let (_, mut cfg) = e.call(Method::GET, "/api/v1/analytics/grading", &city, None).await;
        cfg["grades"][0]["min_score"] = serde_json::json!(100.5);
        let (s, _) = e.call(Method::PUT, "/api/v1/analytics/grading", &city, Some(cfg.clone())).await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = e.call(Method::GET, "/api/v1/analytics/ranking?since=2020-01-01", &city, None).await;
        assert!(v["grade_counts"].get("A").is_none(), "{}", v["grade_counts"]);
        cfg["indicators"][0]["weight"] = serde_json::json!(-1);
        let (s, r) = e.call(Method::PUT, "/api/v1/analytics/grading", &city, Some(cfg)).await;
        assert_eq!((s, r["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("indicators[0].weight")));
        let district = e.login("district01").await;
        let (_, cfg) = e.call(Method::GET, "/api/v1/analytics/grading", &district, None).await;
        let (s, _) = e.call(Method::PUT, "/api/v1/analytics/grading", &district, Some(cfg)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only the city decides the grading");

        // Licence-overdue rate by industry with max, min and average.
        let (s, v) = e.call(Method::GET, "/api/v1/analytics/licences", &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.iter().map(|r| r["enterprises"].as_u64().unwrap()).sum::<u64>() as usize, e.city.enterprises.len());
        let rates: Vec<f64> = rows.iter().filter(|r| r["with_licences"].as_u64().unwrap() > 0).map(|r| r["rate"].as_f64().unwrap()).collect();
        let (max, min) = (v["max"]["rate"].as_f64().unwrap(), v["min"]["rate"].as_f64().unwrap());
        assert_eq!(max, rates.iter().cloned().fold(f64::MIN, f64::max));
        assert_eq!(min, rates.iter().cloned().fold(f64::MAX, f64::min));
        let avg = v["average"].as_f64().unwrap();
        assert!((avg - rates.iter().sum::<f64>() / rates.len() as f64).abs() < 1e-9);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn an_enterprise_profile_explains_every_point_it_deducts(b: Backend) {
        let e = Env::new(b).await;
        let spec = HistorySpec { hazards: 2_500, months: 24 };
        anjian_demo::load::ensure_history(&e.app, &e.city, 11, spec).await.unwrap();
        let head = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead).unwrap();
        let ent = head.enterprise_ids[0].clone();
        let city = e.login("city").await;
        // A second-grade major hazard source and a red risk point.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/enterprises/{ent}/hazard-sources"), &city, Some(serde_json::json!({
            "name": "液氯库", "kind": "storage", "exposed_people": 150, "substances": [{"name": "液氯", "quantity_t": 60.0}]}))).await;
        assert_eq!((s, v["grade"].as_i64()), (StatusCode::CREATED, Some(2)), "{v}");
        let (s, _) = e.call(Method::POST, &format!("/api/v1/enterprises/{ent}/risk-points"), &city, Some(serde_json::json!({
            "name": "液氯装卸", "location": "装卸台", "method": "ls", "factors": {"l": 4, "s": 5},
            "measures": ["双人操作"], "responsible": "王工"}))).await;
        assert_eq!(s, StatusCode::CREATED);

        let t = e.login(&head.username).await;
        let (s, p) = e.call(Method::GET, &format!("/api/v1/enterprises/{ent}/profile"), &t, None).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        let score = p["score"].as_f64().unwrap();
        let deducted: f64 = p["deductions"].as_array().unwrap().iter().map(|d| d["points"].as_f64().unwrap()).sum();
        assert!((0.0..=100.0).contains(&score));
        assert!((100.0 - deducted - score).abs() < 0.2 || score == 0.0, "{p}");
        let keys: Vec<&str> = p["deductions"].as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
        assert!(keys.contains(&"high_grade_sources") && keys.contains(&"red_risk_points"), "{p}");
        assert!(p["deductions"].as_array().unwrap().iter().all(|d| !d["reason"].as_str().unwrap().is_empty()));
        assert_eq!(p["facts"]["major_hazard_sources"], 1);
        assert_eq!(p["facts"]["highest_source_grade"], 2);
        assert_eq!(p["facts"]["risk_points"][0], 1);
        let want = if score >= 85.0 { "A" } else if score >= 75.0 { "B" } else if score >= 60.0 { "C" } else { "D" };
        assert_eq!(p["grade"], want);
        let found: i64 = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM hazards WHERE enterprise_id = $1 AND state <> 'dismissed' AND reported_at >= $2")
                .bind(&ent).bind(anjian_store::now_ms() - 365 * 86_400_000).fetch_one(&mut *c).await.unwrap()
        };
        assert_eq!(p["facts"]["hazards_found"].as_i64().unwrap(), found);
        // Another enterprise cannot read it.
        let other = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead && u.enterprise_ids[0] != ent).unwrap();
        let ot = e.login(&other.username).await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/enterprises/{ent}/profile"), &ot, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        e.t.cleanup().await;
    }
}
