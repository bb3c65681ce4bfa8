//! `anjian bench dashboard`: the 一张图 dashboard's first render in headless
//! Chromium on the Standard demo city. The server runs here; the browser
//! side is `crates/web/tests/browser/bench.mjs` (playwright-core driving
//! `/usr/bin/chromium`): cold loads as the city supervisor, time to the key
//! figures and to the drawn map, bytes transferred by type, a warm reload,
//! and as the reference, in the same run, the dashboard's own API requests
//! fetched in parallel by the same browser without rendering.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anyhow::{Context, bail};
use serde_json::Value;
use std::path::PathBuf;

pub struct Args {
    pub database: Option<String>,
    pub runs: u32,
    pub script: PathBuf,
}

fn kb(v: &Value) -> String {
    format!("{:.1} KB", v.as_f64().unwrap_or(0.0) / 1024.0)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        bail!("需要 chromium（apt-get install -y chromium）");
    }
    let script = args.script.canonicalize().with_context(|| format!("找不到 {}", args.script.display()))?;
    let dir = script.parent().context("脚本目录")?.to_path_buf();
    if !dir.join("node_modules/playwright-core").is_dir() {
        bail!("需要 {}/node_modules（在该目录运行 npm ci）", dir.display());
    }
    let tmp = std::env::temp_dir().join(format!("anjian-bench-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let url = args.database.clone().unwrap_or_else(|| format!("sqlite://{}/bench.db", tmp.display()));
    let db = anjian_store::Db::open(&url).await.context("无法打开数据库")?;
    let backend = db.backend();
    let app = App::new(db, Secrets::from_key(&[42; 32]));
    let t = std::time::Instant::now();
    anjian_demo::load::ensure_loaded(&app, 2026, anjian_demo::DemoSize::Standard)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    println!("standard demo city ready in {:.1} s ({})", t.elapsed().as_secs_f64(), backend.as_str());
    let router =
        anjian_web::router_with(app.clone(), anjian_web::WebOptions { cookie_secure: false, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .current_dir(&dir)
        .env("ANJIAN_BASE", format!("http://localhost:{port}"))
        .env("ANJIAN_RUNS", args.runs.to_string())
        .output()
        .await
        .context("node 未安装")?;
    if !out.status.success() {
        bail!("浏览器基准失败:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    let r: Value = serde_json::from_slice(out.stdout.trim_ascii()).context("bench.mjs 输出不是 JSON")?;
    let ms = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let (fig, map, reference) =
        (ms(&r["figures_ms"]["median"]), ms(&r["map_ms"]["median"]), ms(&r["reference_api_ms"]["median"]));
    println!("cold loads of {} as {} at 1920×1080, {} runs (median)", r["path"], r["user"], r["runs"]);
    println!("  key figures visible   {fig:>7.0} ms   {:?}", r["figures_ms"]["all"]);
    println!("  map drawn             {map:>7.0} ms   {:?}", r["map_ms"]["all"]);
    println!(
        "  reference: the same API requests in parallel, no rendering {reference:.0} ms → map / reference {:.2}",
        map / reference
    );
    println!(
        "  warm reload: figures {:.0} ms, map {:.0} ms, {} transferred",
        ms(&r["warm"]["figures_ms"]),
        ms(&r["warm"]["map_ms"]),
        kb(&r["warm"]["transfer"])
    );
    println!("page weight of a cold load (transferred / decoded):");
    if let Some(by) = r["weight"]["by_type"].as_object() {
        for (k, v) in by {
            println!("  {k:<10} {:>3} requests {:>10} / {:>10}", v["requests"], kb(&v["transfer"]), kb(&v["body"]));
        }
    }
    let total = &r["weight"]["total"];
    println!(
        "  {:<10} {:>3} requests {:>10} / {:>10}",
        "total",
        total["requests"],
        kb(&total["transfer"]),
        kb(&total["body"])
    );
    if let Some(api) = r["weight"]["api"].as_array() {
        println!("API responses of the first load:");
        for a in api {
            println!(
                "  {:>9} at {:>5} ms, {:>5} ms  {}",
                kb(&a["transfer"]),
                a["start"],
                a["ms"],
                a["url"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(marks) = r["weight"]["marks"].as_object() {
        let list: Vec<String> =
            marks.iter().map(|(k, v)| format!("{} {v} ms", k.trim_start_matches("anjian:"))).collect();
        println!("marks of the first load: {}", list.join(", "));
    }
    if let Some(files) = r["weight"]["files"].as_array() {
        println!("files of the first load (start → end, ms after navigation start):");
        for f in files {
            println!("  {:>5} → {:>5}  {}", f["start"], f["end"], f["url"].as_str().unwrap_or(""));
        }
    }
    app.db.close().await;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
