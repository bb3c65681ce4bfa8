//! `anjian bench dashboard-queries`: the dashboard's query set over
//! 1,000,000 hazards (issue 9) on SQLite and PostgreSQL, and in the same run
//! the same three queries in DuckDB (Python `duckdb`) on the same rows.
//!
//! The Standard demo city (regions, enterprises, accounts) goes into a fresh
//! SQLite file and a fresh PostgreSQL database; the demo history generator
//! (`anjian_demo::history`: volume by calendar, heavy-tailed units, types by
//! industry and season, the lifecycle up to today) then yields the hazards,
//! inserted batch by batch through `hazards::insert_many` (the rollup
//! triggers run as in production) and written to CSV for DuckDB. The
//! queries are the product's own functions, as the city supervisor:
//! 1. `analytics::stats` by `region,month,state` over the last 12 months;
//! 2. `analytics::stats` by `industry` (rectification rate) over the same window;
//! 3. `analytics::overdue_enterprises`, the top 20.

use anjian_app::App;
use anjian_app::analytics::{OverdueParams, StatsParams};
use anjian_app::crypto::Secrets;
use anjian_demo::history::{HistorySpec, history};
use anjian_store::Db;
use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::io::Write;
use std::time::{Duration, Instant};

pub struct Args {
    pub hazards: usize,
    pub runs: usize,
    /// PostgreSQL server URL without a database; None: SQLite only.
    pub postgres: Option<String>,
    pub python: String,
    pub keep: bool,
}

const SEED: u64 = 2026;
const BATCH: usize = 10_000;

struct Target {
    name: &'static str,
    app: App,
    insert: Duration,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let py = std::process::Command::new(&a.python).args(["-c", "import duckdb; print(duckdb.__version__)"]).output();
    let duckdb_version = match py {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => bail!("需要 Python 的 duckdb 模块（pip install duckdb）"),
    };
    let tmp = std::env::temp_dir().join(format!("anjian-bench-dq-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let mut targets = Vec::new();
    let sqlite = Db::open(&format!("sqlite://{}/bench.db", tmp.display())).await.context("SQLite")?;
    targets.push(Target {
        name: "sqlite",
        app: App::new(sqlite, Secrets::from_key(&[42; 32])),
        insert: Duration::ZERO,
    });
    let pg_name = format!("anjian_bench_dq_{}", std::process::id());
    if let Some(server) = &a.postgres {
        let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await.context("PostgreSQL")?;
        admin.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {pg_name}"))).await?;
        admin.execute(AssertSqlSafe(format!("CREATE DATABASE {pg_name}"))).await?;
        admin.close().await.ok();
        let pg = Db::open(&format!("{server}/{pg_name}")).await.context("PostgreSQL")?;
        targets.push(Target {
            name: "postgres",
            app: App::new(pg, Secrets::from_key(&[42; 32])),
            insert: Duration::ZERO,
        });
    }
    let t = Instant::now();
    let mut city = None;
    for tg in &targets {
        city = Some(
            anjian_demo::load::ensure_city(&tg.app, SEED, anjian_demo::DemoSize::Standard)
                .await
                .map_err(anyhow::Error::msg)?,
        );
    }
    let city = city.context("no backend")?;
    println!(
        "Standard demo city ({} enterprises) loaded into {} in {:.1} s",
        city.enterprises.len(),
        targets.iter().map(|t| t.name).collect::<Vec<_>>().join(" and "),
        t.elapsed().as_secs_f64()
    );
    let mut ents = std::io::BufWriter::new(std::fs::File::create(tmp.join("enterprises.csv"))?);
    writeln!(ents, "id,name,industry,region_code")?;
    for e in &city.enterprises {
        writeln!(ents, "{},\"{}\",{},{}", e.id, e.name.replace('"', ""), e.industry, e.region_code)?;
    }
    ents.flush()?;
    drop(ents);

    // ---- the hazards, once, into every backend and the CSV
    let mut csv = std::io::BufWriter::new(std::fs::File::create(tmp.join("hazards.csv"))?);
    writeln!(csv, "id,region_code,enterprise_id,grade,state,reported_at,deadline_ms,closed_at")?;
    let mut generator = history(&city, SEED, HistorySpec { hazards: a.hazards, months: 24 });
    let (mut generate, mut written) = (Duration::ZERO, 0usize);
    let mut last_report = Instant::now();
    loop {
        let tg = Instant::now();
        let batch: Vec<_> = generator.by_ref().take(BATCH).map(|i| i.hazard).collect();
        if batch.is_empty() {
            break;
        }
        for h in &batch {
            writeln!(
                csv,
                "{},{},{},{},{},{},{},{}",
                h.id,
                h.region_code,
                h.enterprise_id.as_deref().unwrap_or_default(),
                h.grade,
                h.state,
                h.reported_at,
                opt(h.deadline_ms),
                opt(h.closed_at)
            )?;
        }
        generate += tg.elapsed();
        for tg in &mut targets {
            let ti = Instant::now();
            let mut tx = tg.app.db.begin().await?;
            anjian_store::hazards::insert_many(&mut tx, &batch).await?;
            tx.commit().await?;
            tg.insert += ti.elapsed();
        }
        written += batch.len();
        if last_report.elapsed() > Duration::from_secs(30) {
            eprintln!("… {written} hazards");
            last_report = Instant::now();
        }
    }
    csv.flush()?;
    drop(csv);
    for tg in &targets {
        let mut tx = tg.app.db.begin().await?;
        anjian_store::hazards::reserve_numbers(&mut tx, tg.app.db.backend(), generator.last_number()).await?;
        tx.commit().await?;
        let mut c = tg.app.db.read().await?;
        c.execute("ANALYZE").await?;
    }
    println!(
        "{written} hazards generated in {:.1} s; inserted (with the rollup triggers): {}",
        generate.as_secs_f64(),
        targets
            .iter()
            .map(|t| format!(
                "{} {:.1} s ({:.0}/s)",
                t.name,
                t.insert.as_secs_f64(),
                written as f64 / t.insert.as_secs_f64()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // ---- the window: the last 12 calendar months, today included
    let now = anjian_store::now_ms();
    let today = anjian_app::time::today_local(now);
    let (y, m): (i32, i32) = (today[..4].parse()?, today[5..7].parse()?);
    let first = {
        let k = y * 12 + (m - 1) - 11;
        format!("{:04}-{:02}-01", k / 12, k % 12 + 1)
    };
    let stats =
        |by: &str| StatsParams { by: by.into(), region: None, since: Some(first.clone()), until: Some(today.clone()) };
    println!("window {first} – {today} (Shanghai); {} runs per query after 2 warm-up runs", a.runs);

    // ---- the product's queries
    let names = [
        "counts by region × month × state",
        "rectification rate by industry",
        "top-20 overdue enterprises",
        "counts by region × month × state, last 365 days (partial months at both ends)",
    ];
    let mut results: Vec<(&str, [Vec<f64>; 4], [String; 4])> = Vec::new();
    for tg in &targets {
        let login = anjian_app::auth::login(
            &tg.app,
            &anjian_app::auth::LoginRequest { username: "city".into(), password: anjian_demo::DEMO_PASSWORD.into() },
        )
        .await
        .map_err(|e| anyhow::anyhow!("login: {e}"))?;
        let caller = anjian_app::auth::authenticate(&tg.app, &login.token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut times: [Vec<f64>; 4] = Default::default();
        let mut shapes: [String; 4] = Default::default();
        for q in 0..4 {
            for run in 0..a.runs + 2 {
                let t = Instant::now();
                let shape = match q {
                    0 | 1 | 3 => {
                        let p = match q {
                            0 => stats("region,month,state"),
                            1 => stats("industry"),
                            _ => {
                                StatsParams { by: "region,month,state".into(), region: None, since: None, until: None }
                            }
                        };
                        let v = anjian_app::analytics::stats(&tg.app, &caller, &p)
                            .await
                            .map_err(|e| anyhow::anyhow!("{e}"))?;
                        format!("{} rows, {} found, {} overdue", v.rows.len(), v.total.found, v.total.overdue)
                    }
                    _ => {
                        let v = anjian_app::analytics::overdue_enterprises(
                            &tg.app,
                            &caller,
                            &OverdueParams { region: None, limit: Some(20) },
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                        let n: i64 = v.enterprises.iter().map(|e| e.overdue).sum();
                        format!("{} enterprises, {} overdue hazards among them", v.enterprises.len(), n)
                    }
                };
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if run >= 2 {
                    times[q].push(ms);
                }
                shapes[q] = shape;
            }
            times[q].sort_by(f64::total_cmp);
        }
        results.push((tg.name, times, shapes));
    }

    // ---- DuckDB on the same rows
    let since_ms = day_ms(&first)?;
    let until_ms = day_ms(&today)? + 86_400_000;
    let script = tmp.join("duck.py");
    std::fs::write(&script, DUCK_PY)?;
    let out = std::process::Command::new(&a.python)
        .arg(&script)
        .arg(tmp.join("hazards.csv"))
        .arg(tmp.join("enterprises.csv"))
        .args([since_ms.to_string(), until_ms.to_string(), anjian_store::now_ms().to_string(), a.runs.to_string()])
        .arg((anjian_store::now_ms() - 365 * 86_400_000).to_string())
        .output()
        .context("python")?;
    if !out.status.success() {
        bail!("DuckDB failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let duck: serde_json::Value = serde_json::from_slice(&out.stdout).context("DuckDB output")?;
    let mut duck_times: [Vec<f64>; 4] = Default::default();
    for (q, k) in ["q1", "q2", "q3", "q4"].iter().enumerate() {
        duck_times[q] = duck[k].as_array().context("times")?.iter().filter_map(|v| v.as_f64()).collect();
        duck_times[q].sort_by(f64::total_cmp);
    }
    println!(
        "DuckDB {duckdb_version} ({} threads), in memory, loaded from CSV in {:.1} s",
        duck["threads"],
        duck["load_s"].as_f64().unwrap_or(0.0)
    );

    println!();
    println!("| query | backend | p50 (ms) | p99 (ms) | DuckDB p50 (ms) | ratio p50 (backend / DuckDB) | result |");
    println!("|---|---|---|---|---|---|---|");
    for (q, name) in names.iter().enumerate() {
        let d50 = pct(&duck_times[q], 0.5);
        for (backend, times, shapes) in &results {
            let p50 = pct(&times[q], 0.5);
            println!(
                "| {name} | {backend} | {p50:.1} | {:.1} | {d50:.1} | {:.1} | {} |",
                pct(&times[q], 0.99),
                p50 / d50,
                shapes[q]
            );
        }
        println!(
            "| {name} | duckdb | {d50:.1} | {:.1} | — | 1 | {} |",
            pct(&duck_times[q], 0.99),
            duck["shapes"][q].as_str().unwrap_or_default()
        );
    }
    if let Some((_, times, _)) = results.iter().find(|r| r.0 == "postgres") {
        let worst = (0..4).map(|q| pct(&times[q], 0.99)).fold(0.0, f64::max);
        println!("\nPostgreSQL: slowest p99 {worst:.1} ms (target: every query under 200 ms)");
    }

    if !a.keep {
        for tg in targets {
            tg.app.db.close().await;
        }
        if let Some(server) = &a.postgres {
            let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await?;
            admin.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {pg_name}"))).await?;
        }
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        println!("kept: {} and PostgreSQL database {pg_name}", tmp.display());
    }
    Ok(())
}

fn day_ms(d: &str) -> anyhow::Result<i64> {
    let date: jiff::civil::Date = d.parse()?;
    Ok(date.to_zoned_datetime(anjian_app::time::shanghai())?.timestamp().as_millisecond())
}

/// The same three queries in DuckDB, over the raw rows (no rollup): args
/// hazards.csv enterprises.csv since_ms until_ms now_ms runs since_365_days_ms; prints JSON.
const DUCK_PY: &str = r#"
import duckdb, json, sys, time
hz, en, since, until, now, runs, since365 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"""CREATE TABLE hazards AS SELECT * FROM read_csv('{hz}', header = true, columns = {{
    'id': 'VARCHAR', 'region_code': 'VARCHAR', 'enterprise_id': 'VARCHAR', 'grade': 'VARCHAR', 'state': 'VARCHAR',
    'reported_at': 'BIGINT', 'deadline_ms': 'BIGINT', 'closed_at': 'BIGINT'}})""")
con.execute(f"""CREATE TABLE enterprises AS SELECT * FROM read_csv('{en}', header = true, columns = {{
    'id': 'VARCHAR', 'name': 'VARCHAR', 'industry': 'VARCHAR', 'region_code': 'VARCHAR'}})""")
load_s = time.perf_counter() - t
OPEN = "state IN ('pending', 'rectifying', 'awaiting_acceptance')"
CLOSED = "state = 'closed' AND closed_at IS NOT NULL"
RATES = f"""count(*) FILTER (WHERE state <> 'dismissed') AS found,
    count(*) FILTER (WHERE state = 'closed') AS rectified,
    count(*) FILTER (WHERE {OPEN}) AS in_progress,
    count(*) FILTER (WHERE {OPEN} AND deadline_ms < {now}) AS overdue,
    count(*) FILTER (WHERE {CLOSED} AND deadline_ms IS NOT NULL AND closed_at <= deadline_ms) AS on_time,
    count(*) FILTER (WHERE {CLOSED} AND deadline_ms IS NOT NULL) AS closed_with_deadline,
    avg((closed_at - reported_at) / 86400000.0) FILTER (WHERE {CLOSED}) AS mean_days"""
CUBE = f"""SELECT substr(region_code, 1, 6) AS district,
        strftime(make_timestamp((reported_at // 1000 + 28800) * 1000000), '%Y-%m') AS month, state, {RATES}
        FROM hazards WHERE reported_at >= {{a}} AND reported_at < {{b}} GROUP BY ALL ORDER BY ALL"""
Q = [
    CUBE.format(a=since, b=until),
    f"""SELECT coalesce(e.industry, 'none') AS industry, {RATES},
        rectified / nullif(rectified + in_progress, 0) AS rectification_rate
        FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id
        WHERE reported_at >= {since} AND reported_at < {until} GROUP BY ALL ORDER BY ALL""",
    f"""SELECT h.enterprise_id, e.name, count(*) AS overdue, count(*) FILTER (WHERE grade = 'major') AS major,
        min(deadline_ms) AS oldest FROM hazards h JOIN enterprises e ON e.id = h.enterprise_id
        WHERE h.{OPEN} AND h.deadline_ms < {now} GROUP BY ALL ORDER BY overdue DESC, oldest, h.enterprise_id LIMIT 20""",
    CUBE.format(a=since365, b=now),
]
out = {"load_s": load_s, "threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "shapes": []}
for i, q in enumerate(Q):
    times = []
    for r in range(runs + 2):
        t = time.perf_counter()
        rows = con.execute(q).fetchall()
        ms = (time.perf_counter() - t) * 1000
        if r >= 2:
            times.append(ms)
    if i in (0, 3):
        out["shapes"].append(f"{len(rows)} rows, {sum(r[3] for r in rows)} found, {sum(r[6] for r in rows)} overdue")
    elif i == 1:
        out["shapes"].append(f"{len(rows)} rows, {sum(r[1] for r in rows)} found, {sum(r[4] for r in rows)} overdue")
    else:
        out["shapes"].append(f"{len(rows)} enterprises, {sum(r[2] for r in rows)} overdue hazards among them")
    out[f"q{i + 1}"] = times
print(json.dumps(out))
"#;
