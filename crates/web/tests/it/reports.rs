//! Periodic reports through the API on a small hazard history (SQLite and
//! PostgreSQL): the PDF's text and the XLSX's cells are the numbers the
//! statistics API gives for the same period; the narrative is rewritten by a
//! chat-completions endpoint when one is configured and falls back to the
//! rules when it fails.

use crate::common::Env;
use anjian_demo::history::HistorySpec;
use anjian_store::both_backends;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// The last full month of the history and the ISO week before its end (the
/// history ends at the demo's TODAY, whatever the wall clock says).
fn periods() -> (String, String) {
    let end = jiff::Timestamp::from_millisecond(anjian_demo::history::history_end_ms())
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let month = end.first_of_month().yesterday().unwrap();
    let week = end.checked_sub(jiff::Span::new().days(7)).unwrap().iso_week_date();
    (format!("{:04}-{:02}", month.year(), month.month()), format!("{:04}-W{:02}", week.year(), week.week()))
}

fn month_days(month: &str) -> (String, String) {
    let first: jiff::civil::Date = format!("{month}-01").parse().unwrap();
    (first.to_string(), first.last_of_month().to_string())
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn pdf_text(bytes: &[u8]) -> String {
    squash(&pdf_extract::extract_text_from_mem(bytes).expect("the report PDF parses"))
}

fn pct(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap() * 100.0)
}

/// A row of the statistics as the report's tables print it.
fn printed_row(label: &str, r: &Value) -> String {
    let days = r["mean_days_to_rectify"].as_f64().map_or("—".to_string(), |d| format!("{d:.1}"));
    format!(
        "{label}{}{}{}{}{}{}{days}",
        r["found"],
        r["rectified"],
        r["in_progress"],
        r["overdue"],
        pct(&r["rectification_rate"]),
        pct(&r["on_time_rate"])
    )
}

async fn history(e: &Env) {
    anjian_demo::load::ensure_history(&e.app, &e.city, 11, HistorySpec { hazards: 1_500, months: 14 }).await.unwrap();
}

both_backends! {
    async fn the_monthly_report_shows_the_statistics_of_its_period_in_pdf_and_xlsx(b: Backend) {
        let e = Env::new(b).await;
        history(&e).await;
        let city = e.login("city").await;
        let (month, week) = periods();
        let (since, until) = month_days(&month);
        let (s, stats) = e.call(Method::GET, &format!("/api/v1/analytics/stats?by=region&region=379900&since={since}&until={until}"), &city, None).await;
        assert_eq!(s, StatusCode::OK, "{stats}");
        let total = &stats["total"];
        assert!(total["found"].as_i64().unwrap() > 20, "a month with hazards: {total}");

        let (s, h, pdf) = Env::get_raw(&e.router, &format!("/api/v1/reports/region?region=379900&month={month}"), &city).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-anjian-narrative"], "rules");
        assert!(h["content-disposition"].to_str().unwrap().contains(&format!("379900-{month}.pdf")));
        let text = pdf_text(&pdf);
        assert!(text.contains("安澜市安全生产隐患排查治理月报"), "{text}");
        assert!(text.contains(&format!("安澜市共排查发现隐患{}项", total["found"])), "{text}");
        assert!(text.contains(&format!("已整改{}项，整改率{}", total["rectified"], pct(&total["rectification_rate"]))), "{text}");
        assert!(text.contains(&format!("整改中{}项，其中逾期未整改{}项", total["in_progress"], total["overdue"])), "{text}");
        assert!(text.contains(&printed_row("合计", total)), "the total row: {text}");
        for r in stats["rows"].as_array().unwrap() {
            let label = r["label"].as_str().unwrap();
            assert!(text.contains(&printed_row(label, r)), "{label}: {}", printed_row(label, r));
        }
        assert!(text.contains("说明：本段由系统根据统计数据按规则生成"));

        // The same numbers as cells of the workbook.
        let (s, h, xlsx) = Env::get_raw(&e.router, &format!("/api/v1/reports/region?region=379900&month={month}&format=xlsx"), &city).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("the XLSX opens");
        let sheet = wb.worksheet_range("分区域").expect("sheet 分区域");
        let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[0][0], calamine::Data::String("区域".into()));
        let num = |d: &calamine::Data| match d { calamine::Data::Float(x) => *x, other => panic!("{other:?}") };
        let mut expected: Vec<(String, &Value)> = stats["rows"].as_array().unwrap().iter().map(|r| (r["label"].as_str().unwrap().to_string(), r)).collect();
        expected.push(("合计".into(), total));
        assert_eq!(rows.len() - 1, expected.len());
        for (row, (label, r)) in rows[1..].iter().zip(&expected) {
            assert_eq!(row[0], calamine::Data::String(label.clone()));
            for (i, k) in ["found", "rectified", "in_progress", "overdue"].iter().enumerate() {
                assert_eq!(num(&row[i + 1]), r[k].as_f64().unwrap(), "{label} {k}");
            }
            // Rates are written with 15 significant digits, as Excel keeps them.
            for (i, k) in [(5, "rectification_rate"), (6, "on_time_rate")] {
                let (cell, stat) = (num(&row[i]), r[k].as_f64().unwrap());
                assert!((cell - stat).abs() < 1e-12, "{label} {k}: {cell} vs {stat}");
            }
        }
        let key = wb.worksheet_range("主要指标").unwrap();
        let found_row: Vec<calamine::Data> = key.rows().nth(1).unwrap().to_vec();
        assert_eq!(found_row[0], calamine::Data::String("发现隐患（项）".into()));
        assert_eq!(num(&found_row[1]), total["found"].as_f64().unwrap());
        let summary = wb.worksheet_range("概况").unwrap();
        let narrative = summary.get_value((5, 1)).unwrap().to_string();
        assert!(narrative.contains(&format!("共排查发现隐患{}项", total["found"])), "{narrative}");

        // A weekly report.
        let (s, _, pdf) = Env::get_raw(&e.router, &format!("/api/v1/reports/region?region=379901&week={week}"), &city).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
        let text = pdf_text(&pdf);
        let w: i32 = week[6..].parse().unwrap();
        assert!(text.contains("周报") && text.contains(&format!("第{w}周")), "{text}");

        // A red alarm raised now is counted in the report of the current week.
        let ent = &e.city.enterprises[3].id;
        let (s, dev) = e.call(Method::POST, "/api/v1/devices", &city, Some(serde_json::json!({
            "name": "储罐区气体探头", "device_type": "gas_detector", "enterprise_id": ent,
            "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60}))).await;
        assert_eq!(s, StatusCode::CREATED, "{dev}");
        let id = dev["id"].as_str().unwrap();
        let (s, _) = e.call(Method::POST, &format!("/api/v1/devices/{id}/rules"), &city, Some(serde_json::json!({"template": "combustible_gas"}))).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, r) = e.call(Method::POST, "/api/v1/ingest", &city, Some(serde_json::json!({"batches": [{"device_id": id,
            "secret": dev["secret"], "readings": [{"ts": anjian_store::now_ms(), "values": {"lel_percent": 80.0}}]}]}))).await;
        assert_eq!((s, &r["alarms"]["raise"]), (StatusCode::OK, &serde_json::json!(1)), "{r}");
        let this_week = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().iso_week_date();
        let q = format!("/api/v1/reports/region?region=379900&week={:04}-W{:02}", this_week.year(), this_week.week());
        let (s, _, pdf) = Env::get_raw(&e.router, &q, &city).await;
        assert_eq!(s, StatusCode::OK);
        let text = pdf_text(&pdf);
        assert!(text.contains("本期物联网监测共产生预警1次，其中红色预警1次") && text.contains("红色预警1"), "{text}");

        // Bad input names the field; only regulators get reports.
        for (q, field) in [
            (format!("region=379900&month={month}-01"), "month"),
            ("region=379900&month=2026-13".to_string(), "month"),
            ("region=379900&week=2026-W60".to_string(), "week"),
            ("region=379900".to_string(), "month"),
            (format!("region=37990&month={month}"), "region"),
            (format!("region=379900&month={month}&format=docx"), "format"),
        ] {
            let (s, v) = e.call(Method::GET, &format!("/api/v1/reports/region?{q}"), &city, None).await;
            assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{q}: {v}");
        }
        let head = e.city.users.iter().find(|u| u.role == anjian_domain::role::Role::EnterpriseHead).unwrap();
        let t = e.login(&head.username).await;
        let (s, _) = e.call(Method::GET, &format!("/api/v1/reports/region?region=379900&month={month}"), &t, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        e.t.cleanup().await;
    }
}

/// A chat-completions endpoint on 127.0.0.1 that answers as `mode` says and records the requests.
async fn llm_server(mode: &'static str) -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
            let log = log.clone();
            async move {
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                log.lock().unwrap().push((auth, body.0.clone()));
                let user = body.0["messages"][1]["content"].as_str().unwrap_or_default().to_string();
                let paragraph = user.split("待改写的段落：").nth(1).unwrap_or_default().to_string();
                let content = match mode {
                    "ok" => format!("【经改写】{paragraph}"),
                    "invent" => format!("{paragraph}另有隐患99999项。"),
                    _ => return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"error": "down"}))),
                };
                (StatusCode::OK, axum::Json(serde_json::json!({
                    "id": "chatcmpl-1", "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), seen)
}

fn with_llm(e: &Env, url: &str) -> axum::Router {
    let cfg = anjian_app::reports::ReportConfig {
        llm: Some(anjian_app::reports::LlmConfig {
            url: url.into(),
            model: "qwen-test".into(),
            token: Some("sk-test".into()),
            timeout: std::time::Duration::from_secs(10),
        }),
        fonts: None,
    };
    anjian_web::router(e.app.clone().with_reports(cfg), true)
}

both_backends! {
    async fn a_configured_language_model_rewrites_the_narrative_and_failures_fall_back(b: Backend) {
        let e = Env::new(b).await;
        history(&e).await;
        let city = e.login("city").await;
        let (month, _) = periods();
        let uri = format!("/api/v1/reports/region?region=379900&month={month}");

        let (url, seen) = llm_server("ok").await;
        let (s, h, pdf) = Env::get_raw(&with_llm(&e, &url), &uri, &city).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["x-anjian-narrative"], "llm");
        let text = pdf_text(&pdf);
        assert!(text.contains("【经改写】") && text.contains("由大模型（qwen-test）"), "{text}");
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].0, "Bearer sk-test");
        assert_eq!(requests[0].1["model"], "qwen-test");
        assert!(requests[0].1["messages"][1]["content"].as_str().unwrap().contains("共排查发现隐患"));

        // The endpoint fails: the rule-based text stands and the report says why.
        let (url, _) = llm_server("fail").await;
        let (s, h, pdf) = Env::get_raw(&with_llm(&e, &url), &uri, &city).await;
        assert_eq!((s, h["x-anjian-narrative"].to_str().unwrap()), (StatusCode::OK, "fallback"));
        let text = pdf_text(&pdf);
        assert!(text.contains("大模型改写失败（HTTP500）") && !text.contains("【经改写】"), "{text}");
        assert!(text.contains("共排查发现隐患"));

        // A rewrite that invents a number is rejected.
        let (url, _) = llm_server("invent").await;
        let (_, h, xlsx) = Env::get_raw(&with_llm(&e, &format!("{url}/chat/completions")), &format!("{uri}&format=xlsx"), &city).await;
        assert_eq!(h["x-anjian-narrative"], "fallback");
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
        let note = wb.worksheet_range("概况").unwrap().get_value((6, 1)).unwrap().to_string();
        assert!(note.contains("没有的数字 99999"), "{note}");

        // Nothing listens: also a fallback, not an error.
        let (s, h, _) = Env::get_raw(&with_llm(&e, "http://127.0.0.1:9/v1"), &uri, &city).await;
        assert_eq!((s, h["x-anjian-narrative"].to_str().unwrap()), (StatusCode::OK, "fallback"));
        e.t.cleanup().await;
    }
}
