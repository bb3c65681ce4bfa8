//! The web application in headless Chromium: the server runs here on a
//! free port over the small demo city, and `tests/browser/run.mjs`
//! (playwright-core driving the Debian chromium) logs in as each role,
//! reports a hazard publicly and follows it, takes a hazard through its
//! lifecycle across two roles, inspects offline and syncs, and checks the
//! dashboard's figures against the API. Screenshots go to
//! `artifacts/browser/`.
//!
//! Nothing here skips: without node, chromium or the test package's
//! node_modules the test fails and says what to install.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_demo::DemoSize;
use anjian_store::Backend;
use anjian_store::testing::TestDb;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The prerequisites, each with what to do when it is missing.
fn check_prerequisites(package: &Path) {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is not installed (the browser tests need Node.js ≥ 18: apt-get install -y nodejs npm)"
    );
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: apt-get install -y chromium (the browser tests never download a browser)"
    );
    assert!(
        package.join("node_modules/playwright-core").is_dir(),
        "{}/node_modules is missing: run `npm ci` there (scripts/test does)",
        package.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_application_works_in_headless_chromium() {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    check_prerequisites(&package);

    let t = TestDb::new(Backend::Sqlite).await;
    let app = App::new(t.db.clone(), Secrets::from_key(&[7; 32]));
    anjian_demo::load::ensure_loaded(&app, 11, DemoSize::Small).await.unwrap();
    anjian_app::ledger::vkey(&app).await.unwrap();
    let sequencer = tokio::spawn(anjian_app::ledger::run_forever(app.clone(), std::time::Duration::from_millis(300)));
    let router = anjian_web::router_with(
        app.clone(),
        anjian_web::WebOptions { cookie_secure: true, public_reports_per_minute: 100, ..Default::default() },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });

    let artifacts = workspace().join("artifacts/browser");
    std::fs::create_dir_all(&artifacts).unwrap();
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(package.join("run.mjs"))
        .current_dir(&package)
        // localhost: a secure context for the service worker and the Secure cookie.
        .env("ANJIAN_BASE", format!("http://localhost:{port}"))
        .env("ANJIAN_ARTIFACTS", &artifacts)
        .env("ANJIAN_CHROMIUM", CHROMIUM)
        .kill_on_drop(true);
    let out = tokio::time::timeout(std::time::Duration::from_secs(240), cmd.output())
        .await
        .expect("the browser suite did not finish within 4 minutes")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    server.abort();
    sequencer.abort();
    t.cleanup().await;
    assert!(out.status.success(), "browser suite failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("all browser checks passed"), "the suite did not report completion:\n{stdout}");
}
