//! Live alarms as Server-Sent Events (`GET /api/v1/alarms/stream`).
//!
//! Fed by `anjian_app::alarm_feed`, which polls the database, so changes
//! made through any replica arrive. Authenticated like every other call
//! (the session cookie works: `EventSource` cannot send headers); the
//! session is re-checked every minute and the stream ends when it is gone.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth, credential};
use anjian_app::App;
use anjian_app::alarm_feed::{self, AlarmChangeView, Interest};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

/// How often the stream re-checks that its session is still valid.
const REAUTH: Duration = Duration::from_secs(60);
/// Most missed changes replayed after a reconnect with `Last-Event-ID`.
const REPLAY: i64 = 500;

/// Alarm changes in the caller's scope as they happen (SSE). Events:
/// `ready` once connected (load the current alarms then), `alarm` per
/// change (JSON `AlarmChangeView`, `id:` the alarm event id), `reload` when
/// this client fell behind and should reload, `end` when the session ended.
/// A reconnect with `Last-Event-ID` first replays what was missed.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct StreamParams {
    /// Only changes in this region subtree (within your scope).
    pub region: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/alarms/stream", tag = "monitoring",
    params(StreamParams, ("Last-Event-ID" = Option<String>, Header, description = "the last alarm event id received; missed changes are replayed")),
    responses((status = 200, content_type = "text/event-stream", body = AlarmChangeView,
        description = "`event: alarm` with an AlarmChangeView per change; `ready`, `reload`, `end` control events"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<StreamParams>,
    parts: Parts,
) -> ApiResult<Response> {
    let who = Interest::new(c, p.region.as_deref())?;
    let token = credential(&parts).unwrap_or_default();
    let last = parts
        .headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() == 36 && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .map(str::to_string);
    // Subscribe before reading the replay so nothing falls between them.
    let rx = s.app.alarm_feed.subscribe(&s.app);
    let mut pending = VecDeque::new();
    pending.push_back(Event::default().event("ready").data(anjian_app::time::fmt_local(anjian_store::now_ms())));
    if let Some(after) = &last {
        for ch in alarm_feed::replay(&s.app, &who, after, REPLAY).await? {
            pending.push_back(alarm_event(&ch));
        }
    }
    let next_auth = tokio::time::Instant::now() + REAUTH;
    let state = Listener { app: s.app.clone(), who, token, rx, pending, next_auth, done: false };
    let sse = Sse::new(events(state)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut res = sse.into_response();
    // Reverse proxies must not buffer the stream.
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

fn alarm_event(ch: &AlarmChangeView) -> Event {
    Event::default()
        .event("alarm")
        .id(ch.event_id.clone())
        .json_data(ch)
        .unwrap_or_else(|_| Event::default().comment("skipped"))
}

struct Listener {
    app: App,
    who: Interest,
    token: String,
    rx: broadcast::Receiver<Arc<AlarmChangeView>>,
    pending: VecDeque<Event>,
    next_auth: tokio::time::Instant,
    done: bool,
}

fn events(state: Listener) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(state, |mut l| async move {
        loop {
            if let Some(e) = l.pending.pop_front() {
                return Some((Ok(e), l));
            }
            if l.done {
                return None;
            }
            tokio::select! {
                got = l.rx.recv() => match got {
                    Ok(ch) if l.who.wants(&ch) => return Some((Ok(alarm_event(&ch)), l)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return Some((Ok(Event::default().event("reload").data("lagged")), l)),
                    Err(RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(l.next_auth) => {
                    l.next_auth = tokio::time::Instant::now() + REAUTH;
                    if anjian_app::auth::authenticate(&l.app, &l.token).await.is_err() {
                        l.done = true;
                        return Some((Ok(Event::default().event("end").data("session ended")), l));
                    }
                }
            }
        }
    })
}
