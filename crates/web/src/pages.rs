//! The web application: HTML shells for the pages and the static files they
//! load (plain HTML, CSS and ES modules plus vendored ECharts), all compiled
//! into the binary so nothing is fetched from the internet at runtime.
//!
//! - `/`, `/login`, `/dashboard`, `/screen`, `/hazards…`, `/enterprises/…`,
//!   `/inbox`, `/inspections…`, `/documents…`, `/alarms`, `/devices…`: the signed-in application (`assets/app/index.html`), routed in
//!   the browser by `assets/app/js/main.js`;
//! - `/report`, `/track…`: the public report and follow-up pages (no login);
//! - `/m/`: the mobile inspection app (installable PWA, its service worker
//!   at `/m/sw.js` so that its scope is `/m/`);
//! - `/assets/…`: the files, with an ETag, gzip when the client takes it,
//!   `no-cache` for ours (revalidated, so a new binary is picked up at once)
//!   and a year for the versioned vendor directory.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{LazyLock, OnceLock};

/// One embedded file.
pub struct Asset {
    /// Path under `crates/web/assets/` (and under `/assets/` in URLs).
    pub path: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) }),*]
    };
}

/// Every file the pages use. A unit test checks that each file of the
/// asset directories is listed here.
pub static ASSETS: &[Asset] = assets![
    "app/index.html",
    "app/app.css",
    "app/js/main.js",
    "app/js/api.js",
    "app/js/dom.js",
    "app/js/labels.js",
    "app/js/charts.js",
    "app/js/ledger.js",
    "app/js/minimap.js",
    "app/js/live.js",
    "app/js/widgets.js",
    "app/js/listing.js",
    "app/js/pages/login.js",
    "app/js/pages/home.js",
    "app/js/pages/dashboard.js",
    "app/js/pages/hazards.js",
    "app/js/pages/hazard.js",
    "app/js/pages/hazard-new.js",
    "app/js/pages/enterprise.js",
    "app/js/pages/inbox.js",
    "app/js/pages/inspections.js",
    "app/js/pages/inspection.js",
    "app/js/pages/documents.js",
    "app/js/pages/document.js",
    "app/js/pages/alarms.js",
    "app/js/pages/devices.js",
    "app/js/pages/device.js",
    "public/report.html",
    "public/track.html",
    "public/public.css",
    "public/report.js",
    "public/track.js",
    "m/index.html",
    "m/m.css",
    "m/app.js",
    "m/outbox.js",
    "m/sw.js",
    "m/manifest.webmanifest",
    "m/icon.svg",
    "m/icon-192.png",
    "m/icon-512.png",
    "vendor/echarts/echarts.min.js",
    "vendor/echarts/echarts.min.js.gz",
    "vendor/echarts/LICENSE",
    "vendor/echarts/LICENSE-d3",
    "vendor/echarts/LICENSE-zrender",
    "vendor/echarts/NOTICE",
    "vendor/echarts/VERSION",
];

/// The directory of the vendored ECharts, versioned in its URL so browsers
/// may keep it for a year.
pub const ECHARTS_URL: &str = "/assets/vendor/echarts-6.1.0/echarts.min.js";

fn mime_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "text/plain; charset=utf-8",
    }
}

fn compressible(path: &str) -> bool {
    !path.ends_with(".png")
}

/// Per asset, computed on first use: the ETag and the gzip body.
struct Derived {
    etag: OnceLock<HeaderValue>,
    gzip: OnceLock<Vec<u8>>,
}

static DERIVED: LazyLock<Vec<Derived>> =
    LazyLock::new(|| ASSETS.iter().map(|_| Derived { etag: OnceLock::new(), gzip: OnceLock::new() }).collect());

fn find(path: &str) -> Option<usize> {
    ASSETS.iter().position(|a| a.path == path)
}

fn etag_of(d: &'static Derived, bytes: &[u8]) -> &'static HeaderValue {
    d.etag.get_or_init(|| {
        use sha2::Digest;
        let h = sha2::Sha256::digest(bytes);
        HeaderValue::from_str(&format!("\"{}\"", hex::encode(&h[..12]))).unwrap_or(HeaderValue::from_static("\"0\""))
    })
}

fn gzip_of(d: &'static Derived, bytes: &[u8]) -> &'static [u8] {
    d.gzip.get_or_init(|| crate::compress::gzip(bytes))
}

/// The gzip body: a committed `<path>.gz` (`gzip -9`, for the large vendor
/// files) or compressed here once.
fn gzip(i: usize) -> &'static [u8] {
    match find(&format!("{}.gz", ASSETS[i].path)) {
        Some(pre) => ASSETS[pre].bytes,
        None => gzip_of(&DERIVED[i], ASSETS[i].bytes),
    }
}

use crate::compress::accepts_gzip;

/// Security headers of every page: scripts, styles, data and workers from
/// this origin only (a page cannot reach a CDN even by mistake).
fn page_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; \
             connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; \
             base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// Debug builds with `ANJIAN_DEV_ASSETS=1` read the files from
/// `crates/web/assets/` on every request, so pages can be edited without
/// rebuilding. Release builds always serve the embedded copies.
#[cfg(debug_assertions)]
fn dev_file(path: &str) -> Option<Response> {
    std::env::var_os("ANJIAN_DEV_ASSETS")?;
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(path)).ok()?;
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime_of(path)));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if path.ends_with(".html") {
        page_headers(&mut res);
    }
    Some(res)
}

#[cfg(not(debug_assertions))]
fn dev_file(_: &str) -> Option<Response> {
    None
}

/// Serves asset `i` with caching and compression.
fn serve(i: usize, headers: &HeaderMap, cache: &'static str) -> Response {
    let a = &ASSETS[i];
    if let Some(res) = dev_file(a.path) {
        return res;
    }
    respond(a.path, a.bytes, etag_of(&DERIVED[i], a.bytes), || gzip(i), headers, cache)
}

fn respond(
    path: &str,
    bytes: &'static [u8],
    tag: &'static HeaderValue,
    gz: impl FnOnce() -> &'static [u8],
    headers: &HeaderMap,
    cache: &'static str,
) -> Response {
    let mut res = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if compressible(path) && accepts_gzip(headers) {
        ([(header::CONTENT_ENCODING, "gzip")], gz()).into_response()
    } else {
        bytes.into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime_of(path)));
    h.insert(header::ETAG, tag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if path.ends_with(".html") {
        page_headers(&mut res);
    }
    res
}

/// The modules the dashboard needs, hinted in its shell so they download
/// with `main.js` instead of one after another (ECharts too).
const DASHBOARD_PRELOADS: &[&str] = &[
    "<link rel=\"modulepreload\" href=\"/assets/app/js/pages/dashboard.js\">",
    "<link rel=\"modulepreload\" href=\"/assets/app/js/charts.js\">",
    "<link rel=\"modulepreload\" href=\"/assets/app/js/live.js\">",
    "<link rel=\"modulepreload\" href=\"/assets/app/js/widgets.js\">",
    "<link rel=\"preload\" as=\"script\" href=\"/assets/vendor/echarts-6.1.0/echarts.min.js\">",
];

/// `/dashboard` and `/screen`: the app shell with [`DASHBOARD_PRELOADS`].
fn dashboard_shell() -> &'static [u8] {
    static SHELL: LazyLock<Vec<u8>> = LazyLock::new(|| {
        let base = std::str::from_utf8(ASSETS[find("app/index.html").expect("shell")].bytes).expect("utf-8 shell");
        let anchor = "<script type=\"module\"";
        base.replacen(anchor, &format!("{}\n{anchor}", DASHBOARD_PRELOADS.join("\n")), 1).into_bytes()
    });
    &SHELL
}

static DASHBOARD_DERIVED: Derived = Derived { etag: OnceLock::new(), gzip: OnceLock::new() };

fn serve_path(path: &str, headers: &HeaderMap) -> Response {
    match find(path) {
        Some(i) => serve(i, headers, "no-cache"),
        None => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "未找到").into_response()
}

async fn asset(Path(rest): Path<String>, headers: HeaderMap) -> Response {
    if let Some(file) = rest.strip_prefix("vendor/echarts-6.1.0/") {
        return match find(&format!("vendor/echarts/{file}")) {
            Some(i) => serve(i, &headers, "public, max-age=31536000, immutable"),
            None => not_found(),
        };
    }
    // Only our own files by their plain path (vendor files by version).
    if rest.starts_with("vendor/") {
        return not_found();
    }
    serve_path(&rest, &headers)
}

async fn app_shell(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    if matches!(uri.path(), "/dashboard" | "/screen") && dev_file("app/index.html").is_none() {
        let b = dashboard_shell();
        return respond(
            "app/index.html",
            b,
            etag_of(&DASHBOARD_DERIVED, b),
            || gzip_of(&DASHBOARD_DERIVED, b),
            &headers,
            "no-cache",
        );
    }
    serve_path("app/index.html", &headers)
}

async fn report_page(headers: HeaderMap) -> Response {
    serve_path("public/report.html", &headers)
}

async fn track_page(headers: HeaderMap) -> Response {
    serve_path("public/track.html", &headers)
}

async fn mobile_shell(headers: HeaderMap) -> Response {
    serve_path("m/index.html", &headers)
}

async fn mobile_root() -> Response {
    axum::response::Redirect::permanent("/m/").into_response()
}

async fn service_worker(headers: HeaderMap) -> Response {
    serve_path("m/sw.js", &headers)
}

async fn manifest(headers: HeaderMap) -> Response {
    serve_path("m/manifest.webmanifest", &headers)
}

/// The page routes and `/assets/…`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut r = Router::new();
    for p in [
        "/",
        "/login",
        "/dashboard",
        "/screen",
        "/hazards",
        "/hazards/new",
        "/hazards/{id}",
        "/enterprises/{id}",
        "/inbox",
        "/inspections",
        "/inspections/{id}",
        "/documents",
        "/documents/{id}",
        "/alarms",
        "/devices",
        "/devices/{id}",
    ] {
        r = r.route(p, get(app_shell));
    }
    r.route("/report", get(report_page))
        .route("/track", get(track_page))
        .route("/track/{code}", get(track_page))
        .route("/m", get(mobile_root))
        .route("/m/", get(mobile_shell))
        .route("/m/sw.js", get(service_worker))
        .route("/m/manifest.webmanifest", get(manifest))
        .route("/assets/{*rest}", get(asset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files_under(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_file_of_the_pages_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut files = Vec::new();
        for d in ["app", "public", "m", "vendor/echarts"] {
            files_under(&root.join(d), &root, &mut files);
        }
        for f in &files {
            assert!(find(f).is_some(), "{f} is not listed in pages::ASSETS");
        }
        for a in ASSETS {
            assert!(files.iter().any(|f| f == a.path), "{} is listed but not in assets/", a.path);
        }
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        libflate::gzip::Decoder::new(gz).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn gzip_bodies_decompress_to_the_files() {
        // The committed gzip of ECharts is exactly the vendored file.
        let i = find("vendor/echarts/echarts.min.js").unwrap();
        assert!(gzip(i).len() < ASSETS[i].bytes.len() / 3);
        assert_eq!(gunzip(gzip(i)), ASSETS[i].bytes);
        // Ours are compressed at first use.
        let j = find("app/app.css").unwrap();
        assert!(gzip(j).len() < ASSETS[j].bytes.len() / 2);
        assert_eq!(gunzip(gzip(j)), ASSETS[j].bytes);
    }

    #[test]
    fn the_dashboard_shell_preloads_its_modules_and_echarts() {
        let shell = std::str::from_utf8(dashboard_shell()).unwrap();
        for p in DASHBOARD_PRELOADS {
            assert!(shell.contains(p), "{p}");
            let url = p.split("href=\"").nth(1).unwrap().split('"').next().unwrap();
            let path = url.trim_start_matches("/assets/").replace("echarts-6.1.0", "echarts");
            assert!(find(&path).is_some(), "{url} is embedded");
        }
        assert!(
            shell.find("modulepreload\" href=\"/assets/app/js/pages/dashboard.js").unwrap()
                < shell.find("main.js").unwrap()
        );
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip;q=0.8"));
        assert!(accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0, br"));
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        assert!(!accepts_gzip(&h));
    }
}
