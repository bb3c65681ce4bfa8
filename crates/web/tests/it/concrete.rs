//! Concrete traceability through the API (issue 8 point 4), on SQLite and
//! PostgreSQL: plant → mix → batch → ticket → QR sign-off by an authorised
//! receiver (others 403) → late-delivery warnings → specimens → GB/T 50107
//! acceptance, pass and fail → the failed lot's quality hazard; every step
//! on the evidence ledger with a valid inclusion proof; the public ticket
//! (JSON, page, QR code) and the page's own verification in headless
//! Chromium; bad input named by field.

use crate::common::Env;
use anjian_ledger::{Checkpoint, NoteVerifier, canonical_json, check_record, leaf_hash};
use anjian_store::both_backends;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use tower::ServiceExt;

const MIN: i64 = 60_000;

/// RFC 3339 (+08:00, whole seconds) of epoch ms.
fn at(ms: i64) -> String {
    anjian_app::time::fmt_local(ms)
}

/// Now, rounded down to the second (the times above carry no milliseconds).
fn now_s() -> i64 {
    anjian_store::now_ms() / 1000 * 1000
}

/// The parties of one project of the demo city, a plant and its mix design.
struct Site {
    admin: String,
    plant_head: String,
    plant_staff: String,
    /// An account of the contractor, authorised to sign concrete off.
    receiver: String,
    receiver_id: String,
    receiver_name: String,
    /// Another account of the contractor, not authorised.
    other: String,
    /// The contractor's head (grants receivers, accepts lots).
    site_head: String,
    project_id: String,
    project_region: String,
    contractor_id: String,
    plant_id: String,
    mix_id: String,
}

async fn add_user(e: &Env, admin: &str, username: &str, role: &str, ent: &str) -> String {
    let body = json!({"username": username, "display_name": format!("{username}·张建国"), "role": role,
        "enterprise_ids": [ent], "password": anjian_demo::DEMO_PASSWORD});
    let (s, v) = e.call(Method::POST, "/api/v1/users", admin, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn mix_body(code: &str, grade: &str) -> Value {
    json!({"code": code, "grade": grade, "marks": "P6", "slump_mm": 180, "slump_tolerance_mm": 30, "materials": [
        {"kind": "cement", "name": "P·O 42.5 普通硅酸盐水泥", "kg_per_m3": 300},
        {"kind": "mineral", "name": "Ⅱ级粉煤灰", "kg_per_m3": 80},
        {"kind": "water", "name": "自来水", "kg_per_m3": 171},
        {"kind": "sand", "name": "中砂", "kg_per_m3": 760},
        {"kind": "stone", "name": "5-25 mm 碎石", "kg_per_m3": 1060},
        {"kind": "admixture", "name": "聚羧酸高性能减水剂", "kg_per_m3": 7.6}]})
}

impl Site {
    async fn new(e: &Env) -> Site {
        let admin = e.login("admin").await;
        let project = e.city.projects.iter().find(|p| matches!(p.status.as_str(), "active" | "planned")).unwrap();
        let plant_ent = "ent-00004"; // a manufacturer with demo accounts
        assert_ne!(project.contractor_id, plant_ent);
        let receiver_id = add_user(e, &admin, "site-rcv", "enterprise-staff", &project.contractor_id).await;
        add_user(e, &admin, "site-other", "enterprise-staff", &project.contractor_id).await;
        add_user(e, &admin, "site-head", "enterprise-head", &project.contractor_id).await;
        let plant_head = e.login("ent0004-head").await;
        let plant_staff = e.login("ent0004-staff").await;
        let (s, p) = e
            .call(
                Method::POST,
                "/api/v1/concrete/plants",
                &plant_head,
                Some(json!({
                "enterprise_id": plant_ent, "name": "鑫达商品混凝土搅拌站", "address": "安澜市工业路88号",
                "lng": 118.05, "lat": 36.75, "licence_no": "D337000123"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let plant_id = p["id"].as_str().unwrap().to_string();
        let (s, m) = e
            .call(
                Method::POST,
                &format!("/api/v1/concrete/plants/{plant_id}/mixes"),
                &plant_staff,
                Some(mix_body("XD-C30-01", "C30")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        assert_eq!(
            (m["grade"].as_str(), m["water_binder"].as_f64(), m["retarding"].as_bool()),
            (Some("C30"), Some(0.45), Some(false))
        );
        Site {
            admin,
            plant_head,
            plant_staff,
            receiver: e.login("site-rcv").await,
            receiver_id,
            receiver_name: "site-rcv·张建国".into(),
            other: e.login("site-other").await,
            site_head: e.login("site-head").await,
            project_id: project.id.clone(),
            project_region: project.region_code.clone(),
            contractor_id: project.contractor_id.clone(),
            plant_id,
            mix_id: m["id"].as_str().unwrap().to_string(),
        }
    }

    async fn batch(&self, e: &Env, location: &str) -> String {
        let (s, b) = e
            .call(
                Method::POST,
                "/api/v1/concrete/batches",
                &self.plant_staff,
                Some(json!({
                "plant_id": self.plant_id, "mix_id": self.mix_id, "project_id": self.project_id,
                "pour_location": location, "planned_m3": 36.0, "produced_on": "2026-11-20"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_str().unwrap().to_string()
    }

    /// Issues a ticket mixed and departed at these times.
    async fn ticket(&self, e: &Env, batch: &str, number: &str, mixed_at: i64, departed_at: i64, temp: f64) -> Value {
        let (s, t) = e
            .call(
                Method::POST,
                &format!("/api/v1/concrete/batches/{batch}/tickets"),
                &self.plant_staff,
                Some(json!({
                "number": number, "truck": "鲁A·D1234", "volume_m3": 12.0, "slump_mm": 185, "temperature_c": temp,
                "mixed_at": at(mixed_at), "departed_at": at(departed_at)})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        t
    }

    async fn grant(&self, e: &Env) {
        let (s, v) = e
            .call(
                Method::POST,
                &format!("/api/v1/projects/{}/concrete-receivers", self.project_id),
                &self.site_head,
                Some(json!({"user_id": self.receiver_id})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    async fn specimen(&self, e: &Env, batch: &str, code: &str, ticket: Option<&str>, cubes: [f64; 3]) -> String {
        let (s, v) = e
            .call(
                Method::POST,
                &format!("/api/v1/concrete/batches/{batch}/specimens"),
                &self.receiver,
                Some(json!({"code": code, "ticket_id": ticket})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let (s, v) = e
            .call(
                Method::PUT,
                &format!("/api/v1/concrete/specimens/{id}/result"),
                &self.receiver,
                Some(json!({"strengths_mpa": cubes, "report_no": format!("JC-{code}")})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        id
    }
}

async fn scalar(e: &Env, sql: &str) -> i64 {
    let mut c = e.app.db.read().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut *c).await.unwrap()
}

/// Checks a public ticket's ledger like an outsider would: the checkpoint's
/// signature with the published key, each record's leaf hash, its content
/// hash and its inclusion proof against the signed root.
async fn check_public_ledger(e: &Env, t: &Value) -> Vec<String> {
    let (_, _, vkey) = get_raw(e, "/api/v1/ledger/key").await;
    let vkey = vkey.trim().to_string();
    assert_eq!(t["ledger"]["vkey"], vkey.as_str());
    let verifier = NoteVerifier::from_vkey(&vkey).unwrap();
    let note = t["ledger"]["checkpoint"].as_str().unwrap();
    let opened = anjian_ledger::open_note(note, std::slice::from_ref(&verifier)).expect("checkpoint signature");
    let cp = Checkpoint::parse(&opened.text).unwrap();
    assert_eq!(cp.size, t["ledger"]["size"].as_u64().unwrap());
    let mut kinds = Vec::new();
    for entry in t["ledger"]["entries"].as_array().unwrap() {
        assert_eq!(entry["verified"], true, "{entry}");
        let record = entry["record"].as_str().unwrap();
        let leaf = leaf_hash(record.as_bytes());
        assert_eq!(B64.encode(leaf), entry["leaf_hash"].as_str().unwrap());
        let r: Value = serde_json::from_str(record).unwrap();
        let content = canonical_json(&entry["content"]).unwrap();
        assert_eq!(
            r["content"].as_str().unwrap(),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content.as_bytes()))
        );
        let proof: Vec<[u8; 32]> = entry["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect();
        check_record(&proof, cp.size, &cp.root, entry["index"].as_u64().unwrap(), &leaf).expect("inclusion proof");
        kinds.push(entry["kind"].as_str().unwrap().to_string());
    }
    kinds
}

both_backends! {
    async fn concrete_chain_from_plant_to_a_failed_lot_is_on_the_ledger(b: Backend) {
        let e = Env::new(b).await;
        let site = Site::new(&e).await;
        let batch_a = site.batch(&e, "1号楼 三层 梁板").await;
        let batch_b = site.batch(&e, "1号楼 四层 梁板").await;
        let now = now_s();
        // Ticket 1 is late: mixed 100 min and departed 95 min before it arrives (limits 90 / 90 at 20 °C).
        let t1 = site.ticket(&e, &batch_a, "XD20261120-001", now - 100 * MIN, now - 95 * MIN, 20.0).await;
        let code1 = t1["code"].as_str().unwrap().to_string();
        assert_eq!((t1["status"].as_str(), t1["public_path"].as_str()), (Some("issued"), Some(format!("/c/{code1}").as_str())));
        assert_eq!((t1["grade"].as_str(), t1["pour_location"].as_str()), (Some("C30"), Some("1号楼 三层 梁板")));
        // Ticket 2 on time; ticket 3 exactly at the limits (90 min 0 s), ticket 4 one second over.
        let t2 = site.ticket(&e, &batch_a, "XD20261120-002", now - 30 * MIN, now - 25 * MIN, 20.0).await;
        let t3 = site.ticket(&e, &batch_b, "XD20261120-003", now - 90 * MIN, now - 90 * MIN, 25.0).await;
        let t4 = site.ticket(&e, &batch_b, "XD20261120-004", now - (90 * MIN + 1000), now - 30 * MIN, 25.0).await;

        // Only an authorised receiver of the project signs off: 403 for everyone else.
        for who in [&site.receiver, &site.other, &site.plant_staff, &site.admin, &site.site_head] {
            let (s, v) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code1}/receipt"), who, Some(json!({}))).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        }
        // The plant cannot authorise receivers of someone else's project.
        let (s, _) = e.call(Method::POST, &format!("/api/v1/projects/{}/concrete-receivers", site.project_id), &site.plant_head,
            Some(json!({"user_id": site.receiver_id}))).await;
        assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{s}");
        site.grant(&e).await;
        let (_, list) = e.call(Method::GET, &format!("/api/v1/projects/{}/concrete-receivers", site.project_id), &site.site_head, None).await;
        assert_eq!(list[0]["username"], "site-rcv");
        let (s, _) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code1}/receipt"), &site.other, Some(json!({}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "still not authorised");

        // Late delivery: both limits exceeded, two warnings, the project's people and supervisors told.
        let (s, r1) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code1}/receipt"), &site.receiver,
            Some(json!({"arrived_at": at(now), "site_slump_mm": 175, "site_temperature_c": 20.0}))).await;
        assert_eq!(s, StatusCode::OK, "{r1}");
        assert_eq!((r1["status"].as_str(), r1["site_slump_ok"].as_bool()), (Some("received"), Some(true)));
        assert_eq!(r1["received_by_name"], site.receiver_name.as_str());
        let kinds: Vec<&str> = r1["warnings"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 2, "{r1}");
        assert!(kinds.contains(&"transport") && kinds.contains(&"placing"), "{kinds:?}");
        let transport = r1["warnings"].as_array().unwrap().iter().find(|w| w["kind"] == "transport").unwrap();
        assert_eq!((transport["limit_min"].as_i64(), transport["elapsed_min"].as_f64(), transport["over_min"].as_f64()), (Some(90), Some(95.0), Some(5.0)));
        let told = scalar(&e, "SELECT COUNT(DISTINCT n.user_id) FROM notifications n JOIN users u ON u.id = n.user_id \
            WHERE n.kind = 'concrete_warning' AND u.username IN ('site-rcv', 'site-other', 'site-head')").await;
        assert_eq!(told, 3, "the project's people are told");
        let sups = scalar(&e, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id \
            WHERE n.kind = 'concrete_warning' AND u.role IN ('region-officer', 'city-supervisor')").await;
        assert!(sups >= 2, "the region's supervisors are told of both warnings: {sups}");
        // Signing twice is refused.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code1}/receipt"), &site.receiver, Some(json!({}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{v}");

        // On time: no warning; the end of placing 30 min after mixing neither.
        let code2 = t2["code"].as_str().unwrap();
        let (s, r2) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code2}/receipt"), &site.receiver, Some(json!({"arrived_at": at(now)}))).await;
        assert_eq!(s, StatusCode::OK, "{r2}");
        assert_eq!(r2["warnings"], json!([]));
        let (s, p2) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code2}/placement"), &site.receiver, Some(json!({"placed_at": at(now)}))).await;
        assert_eq!((s, p2["status"].as_str(), p2["warnings"].clone()), (StatusCode::OK, Some("placed"), json!([])), "{p2}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code2}/placement"), &site.receiver, Some(json!({}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
        // Boundaries through the API: exactly 90 min is on time, 90 min and one second is late (25.0 °C counts as ≤ 25).
        let (_, r3) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{}/receipt", t3["code"].as_str().unwrap()), &site.receiver,
            Some(json!({"arrived_at": at(now), "placed_at": at(now)}))).await;
        assert_eq!((r3["status"].as_str(), r3["warnings"].clone()), (Some("placed"), json!([])), "{r3}");
        let (_, r4) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{}/receipt", t4["code"].as_str().unwrap()), &site.receiver,
            Some(json!({"arrived_at": at(now - 2 * MIN), "placed_at": at(now)}))).await;
        assert_eq!(r4["warnings"].as_array().unwrap().len(), 1, "{r4}");
        assert_eq!((r4["warnings"][0]["kind"].as_str(), r4["warnings"][0]["limit_min"].as_i64()), (Some("placing"), Some(90)));
        let (_, w) = e.call(Method::GET, &format!("/api/v1/concrete/warnings?project_id={}", site.project_id), &site.site_head, None).await;
        assert_eq!(w["total"], 3, "{w}");

        // Specimens from the pours; batch A strong, batch B weak (C30 non-statistical: mean ≥ 34.5, min ≥ 28.5).
        let t1_id = t1["id"].as_str().unwrap();
        for (k, cubes) in [[36.0, 37.0, 35.0], [35.0, 36.0, 34.0], [38.0, 37.0, 36.0]].into_iter().enumerate() {
            site.specimen(&e, &batch_a, &format!("A-{k}"), Some(t1_id), cubes).await;
        }
        for (k, cubes) in [[30.0, 31.0, 29.0], [27.0, 28.0, 26.0], [31.0, 30.0, 32.0]].into_iter().enumerate() {
            site.specimen(&e, &batch_b, &format!("B-{k}"), None, cubes).await;
        }
        let (_, detail) = e.call(Method::GET, &format!("/api/v1/concrete/batches/{batch_a}"), &site.receiver, None).await;
        assert_eq!(detail["specimens"][0]["group_value"].as_f64(), Some(36.0), "{detail}");
        assert_eq!(detail["tickets"].as_array().unwrap().len(), 2);
        // Acceptance is for the heads of the parties (or regulators), not their staff.
        let (s, _) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.receiver, Some(json!({"batch_ids": [batch_a]}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, pass) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.site_head, Some(json!({"batch_ids": [batch_a]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{pass}");
        assert_eq!((pass["pass"].as_bool(), pass["method"].as_str(), pass["n"].as_i64()), (Some(true), Some("non_statistical"), Some(3)));
        assert!(pass["hazard_id"].is_null());
        assert_eq!(pass["result"]["mean"].as_f64(), Some(36.0));
        let (s, v) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.site_head, Some(json!({"batch_ids": [batch_a]}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_ids[0]")), "accepted once");
        let (s, fail) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.site_head, Some(json!({"batch_ids": [batch_b]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{fail}");
        assert_eq!((fail["pass"].as_bool(), fail["result"]["failed"].clone()), (Some(false), json!(["mean", "min"])), "{fail}");
        // The failed lot is a quality hazard on the project, dispatched to its contractor through the lifecycle.
        let hazard_id = fail["hazard_id"].as_str().expect("a hazard was opened").to_string();
        let (s, h) = e.call(Method::GET, &format!("/api/v1/hazards/{hazard_id}"), &site.site_head, None).await;
        assert_eq!(s, StatusCode::OK, "{h}");
        assert_eq!((h["channel"].as_str(), h["taxonomy_item"].as_str()), (Some("concrete_acceptance"), Some("CONS-09-01")));
        assert_eq!((h["project_id"].as_str(), h["enterprise_id"].as_str()), (Some(site.project_id.as_str()), Some(site.contractor_id.as_str())));
        assert_eq!(h["state"], "pending", "dispatched at once: {h}");
        assert!(h["description"].as_str().unwrap().contains("强度评定不合格"), "{h}");
        assert!(h["region_code"].as_str().unwrap().starts_with(&site.project_region[..6]));
        let told = scalar(&e, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id \
            WHERE n.kind = 'concrete_failed' AND u.role IN ('region-officer', 'city-supervisor')").await;
        assert!(told >= 1, "the project's supervisors are told of the failed lot");
        // An accepted batch takes no more tickets.
        let (s, v) = e.call(Method::POST, &format!("/api/v1/concrete/batches/{batch_b}/tickets"), &site.plant_staff, Some(json!({
            "number": "XD-late", "truck": "鲁A·D1234", "volume_m3": 12.0, "slump_mm": 185, "temperature_c": 20.0,
            "mixed_at": at(now), "departed_at": at(now)}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_id")));

        // Every step is on the ledger, with ids and hashes only.
        let size = anjian_app::ledger::sequence_all(&e.app).await.unwrap().size;
        assert!(size > 0);
        let mut c = e.app.db.read().await.unwrap();
        let records: Vec<String> = sqlx::query_scalar("SELECT record FROM ledger_entries ORDER BY idx").fetch_all(&mut *c).await.unwrap();
        drop(c);
        let kinds: std::collections::BTreeSet<String> = records.iter()
            .map(|r| serde_json::from_str::<Value>(r).unwrap()["type"].as_str().unwrap().to_string()).collect();
        for k in ["concrete.plant.registered", "concrete.mix.registered", "concrete.batch.created", "concrete.ticket.issued",
            "concrete.receiver.granted", "concrete.ticket.received", "concrete.warning.raised", "concrete.ticket.placed",
            "concrete.specimen.sampled", "concrete.specimen.tested", "concrete.acceptance.assessed", "hazard.report", "hazard.dispatch"] {
            assert!(kinds.contains(k), "{k} is on the ledger: {kinds:?}");
        }
        for r in &records {
            assert!(!r.contains("张建国") && !r.contains("site-rcv"), "no personal data in a leaf: {r}");
        }
        let (s, audit) = e.call(Method::GET, "/api/v1/ledger/verify", &site.admin, None).await;
        assert_eq!((s, audit["ok"].as_bool()), (StatusCode::OK, Some(true)), "{audit}");
        // The ticket's steps carry their leaf index; the public view proves each against the checkpoint.
        let (_, d1) = e.call(Method::GET, &format!("/api/v1/concrete/tickets/{code1}"), &site.receiver, None).await;
        assert!(d1["steps"].as_array().unwrap().iter().all(|s| s["ledger_index"].is_u64()), "{d1}");
        let (s, p1) = e.call(Method::GET, &format!("/api/v1/public/concrete/tickets/{code1}"), "", None).await;
        assert_eq!(s, StatusCode::OK, "{p1}");
        let k1 = check_public_ledger(&e, &p1).await;
        assert_eq!(k1.iter().filter(|k| *k == "concrete.warning.raised").count(), 2);
        for k in ["concrete.ticket.issued", "concrete.ticket.received", "concrete.acceptance.assessed"] {
            assert!(k1.iter().any(|x| x == k), "{k} in {k1:?}");
        }
        assert_eq!(p1["acceptance"]["pass"], true);
        assert_eq!(p1["receiver"], "s**", "the signatory is masked");
        assert!(!p1.to_string().contains("张建国"));
        let (_, p3) = e.call(Method::GET, &format!("/api/v1/public/concrete/tickets/{}", t3["code"].as_str().unwrap()), "", None).await;
        let k3 = check_public_ledger(&e, &p3).await;
        assert!(k3.iter().any(|k| k == "concrete.ticket.placed"), "{k3:?}");
        assert_eq!(p3["acceptance"]["pass"], false);

        // Scope: an unrelated enterprise sees none of it, the plant and the district do.
        let stranger = e.login("ent0001-staff").await;
        let (_, v) = e.call(Method::GET, "/api/v1/concrete/tickets", &stranger, None).await;
        assert_eq!(v["total"], 0);
        let (s, _) = e.call(Method::GET, &format!("/api/v1/concrete/tickets/{code1}"), &stranger, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, v) = e.call(Method::GET, &format!("/api/v1/concrete/tickets?plant_id={}", site.plant_id), &site.plant_staff, None).await;
        assert_eq!(v["total"], 4);
        let district = e.city.users.iter().find(|u| u.region_code.as_deref() == Some(&site.project_region[..6])).unwrap();
        let dt = e.login(&district.username).await;
        let (_, v) = e.call(Method::GET, &format!("/api/v1/concrete/batches?project_id={}", site.project_id), &dt, None).await;
        assert_eq!(v["total"], 2);
        let (_, v) = e.call(Method::GET, &format!("/api/v1/concrete/acceptances?project_id={}", site.project_id), &dt, None).await;
        assert_eq!(v.as_array().unwrap().len(), 2);
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn bad_concrete_input_is_refused_naming_the_field(b: Backend) {
        let e = Env::new(b).await;
        let site = Site::new(&e).await;
        let batch = site.batch(&e, "2号楼 基础筏板").await;
        let now = now_s();
        let mut bad_mix = mix_body("XD-bad", "C30");
        bad_mix["materials"][2]["kg_per_m3"] = json!(-1);
        let mut no_water = mix_body("XD-bad2", "C30");
        no_water["materials"].as_array_mut().unwrap().remove(2);
        let plant_mixes = format!("/api/v1/concrete/plants/{}/mixes", site.plant_id);
        let tickets = format!("/api/v1/concrete/batches/{batch}/tickets");
        let ticket = |f: &dyn Fn(&mut Value)| {
            let mut v = json!({"number": "N-1", "truck": "鲁A·D1234", "volume_m3": 12.0, "slump_mm": 185,
                "temperature_c": 20.0, "mixed_at": at(now - 20 * MIN), "departed_at": at(now - 15 * MIN)});
            f(&mut v);
            v
        };
        let cases: Vec<(&str, &str, Value, &str)> = vec![
            ("POST", &plant_mixes, bad_mix, "materials[2].kg_per_m3"),
            ("POST", &plant_mixes, no_water, "materials"),
            ("POST", &plant_mixes, mix_body("XD-bad3", "C33"), "grade"),
            ("POST", "/api/v1/concrete/batches", json!({"plant_id": site.plant_id, "mix_id": site.mix_id, "project_id": site.project_id,
                "pour_location": "x", "planned_m3": 0, "produced_on": "2026-11-20"}), "planned_m3"),
            ("POST", "/api/v1/concrete/batches", json!({"plant_id": site.plant_id, "mix_id": site.mix_id, "project_id": "prj-none",
                "pour_location": "x", "planned_m3": 10, "produced_on": "2026-11-20"}), "project_id"),
            ("POST", "/api/v1/concrete/batches", json!({"plant_id": site.plant_id, "mix_id": site.mix_id, "project_id": site.project_id,
                "pour_location": "x", "planned_m3": 10, "produced_on": "20.11.2026"}), "produced_on"),
            ("POST", "/api/v1/concrete/batches", json!({"plant_id": site.plant_id, "mix_id": site.mix_id}), "project_id"),
            ("POST", &tickets, ticket(&|v| v["volume_m3"] = json!(25.0)), "volume_m3"),
            ("POST", &tickets, ticket(&|v| v["slump_mm"] = json!(300)), "slump_mm"),
            ("POST", &tickets, ticket(&|v| v["temperature_c"] = json!(70)), "temperature_c"),
            ("POST", &tickets, ticket(&|v| v["mixed_at"] = json!("yesterday")), "mixed_at"),
            ("POST", &tickets, ticket(&|v| v["mixed_at"] = json!(at(now + 60 * MIN))), "mixed_at"),
            ("POST", &tickets, ticket(&|v| v["departed_at"] = json!(at(now - 30 * MIN))), "departed_at"),
            ("POST", &tickets, ticket(&|v| v["slump_mm"] = json!("soft")), "slump_mm"),
        ];
        for (m, path, body, field) in cases {
            let (s, v) = e.call(Method::from_bytes(m.as_bytes()).unwrap(), path, &site.plant_staff, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{path}: {v}");
        }
        // A duplicate ticket number of the plant is a conflict on `number`.
        let (s, t) = e.call(Method::POST, &tickets, &site.plant_staff, Some(ticket(&|_| {}))).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, v) = e.call(Method::POST, &tickets, &site.plant_staff, Some(ticket(&|_| {}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("number")));
        // Sign-off, specimens, acceptance, receivers.
        site.grant(&e).await;
        let code = t["code"].as_str().unwrap();
        let receipt = format!("/api/v1/concrete/tickets/{code}/receipt");
        for (body, field) in [
            (json!({"arrived_at": at(now - 16 * MIN)}), "arrived_at"),
            (json!({"accept": false}), "reason"),
            (json!({"site_slump_mm": 5}), "site_slump_mm"),
            (json!({"site_temperature_c": -50}), "site_temperature_c"),
            (json!({"arrived_at": at(now - 5 * MIN), "placed_at": at(now - 10 * MIN)}), "placed_at"),
        ] {
            let (s, v) = e.call(Method::POST, &receipt, &site.receiver, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }
        let (s, v) = e.call(Method::POST, &receipt, &site.receiver, Some(json!({"accept": false, "reason": "坍落度过小，退回搅拌站"}))).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("rejected")), "{v}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code}/placement"), &site.receiver, Some(json!({}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "a refused load is not placed");
        let specimens = format!("/api/v1/concrete/batches/{batch}/specimens");
        for (body, field) in [
            (json!({"code": ""}), "code"),
            (json!({"code": "S1", "curing": "steam"}), "curing"),
            (json!({"code": "S1", "specimen_mm": 120}), "specimen_mm"),
            (json!({"code": "S1", "age_days": 0}), "age_days"),
            (json!({"code": "S1", "ticket_id": "nope"}), "ticket_id"),
        ] {
            let (s, v) = e.call(Method::POST, &specimens, &site.receiver, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }
        let (s, sp) = e.call(Method::POST, &specimens, &site.receiver, Some(json!({"code": "S1"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{sp}");
        let result = format!("/api/v1/concrete/specimens/{}/result", sp["id"].as_str().unwrap());
        for (body, field) in [
            (json!({"strengths_mpa": [30.0, 31.0]}), "strengths_mpa"),
            (json!({"strengths_mpa": [30.0, 0.0, 31.0]}), "strengths_mpa[1]"),
            (json!({"strengths_mpa": [30.0, 31.0, 32.0], "tested_at": at(now - 24 * 60 * MIN)}), "tested_at"),
        ] {
            let (s, v) = e.call(Method::PUT, &result, &site.receiver, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }
        let (s, _) = e.call(Method::PUT, &result, &site.receiver, Some(json!({"strengths_mpa": [30.0, 31.0, 32.0]}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = e.call(Method::PUT, &result, &site.receiver, Some(json!({"strengths_mpa": [40.0, 41.0, 42.0]}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("strengths_mpa")), "results are never rewritten");
        for (body, field) in [
            (json!({"batch_ids": []}), "batch_ids"),
            (json!({"batch_ids": ["nope"]}), "batch_ids[0]"),
            (json!({"batch_ids": [batch, batch]}), "batch_ids[1]"),
            (json!({"batch_ids": [batch], "sigma0": 2.0}), "sigma0"),
        ] {
            let (s, v) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.site_head, Some(body)).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
        }
        let other_batch = site.batch(&e, "2号楼 一层 墙柱").await;
        let (s, v) = e.call(Method::POST, "/api/v1/concrete/acceptances", &site.site_head, Some(json!({"batch_ids": [other_batch]}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_ids")), "no tested specimens: {v}");
        let stranger = e.city.users.iter().find(|u| u.username == "ent0001-staff").unwrap();
        let (_, us) = e.call(Method::GET, "/api/v1/users?per_page=500", &site.admin, None).await;
        let stranger_id = us["items"].as_array().unwrap().iter().find(|u| u["username"] == stranger.username.as_str()).unwrap()["id"].clone();
        let (s, v) = e.call(Method::POST, &format!("/api/v1/projects/{}/concrete-receivers", site.project_id), &site.site_head,
            Some(json!({"user_id": stranger_id}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("user_id")), "not a party's account: {v}");
        let (s, v) = e.call(Method::POST, &format!("/api/v1/projects/{}/concrete-receivers", site.project_id), &site.site_head,
            Some(json!({"user_id": site.receiver_id}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("user_id")));
        // Time limits: only the city replaces them, and only with a valid table.
        let (s, _) = e.call(Method::PUT, "/api/v1/concrete/time-limits", &site.site_head, Some(json!(anjian_domain::concrete::TimeLimits::default()))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let mut l = serde_json::to_value(anjian_domain::concrete::TimeLimits::default()).unwrap();
        l["plain_min"] = json!([90, 0]);
        let (s, v) = e.call(Method::PUT, "/api/v1/concrete/time-limits", &site.admin, Some(l.clone())).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plain_min[1]")));
        l["plain_min"] = json!([100, 70]);
        let (s, v) = e.call(Method::PUT, "/api/v1/concrete/time-limits", &site.admin, Some(l)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = e.call(Method::GET, "/api/v1/concrete/time-limits", &site.receiver, None).await;
        assert_eq!(v["plain_min"], json!([100, 70]));
        // Revoking makes the receiver an outsider again.
        let (s, _) = e.call(Method::DELETE, &format!("/api/v1/projects/{}/concrete-receivers/{}", site.project_id, site.receiver_id), &site.site_head, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, t2) = e.call(Method::POST, &tickets, &site.plant_staff, Some(ticket(&|v| v["number"] = json!("N-2")))).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{}/receipt", t2["code"].as_str().unwrap()), &site.receiver, Some(json!({}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        e.t.cleanup().await;
    }
}

async fn get_raw(e: &Env, uri: &str) -> (StatusCode, String, String) {
    let res = e.router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    (status, ct, String::from_utf8_lossy(&bytes).into_owned())
}

/// Loads `url` in headless Chromium and returns the DOM after its scripts ran.
fn chromium_dom(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("anjian-chromium-{}", anjian_store::new_id()));
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .expect("headless Chromium (/usr/bin/chromium, Debian package chromium) runs the page test");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

both_backends! {
    async fn the_public_ticket_page_verifies_its_proofs_in_the_browser(b: Backend) {
        let e = Env::new(b).await;
        let site = Site::new(&e).await;
        let batch = site.batch(&e, "3号楼 五层 梁板").await;
        let now = now_s();
        let t = site.ticket(&e, &batch, "XD-PAGE-1", now - 40 * MIN, now - 35 * MIN, 18.0).await;
        let code = t["code"].as_str().unwrap().to_string();
        site.grant(&e).await;
        let (s, _) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{code}/receipt"), &site.receiver, Some(json!({}))).await;
        assert_eq!(s, StatusCode::OK);
        anjian_app::ledger::sequence_all(&e.app).await.unwrap();

        // Without login: the page, the JSON and the QR code; unknown codes are 404.
        let (s, ct, html) = get_raw(&e, &format!("/c/{code}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ct.starts_with("text/html") && html.contains("混凝土") && !html.contains("<script src"), "self-contained");
        let (s, _, _) = get_raw(&e, "/c/ZZZZZZZZZZ").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, ct, svg) = get_raw(&e, &format!("/c/{code}/qr.svg")).await;
        assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
        let (s, _) = e.call(Method::GET, "/api/v1/public/concrete/tickets/ZZZZZZZZZZ", "", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The page, served for real, checks the checkpoint signature and every proof itself.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = e.router.clone();
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let url = format!("http://{addr}/c/{code}");
        let dom = tokio::task::spawn_blocking({ let url = url.clone(); move || chromium_dom(&url) }).await.unwrap();
        assert!(dom.contains(r#"data-state="ok""#), "the page verified the ledger: {dom}");
        assert!(dom.contains("XD-PAGE-1") && dom.contains("已签收"), "{dom}");
        assert_eq!(dom.matches(r#"data-verified="true""#).count(), 2, "issued and received: {dom}");

        // Alter the stored receipt record: the server's check and the page's both fail.
        let mut c = e.app.db.begin().await.unwrap();
        sqlx::query("UPDATE ledger_entries SET record = REPLACE(record, '\"received\"', '\"rejected\"') WHERE record LIKE '%concrete.ticket.received%'")
            .execute(&mut *c).await.unwrap();
        c.commit().await.unwrap();
        let (_, p) = e.call(Method::GET, &format!("/api/v1/public/concrete/tickets/{code}"), "", None).await;
        let verified: Vec<bool> = p["ledger"]["entries"].as_array().unwrap().iter().map(|x| x["verified"].as_bool().unwrap()).collect();
        assert_eq!(verified, [true, false], "{p}");
        let dom = tokio::task::spawn_blocking(move || chromium_dom(&url)).await.unwrap();
        assert!(dom.contains(r#"data-state="failed""#), "the page caught the altered record: {dom}");
        server.abort();
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn the_demo_concrete_loads_once_with_every_step_on_the_ledger(b: Backend) {
        let e = Env::new(b).await;
        let spec = anjian_demo::concrete::ConcreteSpec::SMALL;
        let s = anjian_demo::load::ensure_concrete(&e.app, &e.city, 11, spec).await.unwrap();
        assert_eq!(s.plants, 2);
        assert!(s.tickets > 10 && s.lots > 0 && s.specimens > 0, "{s:?}");
        assert_eq!(scalar(&e, "SELECT COUNT(*) FROM concrete_tickets").await as usize, s.tickets);
        assert_eq!(scalar(&e, "SELECT COUNT(*) FROM concrete_warnings").await as usize, s.warnings);
        assert_eq!(scalar(&e, "SELECT COUNT(*) FROM hazards WHERE channel = 'concrete_acceptance'").await as usize, s.failed_lots);
        let again = anjian_demo::load::ensure_concrete(&e.app, &e.city, 11, spec).await.unwrap();
        assert_eq!(again.tickets, s.tickets, "a second start reuses it");
        assert_eq!(scalar(&e, "SELECT COUNT(*) FROM concrete_plants").await, 2);
        anjian_app::ledger::sequence_all(&e.app).await.unwrap();
        // A signed-off demo ticket proves its steps publicly, as a live one does.
        let mut c = e.app.db.read().await.unwrap();
        let code: String = sqlx::query_scalar("SELECT code FROM concrete_tickets WHERE status = 'placed' ORDER BY id LIMIT 1")
            .fetch_one(&mut *c).await.unwrap();
        drop(c);
        let (st, p) = e.call(Method::GET, &format!("/api/v1/public/concrete/tickets/{code}"), "", None).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let kinds = check_public_ledger(&e, &p).await;
        for k in ["concrete.ticket.issued", "concrete.ticket.received", "concrete.ticket.placed"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
        // The demo accounts work: the plant's staff sees its tickets, a receiver signs a truck on the road.
        let staff = e.login("plant01-staff").await;
        let (_, v) = e.call(Method::GET, "/api/v1/concrete/tickets?per_page=500", &staff, None).await;
        assert!(v["total"].as_i64().unwrap() > 0, "{v}");
        let (_, v) = e.call(Method::GET, "/api/v1/concrete/tickets?status=issued", &staff, None).await;
        let on_road = &v["items"][0];
        let receiver = format!("{}-rcv", on_road["project_id"].as_str().expect("a truck is on the road").replace('-', ""));
        let rt = e.login(&receiver).await;
        let (st, r) = e.call(Method::POST, &format!("/api/v1/concrete/tickets/{}/receipt", on_road["code"].as_str().unwrap()), &rt, Some(json!({}))).await;
        assert_eq!((st, r["status"].as_str()), (StatusCode::OK, Some("received")), "{r}");
        let (_, audit) = e.call(Method::GET, "/api/v1/ledger/verify", &e.login("admin").await, None).await;
        assert_eq!(audit["ok"], true, "{audit}");
        e.t.cleanup().await;
    }
}
