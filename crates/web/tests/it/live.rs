//! Live alarms over Server-Sent Events on SQLite and PostgreSQL: the stream
//! is fed from the database, so an alarm raised through one replica reaches
//! a page connected to another; each subscriber gets only its scope; a
//! reconnect with Last-Event-ID replays what was missed.

use crate::common::Env;
use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_store::both_backends;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tower::ServiceExt;

/// One open event stream, parsed as it arrives.
struct Stream {
    body: axum::body::BodyDataStream,
    buf: String,
}

#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<String>,
    data: String,
}

impl Stream {
    async fn open(
        router: &axum::Router,
        token: &str,
        query: &str,
        last_id: Option<&str>,
    ) -> (StatusCode, Option<Stream>) {
        let mut b = Request::get(format!("/api/v1/alarms/stream{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(id) = last_id {
            b = b.header("last-event-id", id);
        }
        let res = router.clone().oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
        let s = res.status();
        if s != StatusCode::OK {
            return (s, None);
        }
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
        (s, Some(Stream { body: res.into_body().into_data_stream(), buf: String::new() }))
    }

    /// The next event other than keep-alive comments, within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse { event: "message".into(), id: None, data: String::new() };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().into();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().into());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(ev);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `alarm` event's data.
    async fn alarm(&mut self, wait: Duration) -> Option<(String, Value)> {
        while let Some(e) = self.next(wait).await {
            if e.event == "alarm" {
                return Some((e.id.unwrap_or_default(), serde_json::from_str(&e.data).unwrap()));
            }
        }
        None
    }
}

/// A gas detector with the combustible-gas rule at enterprise `ent`; (id, secret).
async fn detector(env: &Env, token: &str, ent: &anjian_demo::Enterprise, name: &str) -> (String, String) {
    let (s, d) = env
        .call(
            Method::POST,
            "/api/v1/devices",
            token,
            Some(json!({"name": name, "device_type": "gas_detector", "enterprise_id": ent.id, "lon": ent.lon, "lat": ent.lat,
                "metrics": [{"name": "lel_percent", "unit": "%LEL"}], "interval_s": 60})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    let (s, r) = env
        .call(Method::POST, &format!("/api/v1/devices/{id}/rules"), token, Some(json!({"template": "combustible_gas"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    (id, d["secret"].as_str().unwrap().to_string())
}

async fn gas(env: &Env, device: &str, secret: &str, lel: f64) {
    let (s, r) = env
        .call(
            Method::POST,
            "/api/v1/ingest",
            "",
            Some(json!({"batches": [{"device_id": device, "secret": secret,
                "readings": [{"ts": anjian_store::now_ms() - 1000, "values": {"lel_percent": lel}}]}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
}

const WAIT: Duration = Duration::from_secs(10);

both_backends! {
    async fn an_alarm_raised_through_one_replica_streams_live_from_another_within_scope(b: Backend) {
        let env = Env::new(b).await;
        // A second replica: its own process state, the same database.
        let replica = anjian_web::router(App::new(env.t.db.clone(), Secrets::from_key(&[6; 32])), true);
        let admin = env.login("admin").await;
        let district = env.login("district01").await;
        let head = env.login("ent0001-head").await;
        let east = env.city.enterprises.iter().find(|e| e.id == "ent-00001").unwrap();
        let west = env.city.enterprises.iter().find(|e| e.region_code.starts_with("379902")).unwrap();

        let (_, mut d_stream) = Stream::open(&replica, &district, "", None).await;
        let d_stream = d_stream.as_mut().expect("district stream");
        let (_, mut h_stream) = Stream::open(&replica, &head, "?region=379901", None).await;
        let h_stream = h_stream.as_mut().expect("head stream");
        assert_eq!(d_stream.next(WAIT).await.unwrap().event, "ready");
        assert_eq!(h_stream.next(WAIT).await.unwrap().event, "ready");
        // Outside the district officer's region: refused, not silently empty.
        let (s, _) = Stream::open(&replica, &district, "?region=379902", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = Stream::open(&replica, &district, "?region=12x", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // Through the first replica: an alarm in the west, then one at enterprise 1.
        let (w_dev, w_secret) = detector(&env, &admin, west, "西城气体探头").await;
        gas(&env, &w_dev, &w_secret, 60.0).await;
        let (e_dev, e_secret) = detector(&env, &admin, east, "东城气体探头").await;
        gas(&env, &e_dev, &e_secret, 60.0).await;

        // Both subscribers get the east alarm first: the west one never reaches them.
        let (first_id, a) = d_stream.alarm(WAIT).await.expect("the district officer gets the alarm live");
        assert_eq!((a["event"].as_str(), a["device_name"].as_str(), a["level"].as_str()), (Some("raise"), Some("东城气体探头"), Some("red")));
        assert_eq!(a["enterprise_id"], east.id.as_str());
        assert!(a["lon"].as_f64().is_some() && a["level_label"] == "红色预警", "{a}");
        let (_, a) = h_stream.alarm(WAIT).await.expect("the enterprise head gets it too");
        assert_eq!(a["device_name"], "东城气体探头");

        // Acknowledged through the first replica: the change streams too.
        let (s, al) = env.call(Method::GET, &format!("/api/v1/alarms?device_id={e_dev}"), &admin, None).await;
        assert_eq!(s, StatusCode::OK);
        let alarm = al["items"][0]["id"].as_str().unwrap().to_string();
        let (s, r) = env.call(Method::POST, &format!("/api/v1/alarms/{alarm}/actions"), &district, Some(json!({"action": "acknowledge"}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let (ack_id, a) = d_stream.alarm(WAIT).await.expect("the acknowledgement streams");
        assert_eq!((a["event"].as_str(), a["state"].as_str(), a["alarm_id"].as_str()), (Some("acknowledge"), Some("acknowledged"), Some(alarm.as_str())));
        assert!(ack_id > first_id, "event ids increase");
        // Nothing else for the district: the west alarm stays out.
        let quiet = d_stream.alarm(Duration::from_millis(2500)).await;
        assert!(quiet.is_none(), "{quiet:?}");

        // A page that reconnects after the raise gets the acknowledgement replayed at once.
        let (_, mut again) = Stream::open(&env.router, &district, "", Some(&first_id)).await;
        let again = again.as_mut().unwrap();
        assert_eq!(again.next(WAIT).await.unwrap().event, "ready");
        let (id, a) = again.alarm(Duration::from_millis(500)).await.expect("replayed");
        assert_eq!((id.as_str(), a["event"].as_str()), (ack_id.as_str(), Some("acknowledge")));

        // No session, no stream.
        let res = replica.clone().oneshot(Request::get("/api/v1/alarms/stream").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        drop(replica);
        env.t.cleanup().await;
    }
}
