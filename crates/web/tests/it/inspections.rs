//! Inspections through the API on both backends (I1–I2): shipped templates,
//! a self-inspection whose failing item becomes a hazard in the same
//! transaction (idempotent), an enforcement draft filled then submitted, a
//! JGJ 59 inspection of a project scored by the standard, and the
//! self-inspection discipline (late, missing, suspicious) with reviews.

use crate::common::Env;
use anjian_domain::role::Role;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// The newest template of a code.
async fn template(e: &Env, token: &str, code: &str) -> Value {
    let (s, v) = e.call(Method::GET, "/api/v1/inspection-templates", token, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["items"].as_array().unwrap().iter().find(|t| t["code"] == code).unwrap_or_else(|| panic!("{code}: {v}"))
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, t) = e.call(Method::GET, &format!("/api/v1/inspection-templates/{id}"), token, None).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t
}

fn items(t: &Value) -> Vec<Value> {
    t["sections"].as_array().unwrap().iter().flat_map(|s| s["items"].as_array().unwrap().clone()).collect()
}

/// Every item passed, except `fail` (item index → (problem index, photos)).
fn answers(t: &Value, fail: &[(usize, usize, Vec<String>)]) -> Vec<Value> {
    items(t)
        .iter()
        .enumerate()
        .map(|(k, it)| match fail.iter().find(|(i, ..)| *i == k) {
            Some((_, p, photos)) => json!({"item_code": it["code"], "outcome": "fail",
                "problem_code": it["problems"][*p]["code"], "note": "现场发现", "attachments": photos}),
            None => json!({"item_code": it["code"], "outcome": "pass"}),
        })
        .collect()
}

fn industry_enterprise<'a>(e: &'a Env, industry: &str) -> &'a anjian_demo::Enterprise {
    e.city.enterprises.iter().find(|x| x.industry == industry).unwrap_or_else(|| panic!("a {industry} enterprise"))
}

both_backends! {
    async fn a_self_inspection_turns_its_failing_item_into_a_hazard_once(b: Backend) {
        let e = Env::new(b).await;
        let ent = industry_enterprise(&e, "manufacturing").clone();
        let head = e.login(&e.enterprise_user(&ent.id, Role::EnterpriseHead)).await;
        let (s, v) = e.call(Method::GET, "/api/v1/inspection-templates", &head, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["items"].as_array().unwrap().len() >= 9, "{v}");
        let (_, v) = e.call(Method::GET, "/api/v1/inspection-templates?kind=self&industry=manufacturing", &head, None).await;
        assert!(v["items"].as_array().unwrap().iter().all(|t| t["kind"] == "self"), "{v}");
        let t = template(&e, &head, "SELF-MANU").await;
        let all = items(&t);
        // A failing item that needs a photo, if the template has one.
        let k = all.iter().position(|i| i["photo_required"] == true).unwrap_or(0);
        let problem = &all[k]["problems"][0];
        let body = |photos: Vec<String>| json!({"template_id": t["id"], "enterprise_id": ent.id, "submit": true,
            "lat": ent.lat, "lng": ent.lon, "results": answers(&t, &[(k, 0, photos)])});
        if all[k]["photo_required"] == true {
            let (s, v) = e.call(Method::POST, "/api/v1/inspections", &head, Some(body(vec![]))).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(format!("results[{k}].attachments").as_str())), "{v}");
        }
        // Not every item answered.
        let mut partial = body(vec![]);
        partial["results"] = json!([{"item_code": all[0]["code"], "outcome": "pass"}]);
        let (s, v) = e.call(Method::POST, "/api/v1/inspections", &head, Some(partial)).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("results")), "{v}");

        let photo = e.upload_png(&head, 1).await;
        let (s, v) = e.call_key(Method::POST, "/api/v1/inspections", &head, body(vec![photo.clone()]), "self-1").await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!((v["state"].as_str(), v["kind"].as_str(), v["failed"].as_i64()), (Some("submitted"), Some("self"), Some(1)), "{v}");
        assert_eq!(v["items"].as_i64(), Some(all.len() as i64));
        assert!(v["number"].as_str().unwrap().starts_with("ZC"), "{v}");
        let hazards = v["hazards"].as_array().unwrap().clone();
        assert_eq!(hazards.len(), 1, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        // The retry of an offline client: the same inspection, no second hazard.
        let (s, again) = e.call_key(Method::POST, "/api/v1/inspections", &head, body(vec![photo.clone()]), "self-1").await;
        assert_eq!((s, again["id"].as_str()), (StatusCode::OK, Some(id.as_str())), "{again}");
        let (_, list) = e.call(Method::GET, &format!("/api/v1/hazards?enterprise_id={}&channel=enterprise_self_check", ent.id), &head, None).await;
        assert_eq!(list["total"], 1, "{list}");

        // The hazard carries the checklist's item, grade and deadline.
        let (s, h) = e.call(Method::GET, &format!("/api/v1/hazards/{}", hazards[0].as_str().unwrap()), &head, None).await;
        assert_eq!(s, StatusCode::OK, "{h}");
        assert_eq!(h["channel"], "enterprise_self_check");
        assert_eq!(h["taxonomy_item"], problem["taxonomy_item"], "{h}");
        assert!(h["description"].as_str().unwrap().contains(problem["text"].as_str().unwrap()), "{h}");
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{}/timeline", hazards[0].as_str().unwrap()), &head, None).await;
        let report = &tl["events"][0];
        assert_eq!(report["attachments"][0].as_str(), Some(photo.as_str()), "{tl}");
        if problem["grade"] == "general" {
            let days = problem["deadline_days"].as_i64().unwrap();
            let left = (h["deadline_ms"].as_i64().unwrap() - anjian_store::now_ms()) as f64 / 86_400_000.0;
            assert!((left - days as f64).abs() < 0.1, "deadline {days} days: {h}");
        }

        // Detail, list, audit and the evidence ledger.
        let (s, d) = e.call(Method::GET, &format!("/api/v1/inspections/{id}"), &head, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(d["results"].as_array().unwrap().len(), all.len());
        assert_eq!(d["results"].as_array().unwrap().iter().filter(|r| r["hazard_id"].is_string()).count(), 1);
        let (_, l) = e.call(Method::GET, &format!("/api/v1/inspections?enterprise_id={}", ent.id), &head, None).await;
        assert_eq!(l["total"], 1, "{l}");
        let admin = e.login("admin").await;
        let (_, a) = e.call(Method::GET, &format!("/api/v1/audit?entity=inspection&entity_id={id}"), &admin, None).await;
        let actions: Vec<&str> = a["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"create") && actions.contains(&"submit"), "{a}");
        anjian_app::ledger::sequence_all(&e.app).await.unwrap();
        let (s, entries) = e.call(Method::GET, &format!("/api/v1/ledger/subjects/{id}"), &admin, None).await;
        assert_eq!(s, StatusCode::OK, "{entries}");
        let kinds: Vec<String> = entries.as_array().unwrap().iter().map(|x| x["record"]["type"].as_str().unwrap_or_default().to_string()).collect();
        assert!(kinds.contains(&"inspection.created".into()) && kinds.contains(&"inspection.submitted".into()), "{entries}");

        // A submitted inspection is final.
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/inspections/{id}"), &head, Some(json!({"results": []}))).await;
        assert_eq!((s, v["error"]["field"].as_str(), v["error"]["message"].as_str()), (StatusCode::CONFLICT, Some("state"), Some("检查已提交，不能再修改")));
        // Enterprise accounts only do self-inspections; others' enterprises are not found.
        let enf = template(&e, &head, "ENF-GENERAL").await;
        let (s, v) = e.call(Method::POST, "/api/v1/inspections", &head, Some(json!({"template_id": enf["id"], "enterprise_id": ent.id, "kind": "enforcement"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")), "{v}");
        let other = e.city.enterprises.iter().find(|x| x.id != ent.id && x.industry == "manufacturing").unwrap();
        let (s, _) = e.call(Method::POST, "/api/v1/inspections", &head, Some(json!({"template_id": t["id"], "enterprise_id": other.id}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = e.call(Method::POST, "/api/v1/inspections", &head, Some(json!({"template_id": "nope", "enterprise_id": ent.id}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("template_id")));
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn an_enforcement_draft_is_filled_then_submitted_and_jgj59_is_scored(b: Backend) {
        let e = Env::new(b).await;
        let district = e.login("district01").await;
        let ent = e.city.enterprises.iter().find(|x| x.region_code.starts_with("379901") && x.industry == "trade").unwrap().clone();
        let t = template(&e, &district, "ENF-GENERAL").await;
        let all = items(&t);
        let (s, d) = e.call(Method::POST, "/api/v1/inspections", &district, Some(json!({"template_id": t["id"], "enterprise_id": ent.id,
            "results": [{"item_code": all[0]["code"], "outcome": "pass"}]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        assert_eq!((d["state"].as_str(), d["kind"].as_str()), (Some("draft"), Some("enforcement")));
        assert_eq!(d["unanswered"].as_array().unwrap().len(), all.len() - 1);
        let id = d["id"].as_str().unwrap().to_string();
        // Submitting an incomplete draft is refused; the draft stays.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/inspections/{id}/submit"), &district, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("results")), "{v}");
        let photo = e.upload_png(&district, 2).await;
        let fails: Vec<(usize, usize, Vec<String>)> = vec![(1, 0, vec![photo.clone()]), (2, 0, vec![photo.clone()])];
        let (s, d) = e.call(Method::PUT, &format!("/api/v1/inspections/{id}"), &district, Some(json!({"results": answers(&t, &fails)}))).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert!(d["unanswered"].as_array().unwrap().is_empty());
        assert!(d["hazards"].as_array().unwrap().is_empty(), "drafts open no hazards");
        // Another district's officer cannot touch it.
        let other = e.login("district02").await;
        let (s, _) = e.call(Method::POST, &format!("/api/v1/inspections/{id}/submit"), &other, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, d) = e.call(Method::POST, &format!("/api/v1/inspections/{id}/submit"), &district, None).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!((d["state"].as_str(), d["failed"].as_i64()), (Some("submitted"), Some(2)));
        assert_eq!(d["hazards"].as_array().unwrap().len(), 2);
        let (_, h) = e.call(Method::GET, &format!("/api/v1/hazards/{}", d["hazards"][0].as_str().unwrap()), &district, None).await;
        assert_eq!(h["channel"], "enforcement_check", "{h}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/inspections/{id}/submit"), &district, None).await;
        assert_eq!((s, v["error"]["message"].as_str()), (StatusCode::CONFLICT, Some("检查已提交，不能重复提交")));

        // JGJ 59 of a project: one tower crane table with a guarantee item at 0 → 不合格.
        let project = e.city.projects.iter().find(|p| p.region_code.starts_with("379901")).unwrap().clone();
        let j = template(&e, &district, "JGJ59").await;
        let sections = j["sections"].as_array().unwrap();
        let pick = |name: &str| sections.iter().find(|s| s["jgj59_table"] == name).unwrap().clone();
        let (mgmt, crane) = (pick("安全管理"), pick("塔式起重机"));
        let mut results = Vec::new();
        for it in mgmt["items"].as_array().unwrap() {
            results.push(json!({"item_code": it["code"], "outcome": "pass"}));
        }
        let crane_items = crane["items"].as_array().unwrap();
        let guarantee = crane_items.iter().position(|i| i["guarantee"] == true).unwrap();
        for (k, it) in crane_items.iter().enumerate() {
            if k == guarantee {
                results.push(json!({"item_code": it["code"], "outcome": "fail", "problem_code": it["problems"][0]["code"],
                    "deduction": it["points"], "attachments": [photo]}));
            } else {
                results.push(json!({"item_code": it["code"], "outcome": "pass"}));
            }
        }
        let (s, d) = e.call(Method::POST, "/api/v1/inspections", &district, Some(json!({"template_id": j["id"], "project_id": project.id,
            "submit": true, "results": results}))).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        assert_eq!(d["grade"], "不合格", "{d}");
        assert_eq!(d["project_id"].as_str(), Some(project.id.as_str()));
        let tables = d["jgj59"]["tables"].as_array().unwrap();
        assert_eq!(tables.len(), 2);
        assert_eq!((tables[0]["score"].as_f64(), tables[1]["zeroed"].as_bool()), (Some(100.0), Some(true)), "{d}");
        // Kinds present: 安全管理 (10) at 100, 塔式起重机与起重吊装 (10) at 0 → 50 of the 20 weight present.
        assert_eq!(d["score"].as_f64(), Some(50.0), "{d}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn discipline_flags_late_missing_and_always_passed_self_inspections(b: Backend) {
        let e = Env::new(b).await;
        let now = anjian_store::now_ms();
        let this_month = anjian_app::time::month_of(now);
        let two_ago = anjian_app::time::add_months(&this_month, -2);
        // Enterprises with a head's account (the ones that file), and one without.
        let has_head = |id: &str| e.city.users.iter().any(|u| u.role == Role::EnterpriseHead && u.enterprise_ids.iter().any(|x| x == id));
        let ents: Vec<_> = e.city.enterprises.iter().filter(|x| has_head(&x.id)).take(3).cloned().collect();
        assert_eq!(ents.len(), 3, "three enterprises with accounts in the small city");
        let (on_time, late, clean) = (&ents[0], &ents[1], &ents[2]);
        let missing = e.city.enterprises.iter().find(|x| !has_head(&x.id)).unwrap().clone();
        let missing = &missing;
        let self_code = |industry: &str| match industry {
            "construction" => "SELF-CONS",
            "hazardous_chemicals" => "SELF-HAZC",
            "mining" => "SELF-MINE",
            "manufacturing" => "SELF-MANU",
            _ => "SELF-TRADE",
        };
        let file = |ent: &anjian_demo::Enterprise, period: String| {
            let e = &e;
            let ent = ent.clone();
            async move {
                let head = e.login(&e.enterprise_user(&ent.id, Role::EnterpriseHead)).await;
                let t = template(e, &head, self_code(&ent.industry)).await;
                let (s, v) = e.call(Method::POST, "/api/v1/inspections", &head, Some(json!({"template_id": t["id"], "enterprise_id": ent.id,
                    "period": period, "submit": true, "results": answers(&t, &[])}))).await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
            }
        };
        file(on_time, this_month.clone()).await;
        file(late, two_ago.clone()).await;
        for k in 0..6 {
            file(clean, anjian_app::time::add_months(&this_month, -k)).await;
        }
        // Regulators found three hazards at the "always passed" enterprise meanwhile
        // (discipline.json: at least three), and two at the one filing on time.
        let city = e.login("city").await;
        for (ent, n) in [(clean, 3), (on_time, 2)] {
            for k in 0..n {
                let (s, h) = e.call(Method::POST, "/api/v1/hazards", &city, Some(json!({"channel": "enforcement_check",
                    "description": format!("灭火器过期未更换（{k}号库房）"), "enterprise_id": ent.id}))).await;
                assert_eq!(s, StatusCode::CREATED, "{h}");
            }
        }
        let (s, future) = e.call(Method::POST, "/api/v1/inspections", &e.login(&e.enterprise_user(&on_time.id, Role::EnterpriseHead)).await,
            Some(json!({"template_id": "x", "enterprise_id": on_time.id, "period": anjian_app::time::add_months(&this_month, 1)}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{future}");

        let row = |v: &Value, id: &str| v["enterprises"].as_array().unwrap().iter().find(|r| r["enterprise_id"] == id).unwrap().clone();
        let (s, v) = e.call(Method::GET, &format!("/api/v1/discipline/self-inspections?month={this_month}"), &city, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(row(&v, &on_time.id)["status"], "on_time");
        assert_eq!(row(&v, &missing.id)["status"], "pending", "not due yet this month");
        let c = row(&v, &clean.id);
        assert_eq!((c["suspicious"].as_bool(), c["found_by_others"].as_u64()), (Some(true), Some(3)), "{c}");
        assert!(c["penalties"].as_array().unwrap().iter().any(|p| p["when"] == "suspicious"), "{c}");
        let o = row(&v, &on_time.id);
        assert!(!o["suspicious"].as_bool().unwrap() && o["found_by_others"] == 2, "one clean month is no pattern: {o}");

        let (_, v) = e.call(Method::GET, &format!("/api/v1/discipline/self-inspections?month={two_ago}"), &city, None).await;
        let l = row(&v, &late.id);
        assert_eq!(l["status"], "late", "{l}");
        assert!(l["days_late"].as_i64().unwrap() >= 1, "{l}");
        assert!(l["penalties"][0]["code"].as_str().unwrap().starts_with("LATE"), "{l}");
        let m = row(&v, &missing.id);
        assert_eq!((m["status"].as_str(), m["flags"][0].as_str()), (Some("missing"), Some("missing")), "{m}");
        assert!(m["days_late"].as_i64().unwrap() >= 20, "{m}");
        let sum = &v["summary"];
        assert_eq!(sum["required"].as_u64().unwrap(), sum["on_time"].as_u64().unwrap() + sum["late"].as_u64().unwrap() + sum["missing"].as_u64().unwrap() + sum["pending"].as_u64().unwrap());
        assert!(sum["completion_rate"].as_f64().unwrap() > 0.0);
        let (_, only) = e.call(Method::GET, &format!("/api/v1/discipline/self-inspections?month={two_ago}&flag=late"), &city, None).await;
        assert!(only["enterprises"].as_array().unwrap().iter().all(|r| r["flags"].as_array().unwrap().contains(&json!("late"))), "{only}");

        // A review with the penalty rule that applies; once per flag.
        let review = json!({"enterprise_id": missing.id, "period": two_ago, "flag": "missing", "decision": "penalised", "penalty_code": "MISSING", "note": "约谈企业负责人"});
        let (s, r) = e.call(Method::POST, "/api/v1/discipline/reviews", &city, Some(review.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, _) = e.call(Method::POST, "/api/v1/discipline/reviews", &city, Some(review.clone())).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let mut bad = review.clone();
        bad["flag"] = json!("late");
        bad["penalty_code"] = json!("MISSING");
        let (s, v) = e.call(Method::POST, "/api/v1/discipline/reviews", &city, Some(bad)).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("penalty_code")));
        let (_, v) = e.call(Method::GET, &format!("/api/v1/discipline/self-inspections?month={two_ago}"), &city, None).await;
        assert_eq!(row(&v, &missing.id)["reviews"][0]["decision"], "penalised");
        let head = e.login(&e.enterprise_user(&on_time.id, Role::EnterpriseHead)).await;
        let (s, _) = e.call(Method::POST, "/api/v1/discipline/reviews", &head, Some(review)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // A quarterly schedule: nothing due in the quarter's first month.
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/enterprises/{}/inspection-schedule", missing.id), &city,
            Some(json!({"period": "quarterly", "due_day": 10}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = e.call(Method::GET, &format!("/api/v1/enterprises/{}/inspection-schedule", missing.id), &city, None).await;
        assert_eq!((v["period"].as_str(), v["default"].as_bool()), (Some("quarterly"), Some(false)));
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/enterprises/{}/inspection-schedule", missing.id), &city,
            Some(json!({"period": "weekly", "due_day": 10}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("period")));
        e.t.cleanup().await;
    }
}
