//! The demo city's IoT devices (issue 6): tower cranes, deep-pit tilt
//! meters and dust monitors on active construction projects, rainfall
//! gauges at mines, gas detectors and temperature sensors at chemical
//! plants — each with its rules from the shipped templates and the offline
//! rule — plus twelve hours of readings fed through the ingest use case, so
//! the rules raise the alarms a real half-day would (a storm at one mine
//! reaches red and opens an emergency response, a crane leans past 4‰, a
//! gas leak comes and goes, two devices fall silent). Also the emergency
//! resources registry: per district a rescue team, a warehouse with its
//! supplies, equipment, a hospital and shelters.
//!
//! The value models are shared with the simulator ([`crate::simulate`]).

use crate::DemoCity;
use anjian_app::monitoring::{self, DeviceBatch, DeviceInput, MetricSpec, ReadingIn, RuleInput, Ts};
use anjian_app::resources::{self, Item, ResourceInput};
use anjian_app::{App, Caller};
use anjian_domain::monitor::Rule;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// One device to register.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    pub name: String,
    pub device_type: &'static str,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub metrics: Vec<(&'static str, &'static str)>,
    /// Template keys (the offline rule is added to every device).
    pub templates: Vec<&'static str>,
    /// A rule of its own (dust has no shipped template).
    pub own_rule: Option<(&'static str, &'static str)>,
    /// What its history holds.
    pub story: Story,
}

/// What happens in a device's twelve hours of history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    Normal,
    /// 54 mm in three hours (red: stop work, evacuate).
    Storm,
    /// 30 mm (yellow).
    Shower,
    /// Verticality climbs to 4.3‰ in the last hour (red).
    CraneLean,
    /// 3.4‰ (yellow).
    CraneDrift,
    /// Building tilt 1.8‰ (orange).
    PitTilt,
    /// 30 %LEL for half an hour two hours ago, then back to normal.
    GasLeak,
    /// 62 °C for forty minutes (yellow), then cooled.
    Overheat,
    /// Nothing heard for the last two hours.
    Silent,
}

/// Dust: PM10 (µg/m³); no national template, a site's own rule.
const DUST_RULE: &str = r#"{"metric": "pm10_ugm3", "measure": {"type": "value"}, "direction": "above", "inclusive": true,
    "thresholds": {"yellow": 150.0, "orange": 250.0, "red": 350.0}, "min_duration_s": 1200, "hysteresis": 20.0}"#;

/// Reporting interval of the demo devices.
pub const INTERVAL_S: i64 = 600;
const HOURS: i64 = 12;

/// A normal value of a metric at time `t` (epoch ms).
pub fn normal_value(metric: &str, t: i64, rng: &mut ChaCha8Rng) -> f64 {
    let day = (t as f64 / 86_400_000.0) * std::f64::consts::TAU;
    let v = match metric {
        "verticality_permille" => 1.2 + 0.3 * day.sin() + rng.random_range(-0.1..0.1),
        "tilt_permille" => 0.6 + rng.random_range(-0.05..0.05),
        "pm10_ugm3" => 70.0 + 30.0 * day.sin() + rng.random_range(-10.0..10.0),
        "rainfall_mm" => {
            if rng.random_bool(0.1) {
                rng.random_range(0.1..0.4)
            } else {
                0.0
            }
        }
        "lel_percent" => rng.random_range(0.0..1.5),
        "temperature_c" => 42.0 + 4.0 * day.sin() + rng.random_range(-1.0..1.0),
        _ => rng.random_range(0.0..1.0),
    };
    (v * 100.0).round() / 100.0
}

fn story_value(story: Story, metric: &str, t: i64, now: i64, rng: &mut ChaCha8Rng) -> Option<f64> {
    let ago_h = (now - t) as f64 / 3_600_000.0;
    let v = match (story, metric) {
        (Story::Silent, _) if ago_h < 2.0 => return None,
        (Story::Storm, "rainfall_mm") if (3.0..6.0).contains(&ago_h) => 3.0,
        (Story::Shower, "rainfall_mm") if (4.0..6.5).contains(&ago_h) => 2.0,
        (Story::CraneLean, "verticality_permille") if ago_h < 1.0 => 4.3,
        (Story::CraneDrift, "verticality_permille") if ago_h < 1.5 => 3.4,
        (Story::PitTilt, "tilt_permille") if ago_h < 3.0 => 1.8,
        (Story::GasLeak, "lel_percent") if (2.0..2.5).contains(&ago_h) => 30.0,
        (Story::Overheat, "temperature_c") if (5.0..5.7).contains(&ago_h) => 62.0,
        _ => normal_value(metric, t, rng),
    };
    Some(v)
}

fn jitter(rng: &mut ChaCha8Rng) -> f64 {
    rng.random_range(-0.002..0.002)
}

/// The devices of the city (deterministic for a seed).
pub fn generate(city: &DemoCity, seed: u64) -> Vec<DeviceSpec> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x10_7d);
    let mut out = Vec::new();
    let projects: Vec<_> = city.projects.iter().filter(|p| p.status == "active").take(30).collect();
    for (i, p) in projects.iter().enumerate() {
        let crane_story = match i {
            0 => Story::CraneLean,
            1 => Story::CraneDrift,
            _ => Story::Normal,
        };
        out.push(DeviceSpec {
            name: format!("{} 1号塔吊", p.name),
            device_type: "tower_crane",
            enterprise_id: p.contractor_id.clone(),
            project_id: Some(p.id.clone()),
            lon: p.lon + jitter(&mut rng),
            lat: p.lat + jitter(&mut rng),
            metrics: vec![("verticality_permille", "‰")],
            templates: vec!["tower_crane_verticality_free"],
            own_rule: None,
            story: crane_story,
        });
        if i % 2 == 0 {
            out.push(DeviceSpec {
                name: format!("{} 基坑倾斜监测", p.name),
                device_type: "deep_pit",
                enterprise_id: p.contractor_id.clone(),
                project_id: Some(p.id.clone()),
                lon: p.lon + jitter(&mut rng),
                lat: p.lat + jitter(&mut rng),
                metrics: vec![("tilt_permille", "‰")],
                templates: vec!["deep_pit_tilt"],
                own_rule: None,
                story: if i == 2 { Story::PitTilt } else { Story::Normal },
            });
        }
        out.push(DeviceSpec {
            name: format!("{} 扬尘监测", p.name),
            device_type: "dust",
            enterprise_id: p.contractor_id.clone(),
            project_id: Some(p.id.clone()),
            lon: p.lon + jitter(&mut rng),
            lat: p.lat + jitter(&mut rng),
            metrics: vec![("pm10_ugm3", "µg/m³")],
            templates: vec![],
            own_rule: Some(("扬尘PM10", DUST_RULE)),
            story: if i == 3 { Story::Silent } else { Story::Normal },
        });
    }
    for (i, e) in city.enterprises.iter().filter(|e| e.industry == "mining").take(20).enumerate() {
        out.push(DeviceSpec {
            name: format!("{} 采区雨量计", e.name),
            device_type: "rainfall_gauge",
            enterprise_id: e.id.clone(),
            project_id: None,
            lon: e.lon + jitter(&mut rng),
            lat: e.lat + jitter(&mut rng),
            metrics: vec![("rainfall_mm", "mm")],
            templates: vec!["mine_rainfall_24h"],
            own_rule: None,
            story: match i {
                0 => Story::Storm,
                1 => Story::Shower,
                _ => Story::Normal,
            },
        });
    }
    for (i, e) in city.enterprises.iter().filter(|e| e.industry == "hazardous_chemicals").take(25).enumerate() {
        out.push(DeviceSpec {
            name: format!("{} 储罐区可燃气体探头", e.name),
            device_type: "gas_detector",
            enterprise_id: e.id.clone(),
            project_id: None,
            lon: e.lon + jitter(&mut rng),
            lat: e.lat + jitter(&mut rng),
            metrics: vec![("lel_percent", "%LEL")],
            templates: vec!["combustible_gas"],
            own_rule: None,
            story: match i {
                0 => Story::GasLeak,
                1 => Story::Silent,
                _ => Story::Normal,
            },
        });
        if i % 2 == 0 {
            out.push(DeviceSpec {
                name: format!("{} 反应釜温度", e.name),
                device_type: "temperature",
                enterprise_id: e.id.clone(),
                project_id: None,
                lon: e.lon + jitter(&mut rng),
                lat: e.lat + jitter(&mut rng),
                metrics: vec![("temperature_c", "°C")],
                templates: vec!["equipment_temperature"],
                own_rule: None,
                story: if i == 0 { Story::Overheat } else { Story::Normal },
            });
        }
    }
    out
}

/// What [`load`] made.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DevicesSummary {
    pub devices: usize,
    pub rules: usize,
    pub readings: u64,
    pub alarms: u64,
    pub resources: usize,
}

fn fail(e: impl std::fmt::Display) -> String {
    format!("载入演示物联网设备失败: {e}")
}

/// Registers the devices and their rules through the use cases, feeds their
/// history through ingest, runs offline detection once, and registers the
/// emergency resources.
pub async fn load(app: &App, city: &DemoCity, seed: u64, now: i64) -> Result<DevicesSummary, String> {
    let sys = Caller::system();
    let specs = generate(city, seed);
    let mut s = DevicesSummary::default();
    let mut registered = Vec::new();
    for d in &specs {
        let v = monitoring::register_device(
            app,
            &sys,
            &DeviceInput {
                name: d.name.clone(),
                device_type: d.device_type.into(),
                enterprise_id: d.enterprise_id.clone(),
                project_id: d.project_id.clone(),
                lon: Some(d.lon),
                lat: Some(d.lat),
                metrics: d.metrics.iter().map(|(n, u)| MetricSpec { name: (*n).into(), unit: (*u).into() }).collect(),
                interval_s: INTERVAL_S,
            },
        )
        .await
        .map_err(|e| fail(format!("{}: {e}", d.name)))?;
        let mut rules: Vec<RuleInput> =
            d.templates.iter().map(|t| RuleInput { template: Some((*t).into()), rule: None, name: None }).collect();
        if let Some((name, json)) = d.own_rule {
            let rule: Rule = serde_json::from_str(json).map_err(fail)?;
            rules.push(RuleInput { template: None, rule: Some(rule), name: Some(name.into()) });
        }
        rules.push(RuleInput { template: Some("device_offline".into()), rule: None, name: None });
        for r in &rules {
            monitoring::add_rule(app, &sys, &v.id, r).await.map_err(|e| fail(format!("{}: {e}", d.name)))?;
            s.rules += 1;
        }
        registered.push((v.id, v.secret.unwrap_or_default(), d));
    }
    s.devices = registered.len();
    // History, in chunks of devices (each chunk one transaction).
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4ead);
    let steps = HOURS * 3_600 / INTERVAL_S;
    let start = (now - HOURS * 3_600_000) / 60_000 * 60_000;
    for chunk in registered.chunks(40) {
        let mut batches = Vec::new();
        for (id, secret, d) in chunk {
            let mut readings = Vec::new();
            for k in 0..steps {
                let t = start + k * INTERVAL_S * 1000;
                let mut values = BTreeMap::new();
                for (m, _) in &d.metrics {
                    if let Some(v) = story_value(d.story, m, t, now, &mut rng) {
                        values.insert((*m).to_string(), serde_json::json!(v));
                    }
                }
                if !values.is_empty() {
                    readings.push(ReadingIn { ts: Ts::Millis(t), values });
                }
            }
            batches.push(DeviceBatch { device_id: id.clone(), secret: secret.clone(), readings });
        }
        let r = monitoring::ingest_many(app, &batches).await.map_err(fail)?;
        s.readings += r.accepted;
        s.alarms += r.alarms.get("raise").copied().unwrap_or(0);
    }
    s.alarms += monitoring::check_offline(app, now).await.map_err(fail)?;
    s.resources = load_resources(app, city, seed).await?;
    Ok(s)
}

async fn load_resources(app: &App, city: &DemoCity, seed: u64) -> Result<usize, String> {
    let sys = Caller::system();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e5c);
    let mut n = 0;
    let item = |name: &str, q: f64, unit: &str| Item { name: name.into(), quantity: q, unit: unit.into() };
    for d in city.regions.iter().filter(|r| r.level == "district") {
        let [lon, lat] = d.centroid;
        let short = d.name.trim_end_matches(['区', '县', '市']);
        let list: Vec<(&str, String, Option<i64>, Option<&str>, Vec<Item>)> = vec![
            (
                "rescue_team",
                format!("{short}综合应急救援队"),
                Some(rng.random_range(30..80)),
                Some("人"),
                vec![item("救援车辆", 6.0, "辆"), item("破拆工具组", 4.0, "套")],
            ),
            (
                "warehouse",
                format!("{short}应急物资储备库"),
                None,
                None,
                vec![
                    item("编织袋", 20_000.0, "条"),
                    item("帐篷", 300.0, "顶"),
                    item("应急照明灯", 200.0, "台"),
                    item("正压式空气呼吸器", 40.0, "具"),
                ],
            ),
            (
                "equipment",
                format!("{short}排涝抢险装备点"),
                None,
                None,
                vec![item("大流量排涝泵", 8.0, "台"), item("发电机组", 4.0, "台")],
            ),
            ("hospital", format!("{short}人民医院"), Some(rng.random_range(300..900)), Some("床"), vec![]),
            (
                "shelter",
                format!("{short}体育中心应急避难场所"),
                Some(rng.random_range(3_000..12_000)),
                Some("人"),
                vec![],
            ),
        ];
        for (kind, name, capacity, unit, items) in list {
            let input = ResourceInput {
                kind: kind.into(),
                name,
                region_code: Some(d.code.clone()),
                enterprise_id: None,
                address: format!("{}{}", d.name, ["中心路", "建设路", "人民路", "文化路", "体育路"][n % 5]),
                lon: lon + rng.random_range(-0.03..0.03),
                lat: lat + rng.random_range(-0.03..0.03),
                contact_name: format!("{}值班室", short),
                contact_phone: format!("0539-{}", rng.random_range(1_000_000..9_999_999)),
                capacity,
                capacity_unit: unit.map(String::from),
                items,
                notes: None,
            };
            resources::create(app, &sys, &input).await.map_err(|e| fail(format!("{}: {e}", input.name)))?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_story_appears_and_devices_are_deterministic() {
        let city = crate::generate(2026, crate::DemoSize::Standard);
        let a = generate(&city, 2026);
        let b = generate(&city, 2026);
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.name == y.name && x.lon == y.lon));
        for s in [Story::Storm, Story::CraneLean, Story::GasLeak, Story::Silent, Story::PitTilt, Story::Overheat] {
            assert!(a.iter().any(|d| d.story == s), "{s:?}");
        }
        for t in ["tower_crane", "deep_pit", "dust", "rainfall_gauge", "gas_detector", "temperature"] {
            assert!(a.iter().any(|d| d.device_type == t), "{t}");
        }
        assert!(a.len() >= 80, "{}", a.len());
    }

    #[test]
    fn the_storm_reaches_fifty_millimetres_in_a_day() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let now = 10 * 86_400_000;
        let total: f64 = (0..HOURS * 6)
            .map(|k| now - HOURS * 3_600_000 + k * 600_000)
            .filter_map(|t| story_value(Story::Storm, "rainfall_mm", t, now, &mut rng))
            .sum();
        assert!(total >= 50.0, "{total}");
    }
}
