//! The evidence ledger through the API, on SQLite and PostgreSQL: hazard
//! events and photo hashes logged in the event's transaction, signed
//! checkpoints, inclusion and consistency proofs checked with the
//! independent verifier code of `anjian-ledger`, the C2SP tiles, tamper
//! detection (API and offline), and witness cosignatures.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_app::ledger::LedgerConfig;
use anjian_demo::{DEMO_PASSWORD, DemoSize};
use anjian_ledger::{Checkpoint, Cosigner, Hash, NoteVerifier, TileSource};
use anjian_store::both_backends;
use anjian_store::testing::TestDb;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::collections::HashMap;
use tower::ServiceExt;

struct Env {
    t: TestDb,
    app: App,
    router: axum::Router,
    city: anjian_demo::DemoCity,
}

impl Env {
    async fn new(b: anjian_store::Backend, witnesses: Vec<String>) -> Env {
        let t = TestDb::new(b).await;
        let app = App::new(t.db.clone(), Secrets::from_key(&[8; 32]))
            .with_ledger(LedgerConfig { origin: Some("test.anjian/ledger".into()), witnesses });
        anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
        let router = anjian_web::router(app.clone(), true);
        Env { t, app, router, city: anjian_demo::generate(11, DemoSize::Small) }
    }

    async fn raw(
        &self,
        m: Method,
        uri: &str,
        token: Option<&str>,
        ct: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut b = Request::builder().method(m).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        let res = self.router.clone().oneshot(b.body(Body::from(body)).unwrap()).await.unwrap();
        let s = res.status();
        (s, axum::body::to_bytes(res.into_body(), 1 << 26).await.unwrap().to_vec())
    }

    async fn call(&self, m: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let (s, bytes) = match body {
            Some(v) => self.raw(m, uri, token, Some("application/json"), v.to_string().into_bytes()).await,
            None => self.raw(m, uri, token, None, vec![]).await,
        };
        (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn text(&self, uri: &str) -> String {
        let (s, b) = self.raw(Method::GET, uri, None, None, vec![]).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
        String::from_utf8(b).unwrap()
    }

    async fn login(&self, u: &str) -> String {
        let (s, v) = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": u, "password": DEMO_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::OK, "{u}: {v}");
        v["token"].as_str().unwrap().into()
    }

    async fn photo(&self, token: &str, n: u8) -> String {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, n];
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let (s, b) = self.raw(Method::POST, "/api/v1/attachments", Some(token), None, jpeg).await;
        assert_eq!(s, StatusCode::CREATED);
        serde_json::from_slice::<Value>(&b).unwrap()["sha256"].as_str().unwrap().into()
    }

    async fn sequence(&self) -> u64 {
        anjian_app::ledger::sequence_all(&self.app).await.unwrap().size
    }

    /// The latest checkpoint, its signature checked with the published key.
    async fn checkpoint(&self) -> Checkpoint {
        let vkey = self.text("/api/v1/ledger/key").await;
        let note = self.text("/ledger/checkpoint").await;
        let v = NoteVerifier::from_vkey(vkey.trim()).unwrap();
        let opened = anjian_ledger::open_note(&note, &[v]).expect("checkpoint signed by the published key");
        Checkpoint::parse(&opened.text).unwrap()
    }

    /// Every tile of the current log, fetched over HTTP into a map.
    async fn mirror(&self, size: u64) -> Mirror {
        let mut m = HashMap::new();
        m.insert("checkpoint".to_string(), self.text("/ledger/checkpoint").await.into_bytes());
        for t in anjian_ledger::tiles_for_size(size) {
            let (s, b) = self.raw(Method::GET, &format!("/ledger/{}", t.path()), None, None, vec![]).await;
            assert_eq!(s, StatusCode::OK, "{}", t.path());
            m.insert(t.path(), b);
        }
        Mirror(m)
    }

    async fn exec(&self, sql: &str) {
        let mut c = self.app.db.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *c).await.unwrap();
        c.commit().await.unwrap();
    }
}

struct Mirror(HashMap<String, Vec<u8>>);

impl TileSource for Mirror {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.0.get(path).cloned()
    }
}

fn hash(s: &str) -> Hash {
    B64.decode(s).unwrap().try_into().unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(|h| hash(h.as_str().unwrap())).collect()
}

both_backends! {
    async fn hazard_events_and_photos_are_logged_and_provable(b: Backend) {
        let e = Env::new(b, vec![]).await;
        let ent = e.city.enterprises[0].id.clone();
        let district = e.login("district01").await;
        let head = e.login("ent0001-head").await;
        // The empty log has a signed checkpoint from the start.
        let cp0 = e.checkpoint().await;
        assert_eq!((cp0.size, cp0.origin.as_str()), (0, "test.anjian/ledger"));

        let photo = e.photo(&district, 1).await;
        let (s, h) = e.call(Method::POST, "/api/v1/hazards", Some(&district), Some(json!({
            "channel": "enforcement_check", "description": "仓库灭火器压力不足已过期，负责人张三", "enterprise_id": ent,
            "attachments": [photo]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        let id = h["id"].as_str().unwrap().to_string();
        let (s, v) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&head), Some(json!({"action": "start"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // A refused action writes neither an event nor a ledger record.
        let mut c = e.app.db.read().await.unwrap();
        let queued = anjian_store::ledger::pending_count(&mut c).await.unwrap();
        drop(c);
        let (s, _) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&head), Some(json!({"action": "accept"}))).await;
        assert!(s.is_client_error());
        let mut c = e.app.db.read().await.unwrap();
        assert_eq!(anjian_store::ledger::pending_count(&mut c).await.unwrap(), queued);
        drop(c);

        // Until the sequencer runs the records wait in the queue; then one signed checkpoint.
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), Some(&district), None).await;
        assert!(tl["events"].as_array().unwrap().iter().all(|ev| ev["ledger_index"].is_null()), "{tl}");
        let size = e.sequence().await;
        assert_eq!(size as i64, queued);
        let cp = e.checkpoint().await;
        assert_eq!(cp.size, size);

        // Every timeline event has a leaf; its proof checks against the signed root.
        let (_, tl) = e.call(Method::GET, &format!("/api/v1/hazards/{id}/timeline"), Some(&district), None).await;
        let events = tl["events"].as_array().unwrap();
        assert!(events.len() >= 2, "{tl}");
        for ev in events {
            let i = ev["ledger_index"].as_u64().unwrap_or_else(|| panic!("not on the ledger: {ev}"));
            let (s, entry) = e.call(Method::GET, &format!("/api/v1/ledger/entries/{i}"), None, None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(entry["consistent"], true);
            let rec = &entry["record"];
            assert_eq!(rec["subject"], id.as_str());
            assert_eq!(rec["type"], format!("hazard.{}", ev["event"].as_str().unwrap()));
            assert_eq!(rec["fields"]["to"], ev["state_after"]);
            // No personal data in clear: the description and names are only hashed.
            let leaf_text = rec.to_string();
            assert!(!leaf_text.contains("张三") && !leaf_text.contains("灭火器"), "{leaf_text}");
            let leaf = anjian_ledger::leaf_hash(anjian_ledger::canonical_json(rec).unwrap().as_bytes());
            assert_eq!(B64.encode(leaf), entry["leaf_hash"]);
            let (s, p) = e.call(Method::GET, &format!("/api/v1/ledger/proof/inclusion?index={i}&size={size}"), None, None).await;
            assert_eq!(s, StatusCode::OK, "{p}");
            assert_eq!(p["root_hash"], B64.encode(cp.root));
            anjian_ledger::check_record(&hashes(&p["proof"]), size, &cp.root, i, &leaf).expect("inclusion proof verifies");
            // By leaf hash too (hex works as well as base64).
            let (_, p2) = e.call(Method::GET, &format!("/api/v1/ledger/proof/inclusion?leaf_hash={}", hex::encode(leaf)), None, None).await;
            assert_eq!(p2["index"], i);
        }
        // The first event carries the photo's hash; the photo itself is logged too.
        let (_, first) = e.call(Method::GET, &format!("/api/v1/ledger/entries/{}", events[0]["ledger_index"]), None, None).await;
        assert_eq!(first["record"]["fields"]["attachments"], json!([photo]));
        let (_, about_photo) = e.call(Method::GET, &format!("/api/v1/ledger/subjects/{photo}"), None, None).await;
        assert_eq!(about_photo[0]["record"]["type"], "attachment.stored", "{about_photo}");

        // More events later: the new tree is consistent with the old one.
        let (s, _) = e.call(Method::POST, &format!("/api/v1/hazards/{id}/actions"), Some(&head), Some(json!({
            "action": "request_extension", "until": "2099-12-31", "note": "等待配件"}))).await;
        assert_eq!(s, StatusCode::OK);
        let size2 = e.sequence().await;
        assert!(size2 > size);
        let cp2 = e.checkpoint().await;
        let (s, p) = e.call(Method::GET, &format!("/api/v1/ledger/proof/consistency?from={size}&to={size2}"), None, None).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        anjian_ledger::check_tree(&hashes(&p["proof"]), size2, &cp2.root, size, &cp.root).expect("consistency proof verifies");
        // Bad proof requests name the parameter.
        let (s, v) = e.call(Method::GET, &format!("/api/v1/ledger/proof/inclusion?index={size2}"), None, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("index")), "{v}");
        let (s, v) = e.call(Method::GET, &format!("/api/v1/ledger/proof/consistency?from=1&to={}", size2 + 1), None, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("size")), "{v}");
        let (s, _) = e.call(Method::GET, "/api/v1/ledger/entries/999999", None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The tiles mirror verifies offline with the published key.
        let vkey = e.text("/api/v1/ledger/key").await;
        let mirror = e.mirror(size2).await;
        let report = anjian_ledger::verify_log(&mirror, vkey.trim()).expect("mirror verifies");
        assert_eq!((report.size, report.root), (size2, cp2.root));
        let (s, _) = e.raw(Method::GET, "/ledger/tile/0/000", None, None, vec![]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "no full tile of a small log");
        let (s, _) = e.raw(Method::GET, "/ledger/tile/0/x001", None, None, vec![]).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Someone edits a logged record directly in the database: both the API and
        // the offline verifier point at exactly that entry.
        let admin = e.login("admin").await;
        let (_, ok) = e.call(Method::GET, "/api/v1/ledger/verify", Some(&admin), None).await;
        assert_eq!(ok["ok"], true, "{ok}");
        let target = events[1]["ledger_index"].as_u64().unwrap();
        e.exec(&format!("UPDATE ledger_entries SET record = REPLACE(record, '\"v\":1', '\"v\":2') WHERE idx = {target}")).await;
        let (_, bad) = e.call(Method::GET, "/api/v1/ledger/verify", Some(&admin), None).await;
        assert_eq!((bad["ok"].as_bool(), bad["first_mismatch"]["kind"].as_str(), bad["first_mismatch"]["index"].as_u64()),
            (Some(false), Some("entry"), Some(target)), "{bad}");
        let (_, entry) = e.call(Method::GET, &format!("/api/v1/ledger/entries/{target}"), None, None).await;
        assert_eq!(entry["consistent"], false);
        let tampered = e.mirror(size2).await;
        match anjian_ledger::verify_log(&tampered, vkey.trim()) {
            Err(anjian_ledger::Mismatch::Entry { index }) => assert_eq!(index, target),
            other => panic!("expected an entry mismatch at {target}, got {other:?}"),
        }
        // Even if the editor also fixes the stored leaf hash, the tree above it no longer matches.
        let new_record: String = {
            let mut c = e.app.db.read().await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT record FROM ledger_entries WHERE idx = {target}"))).fetch_one(&mut *c).await.unwrap()
        };
        let forged = hex::encode(anjian_ledger::leaf_hash(new_record.as_bytes()));
        let lit = match b {
            anjian_store::Backend::Sqlite => format!("X'{forged}'"),
            anjian_store::Backend::Postgres => format!("decode('{forged}', 'hex')"),
        };
        e.exec(&format!("UPDATE ledger_entries SET leaf_hash = {lit} WHERE idx = {target}")).await;
        e.exec(&format!("UPDATE ledger_hashes SET hash = {lit} WHERE idx = {}", anjian_ledger::stored_hash_index(0, target))).await;
        let (_, bad) = e.call(Method::GET, "/api/v1/ledger/verify", Some(&admin), None).await;
        assert_eq!(bad["ok"], false, "{bad}");
        let kind = bad["first_mismatch"]["kind"].as_str().unwrap();
        assert!(kind == "node" || kind == "root", "{bad}");
        e.t.cleanup().await;
    }
}

both_backends! {
    async fn witnesses_cosign_checkpoints(b: Backend) {
        let witness = Cosigner::from_seed("witness.court.example", &[42; 32]).unwrap();
        let e = Env::new(b, vec![witness.vkey()]).await;
        let district = e.login("district01").await;
        e.photo(&district, 7).await;
        let size = e.sequence().await;
        assert!(size >= 1);
        let note = e.text("/ledger/checkpoint").await;
        let body = note.split_once("\n\n").map(|(b, _)| format!("{b}\n")).unwrap();
        let (s, _) = e.raw(Method::GET, "/api/v1/ledger/checkpoint/cosigned", None, None, vec![]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "nothing cosigned yet");

        let line = witness.cosign(&body, 1_795_564_800).unwrap();
        let (s, out) = e.raw(Method::POST, "/api/v1/ledger/witness", None, Some("text/plain"), format!("{note}{line}").into_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&out));
        let cosigned = e.text("/api/v1/ledger/checkpoint/cosigned").await;
        assert!(cosigned.starts_with(&body) && cosigned.ends_with(&line), "{cosigned}");
        let v = anjian_ledger::CosignatureVerifier::from_vkey(&witness.vkey()).unwrap();
        assert_eq!(v.verify_line(&body, &line).unwrap(), 1_795_564_800);
        assert!(e.text("/ledger/checkpoint").await.contains(&line), "served with the latest checkpoint");

        // An unknown witness, or a checkpoint we never signed, is refused.
        let stranger = Cosigner::from_seed("stranger", &[7; 32]).unwrap();
        let (s, out) = e.raw(Method::POST, "/api/v1/ledger/witness", None, Some("text/plain"),
            format!("{note}{}", stranger.cosign(&body, 1_795_564_800).unwrap()).into_bytes()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap()["error"]["field"], "note");
        let forged_body = body.replace(&format!("\n{size}\n"), &format!("\n{}\n", size + 5));
        let (s, _) = e.raw(Method::POST, "/api/v1/ledger/witness", None, Some("text/plain"),
            format!("{forged_body}\n{}", witness.cosign(&forged_body, 1_795_564_800).unwrap()).into_bytes()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        e.t.cleanup().await;
    }
}
