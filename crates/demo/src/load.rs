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
use anjian_store::{enterprises, new_id, now_ms, people, projects, regions, settings};

const MARKER: &str = "demo_city";
const HISTORY_MARKER: &str = "demo_history";
const REGISTERS_MARKER: &str = "demo_registers";

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
    }
    Ok(s)
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
    let now = now_ms();
    anjian_app::ledger::append(
        &mut tx,
        &new_id(),
        &anjian_app::ledger::Record {
            kind: "import.demo_history",
            subject: HISTORY_MARKER,
            actor: "system",
            time_ms: now,
            fields: counts.clone(),
            content: counts.clone(),
        },
    )
    .await
    .map_err(|e| fail(e.to_string()))?;
    audit::record::<(), _>(
        &mut tx,
        &Caller::system(),
        "demo_history",
        "demo_city",
        &seed.to_string(),
        None,
        Some(&counts),
    )
    .await
    .map_err(|e| fail(e.to_string()))?;
    settings::set(&mut tx, HISTORY_MARKER, &counts.to_string()).await.map_err(|e| fail(e.to_string()))?;
    tx.commit().await.map_err(|e| fail(e.to_string()))?;
    tracing::info!(hazards, events, seconds = started.elapsed().as_secs_f64(), "demo hazard history loaded");
    Ok(HistorySummary { reused: false, hazards, events, sha256 })
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
        enterprises::insert(&mut tx, &row).await.map_err(|err| format!("enterprise {}: {err}", e.id))?;
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
            enterprises::insert_licence(&mut tx, &lic).await.map_err(|e| e.to_string())?;
        }
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
        let nu = NewUser {
            username: u.username.clone(),
            display_name: Some(u.display_name.clone()),
            role: u.role.as_str().into(),
            region: u.region_code.clone(),
            enterprise_ids: u.enterprise_ids.clone(),
            password: crate::DEMO_PASSWORD.into(),
            // Demo accounts carry no phone numbers: a deployment that
            // configures an SMS gateway must never text invented numbers.
            phone: None,
        };
        auth::insert_user(&mut tx, &app.secrets, &sys, &nu, hash.clone())
            .await
            .map_err(|e| format!("user {}: {e}", u.username))?;
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
