//! Prometheus metrics, one registry per server (no global recorder, so
//! several servers can live in one test process).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use std::time::Instant;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    ingest: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("anjian".into()), None).expect("registry");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("counter");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["method", "route"],
        )
        .expect("histogram");
        let ingest = IntCounterVec::new(
            Opts::new(
                "ingest_values_total",
                "Device values received, by outcome (accepted, duplicate, or the rejection reason)",
            ),
            &["outcome"],
        )
        .expect("counter");
        registry.register(Box::new(requests.clone())).expect("register");
        registry.register(Box::new(latency.clone())).expect("register");
        registry.register(Box::new(ingest.clone())).expect("register");
        Metrics { registry, requests, latency, ingest }
    }

    /// Counts the outcome of an ingest (HTTP or MQTT).
    pub fn count_ingest(&self, r: &anjian_app::monitoring::IngestReport) {
        self.ingest.with_label_values(&["accepted"]).inc_by(r.accepted);
        self.ingest.with_label_values(&["duplicate"]).inc_by(r.duplicates);
        for (reason, n) in &r.rejected {
            self.ingest.with_label_values(&[reason.as_str()]).inc_by(*n);
        }
    }

    /// Registers another collector (ingest rates, queue depths, …).
    pub fn register(&self, c: Box<dyn prometheus::core::Collector>) {
        if let Err(e) = self.registry.register(c) {
            tracing::warn!(error = %e, "metric registration failed");
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn track(State(m): State<Metrics>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    m.latency.with_label_values(&[&method, &route]).observe(start.elapsed().as_secs_f64());
    m.requests.with_label_values(&[&method, &route, res.status().as_str()]).inc();
    res
}
