//! Spatial binning for heat maps: a hexagonal grid of equal cells over a
//! region (the "H3 or equivalent" of issue 9), and polygon areas for
//! densities. Distances use a local equirectangular projection around the
//! grid's origin, exact enough for a city (a few hundred km) and free of
//! any library.

use crate::AnalyticsError;

const KM_PER_DEG_LAT: f64 = 110.574;
const KM_PER_DEG_LON_EQUATOR: f64 = 111.320;

/// Pointy-top hexagons of circumradius `size_km`, laid out from an origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HexGrid {
    lon0: f64,
    lat0: f64,
    size_km: f64,
    km_per_deg_lon: f64,
}

/// A cell in axial coordinates.
pub type HexCell = (i64, i64);

impl HexGrid {
    /// A grid centred on (`lon0`, `lat0`) whose cells have circumradius
    /// `size_km` (0.05–50 km).
    pub fn new(lon0: f64, lat0: f64, size_km: f64) -> Result<HexGrid, AnalyticsError> {
        if !(lon0.is_finite() && (-180.0..=180.0).contains(&lon0)) {
            return Err(AnalyticsError::new("lon0", "must be a longitude"));
        }
        if !(lat0.is_finite() && (-85.0..=85.0).contains(&lat0)) {
            return Err(AnalyticsError::new("lat0", "must be a latitude within ±85°"));
        }
        if !(size_km.is_finite() && (0.05..=50.0).contains(&size_km)) {
            return Err(AnalyticsError::new("size_km", "must be between 0.05 and 50 km"));
        }
        Ok(HexGrid { lon0, lat0, size_km, km_per_deg_lon: KM_PER_DEG_LON_EQUATOR * lat0.to_radians().cos() })
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.km_per_deg_lon, (lat - self.lat0) * KM_PER_DEG_LAT)
    }

    fn unproject(&self, x: f64, y: f64) -> [f64; 2] {
        [self.lon0 + x / self.km_per_deg_lon, self.lat0 + y / KM_PER_DEG_LAT]
    }

    /// The cell holding a point.
    pub fn cell_of(&self, lon: f64, lat: f64) -> HexCell {
        let (x, y) = self.project(lon, lat);
        let q = (3f64.sqrt() / 3.0 * x - y / 3.0) / self.size_km;
        let r = (2.0 / 3.0 * y) / self.size_km;
        cube_round(q, r)
    }

    /// The cell's centre as `[lon, lat]`.
    pub fn center(&self, (q, r): HexCell) -> [f64; 2] {
        let (q, r) = (q as f64, r as f64);
        let x = self.size_km * 3f64.sqrt() * (q + r / 2.0);
        let y = self.size_km * 1.5 * r;
        self.unproject(x, y)
    }

    /// The cell's boundary as a closed GeoJSON ring of `[lon, lat]`.
    pub fn polygon(&self, cell: HexCell) -> Vec<[f64; 2]> {
        let [clon, clat] = self.center(cell);
        let (cx, cy) = self.project(clon, clat);
        let mut ring: Vec<[f64; 2]> = (0..6)
            .map(|k| {
                let a = (30.0 + 60.0 * f64::from(k)).to_radians();
                self.unproject(cx + self.size_km * a.cos(), cy + self.size_km * a.sin())
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    /// Every cell's area, km².
    pub fn cell_area_km2(&self) -> f64 {
        1.5 * 3f64.sqrt() * self.size_km * self.size_km
    }
}

fn cube_round(q: f64, r: f64) -> HexCell {
    let s = -q - r;
    let (mut rq, mut rr, rs) = (q.round(), r.round(), s.round());
    let (dq, dr, ds) = ((rq - q).abs(), (rr - r).abs(), (rs - s).abs());
    if dq > dr && dq > ds {
        rq = -rr - rs;
    } else if dr > ds {
        rr = -rq - rs;
    }
    (rq as i64, rr as i64)
}

/// Area in km² of a polygon given as GeoJSON rings (the first the outer
/// boundary, the rest holes), by the shoelace formula in a local projection.
pub fn polygon_area_km2(rings: &[Vec<[f64; 2]>]) -> f64 {
    let Some(first) = rings.first().and_then(|r| r.first()) else { return 0.0 };
    let lat0 = first[1];
    let kx = KM_PER_DEG_LON_EQUATOR * lat0.to_radians().cos();
    let ring_area = |ring: &Vec<[f64; 2]>| -> f64 {
        let pts: Vec<(f64, f64)> =
            ring.iter().map(|p| ((p[0] - first[0]) * kx, (p[1] - lat0) * KM_PER_DEG_LAT)).collect();
        let n = pts.len();
        let twice: f64 = (0..n).map(|i| pts[i].0 * pts[(i + 1) % n].1 - pts[(i + 1) % n].0 * pts[i].1).sum();
        (twice / 2.0).abs()
    };
    let outer = ring_area(&rings[0]);
    let holes: f64 = rings[1..].iter().map(ring_area).sum();
    (outer - holes).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inside(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
        let mut c = false;
        for i in 0..ring.len() - 1 {
            let (a, b) = (ring[i], ring[i + 1]);
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
                c = !c;
            }
        }
        c
    }

    #[test]
    fn a_square_kilometre_has_area_one() {
        let g = HexGrid::new(118.0, 36.8, 1.0).unwrap();
        let dlon = 1.0 / g.km_per_deg_lon;
        let dlat = 1.0 / KM_PER_DEG_LAT;
        let sq =
            vec![[118.0, 36.8], [118.0 + dlon, 36.8], [118.0 + dlon, 36.8 + dlat], [118.0, 36.8 + dlat], [118.0, 36.8]];
        assert!((polygon_area_km2(std::slice::from_ref(&sq)) - 1.0).abs() < 1e-3);
        // A hole of a quarter of it.
        let hole = vec![
            [118.0, 36.8],
            [118.0 + dlon / 2.0, 36.8],
            [118.0 + dlon / 2.0, 36.8 + dlat / 2.0],
            [118.0, 36.8 + dlat / 2.0],
            [118.0, 36.8],
        ];
        assert!((polygon_area_km2(&[sq, hole]) - 0.75).abs() < 1e-3);
        assert_eq!(polygon_area_km2(&[]), 0.0);
    }

    #[test]
    fn a_cell_polygon_has_the_cell_area() {
        let g = HexGrid::new(118.0, 36.8, 2.0).unwrap();
        let ring = g.polygon((3, -2));
        assert_eq!(ring.len(), 7);
        assert_eq!(ring[0], ring[6]);
        assert!((polygon_area_km2(&[ring]) - g.cell_area_km2()).abs() / g.cell_area_km2() < 1e-3);
    }

    #[test]
    fn bad_grids_name_the_field() {
        assert_eq!(HexGrid::new(118.0, 36.8, 0.0).unwrap_err().field, "size_km");
        assert_eq!(HexGrid::new(f64::NAN, 36.8, 1.0).unwrap_err().field, "lon0");
        assert_eq!(HexGrid::new(118.0, 89.0, 1.0).unwrap_err().field, "lat0");
    }

    proptest! {
        #[test]
        fn every_point_lies_in_its_cell(dx in -0.3f64..0.3, dy in -0.3f64..0.3, size in 0.2f64..5.0) {
            let g = HexGrid::new(118.0, 36.8, size).unwrap();
            let p = [118.0 + dx, 36.8 + dy];
            let cell = g.cell_of(p[0], p[1]);
            let ring = g.polygon(cell);
            // On a shared edge a point may be given to either neighbour: test with a hair of slack.
            let c = g.center(cell);
            let nudged = [p[0] + (c[0] - p[0]) * 1e-9, p[1] + (c[1] - p[1]) * 1e-9];
            prop_assert!(inside(&ring, nudged), "{p:?} not in {cell:?}");
            prop_assert_eq!(g.cell_of(c[0], c[1]), cell);
        }
    }
}
