//! `anjian bench reports`: public report submission under load.
//!
//! The server runs as its own process (`anjian serve`); this process is the
//! client. Open loop: every connection sends on a fixed schedule, and a
//! request's latency counts from the moment it was *due*, so a slow server
//! cannot hide its queueing (no coordinated omission). Afterwards the
//! database is counted: every 201 must be a stored hazard.

use anyhow::{Context, bail};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Args {
    pub database: Option<String>,
    pub connections: usize,
    pub rate: u32,
    pub seconds: u64,
    pub closed_connections: usize,
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_server(db_args: &[String]) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(db_args)
        .env("ANJIAN_PUBLIC_REPORTS_PER_MINUTE", "100000000")
        .env("ANJIAN_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the server")?;
    let out = child.stdout.take().context("stdout")?;
    let mut lines = std::io::BufReader::new(out).lines();
    let addr = loop {
        let line = lines.next().context("server exited before starting")??;
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { child, addr })
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Conn { s, buf: Vec::with_capacity(4096) })
    }

    /// Sends one POST and returns the status code.
    async fn post(&mut self, host: &str, body: &str) -> std::io::Result<u16> {
        let req = format!(
            "POST /api/v1/public/hazards HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.s.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut tmp = [0u8; 4096];
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    let n = self.s.read(&mut tmp).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.buf.extend_from_slice(&tmp[..n]);
                }
                return Ok(status);
            }
            let n = self.s.read(&mut tmp).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&tmp[..n]);
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    created: u64,
    errors: u64,
}

fn body(points: &[(f64, f64)], i: u64) -> String {
    let (lng, lat) = points[(i as usize) % points.len()];
    format!("{{\"description\":\"压测隐患{i}：楼道堆放杂物堵塞消防通道\",\"lat\":{lat},\"lng\":{lng}}}")
}

async fn open_all(addr: &str, n: usize) -> anyhow::Result<Vec<Conn>> {
    // Connect in waves so the listen backlog never overflows.
    let mut conns = Vec::with_capacity(n);
    while conns.len() < n {
        let wave = (n - conns.len()).min(500);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..wave {
            let a = addr.to_string();
            set.spawn(async move { Conn::open(&a).await });
        }
        while let Some(r) = set.join_next().await {
            conns.push(r?.context("connect")?);
        }
    }
    Ok(conns)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn count_hazards(url: &str) -> anyhow::Result<i64> {
    let db = anjian_store::Db::connect(url).await?;
    let mut c = db.read().await?;
    let n = anjian_store::hazards::count(&mut c).await?;
    drop(c);
    db.close().await;
    Ok(n)
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("anjian-bench-reports-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let (db_args, url) = match &a.database {
        Some(u) => {
            (vec!["--database".to_string(), u.clone(), "--data-dir".into(), tmp.display().to_string()], u.clone())
        }
        None => {
            (vec!["--data-dir".to_string(), tmp.display().to_string()], format!("sqlite://{}/anjian.db", tmp.display()))
        }
    };
    let status = Command::new(std::env::current_exe()?)
        .arg("demo")
        .arg("--no-serve")
        .args(&db_args)
        .env("ANJIAN_LOG", "warn")
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("loading the demo city failed");
    }
    let city = anjian_demo::generate(2026, anjian_demo::DemoSize::Standard);
    let points: Arc<Vec<(f64, f64)>> = Arc::new(city.grids().map(|g| (g.centroid[0], g.centroid[1])).collect());
    let server = spawn_server(&db_args)?;
    let addr = server.addr.clone();
    let before = count_hazards(&url).await?;
    let backend = if url.starts_with("sqlite") { "sqlite" } else { "postgres" };
    println!(
        "public report submission, backend {backend}: open loop {} connections at {} reports/s for {} s; closed loop {} connections for {} s",
        a.connections, a.rate, a.seconds, a.closed_connections, a.seconds
    );

    // ---- open loop
    let conns = open_all(&addr, a.connections).await?;
    let period = Duration::from_secs_f64(a.connections as f64 / a.rate as f64);
    let start = Instant::now() + Duration::from_millis(500);
    let end = start + Duration::from_secs(a.seconds);
    let mut set = tokio::task::JoinSet::new();
    for (i, mut conn) in conns.into_iter().enumerate() {
        let points = points.clone();
        let addr = addr.clone();
        let offset = period.mul_f64(i as f64 / a.connections as f64);
        set.spawn(async move {
            let mut t = Tally::default();
            let mut due = start + offset;
            let mut k = 0u64;
            while due < end {
                tokio::time::sleep_until(due.into()).await;
                let b = body(&points, (i as u64) * 1_000_000 + k);
                match conn.post(&addr, &b).await {
                    Ok(201) => t.created += 1,
                    Ok(_) => t.errors += 1,
                    Err(_) => {
                        t.errors += 1;
                        match Conn::open(&addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
                t.latencies_us.push(due.elapsed().as_micros().min(u32::MAX as u128) as u32);
                due += period;
                k += 1;
            }
            t
        });
    }
    let mut open = Tally::default();
    while let Some(r) = set.join_next().await {
        let t = r?;
        open.latencies_us.extend(t.latencies_us);
        open.created += t.created;
        open.errors += t.errors;
    }
    let open_elapsed = a.seconds as f64;
    open.latencies_us.sort_unstable();

    // ---- closed loop
    let conns = open_all(&addr, a.closed_connections).await?;
    let cstart = Instant::now();
    let cend = cstart + Duration::from_secs(a.seconds);
    let mut set = tokio::task::JoinSet::new();
    for (i, mut conn) in conns.into_iter().enumerate() {
        let points = points.clone();
        let addr = addr.clone();
        set.spawn(async move {
            let mut t = Tally::default();
            let mut k = 0u64;
            while Instant::now() < cend {
                let sent = Instant::now();
                match conn.post(&addr, &body(&points, 9_000_000_000 + (i as u64) * 1_000_000 + k)).await {
                    Ok(201) => t.created += 1,
                    Ok(_) => t.errors += 1,
                    Err(_) => {
                        t.errors += 1;
                        break;
                    }
                }
                t.latencies_us.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                k += 1;
            }
            t
        });
    }
    let mut closed = Tally::default();
    while let Some(r) = set.join_next().await {
        let t = r?;
        closed.latencies_us.extend(t.latencies_us);
        closed.created += t.created;
        closed.errors += t.errors;
    }
    let closed_elapsed = cstart.elapsed().as_secs_f64();
    closed.latencies_us.sort_unstable();
    drop(server);

    let after = count_hazards(&url).await?;
    let stored = after - before;
    let accepted = open.created + closed.created;
    println!("| phase | sent | 201 | errors | reports/s | p50 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, t, secs) in [("open loop", &open, open_elapsed), ("closed loop", &closed, closed_elapsed)] {
        println!(
            "| {name} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
            t.latencies_us.len(),
            t.created,
            t.errors,
            t.created as f64 / secs,
            pct(&t.latencies_us, 0.5),
            pct(&t.latencies_us, 0.99),
            pct(&t.latencies_us, 1.0)
        );
    }
    println!("accepted (201): {accepted}; stored in the database: {stored}; lost: {}", accepted as i64 - stored);
    let _ = std::fs::remove_dir_all(&tmp);
    if stored != accepted as i64 {
        bail!("{} accepted reports are missing from the database", accepted as i64 - stored);
    }
    Ok(())
}
