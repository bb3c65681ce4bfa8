//! `anjian bench registry`: the registry read API under load, measured with
//! wrk against the real endpoint and, in the same run, against a plain axum
//! handler that returns the same JSON bytes from memory (the reference).

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_demo::load as demo_load;
use anyhow::{Context, bail};
use axum::routing::get;
use std::path::Path;
use std::process::Command;

pub struct BenchArgs {
    pub database: Option<String>,
    pub connections: u32,
    pub threads: u32,
    pub seconds: u32,
}

#[derive(Debug)]
pub struct WrkResult {
    pub requests_per_sec: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

pub async fn registry(args: BenchArgs) -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("需要 wrk（apt-get install wrk）");
    }
    let tmp = std::env::temp_dir().join(format!("anjian-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let url = args.database.clone().unwrap_or_else(|| format!("sqlite://{}/bench.db", tmp.display()));
    let db = anjian_store::Db::open(&url).await.context("无法打开数据库")?;
    let backend = db.backend();
    let app = App::new(db, Secrets::from_key(&[42; 32]));
    let summary =
        demo_load::ensure_loaded(&app, 2026, anjian_demo::DemoSize::Standard).await.map_err(|e| anyhow::anyhow!(e))?;
    let districts = summary.districts.clone();

    let login = anjian_app::auth::login(
        &app,
        &anjian_app::auth::LoginRequest { username: "city".into(), password: anjian_demo::DEMO_PASSWORD.into() },
    )
    .await
    .map_err(|e| anyhow::anyhow!("login: {e}"))?;

    // The real server.
    let real = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let real_addr = real.local_addr()?;
    let router = anjian_web::router(app.clone(), false);
    tokio::spawn(async move { axum::serve(real, router).await });

    // One real response, served from memory by the reference handler.
    let sample_path = format!("/api/v1/enterprises?region={}&page=1&per_page=50", districts[0]);
    let body = fetch(&format!("http://{real_addr}{sample_path}"), &login.token).await?;
    let static_body: &'static [u8] = Box::leak(body.into_boxed_slice());
    let reference = axum::Router::new().route(
        "/api/v1/enterprises",
        get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], static_body) }),
    );
    let refl = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let ref_addr = refl.local_addr()?;
    tokio::spawn(async move { axum::serve(refl, reference).await });

    // wrk rotates over every district and the first pages.
    let script = tmp.join("rotate.lua");
    let paths: Vec<String> = districts
        .iter()
        .flat_map(|d| (1..=3).map(move |p| format!("\"/api/v1/enterprises?region={d}&page={p}&per_page=50\"")))
        .collect();
    std::fs::write(
        &script,
        format!(
            "paths = {{{}}}\ni = 0\nwrk.headers[\"Authorization\"] = \"Bearer {}\"\n\
             request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n\
             done = function(summary, latency, requests)\n  io.write(string.format(\"NON2XX %d\\n\", summary.errors.status))\nend\n",
            paths.join(", "),
            login.token
        ),
    )?;

    println!(
        "registry read API, {} connections, {} threads, {} s each, backend {}, {} enterprises",
        args.connections,
        args.threads,
        args.seconds,
        backend.as_str(),
        summary.enterprises
    );
    let reference_result = run_wrk(&format!("http://{ref_addr}"), &script, &args)?;
    let real_result = run_wrk(&format!("http://{real_addr}"), &script, &args)?;
    println!("| target | requests/s | p99 (ms) | non-2xx |");
    println!("|---|---|---|---|");
    println!(
        "| static JSON (plain axum) | {:.0} | {:.2} | {} |",
        reference_result.requests_per_sec, reference_result.p99_ms, reference_result.non_2xx
    );
    println!(
        "| GET /api/v1/enterprises ({}) | {:.0} | {:.2} | {} |",
        backend.as_str(),
        real_result.requests_per_sec,
        real_result.p99_ms,
        real_result.non_2xx
    );
    println!(
        "ratio (anjian / reference): throughput {:.3}, p99 {:.1}×",
        real_result.requests_per_sec / reference_result.requests_per_sec,
        real_result.p99_ms / reference_result.p99_ms.max(0.001)
    );
    if real_result.non_2xx > 0 {
        bail!("{} responses were not 2xx", real_result.non_2xx);
    }
    // The servers keep running until the process exits (closing the pool
    // under requests still in flight would only log noise).
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

async fn fetch(url: &str, token: &str) -> anyhow::Result<Vec<u8>> {
    // A minimal HTTP/1.1 GET over a raw socket: no client crate needed.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").context("http URL")?;
    let (host, path) = rest.split_once('/').context("path")?;
    let mut s = tokio::net::TcpStream::connect(host).await?;
    let req =
        format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").context("no header end")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    if !head.starts_with("HTTP/1.1 200") {
        bail!("sample request failed: {head}");
    }
    let body = buf[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return Ok(dechunk(&body));
    }
    Ok(body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[nl + 2 + size + 2..];
    }
    out
}

fn run_wrk(base: &str, script: &Path, a: &BenchArgs) -> anyhow::Result<WrkResult> {
    let out = Command::new("wrk")
        .arg(format!("-t{}", a.threads))
        .arg(format!("-c{}", a.connections))
        .arg(format!("-d{}s", a.seconds))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(base)
        .output()
        .context("wrk failed to start")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    parse_wrk(&text)
        .with_context(|| format!("cannot parse wrk output:\n{text}{}", String::from_utf8_lossy(&out.stderr)))
}

pub fn parse_wrk(text: &str) -> anyhow::Result<WrkResult> {
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .context("Requests/sec")?
        .trim()
        .parse::<f64>()?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%")).context("99%")?.trim();
    let non_2xx =
        text.lines().find_map(|l| l.trim().strip_prefix("NON2XX ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    Ok(WrkResult { requests_per_sec: rps, p99_ms: duration_ms(p99)?, non_2xx })
}

fn duration_ms(s: &str) -> anyhow::Result<f64> {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).context("unit")?);
    let v: f64 = num.trim().parse()?;
    Ok(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        other => bail!("unknown unit {other}"),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_wrk_output() {
        let text = "  Latency Distribution\n     50%    1.20ms\n     99%   12.50ms\nRequests/sec:   8123.45\nTransfer/sec: 1MB\nNON2XX 0\n";
        let r = super::parse_wrk(text).unwrap();
        assert_eq!((r.requests_per_sec, r.p99_ms, r.non_2xx), (8123.45, 12.5, 0));
        assert_eq!(super::duration_ms("850.00us").unwrap(), 0.85);
        assert_eq!(super::duration_ms("1.50s").unwrap(), 1500.0);
    }
}
