//! The `anjian` binary as an operator uses it: commands, configuration,
//! backups, the demo city. Runs the real executable.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anjian_store::testing::{TempDir, pg_server_url};

fn anjian() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_anjian"));
    // The test environment must not leak into the commands under test.
    for (k, _) in std::env::vars() {
        if k.starts_with("ANJIAN_") {
            c.env_remove(k);
        }
    }
    c.env("ANJIAN_LOG", "warn");
    c
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A fresh PostgreSQL database URL (dropped by the returned guard).
struct PgDb {
    url: String,
    name: String,
}

impl PgDb {
    fn new() -> PgDb {
        let name = format!("anjian_cli_{}", std::process::id()) + &format!("_{}", rand_suffix());
        let out = Command::new("psql")
            .args([&format!("{}/postgres", pg_server_url()), "-qc", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql is needed for the PostgreSQL CLI tests");
        assert!(out.status.success(), "PostgreSQL unreachable: {}", text(&out));
        PgDb { url: format!("{}/{name}", pg_server_url()), name }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &format!("{}/postgres", pg_server_url()),
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{:x}", t)
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["bench", "--help"],
        vec!["hazards", "import", "--help"],
        vec!["ledger", "--help"],
        vec!["ledger", "export", "--help"],
        vec!["ledger", "verify", "--help"],
        vec!["bench", "ledger", "--help"],
        vec!["bench", "pdf", "--help"],
        vec!["report", "--help"],
    ] {
        let o = run(anjian().args(&args), None);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn bad_configuration_is_a_message_not_a_panic() {
    let dir = TempDir::new("cli-cfg");
    let o = run(anjian().args(["migrate", "--database", "mysql://x"]), None);
    assert!(!o.status.success());
    assert!(text(&o).contains("database") && !text(&o).contains("panicked"), "{}", text(&o));
    let o = run(anjian().env("ANJIAN_LISTEN", "not-an-address").args(["serve", "--data-dir"]).arg(dir.path()), None);
    assert!(!o.status.success());
    assert!(text(&o).contains("listen") && !text(&o).contains("panicked"), "{}", text(&o));
    let cfg = dir.path().join("anjian.toml");
    std::fs::write(&cfg, "secret_key = \"short\"\n").unwrap();
    let o = run(anjian().arg("--config").arg(&cfg).args(["migrate", "--data-dir"]).arg(dir.path()), None);
    assert!(!o.status.success());
    assert!(text(&o).contains("secret_key"), "{}", text(&o));
    let o = run(
        anjian().env("ANJIAN_LLM_URL", "http://127.0.0.1:9/v1").args(["migrate", "--data-dir"]).arg(dir.path()),
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("llm_url 与 llm_model"), "{}", text(&o));
    let o = run(
        anjian().env("ANJIAN_PDF_FONT", "/nonexistent/font.ttc#2").args(["migrate", "--data-dir"]).arg(dir.path()),
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("pdf_font") && text(&o).contains("/nonexistent/font.ttc"), "{}", text(&o));
    let o = run(anjian().arg("--config").arg(dir.path().join("missing.toml")).arg("migrate"), None);
    assert!(!o.status.success());
    assert!(text(&o).contains("配置文件不存在"), "{}", text(&o));
}

fn user_add(db: &[&str], args: &[&str], password: &str) -> Output {
    run(anjian().args(["user", "add"]).args(db).args(args).arg("--password-stdin"), Some(&format!("{password}\n")))
}

fn check_user_add_and_backup_restore(db_args: Vec<String>, backup_file: &Path) {
    let db: Vec<&str> = db_args.iter().map(String::as_str).collect();
    let o = run(anjian().arg("migrate").args(&db), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = user_add(&db, &["--username", "root", "--role", "super-admin"], "a-long-password");
    assert!(o.status.success(), "{}", text(&o));
    // Bad input: a message naming the field, nothing created.
    let o = user_add(&db, &["--username", "officer", "--role", "region-officer"], "a-long-password");
    assert!(!o.status.success());
    assert!(text(&o).contains("region"), "{}", text(&o));
    let o = user_add(&db, &["--username", "shorty", "--role", "super-admin"], "short");
    assert!(!o.status.success());
    assert!(text(&o).contains("password"), "{}", text(&o));
    let o = user_add(&db, &["--username", "root", "--role", "super-admin"], "a-long-password");
    assert!(!o.status.success(), "duplicate username");
    assert!(text(&o).contains("username"), "{}", text(&o));

    let o = run(anjian().arg("backup").args(&db).arg("--out").arg(backup_file), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(anjian().arg("backup").args(&db).arg("--out").arg(backup_file), None);
    assert!(!o.status.success(), "refuses to overwrite a backup");

    // A user added after the backup is gone after the restore.
    let o = user_add(&db, &["--username", "later", "--role", "super-admin"], "a-long-password");
    assert!(o.status.success(), "{}", text(&o));
    let o = run(anjian().arg("restore").args(&db).arg("--from").arg(backup_file), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = user_add(&db, &["--username", "later", "--role", "super-admin"], "a-long-password");
    assert!(o.status.success(), "'later' must not exist after restore: {}", text(&o));
    let o = user_add(&db, &["--username", "root", "--role", "super-admin"], "a-long-password");
    assert!(!o.status.success(), "'root' must survive the restore");
}

#[test]
fn sqlite_user_add_backup_and_restore() {
    let dir = TempDir::new("cli-sqlite");
    let data = dir.path().join("data");
    check_user_add_and_backup_restore(
        vec!["--data-dir".into(), data.display().to_string()],
        &dir.path().join("backup.db"),
    );
    // A file that is not a backup is refused and the database is untouched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let o = run(anjian().args(["restore", "--data-dir"]).arg(&data).arg("--from").arg(&junk), None);
    assert!(!o.status.success());
    let o = user_add(
        &["--data-dir", &data.display().to_string()],
        &["--username", "root", "--role", "super-admin"],
        "a-long-password",
    );
    assert!(!o.status.success(), "database intact after a refused restore");
}

#[test]
fn postgres_user_add_backup_and_restore() {
    let pg = PgDb::new();
    let dir = TempDir::new("cli-pg");
    check_user_add_and_backup_restore(vec!["--database".into(), pg.url.clone()], &dir.path().join("backup.dump"));
}

/// Starts `anjian <args>` and waits for its "已启动" line; returns the base URL.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = anjian().args(args).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.push(line.clone());
            if line.contains("已启动") {
                let _ = tx.send((line, lines.clone()));
            }
        }
    });
    let (line, _) = rx.recv_timeout(Duration::from_secs(240)).expect("server did not start");
    let url = line.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    (child, format!("http://{url}"))
}

fn http_get(base: &str, path: &str, token: Option<&str>) -> (u16, String) {
    use std::net::TcpStream;
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut buf = String::new();
    std::io::Read::read_to_string(&mut s, &mut buf).unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf.split_once("\r\n\r\n").map(|x| x.1.to_string()).unwrap_or_default();
    (status, body)
}

fn http_post_json(base: &str, path: &str, body: &str) -> (u16, String) {
    use std::net::TcpStream;
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = String::new();
    std::io::Read::read_to_string(&mut s, &mut buf).unwrap();
    (buf[9..12].parse().unwrap(), buf.split_once("\r\n\r\n").map(|x| x.1.to_string()).unwrap_or_default())
}

#[test]
fn serve_answers_health_and_readiness_on_listen_from_env() {
    let dir = TempDir::new("cli-serve");
    let mut child = anjian()
        .env("ANJIAN_LISTEN", "127.0.0.1:0")
        .env("ANJIAN_MQTT_URL", "mqtt://127.0.0.1:1883")
        .env("ANJIAN_MQTT_CLIENT_ID", format!("anjian-cli-test-{}", std::process::id()))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    let mut seen = String::new();
    let mut r = BufReader::new(stdout);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !line.contains("已启动") && Instant::now() < deadline {
        line.clear();
        r.read_line(&mut line).unwrap();
        seen.push_str(&line);
    }
    // Two more lines follow: the database and the MQTT broker.
    for _ in 0..2 {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        seen.push_str(&l);
    }
    assert!(seen.contains("MQTT 接入: mqtt://127.0.0.1:1883"), "{seen}");
    let base = format!("http://{}", line.split("http://").nth(1).unwrap().split('/').next().unwrap());
    assert_eq!(http_get(&base, "/healthz", None).0, 200);
    let (s, body) = http_get(&base, "/readyz", None);
    assert_eq!(s, 200);
    assert!(body.contains("sqlite"));
    assert!(dir.path().join("anjian.db").exists() && dir.path().join("secret.key").exists());
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn demo_generates_once_then_reuses_and_logs_in_every_role() {
    let dir = TempDir::new("cli-demo");
    let data = dir.path().display().to_string();
    let (mut child, base) = start(&["demo", "--small", "--listen", "127.0.0.1:0", "--data-dir", &data]);
    for user in ["admin", "city", "district01", "ent0001-head", "ent0001-staff"] {
        let (s, body) = http_post_json(
            &base,
            "/api/v1/auth/login",
            &format!("{{\"username\":\"{user}\",\"password\":\"{}\"}}", anjian_demo::DEMO_PASSWORD),
        );
        assert_eq!(s, 200, "{user}: {body}");
        let token = body.split("\"token\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let (s, body) = http_get(&base, "/api/v1/enterprises?per_page=5", Some(&token));
        assert_eq!(s, 200, "{user}: {body}");
    }
    child.kill().unwrap();
    let _ = child.wait();
    // Second start: the same city, not a second copy.
    let o = run(anjian().args(["demo", "--small", "--no-serve", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已存在"), "{}", text(&o));
}

#[test]
fn hotline_import_from_a_csv_file() {
    let dir = TempDir::new("cli-hotline");
    let data = dir.path().join("data").display().to_string();
    let o = run(anjian().args(["demo", "--small", "--no-serve", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));
    let city = anjian_demo::generate(2026, anjian_demo::DemoSize::Small);
    let g = city.grids().next().unwrap();
    let (lng, lat) = (g.centroid[0], g.centroid[1]);
    let file = dir.path().join("tickets.csv");
    std::fs::write(
        &file,
        format!("ticket_no,description,lat,lng\nH-1,路灯电缆裸露,{lat},{lng}\nH-2,广告牌松动,{lat},{lng}\n"),
    )
    .unwrap();
    let o = run(anjian().args(["hazards", "import", "--data-dir", &data, "--file"]).arg(&file), None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("导入 2 条"), "{}", text(&o));
    let o = run(anjian().args(["hazards", "import", "--data-dir", &data, "--file"]).arg(&file), None);
    assert!(text(&o).contains("跳过已导入 2 条"), "{}", text(&o));
    std::fs::write(&file, "ticket_no,description,lat,lng\nH-3,x,not-a-number,118\n").unwrap();
    let o = run(anjian().args(["hazards", "import", "--data-dir", &data, "--file"]).arg(&file), None);
    assert!(!o.status.success());
    assert!(text(&o).contains("第 1 行 lat") && !text(&o).contains("panicked"), "{}", text(&o));
}

#[test]
fn report_writes_a_pdf_and_an_xlsx_of_a_region() {
    let dir = TempDir::new("cli-report");
    let data = dir.path().join("data").display().to_string();
    let o = run(anjian().args(["demo", "--small", "--no-serve", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));
    let pdf = dir.path().join("city-2026-10.pdf");
    let o = run(
        anjian().args(["report", "--data-dir", &data, "--region", "379900", "--month", "2026-10", "--out"]).arg(&pdf),
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("综述：规则生成"), "{}", text(&o));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 10_000, "{} bytes", bytes.len());
    let xlsx = dir.path().join("city-2026-W44.xlsx");
    let o = run(
        anjian()
            .args(["report", "--data-dir", &data, "--region", "379900", "--week", "2026-W44", "--format", "xlsx"])
            .arg("--out")
            .arg(&xlsx),
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "an XLSX is a zip file");
    let o = run(
        anjian().args(["report", "--data-dir", &data, "--region", "379900", "--month", "2026-13", "--out", "x"]),
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("月份格式") && !text(&o).contains("panicked"), "{}", text(&o));
}

/// Runs SQL against the data directory's SQLite database, as someone with
/// direct access to the server would.
fn tamper(data: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let db = anjian_store::Db::connect(&format!("sqlite://{data}/anjian.db")).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        db.close().await;
    });
}

#[test]
fn ledger_export_and_offline_verification_find_the_altered_row() {
    let dir = TempDir::new("cli-ledger");
    let data = dir.path().join("data").display().to_string();
    let o = run(anjian().args(["demo", "--small", "--no-serve", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));
    // Hotline tickets become hazards; their events wait in the ledger queue.
    let city = anjian_demo::generate(2026, anjian_demo::DemoSize::Small);
    let g = city.grids().next().unwrap();
    let file = dir.path().join("tickets.csv");
    let rows: String =
        (0..40).map(|i| format!("L-{i},路灯电缆裸露{i},{},{}\n", g.centroid[1], g.centroid[0])).collect();
    std::fs::write(&file, format!("ticket_no,description,lat,lng\n{rows}")).unwrap();
    let o = run(anjian().args(["hazards", "import", "--data-dir", &data, "--file"]).arg(&file), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(anjian().args(["ledger", "sequence", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));
    // The 40 tickets' records, after the demo's own (its published checklist templates).
    let total: usize =
        text(&o).split("账本共 ").nth(1).and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(total >= 40 && text(&o).contains(&format!("新增 {total} 条")), "{}", text(&o));
    let o = run(anjian().args(["ledger", "key", "--data-dir", &data]), None);
    let vkey = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(vkey.contains('+'), "{vkey}");

    // A clean copy verifies offline, and a record is proved to be in it.
    let copy = dir.path().join("copy");
    let o = run(anjian().args(["ledger", "export", "--data-dir", &data, "--out"]).arg(&copy), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(anjian().args(["ledger", "verify", "--key", &vkey, "--dir"]).arg(&copy), None);
    assert!(o.status.success() && text(&o).contains(&format!("验证通过: {total} 条")), "{}", text(&o));
    let bundle = std::fs::read(copy.join(format!("tile/entries/000.p/{total}"))).unwrap();
    let records = anjian_ledger::decode_entry_bundle(&bundle).unwrap();
    let record_file = dir.path().join("record.json");
    std::fs::write(&record_file, &records[17]).unwrap();
    let o = run(
        anjian().args(["ledger", "verify", "--key", &vkey, "--dir"]).arg(&copy).arg("--record").arg(&record_file),
        None,
    );
    assert!(o.status.success() && text(&o).contains("第 17 条"), "{}", text(&o));
    let o = run(anjian().args(["ledger", "verify", "--data-dir", &data]), None);
    assert!(o.status.success(), "{}", text(&o));

    // Someone with database access rewrites entry 23: the live check and a fresh
    // export both name exactly that entry; a record never logged is not provable.
    tamper(&data, "UPDATE ledger_entries SET record = REPLACE(record, '\"v\":1', '\"v\":2') WHERE idx = 23");
    let o = run(anjian().args(["ledger", "verify", "--data-dir", &data]), None);
    assert!(!o.status.success() && text(&o).contains("第 23 条"), "{}", text(&o));
    let bad = dir.path().join("bad");
    let o = run(anjian().args(["ledger", "export", "--data-dir", &data, "--out"]).arg(&bad), None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(anjian().args(["ledger", "verify", "--key", &vkey, "--dir"]).arg(&bad), None);
    assert!(!o.status.success() && text(&o).contains("第 23 条"), "{}", text(&o));
    std::fs::write(&record_file, b"{\"v\":1,\"forged\":true}").unwrap();
    let o = run(
        anjian().args(["ledger", "verify", "--key", &vkey, "--dir"]).arg(&copy).arg("--record").arg(&record_file),
        None,
    );
    assert!(!o.status.success() && !text(&o).contains("panicked"), "{}", text(&o));
    // A checkpoint signed by another key is refused.
    let other = anjian_ledger::NoteSigner::from_seed("someone.else/ledger", &[3; 32]).unwrap().vkey();
    let o = run(anjian().args(["ledger", "verify", "--key", &other, "--dir"]).arg(&copy), None);
    assert!(!o.status.success() && text(&o).contains("检查点"), "{}", text(&o));
}
