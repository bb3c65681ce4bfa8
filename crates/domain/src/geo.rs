//! Plane geometry on WGS-84 coordinates, enough to snap a point to the grid
//! polygon that contains it.

/// Whether `(lon, lat)` lies inside the ring (ray casting; the boundary
/// counts as inside for the lower/left edges only, so adjacent grids never
/// both claim a point).
pub fn point_in_ring(lon: f64, lat: f64, ring: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let [xi, yi] = ring[i];
        let [xj, yj] = ring[j];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Polygon with holes: inside the outer ring and outside every hole.
pub fn point_in_polygon(lon: f64, lat: f64, rings: &[Vec<[f64; 2]>]) -> bool {
    match rings.split_first() {
        Some((outer, holes)) => point_in_ring(lon, lat, outer) && !holes.iter().any(|h| point_in_ring(lon, lat, h)),
        None => false,
    }
}

/// Parses a GeoJSON Polygon or MultiPolygon geometry into polygons of rings.
pub fn polygons_of(geometry: &serde_json::Value) -> Vec<Vec<Vec<[f64; 2]>>> {
    let ring = |r: &serde_json::Value| -> Vec<[f64; 2]> {
        r.as_array()
            .map(|pts| pts.iter().filter_map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])).collect())
            .unwrap_or_default()
    };
    let poly = |p: &serde_json::Value| -> Vec<Vec<[f64; 2]>> {
        p.as_array().map(|rs| rs.iter().map(ring).collect()).unwrap_or_default()
    };
    match geometry.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => geometry.get("coordinates").map(|c| vec![poly(c)]).unwrap_or_default(),
        Some("MultiPolygon") => geometry
            .get("coordinates")
            .and_then(|c| c.as_array())
            .map(|ps| ps.iter().map(poly).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// Bounding box `[min_lon, min_lat, max_lon, max_lat]` of polygons.
pub fn bbox(polys: &[Vec<Vec<[f64; 2]>>]) -> Option<[f64; 4]> {
    let mut it = polys.iter().flat_map(|p| p.first()).flatten();
    let first = it.next()?;
    let mut b = [first[0], first[1], first[0], first[1]];
    for p in it {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    Some(b)
}

/// Great-circle distance in metres between two WGS-84 points (haversine,
/// mean Earth radius 6,371,008.8 m).
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x0: f64, y0: f64, s: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]
    }

    #[test]
    fn haversine_distances() {
        // One degree of latitude is about 111.2 km anywhere.
        assert!((haversine_m(117.0, 36.0, 117.0, 37.0) - 111_195.0).abs() < 10.0);
        // Jinan to Qingdao, about 300 km.
        let d = haversine_m(117.00, 36.67, 120.38, 36.07);
        assert!((290_000.0..320_000.0).contains(&d), "{d}");
        assert_eq!(haversine_m(117.0, 36.0, 117.0, 36.0), 0.0);
    }

    #[test]
    fn inside_outside_and_holes() {
        let outer = square(0.0, 0.0, 10.0);
        assert!(point_in_ring(5.0, 5.0, &outer));
        assert!(!point_in_ring(11.0, 5.0, &outer));
        let poly = vec![outer, square(4.0, 4.0, 2.0)];
        assert!(!point_in_polygon(5.0, 5.0, &poly));
        assert!(point_in_polygon(1.0, 1.0, &poly));
        let g = serde_json::json!({"type": "Polygon", "coordinates": [[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]});
        assert_eq!(polygons_of(&g).len(), 1);
        assert_eq!(bbox(&polygons_of(&g)), Some([0.0, 0.0, 1.0, 1.0]));
    }

    proptest! {
        /// Two squares sharing an edge never both claim a point.
        #[test]
        fn adjacent_cells_partition_points(x in 0.0f64..2.0, y in 0.0f64..1.0) {
            let a = point_in_ring(x, y, &square(0.0, 0.0, 1.0));
            let b = point_in_ring(x, y, &square(1.0, 0.0, 1.0));
            prop_assert!(!(a && b));
            if x > 0.0 && x < 2.0 && y > 0.0 && y < 1.0 && x != 1.0 { prop_assert!(a || b); }
        }
    }
}
