//! The web application's files through the router: every page route gives
//! its HTML shell with the security headers, every embedded file is served
//! with its type, ETag and gzip, and the pages reference only files this
//! binary serves (no CDN, nothing from the internet).

use crate::common::Env;
use anjian_store::Backend;
use anjian_web::pages::ASSETS;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn get(env: &Env, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let res = env.router.clone().oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, axum::body::to_bytes(res.into_body(), 1 << 25).await.unwrap().to_vec())
}

/// Where an asset is served: vendor files under their versioned directory.
fn url_of(path: &str) -> String {
    match path.strip_prefix("vendor/echarts/") {
        Some(f) => format!("/assets/vendor/echarts-6.1.0/{f}"),
        None => format!("/assets/{path}"),
    }
}

/// Resolves `spec` (an import or a URL in `from`) to an asset path.
fn resolve(from: &str, spec: &str) -> Option<String> {
    if let Some(abs) = spec.strip_prefix("/assets/") {
        return Some(abs.replace("vendor/echarts-6.1.0/", "vendor/echarts/"));
    }
    if !spec.starts_with('.') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The quoted strings after `key` in `text` (e.g. `from '`, `src="`).
fn quoted_after<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        rest = &rest[i + key.len()..];
        let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else { continue };
        let body = &rest[1..];
        if let Some(end) = body.find(q) {
            out.push(&body[..end]);
        }
    }
    out
}

#[tokio::test]
async fn every_page_and_file_is_served_from_the_binary_with_types_etags_and_gzip() {
    let env = Env::new(Backend::Sqlite).await;
    for page in [
        "/",
        "/login",
        "/dashboard",
        "/screen",
        "/hazards",
        "/hazards/new",
        "/hazards/x1",
        "/enterprises/e1",
        "/inbox",
        "/report",
        "/track",
        "/track/ABCDEFGHJK",
        "/m/",
    ] {
        let (s, h, body) = get(&env, page, &[]).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8", "{page}");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{page}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("lang=\"zh-CN\""), "{page}");
    }
    let (s, h, _) = get(&env, "/m", &[]).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::PERMANENT_REDIRECT, "/m/"));
    let (s, h, _) = get(&env, "/m/sw.js", &[]).await;
    assert_eq!((s, h[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "text/javascript; charset=utf-8"));
    let (s, h, _) = get(&env, "/m/manifest.webmanifest", &[]).await;
    assert_eq!((s, h[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "application/manifest+json"));

    for a in ASSETS.iter().filter(|a| !a.path.ends_with(".gz")) {
        let url = url_of(a.path);
        let (s, h, body) = get(&env, &url, &[]).await;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(body, a.bytes, "{url}");
        let etag = h[header::ETAG].to_str().unwrap().to_string();
        let (s, _, body) = get(&env, &url, &[("if-none-match", &etag)]).await;
        assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0), "{url} revalidates");
        let (_, h, gz) = get(&env, &url, &[("accept-encoding", "gzip, br")]).await;
        if a.path.ends_with(".png") {
            assert!(h.get(header::CONTENT_ENCODING).is_none());
        } else {
            assert_eq!(h[header::CONTENT_ENCODING], "gzip", "{url}");
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut libflate::gzip::Decoder::new(&gz[..]).unwrap(), &mut out).unwrap();
            assert_eq!(out, a.bytes, "{url} gunzips to the file");
        }
        let cache = h[header::CACHE_CONTROL].to_str().unwrap();
        if a.path.starts_with("vendor/") {
            assert!(cache.contains("immutable"), "{url}: {cache}");
        } else {
            assert_eq!(cache, "no-cache", "{url}");
        }
    }
    // Large JSON answers are gzipped when the client takes it (the one-map's
    // layers of a city are half a megabyte); small ones and streams are not.
    let (_, h, plain) = get(&env, "/api/v1/openapi.json", &[]).await;
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    let (_, h, gz) = get(&env, "/api/v1/openapi.json", &[("accept-encoding", "gzip")]).await;
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert!(gz.len() * 4 < plain.len(), "{} → {}", plain.len(), gz.len());
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut libflate::gzip::Decoder::new(&gz[..]).unwrap(), &mut out).unwrap();
    assert_eq!(out, plain);
    let (s, h, _) = get(&env, "/healthz", &[("accept-encoding", "gzip")]).await;
    assert_eq!((s, h.get(header::CONTENT_ENCODING)), (StatusCode::OK, None), "small bodies stay plain");
    // Vendor files only under their version; unknown files are 404.
    for url in [
        "/assets/vendor/echarts/echarts.min.js",
        "/assets/app/nope.js",
        "/assets/../Cargo.toml",
        "/assets/vendor/swagger-ui/x",
    ] {
        let (s, _, _) = get(&env, url, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{url}");
    }
    env.t.cleanup().await;
}

#[test]
fn the_pages_load_nothing_but_files_of_this_binary() {
    let known = |p: &str| ASSETS.iter().any(|a| a.path == p);
    for a in ASSETS.iter().filter(|a| [".js", ".html", ".css", ".webmanifest"].iter().any(|e| a.path.ends_with(e))) {
        if a.path.starts_with("vendor/") {
            continue;
        }
        let text = std::str::from_utf8(a.bytes).unwrap();
        // No address elsewhere (XML namespaces are names, not fetches).
        for scheme in ["http://", "https://", "//cdn", "//unpkg", "//fonts."] {
            for (i, _) in text.match_indices(scheme) {
                let tail = &text[i..(i + 40).min(text.len())];
                assert!(tail.starts_with("http://www.w3.org/"), "{} refers to {tail}", a.path);
            }
        }
        let mut refs: Vec<&str> = Vec::new();
        for key in ["from ", "import(", "src=", "href=", "src: ", "'/assets/", "\"/assets/"] {
            refs.extend(quoted_after(text, key));
        }
        for (i, _) in text.match_indices("/assets/") {
            let end = text[i..].find(['\'', '"', ')', ' ', '`']).map(|e| i + e).unwrap_or(text.len());
            refs.push(&text[i..end]);
        }
        for r in refs {
            if !(r.starts_with("/assets/") || r.starts_with("./") || r.starts_with("../")) {
                continue;
            }
            let target = resolve(a.path, r).unwrap();
            assert!(known(&target), "{} refers to {r} ({target}), which is not embedded", a.path);
        }
    }
}
