//! A hazard's whole life across roles: dispatch, rectification, extension,
//! acceptance with photos, rejection, dispute, major-hazard governance,
//! downgrade approval, and the scheduler's reminders and escalation.
//!
//! Uses the platform's real taxonomy, classifier and determination rules.

use anjian_store::both_backends;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::Env;

impl Env {
    async fn photo(&self, token: &str, n: u8) -> String {
        // A distinct tiny JPEG-signature blob per call (content decides the hash).
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, n];
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let req = Request::post("/api/v1/attachments")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(jpeg))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        v["sha256"].as_str().unwrap().into()
    }

    /// Enterprise 1 (which has demo accounts) and the officer of its grid.
    fn ent1(&self) -> (String, String) {
        let e = &self.city.enterprises[0];
        (e.id.clone(), e.region_code.clone())
    }

    async fn act(&self, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), token, Some(body)).await
    }
}

both_backends! {
    async fn a_general_hazard_from_report_to_close_out_across_two_roles(b: Backend) {
        let e = Env::new(b).await;
        let (ent, grid) = e.ent1();
        let district = e.login("district01").await;
        let head = e.login("ent0001-head").await;
        let (s, h) = e.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "enforcement_check", "description": "仓库灭火器压力不足已过期", "enterprise_id": ent}))).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        // Classified with confidence and placed at an enterprise: dispatched at once.
        assert!(h["taxonomy_item"].as_str().unwrap().starts_with("FIRE-01"), "{h}");
        assert_eq!(h["state"], "pending");
        assert_eq!(h["region_code"], grid.as_str());
        assert!(h["deadline"].as_str().unwrap().ends_with("+08:00"));
        let id = h["id"].as_str().unwrap().to_string();
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", &head, None).await;
        assert!(inbox.as_array().unwrap().iter().any(|n| n["kind"] == "dispatch"), "head told: {inbox}");

        // The enterprise works on it and asks for more time; the officer approves.
        let (s, v) = e.act(&head, &id, json!({"action": "start"})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("rectifying")));
        let (s, v) = e.act(&head, &id, json!({"action": "request_extension", "until": "2099-12-31", "note": "等待配件"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["extension_requested_until"].is_string());
        let (s, _) = e.act(&head, &id, json!({"action": "approve_extension"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "an enterprise cannot approve its own extension");
        let (s, v) = e.act(&district, &id, json!({"action": "approve_extension"})).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["deadline"].as_str().unwrap().starts_with("2099-12-31"));

        // Close-out needs photos; a failed re-check sends it back.
        let (s, v) = e.act(&head, &id, json!({"action": "submit"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "attachments");
        let p1 = e.photo(&head, 1).await;
        let (s, v) = e.act(&head, &id, json!({"action": "submit", "attachments": [p1]})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("awaiting_acceptance")));
        let (s, _) = e.act(&head, &id, json!({"action": "accept", "attachments": [p1]})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "no one accepts their own work");
        let p2 = e.photo(&district, 2).await;
        let (s, v) = e.act(&district, &id, json!({"action": "reject", "note": "仍有两具未更换", "attachments": [p2]})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("rectifying")));
        let p3 = e.photo(&head, 3).await;
        e.act(&head, &id, json!({"action": "submit", "attachments": [p3]})).await;
        let (s, v) = e.act(&district, &id, json!({"action": "accept", "attachments": [p2]})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("closed")));
        assert!(v["closed_at"].is_string());

        // Timeline: every step, with actor, states and photo hashes; the audit log has each too.
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), &district, None).await;
        let names: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["report", "dispatch", "start", "request_extension", "approve_extension", "submit", "reject", "submit", "accept"]);
        assert_eq!(tl["events"][5]["attachments"][0], p1.as_str());
        assert_eq!(tl["events"][8]["state_before"], "awaiting_acceptance");
        let admin = e.login("admin").await;
        let (_, audit) = e.call(Method::GET, &format!("/api/v1/audit?entity=hazard&entity_id={id}&per_page=100"), &admin, None).await;
        assert_eq!(audit["total"], 9);
        // The photos can be fetched by those who see the hazard.
        let (s, _) = e.call(Method::GET, &format!("/api/v1/attachments/{p1}"), &district, None).await;
        assert_eq!(s, StatusCode::OK);
        let (_, counts) = e.call(Method::GET, "/api/v1/hazards/counts", &district, None).await;
        assert_eq!((counts["rectified"].as_i64(), counts["rectification_rate"].as_f64()), (Some(1), Some(1.0)));
        // Closed is final.
        let (s, _) = e.act(&district, &id, json!({"action": "reject", "note": "x", "attachments": [p2]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn unclear_reports_wait_for_a_person_and_disputes_return_for_dispatch(b: Backend) {
        let e = Env::new(b).await;
        let (ent, _) = e.ent1();
        let district = e.login("district01").await;
        let head = e.login("ent0001-head").await;
        let (_, h) = e.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "grid_patrol", "description": "这里有个情况需要处理一下", "enterprise_id": ent}))).await;
        assert_eq!((h["state"].as_str(), h["needs_classification"].as_bool()), (Some("reported"), Some(true)), "{h}");
        let id = h["id"].as_str().unwrap().to_string();
        let (_, queue) = e.call(Method::GET, "/api/v1/hazards?needs_classification=true", &district, None).await;
        assert_eq!(queue["total"], 1);
        let (s, v) = e.act(&district, &id, json!({"action": "dispatch"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no dispatch before classification: {v}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/classify"), &district, Some(json!({"taxonomy_item": "nope"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("taxonomy_item")));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/classify"), &district, Some(json!({"taxonomy_item": "ELEC-01-01"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = e.act(&district, &id, json!({"action": "dispatch", "deadline_days": 5})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("pending")));
        let (s, v) = e.act(&head, &id, json!({"action": "dispute"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "note");
        let (s, v) = e.act(&head, &id, json!({"action": "dispute", "note": "该配电箱属于隔壁物业"})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("reported")));
        assert!(v["enterprise_id"].is_null());
        // The head no longer sees it; the officer reassigns to the right unit.
        let (s, _) = e.call(Method::GET, &format!("/api/v1/hazards/{id}"), &head, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let other = e.city.enterprises.iter().find(|x| x.region_code.starts_with("379901") && x.id != ent).unwrap().id.clone();
        let (s, v) = e.act(&district, &id, json!({"action": "dispatch", "enterprise_id": other})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["enterprise_id"], other.as_str());
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn major_hazards_need_a_plan_listing_and_a_timely_recheck(b: Backend) {
        let e = Env::new(b).await;
        let (ent, _) = e.ent1();
        let district = e.login("district01").await;
        let city = e.login("city").await;
        let head = e.login("ent0001-head").await;
        let (_, h) = e.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "expert_check", "description": "施工单位未取得安全生产许可证擅自施工", "enterprise_id": ent, "taxonomy_item": "CONS-07-01"}))).await;
        assert_eq!(h["grade"], "major", "{h}");
        assert!(h["grade_basis"]["article"].as_str().unwrap().starts_with("第四条"), "{h}");
        assert!(h["grade_basis"]["standard"].as_str().unwrap().contains("房屋市政工程"), "{h}");
        let id = h["id"].as_str().unwrap().to_string();
        // Major: the city supervisor is told at once.
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", &city, None).await;
        assert!(inbox.as_array().unwrap().iter().any(|n| n["hazard_id"] == id.as_str()), "{inbox}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/listing"), &city, Some(json!({"level": "city", "note": "市级挂牌督办，30日内完成"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["listing"]["level"], "city");
        let (_, listed) = e.call(Method::GET, "/api/v1/hazards?listed=true", &city, None).await;
        assert_eq!(listed["total"], 1);
        e.act(&head, &id, json!({"action": "start"})).await;
        let photo = e.photo(&head, 9).await;
        let (s, v) = e.act(&head, &id, json!({"action": "submit", "attachments": [photo]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "plan");
        let mut plan = json!({"objective": "消除基坑坍塌风险", "methods": "按专项方案补做支护", "funds": "50万元",
            "responsible": "项目经理张三", "deadline_on": "2026-12-31", "safety_measures": "停止坑边堆载，设警戒区",
            "emergency_plan": "启动坍塌专项应急预案"});
        plan["funds"] = json!(" ");
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/hazards/{id}/plan"), &head, Some(plan.clone())).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("funds")));
        plan["funds"] = json!("50万元");
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/hazards/{id}/plan"), &head, Some(plan)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = e.act(&head, &id, json!({"action": "submit", "attachments": [photo]})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["recheck_due"].is_string());
        assert_eq!(v["recheck_late"], false);
        // Pretend the application was 11 days ago: the re-check is late.
        let mut c = e.app.db.read().await.unwrap();
        sqlx::query("UPDATE hazards SET closeout_applied_at = closeout_applied_at - 950400000 WHERE id = $1").bind(&id).execute(&mut *c).await.unwrap();
        drop(c);
        let (_, late) = e.call(Method::GET, "/api/v1/hazards?recheck_late=true", &city, None).await;
        assert_eq!(late["total"], 1);
        let (s, v) = e.act(&district, &id, json!({"action": "accept", "attachments": [photo]})).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("closed")));
        assert_eq!(v["recheck_late"], true, "done, but after the 10 days");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn lowering_a_major_hazard_needs_a_second_regulator(b: Backend) {
        let e = Env::new(b).await;
        let (ent, _) = e.ent1();
        let district = e.login("district01").await;
        let city = e.login("city").await;
        let (_, h) = e.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "expert_check", "description": "无安全生产许可证施工", "enterprise_id": ent, "taxonomy_item": "CONS-07-01"}))).await;
        let id = h["id"].as_str().unwrap().to_string();
        let url = format!("/api/v1/hazards/{id}/grade");
        let (s, v) = e.call(Method::POST, &url, &district, Some(json!({"grade": "general", "reason": "已临时回填"}))).await;
        assert_eq!((s, v["grade"].as_str()), (StatusCode::OK, Some("major")), "a request, not a change");
        let (s, v) = e.call(Method::POST, &url, &district, Some(json!({"grade": "general", "reason": "再次确认"}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the requester cannot approve: {v}");
        let (s, v) = e.call(Method::POST, &url, &city, Some(json!({"grade": "general", "reason": "复核同意"}))).await;
        assert_eq!((s, v["grade"].as_str()), (StatusCode::OK, Some("general")));
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), &city, None).await;
        let names: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
        assert!(names.ends_with(&["grade_change_request", "grade_change"]), "{names:?}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn the_scheduler_reminds_then_escalates_once_each(b: Backend) {
        let e = Env::new(b).await;
        let (ent, _) = e.ent1();
        let district = e.login("district01").await;
        let head = e.login("ent0001-head").await;
        let (_, h) = e.call(Method::POST, "/api/v1/hazards", &district, Some(json!({
            "channel": "enforcement_check", "description": "喷淋系统阀门被关闭", "enterprise_id": ent, "taxonomy_item": "FIRE-01-03"}))).await;
        let id = h["id"].as_str().unwrap().to_string();
        assert_eq!(h["state"], "pending", "{h}");
        let now = anjian_store::now_ms();
        // Nothing is due yet.
        let r = anjian_app::scheduler::run_due(&e.app, now, 100).await.unwrap();
        assert_eq!(r.done, 0);
        // 13 days later the 72-hour reminder (the item's deadline is 15 days out) is due.
        let r = anjian_app::scheduler::run_due(&e.app, now + 13 * 86_400_000, 100).await.unwrap();
        assert_eq!(r, anjian_app::scheduler::RunReport { done: 1, failed: 0 });
        let (_, inbox) = e.call(Method::GET, "/api/v1/notifications", &head, None).await;
        assert!(inbox.as_array().unwrap().iter().any(|n| n["kind"] == "reminder"), "{inbox}");
        // Move the deadline into the past (as if a week went by) and let the escalation run.
        let mut c = e.app.db.read().await.unwrap();
        sqlx::query("UPDATE hazards SET deadline_ms = $2 WHERE id = $1").bind(&id).bind(now - 1000).execute(&mut *c).await.unwrap();
        let key_deadline: i64 = sqlx::query_scalar("SELECT deadline_ms FROM hazards WHERE id = $1").bind(&id).fetch_one(&mut *c).await.unwrap();
        sqlx::query("UPDATE jobs SET payload = $1, run_at = $2 WHERE kind = 'hazard_escalation'")
            .bind(json!({"hazard_id": id, "deadline_ms": key_deadline}).to_string())
            .bind(now - 500)
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        let r = anjian_app::scheduler::run_due(&e.app, now, 100).await.unwrap();
        assert_eq!(r.done, 1);
        let (_, v) = e.call(Method::GET, &format!("/api/v1/hazards/{id}"), &district, None).await;
        assert_eq!((v["escalation_level"].as_i64(), v["overdue"].as_bool()), (Some(1), Some(true)));
        let (_, overdue) = e.call(Method::GET, "/api/v1/hazards?overdue=true", &district, None).await;
        assert_eq!(overdue["total"], 1);
        // Running again at the same time sends nothing twice.
        let r = anjian_app::scheduler::run_due(&e.app, now, 100).await.unwrap();
        assert_eq!(r.done, 0);
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), &district, None).await;
        let escalations = tl["events"].as_array().unwrap().iter().filter(|x| x["event"] == "escalate").count();
        assert_eq!(escalations, 1);
        // The next escalation step is queued for three days later.
        let r = anjian_app::scheduler::run_due(&e.app, now + 3 * 86_400_000 + 1000, 100).await.unwrap();
        assert_eq!(r.done, 1);
        let (_, v) = e.call(Method::GET, &format!("/api/v1/hazards/{id}"), &district, None).await;
        assert_eq!(v["escalation_level"], 2);
        e.t.cleanup().await;
    }
}
