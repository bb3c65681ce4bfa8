//! Leader on duty, attendance and training through the API on both
//! backends (I4): check-ins by account and by face terminal, certified
//! special operations, on-duty rates, training sign-ins on the ledger.

use crate::common::Env;
use anjian_domain::role::Role;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::json;

both_backends! {
    async fn check_ins_count_towards_duty_rates_and_uncertified_operations_alert(b: Backend) {
        let e = Env::new(b).await;
        let mine = e.city.enterprises.iter().find(|x| x.industry == "mining").expect("a mine").clone();
        let head_name = e.enterprise_user(&mine.id, Role::EnterpriseHead);
        let head = e.login(&head_name).await;
        let staff: Vec<_> = e.city.people.iter().filter(|p| p.enterprise_id == mine.id).cloned().collect();
        let leader = &staff[0];
        // Two days ago 09:00 and 17:00 (Shanghai), and 03:00 the night after:
        // the day's three shifts (08–16, 16–24, 00–08).
        let now = anjian_store::now_ms();
        let day = anjian_app::time::today_local(now - 2 * 86_400_000);
        let yesterday = anjian_app::time::today_local(now - 86_400_000);
        let at = |hh: &str| if hh == "03" { format!("{yesterday}T03:00:00+08:00") } else { format!("{day}T{hh}:00:00+08:00") };
        let body = |hh: &str, key: &str| json!({"person_id": leader.id, "role": "leader", "method": "face", "match_score": 0.97,
            "at": at(hh), "key": key});
        let (s, k) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head, Some(body("09", "k1"))).await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        assert_eq!((k["day"].as_str(), k["shift"].as_i64()), (Some(day.as_str()), Some(0)), "{k}");
        let (s, again) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head, Some(body("09", "k1"))).await;
        assert_eq!((s, again["id"].as_str()), (StatusCode::OK, k["id"].as_str()), "the same key, the same check-in");
        let (s, _) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head, Some(body("17", "k2"))).await;
        assert_eq!(s, StatusCode::CREATED);
        for (field, bad) in [("role", json!({"person_id": leader.id, "role": "boss", "method": "face"})),
                             ("method", json!({"person_id": leader.id, "role": "leader", "method": "palm"})),
                             ("at", json!({"person_id": leader.id, "role": "leader", "method": "qr", "at": "2020-01-01T00:00:00+08:00"}))] {
            let (s, v) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head, Some(bad)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }

        // A special operation with and without the certificate for it.
        let certified = staff.iter().find(|p| !p.certificates.is_empty());
        if let Some(p) = certified {
            let op = p.certificates[0].kind.trim_start_matches("特种作业操作证（").trim_end_matches('）').to_string();
            let today = anjian_app::time::today_local(now);
            let valid = p.certificates[0].expires_on.as_str() >= today.as_str();
            let (s, k) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head,
                Some(json!({"person_id": p.id, "role": "worker", "method": "qr", "operation": op}))).await;
            assert_eq!((s, k["certified"].as_bool()), (StatusCode::CREATED, Some(valid)), "{k}");
        }
        let uncertified = staff.iter().find(|p| p.certificates.is_empty()).expect("someone without a certificate");
        let (s, k) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/checkins", mine.id), &head,
            Some(json!({"person_id": uncertified.id, "role": "worker", "method": "qr", "operation": "熔化焊接与热切割作业"}))).await;
        assert_eq!((s, k["certified"].as_bool()), (StatusCode::CREATED, Some(false)), "{k}");
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", &head, None).await;
        assert!(inbox.as_array().unwrap().iter().any(|n| n["kind"] == "uncertified"), "{inbox}");
        let city = e.login("city").await;
        let (_, list) = e.call(Method::GET, &format!("/api/v1/attendance/checkins?enterprise_id={}&uncertified=true", mine.id), &city, None).await;
        assert!(list.as_array().unwrap().iter().all(|k| k["certified"] == false) && !list.as_array().unwrap().is_empty(), "{list}");

        // A face terminal posts with its own secret; a bad entry does not drop the good ones.
        let (s, dev) = e.call(Method::POST, "/api/v1/devices", &head, Some(json!({"name": "井口人脸识别仪", "device_type": "face_terminal",
            "enterprise_id": mine.id, "metrics": [{"name": "checkins", "unit": "次"}], "interval_s": 3600}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dev}");
        let stranger = e.city.people.iter().find(|p| p.enterprise_id != mine.id).unwrap();
        let batch = json!({"device_id": dev["id"], "secret": dev["secret"], "checkins": [
            {"person_id": leader.id, "role": "leader", "method": "face", "match_score": 0.95, "at": at("03"), "key": "t1"},
            {"person_id": stranger.id, "role": "worker", "method": "face", "key": "t2"},
            {"person_id": staff[1].id, "role": "worker", "method": "face", "key": "t3"}]});
        let (s, r) = e.call_anon(Method::POST, "/api/v1/attendance/device-checkins", batch.clone()).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!((r["accepted"].as_u64(), r["rejected"][0]["index"].as_u64(), r["rejected"][0]["field"].as_str()), (Some(2), Some(1), Some("person_id")), "{r}");
        let (_, r) = e.call_anon(Method::POST, "/api/v1/attendance/device-checkins", batch.clone()).await;
        assert_eq!(r["duplicates"].as_u64(), Some(2), "{r}");
        let mut wrong = batch.clone();
        wrong["secret"] = json!("ajd_wrong");
        let (s, _) = e.call_anon(Method::POST, "/api/v1/attendance/device-checkins", wrong).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Duty rate: that day's three shifts are covered.
        let month = &day[..7];
        let (s, v) = e.call(Method::GET, &format!("/api/v1/attendance/duty-rates?month={month}"), &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let row = v["enterprises"].as_array().unwrap().iter().find(|r| r["enterprise_id"] == mine.id).unwrap().clone();
        let today = anjian_app::time::today_local(now);
        let days = (1..=31).map(|d| format!("{month}-{d:02}")).filter(|d| d.as_str() < today.as_str() && d.parse::<jiff::civil::Date>().is_ok()).count() as u64;
        assert_eq!((row["required"].as_u64(), row["covered"].as_u64()), (Some(days * 3), Some(3)), "{row}");
        assert!(v["by_industry"]["mining"]["covered"].as_u64().unwrap() >= 3);
        assert!(v["by_industry"].get("trade").is_none(), "trade needs no leader on duty");
        assert_eq!(v["trend"].as_array().unwrap().len(), 6);
        let (s, v) = e.call(Method::GET, "/api/v1/attendance/duty-rates?month=2026-13", &city, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month")));

        // A training and its sign-ins (once per person).
        let (s, t) = e.call(Method::POST, &format!("/api/v1/enterprises/{}/trainings", mine.id), &head, Some(json!({
            "title": "井下透水事故应急演练培训", "hours": 2.0, "starts_at": at("14")}))).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let tid = t["id"].as_str().unwrap();
        for _ in 0..2 {
            let (s, t) = e.call(Method::POST, &format!("/api/v1/trainings/{tid}/signins"), &head, Some(json!({"person_id": staff[1].id, "method": "qr"}))).await;
            assert_eq!((s, t["signins"].as_array().unwrap().len()), (StatusCode::OK, 1), "{t}");
        }
        let (s, v) = e.call(Method::POST, &format!("/api/v1/trainings/{tid}/signins"), &head, Some(json!({"person_id": stranger.id, "method": "qr"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("person_id")));
        anjian_app::ledger::sequence_all(&e.app).await.unwrap();
        let (_, entries) = e.call(Method::GET, &format!("/api/v1/ledger/subjects/{tid}"), &head, None).await;
        let signins = entries.as_array().unwrap().iter().filter(|x| x["record"]["type"] == "training.signin").count();
        assert_eq!(signins, 1, "{entries}");
        let (_, entries) = e.call(Method::GET, &format!("/api/v1/ledger/subjects/{}", k["id"].as_str().unwrap()), &head, None).await;
        assert_eq!(entries[0]["record"]["type"], "attendance.checkin", "{entries}");
        assert!(!entries.to_string().contains(&uncertified.name), "no names in clear on the ledger");
        e.t.cleanup().await;
    }
}
