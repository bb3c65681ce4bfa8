// ECharts (vendored under assets/vendor/echarts) loaded on demand, and
// chart colours taken from the page's CSS variables (light and 大屏 themes).

const ECHARTS_URL = '/assets/vendor/echarts-6.1.0/echarts.min.js';
let loading = null;

/** The echarts global, loading the library once. */
export function echarts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = ECHARTS_URL;
      s.async = true;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => {
        loading = null;
        reject(new Error('图表库加载失败'));
      };
      document.head.append(s);
    });
  }
  return loading;
}

/** Colours of the current theme. */
export function palette() {
  const cs = getComputedStyle(document.body);
  const v = (n) => cs.getPropertyValue(n).trim();
  return {
    ink: v('--ink'),
    muted: v('--muted'),
    line: v('--line'),
    panel: v('--panel'),
    brand: v('--brand'),
    ok: v('--ok'),
    danger: v('--danger'),
    hazard: v('--layer-hazard'),
    overdue: v('--layer-overdue'),
    enterprise: v('--layer-enterprise'),
    device: v('--layer-device'),
    alarm: v('--layer-alarm'),
    area: v('--map-area'),
    areaHot: v('--map-area-hot'),
    border: v('--map-border'),
    series: [v('--brand'), v('--ok'), v('--layer-hazard'), v('--layer-alarm'), v('--layer-device'), '#868e96', '#f59f00', '#15aabf'],
  };
}

/** A chart in `el` that follows the element's size; returns it. Resizes
 * once per frame at most, and only a chart that is still there and has been
 * drawn: echarts 6 throws (a null transform of its geo view) when a map is
 * resized before its first layout, which a size change during page layout can
 * make happen (seen once in the browser test under load). */
export function chartIn(ec, el) {
  const chart = ec.init(el, null, { renderer: 'canvas' });
  let frame = 0;
  const ro = new ResizeObserver(() => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (!chart.isDisposed() && chart.getOption()) chart.resize();
    });
  });
  ro.observe(el);
  chart.__ro = ro;
  chart.__frame = () => frame && cancelAnimationFrame(frame);
  return chart;
}

export function disposeAll(charts) {
  for (const c of charts) {
    if (!c) continue;
    if (c.__ro) c.__ro.disconnect();
    if (c.__frame) c.__frame();
    c.dispose();
  }
}

/** Axis and text styles of the theme for cartesian charts. */
export function axisStyle(p) {
  return {
    axisLine: { lineStyle: { color: p.line } },
    axisLabel: { color: p.muted },
    splitLine: { lineStyle: { color: p.line, opacity: 0.5 } },
  };
}

export function esc(ec, s) {
  return ec.format.encodeHTML(String(s ?? ''));
}
