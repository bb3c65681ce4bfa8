//! `anjian`: the one binary that serves the API, loads the demo city and
//! administers the installation.

mod backup;
mod bench;
mod bench_calc;
mod bench_classify;
mod bench_dashboard;
mod bench_dashboard_queries;
mod bench_ingest;
mod bench_ledger;
mod bench_pdf;
mod bench_reports;
mod config;
mod ledger;

use anjian_app::{App, Caller, auth};
use anjian_store::Db;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "anjian", version, about = "安监 · 安全生产监管平台 (work-safety supervision platform)")]
struct Cli {
    /// TOML configuration file (also ANJIAN_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
pub(crate) struct DbArgs {
    /// Database URL: sqlite://path (default: <data-dir>/anjian.db) or postgres://… (also ANJIAN_DATABASE).
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// Data directory for the SQLite file, the secret key and attachments (also ANJIAN_DATA_DIR).
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (also ANJIAN_LISTEN), default 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Generate the demo city into the data directory on first start (reused after), then serve it.
    Demo {
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        /// Random seed of the generator (same seed → same city).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// A small city (for quick trials).
        #[arg(long)]
        small: bool,
        /// Generate (if needed) and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Hazard data operations.
    Hazards {
        #[command(subcommand)]
        command: HazardCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Back up the database: SQLite with VACUUM INTO, PostgreSQL with pg_dump (custom format).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// Output file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure performance targets (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Evidence ledger: export the log as C2SP tiles, verify a copy offline.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Write the weekly or monthly report of a region (PDF or XLSX), as the city's super admin sees it.
    Report {
        #[command(flatten)]
        db: DbArgs,
        /// Region code (GB/T 2260), e.g. 379900.
        #[arg(long)]
        region: String,
        /// Month, YYYY-MM (monthly report).
        #[arg(long)]
        month: Option<String>,
        /// ISO week, YYYY-Www (weekly report), e.g. 2026-W44.
        #[arg(long)]
        week: Option<String>,
        /// pdf or xlsx.
        #[arg(long, default_value = "pdf")]
        format: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Device simulator: publishes readings for the registered (demo) devices over MQTT.
    Simulate {
        #[command(subcommand)]
        command: SimulateCommand,
    },
    /// Restore a backup made by `anjian backup` (stop the server first).
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Registry read API (GET /api/v1/enterprises?region=…, pages of 50) under load with wrk,
    /// against a plain axum handler serving the same bytes in the same run.
    Registry {
        /// Database URL (default: a temporary SQLite file); the demo city is loaded into it.
        #[arg(long)]
        database: Option<String>,
        #[arg(long, default_value_t = 256)]
        connections: u32,
        #[arg(long, default_value_t = 2)]
        threads: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
    /// Public report submission (JSON, no photo): open-loop at a fixed rate over many connections
    /// (default 8,000 connections, 1,600 reports/s), then closed-loop saturation with 256
    /// connections; every accepted report is counted in the database afterwards.
    Reports {
        /// Database URL (default: a temporary SQLite file); the demo city is loaded into it.
        #[arg(long)]
        database: Option<String>,
        #[arg(long, default_value_t = 8000)]
        connections: usize,
        /// Reports per second, open loop.
        #[arg(long, default_value_t = 1600)]
        rate: u32,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Connections of the closed-loop saturation phase.
        #[arg(long, default_value_t = 256)]
        closed_connections: usize,
    },
    /// Evidence ledger: appends/s through the queue and the sequencer against the raw SHA-256
    /// rate over the same records, then inclusion-proof latency on a large log.
    Ledger {
        /// Database URL with an empty ledger (default: temporary SQLite files).
        #[arg(long)]
        database: Option<String>,
        /// Records appended in the throughput phase.
        #[arg(long, default_value_t = 200_000)]
        entries: u64,
        /// Size of the log for the proof-latency phase (0: skip).
        #[arg(long, default_value_t = 10_000_000)]
        proof_log: u64,
        /// Random inclusion proofs to time.
        #[arg(long, default_value_t = 2_000)]
        proofs: u64,
    },
    /// Hazard classification throughput on one thread (the held-out descriptions, round
    /// after round), against jieba segmentation and n-gram extraction alone in the same run.
    Classify {
        /// Seconds per phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The 一张图 dashboard's first render in headless Chromium on the Standard demo city: time
    /// to the key figures and to the drawn map, page weight by type, against the dashboard's own
    /// API requests fetched in parallel without rendering (needs chromium, node and the
    /// browser tests' node_modules).
    Dashboard {
        /// Database URL (default: a temporary SQLite file); the demo city is loaded into it.
        #[arg(long)]
        database: Option<String>,
        /// Cold page loads.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// The browser side.
        #[arg(long, default_value = "crates/web/tests/browser/bench.mjs")]
        script: PathBuf,
    },
    /// The dashboard's query set (counts by region × month × state, rectification rate by
    /// industry, top-20 overdue enterprises) over generated hazards on a fresh SQLite file and
    /// a fresh PostgreSQL database, against DuckDB (Python `duckdb`) on the same rows in the
    /// same run.
    DashboardQueries {
        /// Hazards to generate on the Standard demo city (24 months of history).
        #[arg(long, default_value_t = 1_000_000)]
        hazards: usize,
        /// Timed runs per query and backend (after 2 warm-up runs).
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// PostgreSQL server URL (a database is created in it and dropped afterwards).
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// SQLite only.
        #[arg(long)]
        no_postgres: bool,
        /// The Python with the duckdb module.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Keep the SQLite file, the CSV files and the PostgreSQL database.
        #[arg(long)]
        keep: bool,
    },
    /// Enforcement-document PDF rendering on one thread (a two-page 责令限期整改指令书 with 10
    /// findings), against building its layout alone and serialising it as JSON in the same run.
    Pdf {
        /// Seconds per phase.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Device ingest end to end: readings/s from MQTT through rule evaluation into storage,
    /// against the raw Mosquitto publish→subscribe rate of the same messages in the same run;
    /// then red-alarm latency (reading published → alarm and notifications committed).
    Ingest {
        /// Database URL of an empty database (default: a temporary SQLite file); a small demo
        /// city is loaded into it for the devices' enterprises.
        #[arg(long)]
        database: Option<String>,
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        mqtt: String,
        #[arg(long, default_value_t = 1000, value_parser = at_least_one())]
        devices: usize,
        #[arg(long, default_value_t = 4000, value_parser = at_least_one())]
        messages: usize,
        /// Readings per message (a detector uploading its buffered one-second samples).
        #[arg(long, default_value_t = 50, value_parser = at_least_one())]
        readings_per_message: usize,
        /// Red alarms timed in the latency phase (at least 1: one of its devices probes the subscriber).
        #[arg(long, default_value_t = 200, value_parser = at_least_one())]
        alarms: usize,
    },
    /// Standards-calculator throughput on one thread (GB 18218 with 20 substances, GB/T 50107
    /// with 50 groups), against reading the same JSON request body alone.
    Calc {
        /// Seconds per phase.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

#[derive(Subcommand)]
enum SimulateCommand {
    /// One message per device per tick on `<prefix>/devices/<id>/readings`, with each device's
    /// own secret; faults make the rules raise alarms.
    Devices {
        #[command(flatten)]
        db: DbArgs,
        /// Broker (default: the configured mqtt_url, else mqtt://127.0.0.1:1883).
        #[arg(long)]
        mqtt: Option<String>,
        /// Seconds between ticks.
        #[arg(long, default_value_t = 10.0)]
        every: f64,
        /// Stop after this many ticks (default: run until interrupted).
        #[arg(long)]
        ticks: Option<u64>,
        /// Faults, comma-separated: storm, crane-tilt, gas-leak, overheat.
        #[arg(long, value_delimiter = ',')]
        fault: Vec<String>,
        /// The tick from which the faults apply.
        #[arg(long, default_value_t = 1)]
        fault_from: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum HazardCommand {
    /// Import 12345/12350 hotline tickets from CSV (header ticket_no,description,lat,lng[,contact]) or JSON
    /// ({"tickets":[…]}); all or nothing, known ticket numbers skipped.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The file (.csv or .json).
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// super-admin | city-supervisor | region-officer | enterprise-head | enterprise-staff
        #[arg(long)]
        role: String,
        /// Region code (required for city supervisors and region officers).
        #[arg(long)]
        region: Option<String>,
        /// Enterprise id (repeatable; required for enterprise roles).
        #[arg(long = "enterprise")]
        enterprises: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Mobile number for SMS notifications, e.g. 13800138000.
        #[arg(long)]
        phone: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub(crate) fn load_config(file: Option<&PathBuf>, listen: Option<String>, db: &DbArgs) -> anyhow::Result<Config> {
    let o = Overrides { listen, database: db.database.clone(), data_dir: db.data_dir.clone() };
    Config::load(file.map(|p| p.as_path()), &o)
}

/// A count argument of at least 1 (a bench with no devices, messages or alarms has nothing to measure).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log).unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// The default SQLite file lives in the data directory: create it first.
fn ensure_data_dir(cfg: &Config) -> anyhow::Result<()> {
    if cfg.database.is_none() {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("无法创建数据目录 {}", cfg.data_dir.display()))?;
    }
    Ok(())
}

pub(crate) async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    ensure_data_dir(cfg)?;
    let url = cfg.database_url();
    let db = Db::open(&url).await.with_context(|| format!("无法打开数据库 {}", config::redact_url(&url)))?;
    Ok(App::new(db, cfg.secrets()?)
        .with_outbound(cfg.outbound()?)
        .with_ledger(cfg.ledger())
        .with_reports(cfg.reports()?))
}

async fn serve(cfg: &Config, app: App, banner: Option<String>) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(&cfg.listen).await.with_context(|| format!("无法监听 {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    println!("anjian 已启动: http://{addr}/  (API 文档 http://{addr}/api/docs)");
    println!("数据库: {}", config::redact_url(&cfg.database_url()));
    if let Some(b) = banner {
        println!("{b}");
    }
    // The shipped checklist templates (a changed file becomes a new version).
    let added = anjian_app::inspections::ensure_templates(&app).await.map_err(|e| anyhow::anyhow!("检查模板: {e}"))?;
    if added > 0 {
        tracing::info!(added, "inspection templates published");
    }
    // The classifier trains on first use (about half a second): do it now,
    // off the request path, rather than inside the first report.
    let warm = app.clone();
    tokio::task::spawn_blocking(move || warm.knowledge.classify("配电箱未接地"));
    let metrics = anjian_web::metrics::Metrics::new();
    let router = anjian_web::router_with_metrics(
        app.clone(),
        anjian_web::WebOptions {
            cookie_secure: cfg.cookie_secure,
            public_reports_per_minute: cfg.public_reports_per_minute,
            calc_per_minute: cfg.calc_per_minute,
            trust_forwarded: cfg.trust_forwarded,
            public_url: cfg.public_url.clone(),
        },
        metrics.clone(),
    );
    // Device readings over MQTT, when a broker is configured.
    let (stop_mqtt, stop_rx) = tokio::sync::watch::channel(false);
    let mqtt = match &cfg.mqtt_url {
        Some(url) => {
            let mc = anjian_ingest::MqttConfig::from_url(url, &cfg.mqtt_client_id, &cfg.mqtt_prefix)
                .map_err(|e| anyhow::anyhow!(e))?;
            println!("MQTT 接入: {url} 主题 {}", mc.topic_filter());
            let m = metrics.clone();
            Some(tokio::spawn(anjian_ingest::run(app.clone(), mc, move |r| m.count_ingest(r), stop_rx)))
        }
        None => None,
    };
    // The evidence ledger: key and first checkpoint now, then a signed
    // checkpoint within a second of any new record.
    let vkey = anjian_app::ledger::vkey(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("存证账本公钥: {vkey}");
    tokio::spawn(anjian_app::ledger::run_forever(app.clone(), std::time::Duration::from_secs(1)));
    // Reminders, escalations and other queued work.
    tokio::spawn(anjian_app::scheduler::run_forever(app.clone(), std::time::Duration::from_secs(15)));
    // Devices gone silent raise their offline alarms; old raw readings go.
    tokio::spawn(anjian_app::monitoring::run_upkeep(app.clone(), cfg.upkeep()));
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    let _ = stop_mqtt.send(true);
    if let Some(t) = mqtt {
        let _ = t.await;
    }
    app.db.close().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    // Boxed: the future of every command together is large (especially in
    // debug builds) and must not live on the main thread's stack.
    if let Err(e) = Box::pin(run()).await {
        eprintln!("错误: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen, db } => {
            let cfg = load_config(cli.config.as_ref(), listen, &db)?;
            init_tracing(&cfg);
            let app = open_app(&cfg).await?;
            serve(&cfg, app, None).await
        }
        Command::Demo { listen, db, seed, small, no_serve } => {
            let cfg = load_config(cli.config.as_ref(), listen, &db)?;
            init_tracing(&cfg);
            let app = open_app(&cfg).await?;
            let size = if small { anjian_demo::DemoSize::Small } else { anjian_demo::DemoSize::Standard };
            let summary = anjian_demo::load::ensure_loaded(&app, seed, size).await.map_err(|e| anyhow::anyhow!(e))?;
            let banner = anjian_demo::load::banner(&summary);
            if no_serve {
                println!("{banner}");
                return Ok(());
            }
            serve(&cfg, app, Some(banner)).await
        }
        Command::Migrate { db } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            init_tracing(&cfg);
            ensure_data_dir(&cfg)?;
            let url = cfg.database_url();
            let d = Db::connect(&url).await.with_context(|| format!("无法连接数据库 {}", config::redact_url(&url)))?;
            let n = anjian_store::migrate::run(&d).await?;
            println!("已应用 {n} 个迁移");
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { db, username, role, region, enterprises, display_name, phone, password_stdin },
        } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            if !password_stdin {
                bail!("请使用 --password-stdin 从标准输入提供密码");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("无法读取标准输入")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            let app = open_app(&cfg).await?;
            let u =
                auth::NewUser { username, display_name, role, region, enterprise_ids: enterprises, password, phone };
            let view = auth::add_user(&app, &Caller::system(), &u).await.map_err(describe)?;
            println!("已创建用户 {} ({}), id {}", view.username, view.role_label, view.id);
            app.db.close().await;
            Ok(())
        }
        Command::Hazards { command: HazardCommand::Import { db, file } } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let tickets = if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
                #[derive(serde::Deserialize)]
                struct Batch {
                    tickets: Vec<anjian_app::hotline::Ticket>,
                }
                serde_json::from_slice::<Batch>(&bytes)
                    .with_context(|| format!("{} 不是有效的工单 JSON", file.display()))?
                    .tickets
            } else {
                match anjian_app::hotline::parse_csv(&bytes) {
                    Ok(t) => t,
                    Err(rows) => {
                        for r in &rows {
                            eprintln!("第 {} 行 {}: {}", r.row, r.field, r.message);
                        }
                        bail!("{} 处错误，未导入任何工单", rows.len());
                    }
                }
            };
            let app = open_app(&cfg).await?;
            let report = anjian_app::hotline::import(&app, &Caller::system(), &tickets).await.map_err(describe)?;
            if !report.errors.is_empty() {
                for r in &report.errors {
                    eprintln!("第 {} 行 {}: {}", r.row, r.field, r.message);
                }
                bail!("{} 处错误，未导入任何工单", report.errors.len());
            }
            println!("导入 {} 条，跳过已导入 {} 条", report.imported, report.duplicates);
            app.db.close().await;
            Ok(())
        }
        Command::Backup { db, out } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            backup::backup(&cfg.database_url(), &out).await?;
            println!("已备份到 {}", out.display());
            Ok(())
        }
        Command::Bench { command: BenchCommand::Registry { database, connections, threads, seconds } } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench::registry(bench::BenchArgs { database, connections, threads, seconds }).await
        }
        Command::Bench {
            command: BenchCommand::Reports { database, connections, rate, seconds, closed_connections },
        } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench_reports::run(bench_reports::Args { database, connections, rate, seconds, closed_connections }).await
        }
        Command::Ledger { command } => ledger::run(cli.config.as_ref(), command).await,
        Command::Bench { command: BenchCommand::Ledger { database, entries, proof_log, proofs } } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench_ledger::run(bench_ledger::Args { database, entries, proof_log, proofs }).await
        }
        Command::Bench { command: BenchCommand::Classify { seconds } } => bench_classify::run(seconds),
        Command::Bench { command: BenchCommand::Dashboard { database, runs, script } } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench_dashboard::run(bench_dashboard::Args { database, runs, script }).await
        }
        Command::Bench {
            command: BenchCommand::DashboardQueries { hazards, runs, postgres, no_postgres, python, keep },
        } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench_dashboard_queries::run(bench_dashboard_queries::Args {
                hazards,
                runs,
                postgres: (!no_postgres).then_some(postgres),
                python,
                keep,
            })
            .await
        }
        Command::Bench { command: BenchCommand::Calc { seconds } } => bench_calc::run(seconds),
        Command::Bench {
            command: BenchCommand::Ingest { database, mqtt, devices, messages, readings_per_message, alarms },
        } => {
            let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
            bench_ingest::run(bench_ingest::Args { database, mqtt, devices, messages, readings_per_message, alarms })
                .await
        }
        Command::Bench { command: BenchCommand::Pdf { seconds } } => bench_pdf::run(seconds),
        Command::Report { db, region, month, week, format, out } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            let app = open_app(&cfg).await?;
            let params = anjian_app::reports::ReportParams { region: Some(region), month, week, format: Some(format) };
            let r = anjian_app::reports::region_report(&app, &Caller::system(), &params)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&out, &r.bytes).with_context(|| format!("无法写入 {}", out.display()))?;
            let how = match &r.narrative {
                anjian_app::reports::Narrative::Rules => "规则生成".to_string(),
                anjian_app::reports::Narrative::Llm { model } => format!("大模型 {model} 改写"),
                anjian_app::reports::Narrative::Fallback { reason } => {
                    format!("大模型改写失败（{reason}），用规则文本")
                }
            };
            println!("已写入 {}（{} 字节，综述：{how}）", out.display(), r.bytes.len());
            Ok(())
        }
        Command::Simulate { command: SimulateCommand::Devices { db, mqtt, every, ticks, fault, fault_from, seed } } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            init_tracing(&cfg);
            let url = mqtt.or(cfg.mqtt_url.clone()).unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
            let mc = anjian_ingest::MqttConfig::from_url(&url, "anjian-sim", &cfg.mqtt_prefix)
                .map_err(|e| anyhow::anyhow!(e))?;
            let faults = fault
                .iter()
                .map(|f| anjian_demo::simulate::Fault::parse(f))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!(e))?;
            if !(every.is_finite() && every > 0.0) {
                bail!("--every 应为正数（秒）");
            }
            let app = open_app(&cfg).await?;
            let o = anjian_demo::simulate::SimOptions {
                host: mc.host.clone(),
                port: mc.port,
                prefix: mc.prefix.clone(),
                every: std::time::Duration::from_secs_f64(every),
                ticks,
                faults,
                fault_from_tick: fault_from,
                only: vec![],
                seed,
            };
            println!("模拟设备上报到 {url}，主题 {}", mc.topic_filter());
            let r = anjian_demo::simulate::run(&app, &o).await.map_err(|e| anyhow::anyhow!(e))?;
            println!(
                "设备 {} 台，发布 {} 条（代理确认 {} 条）；故障设备: {:?}",
                r.devices, r.published, r.acknowledged, r.faulty
            );
            app.db.close().await;
            Ok(())
        }
        Command::Restore { db, from } => {
            let cfg = load_config(cli.config.as_ref(), None, &db)?;
            ensure_data_dir(&cfg)?;
            backup::restore(&cfg.database_url(), &from).await?;
            println!("已从 {} 恢复", from.display());
            Ok(())
        }
    }
}

/// A use-case error as a CLI message naming the field.
pub(crate) fn describe(e: anjian_app::AppError) -> anyhow::Error {
    match e {
        anjian_app::AppError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
        other => anyhow::anyhow!("{other}"),
    }
}
