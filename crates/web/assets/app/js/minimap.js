// A small SVG map of one region polygon and points on it (no library, no
// tiles): an equirectangular projection scaled by cos(latitude), enough for
// a grid or a street.

const NS = 'http://www.w3.org/2000/svg';

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

/** An <svg> of `geometry` with `points` [{lon, lat, label, cls}]. */
export function minimap(geometry, points, { width = 320, height = 220, label = '位置示意图' } = {}) {
  const rs = rings(geometry);
  const all = [...rs.flat(), ...points.map((p) => [p.lon, p.lat])].filter((c) => c && isFinite(c[0]) && isFinite(c[1]));
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'minimap');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  if (!all.length) return svg;
  const lons = all.map((c) => c[0]);
  const lats = all.map((c) => c[1]);
  let [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const pad = Math.max(x1 - x0, y1 - y0, 0.002) * 0.12;
  x0 -= pad;
  x1 += pad;
  y0 -= pad;
  y1 += pad;
  const k = Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
  const scale = Math.min(width / ((x1 - x0) * k), height / (y1 - y0));
  const ox = (width - (x1 - x0) * k * scale) / 2;
  const oy = (height - (y1 - y0) * scale) / 2;
  const px = ([lon, lat]) => [ox + (lon - x0) * k * scale, oy + (y1 - lat) * scale];
  for (const ring of rs) {
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', ring.map((c, i) => (i ? 'L' : 'M') + px(c).map((n) => n.toFixed(1)).join(' ')).join('') + 'Z');
    path.setAttribute('class', 'area');
    svg.append(path);
  }
  for (const p of points) {
    if (!isFinite(p.lon) || !isFinite(p.lat)) continue;
    const [x, y] = px([p.lon, p.lat]);
    const c = document.createElementNS(NS, 'circle');
    c.setAttribute('cx', x.toFixed(1));
    c.setAttribute('cy', y.toFixed(1));
    c.setAttribute('r', '6');
    c.setAttribute('class', 'pt ' + (p.cls || ''));
    const t = document.createElementNS(NS, 'title');
    t.textContent = p.label || '';
    c.append(t);
    svg.append(c);
  }
  return svg;
}
