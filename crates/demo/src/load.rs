//! Loads the generated demo city into the database once; later starts reuse
//! it. The whole city goes in one transaction: a failed load leaves nothing.
//!
//! Errors are plain strings naming the record that failed (this runs from
//! the CLI and from tests).

use crate::history::{HistorySpec, history};
use crate::{DemoCity, DemoSize};
use anjian_app::auth::{self, NewUser};
use anjian_app::registry::{self, PersonInput};
use anjian_app::{App, Caller, audit, crypto};
use anjian_domain::ids::RegionCode;
use anjian_domain::role::{Role, Scope};
use anjian_store::{AnyConnection, enterprises, new_id, now_ms, people, projects, regions, settings};

const MARKER: &str = "demo_city";
const HISTORY_MARKER: &str = "demo_history";
const REGISTERS_MARKER: &str = "demo_registers";
const INSPECTIONS_MARKER: &str = "demo_inspections";

pub struct Summary {
    pub reused: bool,
    pub seed: u64,
    pub districts: Vec<String>,
    pub regions: usize,
    pub enterprises: usize,
    pub projects: usize,
    pub people: usize,
    /// Hazards of the generated history (0: none).
    pub hazards: usize,
    /// (username, role label, scope) of a few accounts to show.
    pub logins: Vec<(String, String, String)>,
    /// The concrete traceability demo (standard city only).
    pub concrete: Option<ConcreteSummary>,
    /// The IoT devices and emergency resources (standard city only).
    pub devices: Option<crate::devices::DevicesSummary>,
}

pub async fn ensure_loaded(app: &App, seed: u64, size: DemoSize) -> Result<Summary, String> {
    let city = crate::generate(seed, size);
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    let reused = existing.is_some();
    if !reused {
        load(app, &city, seed).await.map_err(|e| format!("载入演示城市失败: {e}"))?;
    }
    anjian_app::inspections::ensure_templates(app).await.map_err(|e| format!("载入检查模板失败: {e}"))?;
    let mut s = summary(&city, seed, reused);
    if size == DemoSize::Standard {
        s.hazards = ensure_history(app, &city, seed, HistorySpec::STANDARD).await?.hazards;
        ensure_registers(app, &city, seed).await?;
        ensure_inspections(app, &city, seed).await?;
        s.concrete = Some(ensure_concrete(app, &city, seed, crate::concrete::ConcreteSpec::STANDARD).await?);
        s.devices = Some(ensure_devices(app, &city, seed).await?);
    }
    Ok(s)
}

/// Loads the demo city alone (regions, enterprises, projects, people and
/// accounts; no history, registers or inspections) once, for benchmarks that
/// bring their own hazards.
pub async fn ensure_city(app: &App, seed: u64, size: DemoSize) -> Result<DemoCity, String> {
    let city = crate::generate(seed, size);
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    if existing.is_none() {
        load(app, &city, seed).await.map_err(|e| format!("载入演示城市失败: {e}"))?;
    }
    Ok(city)
}

/// Loads the demo city's major hazard sources and risk points once (see
/// [`crate::registers`]), in one transaction with one audit row. Returns
/// (units, risk points).
pub async fn ensure_registers(app: &App, city: &DemoCity, seed: u64) -> Result<(usize, usize), String> {
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, REGISTERS_MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    if let Some(v) = existing {
        let v: serde_json::Value = serde_json::from_str(&v).unwrap_or_default();
        return Ok((v["units"].as_u64().unwrap_or(0) as usize, v["risk_points"].as_u64().unwrap_or(0) as usize));
    }
    let fail = |e: String| format!("载入演示风险台账失败: {e}");
    let now = now_ms();
    let r = crate::registers::generate(city, seed, now);
    let mut tx = app.db.begin().await.map_err(|e| fail(e.to_string()))?;
    for (u, v) in &r.units {
        anjian_store::risk::save_unit(&mut tx, u, v).await.map_err(|e| fail(e.to_string()))?;
    }
    for p in &r.points {
        anjian_store::risk::save_point(&mut tx, p, true).await.map_err(|e| fail(e.to_string()))?;
    }
    let majors = r.units.iter().filter(|(u, _)| u.is_major == 1).count();
    let counts =
        serde_json::json!({"seed": seed, "units": r.units.len(), "major_units": majors, "risk_points": r.points.len()});
    audit::record::<(), _>(
        &mut tx,
        &Caller::system(),
        "demo_registers",
        "demo_city",
        &seed.to_string(),
        None,
        Some(&counts),
    )
    .await
    .map_err(|e| fail(e.to_string()))?;
    settings::set(&mut tx, REGISTERS_MARKER, &counts.to_string()).await.map_err(|e| fail(e.to_string()))?;
    tx.commit().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(units = r.units.len(), majors, risk_points = r.points.len(), "demo risk registers loaded");
    Ok((r.units.len(), r.points.len()))
}

pub struct HistorySummary {
    pub reused: bool,
    pub hazards: usize,
    pub events: usize,
    /// SHA-256 over the generated rows, as logged on the evidence ledger.
    pub sha256: String,
}

/// Loads the demo city's hazard history once (see [`crate::history`]), in
/// one transaction: hazards, their timelines and governance plans, the
/// hazard number counter, one audit row, and one evidence-ledger record
/// carrying the SHA-256 of everything imported (the history is an import,
/// not live events, so it is logged as one record rather than event by
/// event).
pub async fn ensure_history(
    app: &App,
    city: &DemoCity,
    seed: u64,
    spec: HistorySpec,
) -> Result<HistorySummary, String> {
    use sha2::Digest;
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, HISTORY_MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    if let Some(v) = existing {
        let v: serde_json::Value = serde_json::from_str(&v).unwrap_or_default();
        let n = |k: &str| v[k].as_u64().unwrap_or(0) as usize;
        let sha256 = v["sha256"].as_str().unwrap_or_default().to_string();
        return Ok(HistorySummary { reused: true, hazards: n("hazards"), events: n("events"), sha256 });
    }
    let fail = |e: String| format!("载入演示隐患历史失败: {e}");
    let started = std::time::Instant::now();
    tracing::info!(
        hazards = spec.hazards,
        months = spec.months,
        "generating the demo hazard history (once; about half a minute for the standard city)"
    );
    let mut tx = app.db.begin().await.map_err(|e| fail(e.to_string()))?;
    let mut generator = history(city, seed, spec);
    let mut hasher = sha2::Sha256::new();
    let (mut hazards, mut events) = (0usize, 0usize);
    loop {
        let batch: Vec<_> = generator.by_ref().take(2_000).collect();
        if batch.is_empty() {
            break;
        }
        let (mut hs, mut es, mut plans) = (Vec::with_capacity(batch.len()), Vec::new(), Vec::new());
        for i in batch {
            hasher.update(serde_json::to_vec(&i.hazard).map_err(|e| fail(e.to_string()))?);
            hasher.update(serde_json::to_vec(&i.events).map_err(|e| fail(e.to_string()))?);
            hs.push(i.hazard);
            es.extend(i.events);
            plans.extend(i.plan);
        }
        anjian_store::hazards::insert_many(&mut tx, &hs).await.map_err(|e| fail(e.to_string()))?;
        anjian_store::hazards::insert_events_many(&mut tx, &es).await.map_err(|e| fail(e.to_string()))?;
        for p in &plans {
            anjian_store::hazards::put_plan(&mut tx, p).await.map_err(|e| fail(e.to_string()))?;
        }
        hazards += hs.len();
        events += es.len();
    }
    anjian_store::hazards::reserve_numbers(&mut tx, app.db.backend(), generator.last_number())
        .await
        .map_err(|e| fail(e.to_string()))?;
    let sha256 = hex::encode(hasher.finalize());
    let counts = serde_json::json!({
        "seed": seed, "months": spec.months, "hazards": hazards, "events": events, "sha256": sha256,
    });
    mark_loaded(&mut tx, HISTORY_MARKER, seed, &counts).await.map_err(fail)?;
    tx.commit().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(hazards, events, seconds = started.elapsed().as_secs_f64(), "demo hazard history loaded");
    Ok(HistorySummary { reused: false, hazards, events, sha256 })
}

/// Loads the demo city's inspection records once (see [`crate::inspections`]):
/// self-inspections, regulators' inspections linked to the history's
/// hazards, duty check-ins, trainings. One transaction, one audit row and
/// one evidence-ledger record with the SHA-256 of every row. Returns the
/// number of inspections.
pub async fn ensure_inspections(app: &App, city: &DemoCity, seed: u64) -> Result<usize, String> {
    use anjian_store::inspections as store;
    use sha2::Digest;
    let fail = |e: String| format!("载入演示检查记录失败: {e}");
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    if let Some(v) = settings::get(&mut c, INSPECTIONS_MARKER).await.map_err(|e| e.to_string())? {
        let v: serde_json::Value = serde_json::from_str(&v).unwrap_or_default();
        return Ok(v["inspections"].as_u64().unwrap_or(0) as usize);
    }
    let mut templates = Vec::new();
    for t in anjian_app::inspections::shipped().map_err(|e| fail(e.to_string()))? {
        let row = store::latest_template(&mut c, &t.code).await.map_err(|e| fail(e.to_string()))?;
        let row = row.ok_or_else(|| fail(format!("模板 {} 未载入", t.code)))?;
        let template = serde_json::from_str(&row.body).map_err(|e| fail(e.to_string()))?;
        templates.push(crate::inspections::Stored { id: row.id, template });
    }
    let found: Vec<crate::inspections::Found> =
        store::hazards_found_by(&mut c, &["enterprise_self_check", "enforcement_check", "expert_check"])
            .await
            .map_err(|e| fail(e.to_string()))?
            .into_iter()
            .map(|(hazard_id, enterprise_id, channel, reported_at, taxonomy_item)| crate::inspections::Found {
                hazard_id,
                enterprise_id,
                channel,
                reported_at,
                taxonomy_item,
            })
            .collect();
    drop(c);
    let started = std::time::Instant::now();
    let r = crate::inspections::generate(city, seed, crate::history::history_end_ms(), &templates, &found);
    let mut hasher = sha2::Sha256::new();
    for i in &r.inspections {
        hasher.update(serde_json::to_vec(i).map_err(|e| fail(e.to_string()))?);
    }
    for x in &r.results {
        hasher.update(serde_json::to_vec(x).map_err(|e| fail(e.to_string()))?);
    }
    for k in &r.checkins {
        hasher.update(serde_json::to_vec(k).map_err(|e| fail(e.to_string()))?);
    }
    for t in &r.trainings {
        hasher.update(serde_json::to_vec(t).map_err(|e| fail(e.to_string()))?);
    }
    hasher.update(serde_json::to_vec(&r.signins).map_err(|e| fail(e.to_string()))?);
    let mut tx = app.db.begin().await.map_err(|e| fail(e.to_string()))?;
    store::insert_inspections_many(&mut tx, &r.inspections).await.map_err(|e| fail(e.to_string()))?;
    store::insert_results_many(&mut tx, &r.results).await.map_err(|e| fail(e.to_string()))?;
    store::insert_checkins_many(&mut tx, &r.checkins).await.map_err(|e| fail(e.to_string()))?;
    store::insert_trainings_many(&mut tx, &r.trainings).await.map_err(|e| fail(e.to_string()))?;
    store::insert_signins_many(&mut tx, &r.signins).await.map_err(|e| fail(e.to_string()))?;
    for ((kind, year), last) in &r.counters {
        store::raise_series(&mut tx, "", kind, *year, *last).await.map_err(|e| fail(e.to_string()))?;
    }
    let counts = serde_json::json!({
        "seed": seed, "inspections": r.inspections.len(), "results": r.results.len(), "checkins": r.checkins.len(),
        "trainings": r.trainings.len(), "signins": r.signins.len(), "sha256": hex::encode(hasher.finalize()),
    });
    mark_loaded(&mut tx, INSPECTIONS_MARKER, seed, &counts).await.map_err(fail)?;
    tx.commit().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(
        inspections = r.inspections.len(),
        checkins = r.checkins.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo inspection records loaded"
    );
    Ok(r.inspections.len())
}

/// Closes a demo load inside its transaction: the load's counts and digest go on
/// the evidence ledger (`import.<marker>`) and the audit log, and the marker
/// setting records that the load is done (later starts reuse it).
async fn mark_loaded(
    tx: &mut AnyConnection,
    marker: &'static str,
    seed: u64,
    counts: &serde_json::Value,
) -> Result<(), String> {
    let kind = format!("import.{marker}");
    anjian_app::ledger::append(
        &mut *tx,
        &new_id(),
        &anjian_app::ledger::Record {
            kind: &kind,
            subject: marker,
            actor: "system",
            time_ms: now_ms(),
            fields: counts.clone(),
            content: counts.clone(),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    audit::record::<(), _>(&mut *tx, &Caller::system(), marker, "demo_city", &seed.to_string(), None, Some(counts))
        .await
        .map_err(|e| e.to_string())?;
    settings::set(&mut *tx, marker, &counts.to_string()).await.map_err(|e| e.to_string())?;
    Ok(())
}

fn summary(city: &DemoCity, seed: u64, reused: bool) -> Summary {
    let districts: Vec<String> =
        city.regions.iter().filter(|r| r.level == "district").map(|r| r.code.clone()).collect();
    // One account per kind: admin, city, district, street, grid, enterprise head and staff.
    let mut logins = Vec::new();
    let mut kinds = std::collections::HashSet::new();
    for u in &city.users {
        let kind =
            u.username.trim_end_matches(|c: char| c.is_ascii_digit()).split('-').next_back().unwrap_or("").to_string();
        let kind = if u.username.starts_with("ent") {
            kind
        } else {
            u.username.trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
        };
        if kinds.insert(kind) {
            let scope =
                u.region_code.clone().or_else(|| u.enterprise_ids.first().cloned()).unwrap_or_else(|| "全部".into());
            logins.push((u.username.clone(), u.role.label().to_string(), scope));
        }
    }
    Summary {
        reused,
        seed,
        districts,
        regions: city.regions.len(),
        enterprises: city.enterprises.len(),
        projects: city.projects.len(),
        people: city.people.len(),
        hazards: 0,
        logins,
        concrete: None,
        devices: None,
    }
}

pub fn banner(s: &Summary) -> String {
    let mut out = String::new();
    if s.reused {
        out.push_str(&format!("演示城市已存在（种子 {}），直接使用。\n", s.seed));
    } else {
        out.push_str(&format!("已生成演示城市（种子 {}）。\n", s.seed));
    }
    out.push_str(&format!(
        "区域 {} 个（区县 {} 个），企业 {} 家，在建项目 {} 个，人员 {} 人。\n",
        s.regions,
        s.districts.len(),
        s.enterprises,
        s.projects,
        s.people
    ));
    if s.hazards > 0 {
        out.push_str(&format!("隐患历史 {} 条（近 24 个月，截至 {}）。\n", s.hazards, crate::today()));
    }
    if let Some(c) = &s.concrete {
        out.push_str(&format!(
            "混凝土追溯：搅拌站 {} 个，生产批次 {} 个，发货单 {} 张（时限预警 {} 条），试块 {} 组，检验批 {} 个（不合格 {} 个）。\n",
            c.plants, c.batches, c.tickets, c.warnings, c.specimens, c.lots, c.failed_lots
        ));
        out.push_str("  搅拌站账号 plant01-staff … plant12-staff，现场签收账号 prj0001-rcv 等（见 GET /api/v1/projects/{id}/concrete-receivers）\n");
    }
    if let Some(d) = &s.devices {
        out.push_str(&format!(
            "物联网：设备 {} 台（规则 {} 条），近 12 小时读数 {} 条，告警 {} 次；应急资源 {} 处。\n",
            d.devices, d.rules, d.readings, d.alarms, d.resources
        ));
        out.push_str("  模拟设备上报: anjian simulate devices --mqtt mqtt://127.0.0.1:1883（服务需配置 mqtt_url）\n");
    }
    out.push_str(&format!("演示账号（密码均为 {}）:\n", crate::DEMO_PASSWORD));
    for (u, role, scope) in &s.logins {
        out.push_str(&format!("  {u:<24} {role:<12} {scope}\n"));
    }
    out
}

async fn load(app: &App, city: &DemoCity, seed: u64) -> Result<(), String> {
    let sys = Caller::system();
    let now = now_ms();
    // One Argon2id hash for the one demo password keeps the load fast.
    let hash = crypto::hash_password(crate::DEMO_PASSWORD).map_err(|e| e.to_string())?;
    let mut tx = app.db.begin().await.map_err(|e| e.to_string())?;
    for r in &city.regions {
        let new = regions::NewRegion {
            code: r.code.clone(),
            parent_code: r.parent_code.clone(),
            name: r.name.clone(),
            level: r.level.clone(),
            geometry: Some(r.geometry.to_string()),
            centroid_lon: Some(r.centroid[0]),
            centroid_lat: Some(r.centroid[1]),
        };
        regions::insert(&mut tx, &new, now).await.map_err(|e| format!("region {}: {e}", r.code))?;
    }
    for e in &city.enterprises {
        insert_enterprise(&mut tx, e, now).await?;
    }
    for p in &city.projects {
        let row = projects::Project {
            id: p.id.clone(),
            name: p.name.clone(),
            region_code: p.region_code.clone(),
            address: p.address.clone(),
            lon: Some(p.lon),
            lat: Some(p.lat),
            builder_id: p.builder_id.clone(),
            contractor_id: p.contractor_id.clone(),
            supervisor_id: p.supervisor_id.clone(),
            start_on: Some(p.start_on.clone()),
            status: p.status.clone(),
            created_at: now,
        };
        projects::insert(&mut tx, &row).await.map_err(|e| format!("project {}: {e}", p.id))?;
    }
    for p in &city.people {
        let input = PersonInput {
            enterprise_id: p.enterprise_id.clone(),
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            job: p.job.clone(),
            certificates: serde_json::to_value(&p.certificates).map_err(|e| e.to_string())?,
        };
        let row = registry::prepare_person(app, &input).map_err(|e| format!("person {}: {e}", p.id))?;
        people::insert(&mut tx, &people::Person { id: p.id.clone(), ..row }).await.map_err(|e| e.to_string())?;
    }
    for u in &city.users {
        insert_account(app, &mut tx, u, &hash).await?;
    }
    let counts = serde_json::json!({
        "seed": seed,
        "regions": city.regions.len(),
        "enterprises": city.enterprises.len(),
        "projects": city.projects.len(),
        "people": city.people.len(),
        "users": city.users.len(),
    });
    audit::record::<(), _>(&mut tx, &sys, "demo_load", "demo_city", &seed.to_string(), None, Some(&counts))
        .await
        .map_err(|e| e.to_string())?;
    settings::set(&mut tx, MARKER, &counts.to_string()).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Stores a generated enterprise with its licences.
async fn insert_enterprise(c: &mut AnyConnection, e: &crate::Enterprise, now: i64) -> Result<(), String> {
    let responsible: Vec<registry::ResponsiblePerson> = e
        .responsible
        .iter()
        .map(|p| registry::ResponsiblePerson { role: p.role.clone(), name: p.name.clone(), phone: p.phone.clone() })
        .collect();
    let row = enterprises::Enterprise {
        id: e.id.clone(),
        uscc: e.uscc.clone(),
        name: e.name.clone(),
        industry: e.industry.clone(),
        address: e.address.clone(),
        lon: Some(e.lon),
        lat: Some(e.lat),
        region_code: e.region_code.clone(),
        scale: e.scale.clone(),
        responsible: serde_json::to_string(&responsible).map_err(|e| e.to_string())?,
        created_at: now,
        updated_at: now,
    };
    enterprises::insert(c, &row).await.map_err(|err| format!("enterprise {}: {err}", e.id))?;
    for l in &e.licences {
        let lic = enterprises::Licence {
            id: new_id(),
            enterprise_id: e.id.clone(),
            kind: l.kind.clone(),
            number: l.number.clone(),
            issued_on: Some(l.issued_on.clone()),
            expires_on: Some(l.expires_on.clone()),
            created_at: now,
        };
        enterprises::insert_licence(c, &lic).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Stores a generated account (the one demo password, no phone number: a
/// deployment that configures an SMS gateway must never text invented
/// numbers) and returns the caller it acts as.
async fn insert_account(app: &App, c: &mut AnyConnection, u: &crate::User, hash: &str) -> Result<Caller, String> {
    let nu = NewUser {
        username: u.username.clone(),
        display_name: Some(u.display_name.clone()),
        role: u.role.as_str().into(),
        region: u.region_code.clone(),
        enterprise_ids: u.enterprise_ids.clone(),
        password: crate::DEMO_PASSWORD.into(),
        phone: None,
    };
    let view = auth::insert_user(c, &app.secrets, &Caller::system(), &nu, hash.to_string())
        .await
        .map_err(|e| format!("user {}: {e}", u.username))?;
    let scope = match &u.region_code {
        Some(r) => Scope::Region(RegionCode::parse("region", r).map_err(|e| e.to_string())?),
        None if u.role == Role::SuperAdmin => Scope::All,
        None => Scope::Enterprises(u.enterprise_ids.clone()),
    };
    Ok(Caller {
        user_id: view.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        region_code: u.region_code.clone(),
        enterprise_ids: u.enterprise_ids.clone(),
        scope,
        csrf: None,
    })
}

const CONCRETE_MARKER: &str = "demo_concrete";
const DEVICES_MARKER: &str = "demo_devices";

/// Loads the demo city's IoT devices, their history and the emergency
/// resources once (see [`crate::devices`]). Each device, rule, resource and
/// ingest chunk commits through its own use case; the marker is set last,
/// so a load that failed part-way stops with what it made (start from a
/// fresh database to retry).
pub async fn ensure_devices(app: &App, city: &DemoCity, seed: u64) -> Result<crate::devices::DevicesSummary, String> {
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, DEVICES_MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    if let Some(v) = existing {
        return serde_json::from_str(&v).map_err(|e| e.to_string());
    }
    let s = crate::devices::load(app, city, seed, now_ms()).await?;
    let v = serde_json::to_string(&s).map_err(|e| e.to_string())?;
    let mut tx = app.db.begin().await.map_err(|e| e.to_string())?;
    audit::record::<(), _>(&mut tx, &Caller::system(), "demo_devices", "demo_city", &seed.to_string(), None, Some(&s))
        .await
        .map_err(|e| e.to_string())?;
    settings::set(&mut tx, DEVICES_MARKER, &v).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    tracing::info!(
        devices = s.devices,
        readings = s.readings,
        alarms = s.alarms,
        resources = s.resources,
        "demo devices loaded"
    );
    Ok(s)
}

/// What the concrete demo holds (see [`crate::concrete`]).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ConcreteSummary {
    pub plants: usize,
    pub batches: usize,
    pub tickets: usize,
    pub warnings: usize,
    pub specimens: usize,
    pub lots: usize,
    pub failed_lots: usize,
}

/// Loads the demo city's concrete traceability once (see
/// [`crate::concrete`]), in one transaction: the plants' enterprises and
/// accounts, the projects' receiver accounts, plants, mix designs,
/// batches, tickets with their sign-off, warnings, specimens and lots; each
/// step audited and logged on the evidence ledger by the app's own records
/// (so the public page of every demo ticket proves its steps), and every
/// failed lot's quality hazard opened through the hazard lifecycle.
pub async fn ensure_concrete(
    app: &App,
    city: &DemoCity,
    seed: u64,
    spec: crate::concrete::ConcreteSpec,
) -> Result<ConcreteSummary, String> {
    use anjian_app::concrete::{delivery, plants, quality};
    use anjian_domain::concrete as rules;
    use anjian_store::concrete as store;
    let mut c = app.db.read().await.map_err(|e| e.to_string())?;
    let existing = settings::get(&mut c, CONCRETE_MARKER).await.map_err(|e| e.to_string())?;
    drop(c);
    if let Some(v) = existing {
        return serde_json::from_str(&v).map_err(|e| e.to_string());
    }
    let fail = |e: String| format!("载入演示混凝土追溯数据失败: {e}");
    let now = now_ms();
    let d = crate::concrete::generate(city, seed, now, spec);
    let hash = crypto::hash_password(crate::DEMO_PASSWORD).map_err(|e| fail(e.to_string()))?;
    let limits = rules::TimeLimits::default();
    let sys = Caller::system();
    let mut tx = app.db.begin().await.map_err(|e| fail(e.to_string()))?;
    let mut staff = std::collections::HashMap::new();
    for ps in &d.plants {
        insert_enterprise(&mut tx, &ps.enterprise, now).await.map_err(fail)?;
        let head = insert_account(app, &mut tx, &ps.head, &hash).await.map_err(fail)?;
        staff.insert(ps.plant.id.clone(), insert_account(app, &mut tx, &ps.staff, &hash).await.map_err(fail)?);
        store::insert_plant(&mut tx, &ps.plant).await.map_err(|e| fail(e.to_string()))?;
        plants::record_plant(&mut tx, &head, &ps.plant).await.map_err(|e| fail(e.to_string()))?;
        for (m, mats) in &ps.mixes {
            store::insert_mix(&mut tx, m).await.map_err(|e| fail(e.to_string()))?;
            plants::record_mix(&mut tx, &staff[&ps.plant.id], m, mats).await.map_err(|e| fail(e.to_string()))?;
        }
    }
    let mut receivers = std::collections::HashMap::new();
    for (project, u) in &d.receivers {
        let rc = insert_account(app, &mut tx, u, &hash).await.map_err(fail)?;
        let at = now - 100 * 86_400_000;
        store::grant_receiver(&mut tx, project, &rc.user_id, None, at).await.map_err(|e| fail(e.to_string()))?;
        delivery::record_grant(&mut tx, &sys, project, &rc.user_id, at).await.map_err(|e| fail(e.to_string()))?;
        receivers.insert(u.username.clone(), rc);
    }
    let mut contexts = std::collections::HashMap::new();
    for b in &d.batches {
        store::insert_batch(&mut tx, b).await.map_err(|e| fail(e.to_string()))?;
        delivery::record_batch(&mut tx, &staff[&b.plant_id], b).await.map_err(|e| fail(e.to_string()))?;
        let (_, ctx) = store::batch(&mut tx, &b.id).await.map_err(|e| fail(e.to_string()))?.ok_or("batch")?;
        contexts.insert(b.id.clone(), ctx);
    }
    let mut warnings = 0;
    for seed_t in &d.tickets {
        let by = seed_t.ticket.received_by.as_ref().map(|u| &receivers[u]);
        let t = store::Ticket { received_by: by.map(|c| c.user_id.clone()), ..seed_t.ticket.clone() };
        let ctx = &contexts[&t.batch_id];
        store::insert_ticket(&mut tx, &t).await.map_err(|e| fail(e.to_string()))?;
        let issued = store::Ticket {
            status: "issued".into(),
            arrived_at: None,
            placed_at: None,
            site_slump_mm: None,
            site_temperature_c: None,
            received_by: None,
            received_at: None,
            reject_reason: None,
            updated_at: t.created_at,
            ..t.clone()
        };
        delivery::record_issue(&mut tx, &staff[&t.plant_id], &issued, ctx).await.map_err(|e| fail(e.to_string()))?;
        let Some(rc) = by else { continue };
        let signed = store::Ticket {
            placed_at: None,
            status: if t.status == "rejected" { "rejected" } else { "received" }.into(),
            ..t.clone()
        };
        delivery::record_receipt(&mut tx, rc, &issued, &signed, seed_t.reason.as_deref())
            .await
            .map_err(|e| fail(e.to_string()))?;
        if let Some(p) = t.placed_at {
            delivery::record_placed(&mut tx, rc, &t, p, p).await.map_err(|e| fail(e.to_string()))?;
        }
        if t.status == "rejected" {
            continue;
        }
        let temp = t.site_temperature_c.unwrap_or(t.temperature_c);
        let times = rules::DeliveryTimes {
            mixed_at: t.mixed_at,
            departed_at: t.departed_at,
            arrived_at: t.arrived_at,
            placed_at: t.placed_at,
        };
        for f in rules::check(&times, temp, ctx.ctx_retarding != 0, &limits) {
            let at = if f.placed { t.placed_at } else { t.arrived_at }.unwrap_or(now);
            let w = delivery::warning_row(&t, ctx, &f, temp, at);
            if store::insert_warning(&mut tx, &w).await.map_err(|e| fail(e.to_string()))? {
                delivery::record_warning(&mut tx, rc, &t, &w, &limits.basis).await.map_err(|e| fail(e.to_string()))?;
                warnings += 1;
            }
        }
    }
    let receiver_of =
        |project: &str| d.receivers.iter().find(|(p, _)| p == project).map(|(_, u)| &receivers[&u.username]);
    for s in &d.specimens {
        let rc = receiver_of(&s.project_id).ok_or("receiver")?;
        store::insert_specimen(&mut tx, s).await.map_err(|e| fail(e.to_string()))?;
        let sampled = store::Specimen { strengths: None, tested_at: None, report_no: None, ..s.clone() };
        quality::record_sampled(&mut tx, rc, &sampled).await.map_err(|e| fail(e.to_string()))?;
        if let (Some(json), Some(at)) = (&s.strengths, s.tested_at) {
            let cubes: [f64; 3] = serde_json::from_str(json).map_err(|e| fail(e.to_string()))?;
            quality::record_tested(&mut tx, rc, &sampled, s, &cubes, at).await.map_err(|e| fail(e.to_string()))?;
        }
    }
    let mut failed = 0;
    for lot in &d.lots {
        let mut a = lot.acceptance.clone();
        if !lot.output.pass {
            let project =
                projects::get(&mut tx, &a.project_id).await.map_err(|e| fail(e.to_string()))?.ok_or("project")?;
            a.hazard_id = Some(
                quality::open_hazard(app, &mut tx, &project, &a.id, &lot.locations, &lot.output)
                    .await
                    .map_err(|e| fail(e.to_string()))?,
            );
            failed += 1;
        }
        store::insert_acceptance(&mut tx, &a).await.map_err(|e| fail(e.to_string()))?;
        quality::record_acceptance(&mut tx, &sys, &a, &lot.output).await.map_err(|e| fail(e.to_string()))?;
    }
    let summary = ConcreteSummary {
        plants: d.plants.len(),
        batches: d.batches.len(),
        tickets: d.tickets.len(),
        warnings,
        specimens: d.specimens.len(),
        lots: d.lots.len(),
        failed_lots: failed,
    };
    let text = serde_json::to_string(&summary).map_err(|e| fail(e.to_string()))?;
    audit::record::<(), _>(&mut tx, &sys, "demo_concrete", "demo_city", &seed.to_string(), None, Some(&summary))
        .await
        .map_err(|e| fail(e.to_string()))?;
    settings::set(&mut tx, CONCRETE_MARKER, &text).await.map_err(|e| fail(e.to_string()))?;
    tx.commit().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(
        tickets = summary.tickets,
        warnings,
        lots = summary.lots,
        failed,
        "demo concrete traceability loaded"
    );
    Ok(summary)
}
