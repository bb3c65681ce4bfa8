//! Hazard and risk density per grid or hexagon as GeoJSON (A3).

use super::{analytics_error, region_for, window};
use crate::{App, AppError, Caller, Result};
use anjian_analytics as an;
use anjian_store::{hazards, regions};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HeatmapParams {
    /// Region subtree (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// First day, `YYYY-MM-DD` (Shanghai); default: 90 days ago.
    pub since: Option<String>,
    /// Last day, `YYYY-MM-DD` (Shanghai), inclusive; default: today.
    pub until: Option<String>,
    /// `grid` (the region's grids, default) or `hex` (equal hexagons).
    pub cells: Option<String>,
    /// Hexagon circumradius in km for `cells=hex` (0.2–20, default 1).
    pub hex_km: Option<f64>,
}

/// Hazard and risk density for a time window as GeoJSON: one feature per grid
/// of the region (its polygon; hazards, open and major hazards, risk points
/// by colour, hazards per km²) or per hexagon of equal area (`cells=hex`).
pub async fn heatmap(app: &App, caller: &Caller, p: &HeatmapParams) -> Result<serde_json::Value> {
    use serde_json::json;
    let region = region_for(caller, p.region.as_deref())?;
    let (since, until) = window(p.since.as_deref(), p.until.as_deref(), 90)?;
    let hex = match p.cells.as_deref().unwrap_or("grid") {
        "grid" => false,
        "hex" => true,
        _ => return Err(AppError::field("cells", "cells 应为 grid 或 hex")),
    };
    let hex_km = p.hex_km.unwrap_or(1.0);
    if !(0.2..=20.0).contains(&hex_km) {
        return Err(AppError::field("hex_km", "六边形半径应为 0.2 到 20 公里"));
    }
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let mut c = app.db.read().await?;
    let rows = hazards::stat_rows(&mut c, &caller.scope, prefix.as_deref(), since, until)
        .await?
        .into_iter()
        .filter(|o| o.state != "dismissed")
        .collect::<Vec<_>>();
    let points = crate::risk::list_points(
        app,
        caller,
        &crate::risk::PointFilter { region: region.as_ref().map(|r| r.as_str().to_string()), enterprise_id: None },
    )
    .await?;
    // Risk points without a position of their own sit at their enterprise.
    let mut risk_at: Vec<(f64, f64, String, String)> = Vec::new();
    for rp in &points {
        let at = match (rp.lng, rp.lat) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => anjian_store::enterprises::get(&mut c, &rp.enterprise_id).await?.and_then(|e| Some((e.lon?, e.lat?))),
        };
        if let Some((x, y)) = at {
            risk_at.push((x, y, rp.region_code.clone(), rp.color.clone()));
        }
    }
    #[derive(Default)]
    struct Cell {
        hazards: u64,
        open: u64,
        major: u64,
        risk: [u64; 4],
    }
    let colour = |c: &str| ["red", "orange", "yellow", "blue"].iter().position(|x| *x == c);
    let count_hazard = |cell: &mut Cell, o: &hazards::StatRow| {
        cell.hazards += 1;
        if o.state != "closed" {
            cell.open += 1;
        }
        if o.grade == "major" {
            cell.major += 1;
        }
    };
    let feature =
        |geometry: serde_json::Value, mut props: serde_json::Map<String, serde_json::Value>, cell: &Cell, area: f64| {
            props.insert("hazards".into(), cell.hazards.into());
            props.insert("open".into(), cell.open.into());
            props.insert("major".into(), cell.major.into());
            props.insert("risk_red".into(), cell.risk[0].into());
            props.insert("risk_orange".into(), cell.risk[1].into());
            props.insert("risk_yellow".into(), cell.risk[2].into());
            props.insert("risk_blue".into(), cell.risk[3].into());
            props.insert("area_km2".into(), json!((area * 1000.0).round() / 1000.0));
            props.insert(
                "hazards_per_km2".into(),
                json!(if area > 0.0 { (cell.hazards as f64 / area * 100.0).round() / 100.0 } else { 0.0 }),
            );
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        };
    let mut features = Vec::new();
    if hex {
        let located: Vec<&hazards::StatRow> = rows.iter().filter(|o| o.lon.is_some() && o.lat.is_some()).collect();
        let n = located.len().max(1) as f64;
        let (lon0, lat0) = if located.is_empty() {
            risk_at.first().map(|r| (r.0, r.1)).unwrap_or((0.0, 0.0))
        } else {
            (
                located.iter().filter_map(|o| o.lon).sum::<f64>() / n,
                located.iter().filter_map(|o| o.lat).sum::<f64>() / n,
            )
        };
        let grid = an::spatial::HexGrid::new(lon0, lat0, hex_km).map_err(analytics_error)?;
        let mut cells: std::collections::BTreeMap<an::spatial::HexCell, Cell> = Default::default();
        for o in located {
            count_hazard(
                cells.entry(grid.cell_of(o.lon.unwrap_or_default(), o.lat.unwrap_or_default())).or_default(),
                o,
            );
        }
        for (x, y, _, col) in &risk_at {
            if let Some(k) = colour(col) {
                cells.entry(grid.cell_of(*x, *y)).or_default().risk[k] += 1;
            }
        }
        for (id, cell) in &cells {
            let mut props = serde_json::Map::new();
            props.insert("cell".into(), json!(format!("{},{}", id.0, id.1)));
            features.push(feature(
                json!({"type": "Polygon", "coordinates": [grid.polygon(*id)]}),
                props,
                cell,
                grid.cell_area_km2(),
            ));
        }
    } else {
        let mut cells: std::collections::BTreeMap<String, Cell> = Default::default();
        for o in &rows {
            count_hazard(cells.entry(o.region_code.clone()).or_default(), o);
        }
        for (_, _, code, col) in &risk_at {
            if let Some(k) = colour(col) {
                cells.entry(code.clone()).or_default().risk[k] += 1;
            }
        }
        let names: std::collections::HashMap<String, String> =
            regions::list(&mut c, None, prefix.as_deref(), Some("grid"))
                .await?
                .into_iter()
                .map(|r| (r.code, r.name))
                .collect();
        for (code, geometry) in regions::grid_geometries(&mut c).await? {
            if prefix.as_deref().is_some_and(|p| !code.starts_with(p)) {
                continue;
            }
            let geometry: serde_json::Value = serde_json::from_str(&geometry).unwrap_or(serde_json::Value::Null);
            let area: f64 =
                anjian_domain::geo::polygons_of(&geometry).iter().map(|p| an::spatial::polygon_area_km2(p)).sum();
            let cell = cells.remove(&code).unwrap_or_default();
            let mut props = serde_json::Map::new();
            props.insert("code".into(), json!(code));
            props.insert("name".into(), json!(names.get(&code).cloned().unwrap_or_default()));
            features.push(feature(geometry, props, &cell, area));
        }
    }
    let total: u64 = features.iter().map(|f| f["properties"]["hazards"].as_u64().unwrap_or(0)).sum();
    let max = features.iter().map(|f| f["properties"]["hazards"].as_u64().unwrap_or(0)).max().unwrap_or(0);
    Ok(json!({"type": "FeatureCollection", "features": features,
        "summary": {"since": crate::time::fmt_local(since), "until": crate::time::fmt_local(until),
            "cells": if hex { "hex" } else { "grid" }, "hazards": total, "max_per_cell": max}}))
}
