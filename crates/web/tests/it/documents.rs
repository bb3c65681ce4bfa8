//! Enforcement documents through the API on both backends (I3): drafted
//! from an enforcement inspection, issued as a PDF whose Chinese text
//! extracts back, numbered per department and year, hashed on the evidence
//! ledger, locked, and replaced only by a new version that names the old.

use crate::common::Env;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::LazyLock;

/// Two inspectors with their certificates: what an issued document needs.
static INSPECTORS: LazyLock<Value> = LazyLock::new(
    || json!([{"name": "张明", "certificate": "37990100123"}, {"name": "李华", "certificate": "37990100456"}]),
);

async fn enforcement_with_findings(e: &Env, token: &str, enterprise_id: &str, fails: usize) -> Value {
    let (_, v) = e.call(Method::GET, "/api/v1/inspection-templates?kind=enforcement", token, None).await;
    let id = v["items"][0]["id"].as_str().unwrap().to_string();
    let (_, t) = e.call(Method::GET, &format!("/api/v1/inspection-templates/{id}"), token, None).await;
    let photo = e.upload_png(token, 9).await;
    let items: Vec<Value> =
        t["sections"].as_array().unwrap().iter().flat_map(|s| s["items"].as_array().unwrap().clone()).collect();
    let results: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(k, it)| {
            if k < fails {
                json!({"item_code": it["code"], "outcome": "fail", "problem_code": it["problems"][0]["code"], "attachments": [photo]})
            } else {
                json!({"item_code": it["code"], "outcome": "pass"})
            }
        })
        .collect();
    let (s, d) = e
        .call(
            Method::POST,
            "/api/v1/inspections",
            token,
            Some(json!({"template_id": id, "enterprise_id": enterprise_id,
        "submit": true, "results": results})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d
}

/// The PDF's text without whitespace (justified lines space out characters).
fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes)
        .expect("the PDF's text extracts")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

both_backends! {
    async fn an_order_is_issued_numbered_hashed_locked_and_revised_as_a_new_version(b: Backend) {
        let e = Env::new(b).await;
        let district = e.login("district01").await;
        let ent = e.city.enterprises.iter().find(|x| x.region_code.starts_with("379901")).unwrap().clone();
        let ins = enforcement_with_findings(&e, &district, &ent.id, 3).await;
        let iid = ins["id"].as_str().unwrap();

        let (s, d) = e.call(Method::POST, &format!("/api/v1/inspections/{iid}/documents"), &district, Some(json!({
            "kind": "rectification_order", "inspectors": [{"name": "张明", "certificate": "37990100123"}, {"name": "李华", "certificate": "37990100456"}]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        assert_eq!((d["state"].as_str(), d["number"].as_str()), (Some("draft"), None));
        let findings = d["content"]["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f["deadline"].is_string()), "deadlines from the hazards: {d}");
        let id = d["id"].as_str().unwrap().to_string();
        // A draft may be edited and previewed.
        let (s, d) = e.call(Method::PUT, &format!("/api/v1/documents/{id}"), &district, Some(json!({"place": "一号车间及配电房"}))).await;
        assert_eq!((s, d["content"]["place"].as_str()), (StatusCode::OK, Some("一号车间及配电房")));
        let (s, ct, preview) = e.get_bytes(&format!("/api/v1/documents/{id}/pdf"), &district).await;
        assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/pdf"));
        assert!(pdf_text(&preview).contains("草稿"));

        let (s, d) = e.call(Method::POST, &format!("/api/v1/documents/{id}/issue"), &district, None).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let year = anjian_app::time::today_local(anjian_store::now_ms())[..4].to_string();
        let number = d["number"].as_str().unwrap().to_string();
        assert!(number.ends_with(&format!("〔{year}〕1号")) && number.contains("责改"), "{number}");
        let sha = d["pdf_sha256"].as_str().unwrap().to_string();
        let (s, _, pdf) = e.get_bytes(&format!("/api/v1/documents/{id}/pdf"), &district).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(anjian_app::crypto::sha256_hex(&pdf), sha, "the stored bytes are the hashed ones");
        let text = pdf_text(&pdf);
        for needle in ["责令限期整改指令书", number.as_str(), ent.name.as_str(), "张明", "37990100123", "一号车间及配电房"] {
            assert!(text.contains(needle), "{needle} in the PDF text:\n{text}");
        }
        for f in d["content"]["findings"].as_array().unwrap() {
            let head: String = f["description"].as_str().unwrap().chars().take(8).collect();
            assert!(text.contains(&head), "finding {head} in:\n{text}");
        }
        // Locked: no edit, no second issue.
        let (s, v) = e.call(Method::PUT, &format!("/api/v1/documents/{id}"), &district, Some(json!({"place": "改"}))).await;
        assert_eq!((s, v["error"]["field"].as_str(), v["error"]["message"].as_str()), (StatusCode::CONFLICT, Some("state"), Some("文书已签发，不能再修改")));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/documents/{id}/issue"), &district, None).await;
        assert_eq!((s, v["error"]["message"].as_str()), (StatusCode::CONFLICT, Some("文书已签发，不能重复签发")));
        // On the evidence ledger with its hash.
        anjian_app::ledger::sequence_all(&e.app).await.unwrap();
        let (_, entries) = e.call(Method::GET, &format!("/api/v1/ledger/subjects/{id}"), &district, None).await;
        let issued = entries.as_array().unwrap().iter().find(|x| x["record"]["type"] == "document.issued").expect("logged").clone();
        assert_eq!(issued["record"]["fields"]["pdf_sha256"].as_str(), Some(sha.as_str()), "{issued}");
        let index = issued["index"].as_u64().unwrap();
        let (s, proof) = e.call(Method::GET, &format!("/api/v1/ledger/proof/inclusion?index={index}"), &district, None).await;
        assert_eq!(s, StatusCode::OK, "{proof}");

        // A second order in the same year gets the next number.
        let ins2 = enforcement_with_findings(&e, &district, &ent.id, 1).await;
        let (_, d2) = e.call(Method::POST, &format!("/api/v1/inspections/{}/documents", ins2["id"].as_str().unwrap()), &district,
            Some(json!({"kind": "rectification_order"}))).await;
        let d2id = d2["id"].as_str().unwrap().to_string();
        // Issuing needs two inspectors with their certificate numbers (a draft defaults to the caller alone).
        let (s, v) = e.call(Method::POST, &format!("/api/v1/documents/{d2id}/issue"), &district, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("inspectors")), "{v}");
        let (_, _) = e.call(Method::PUT, &format!("/api/v1/documents/{d2id}"), &district,
            Some(json!({"inspectors": [{"name": "张明", "certificate": "37990100123"}, {"name": "李华", "certificate": ""}]}))).await;
        let (s, v) = e.call(Method::POST, &format!("/api/v1/documents/{d2id}/issue"), &district, None).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("inspectors[1].certificate")), "{v}");
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/documents/{d2id}"), &district, Some(json!({"inspectors": INSPECTORS.clone()}))).await;
        assert_eq!(s, StatusCode::OK);
        let (_, d2) = e.call(Method::POST, &format!("/api/v1/documents/{d2id}/issue"), &district, None).await;
        assert!(d2["number"].as_str().unwrap().ends_with(&format!("〔{year}〕2号")), "{d2}");

        // A change is a new version naming the old; issuing it supersedes the old.
        let (s, r) = e.call(Method::POST, &format!("/api/v1/documents/{id}/revise"), &district, None).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!((r["version"].as_i64(), r["supersedes_id"].as_str()), (Some(2), Some(id.as_str())));
        let rid = r["id"].as_str().unwrap().to_string();
        let (s, _) = e.call(Method::POST, &format!("/api/v1/documents/{id}/revise"), &district, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "one open revision at a time");
        let (s, _) = e.call(Method::PUT, &format!("/api/v1/documents/{rid}"), &district, Some(json!({"situation": "更正检查场所后重新签发。"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, r) = e.call(Method::POST, &format!("/api/v1/documents/{rid}/issue"), &district, None).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["content"]["supersedes"].as_str(), Some(number.as_str()));
        let (_, old) = e.call(Method::GET, &format!("/api/v1/documents/{id}"), &district, None).await;
        assert_eq!(old["state"], "superseded");
        let (_, _, pdf2) = e.get_bytes(&format!("/api/v1/documents/{rid}/pdf"), &district).await;
        assert!(pdf_text(&pdf2).contains(&number), "the new version names the one it replaces");

        // The recheck opinion reviews the order's findings.
        let (s, rc) = e.call(Method::POST, &format!("/api/v1/inspections/{iid}/documents"), &district, Some(json!({
            "kind": "recheck_opinion", "review_of": rid, "inspectors": INSPECTORS.clone(),
            "reviews": [{"index": 0, "rectified": true, "note": "已整改到位"}]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{rc}");
        assert_eq!(rc["content"]["findings"][0]["review"]["rectified"], true);
        let (s, rc) = e.call(Method::POST, &format!("/api/v1/documents/{}/issue", rc["id"].as_str().unwrap()), &district, None).await;
        assert_eq!(s, StatusCode::OK, "{rc}");
        assert!(rc["number"].as_str().unwrap().contains("复查"));
        let (s, v) = e.call(Method::POST, &format!("/api/v1/inspections/{iid}/documents"), &district, Some(json!({"kind": "recheck_opinion"}))).await;
        assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("review_of")));

        // Out of scope and enterprise accounts.
        let other = e.login("district02").await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/documents/{id}"), &other, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let head = e.login(&e.enterprise_user(&ent.id, anjian_domain::role::Role::EnterpriseHead)).await;
        let (s, _) = e.call(Method::POST, &format!("/api/v1/inspections/{iid}/documents"), &head, Some(json!({"kind": "site_record"}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = e.call(Method::GET, &format!("/api/v1/documents?enterprise_id={}", ent.id), &head, None).await;
        assert_eq!(s, StatusCode::OK, "the enterprise sees the documents it received");
        assert!(v["total"].as_i64().unwrap() >= 3, "{v}");
        let (s, _, bytes) = e.get_bytes(&format!("/api/v1/attachments/{sha}"), &head).await;
        assert_eq!((s, bytes.len()), (StatusCode::OK, pdf.len()));
        e.t.cleanup().await;
    }
}
