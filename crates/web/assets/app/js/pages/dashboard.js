// 一张图 dashboard of a region (also the 1920×1080 大屏 at /screen): key
// figures and charts from the statistics API, the region map drawn from the
// regions API's polygons with four layers (hazards, enterprises, devices,
// alarms; overdue items lit up), drill-down city → district → street → grid
// → enterprise, and alarms arriving live over SSE.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtPct, fmtTime, titled } from '../dom.js';
import { echarts, palette, chartIn, disposeAll, axisStyle, esc } from '../charts.js';
import { connectAlarms } from '../live.js';
import { kpi } from '../widgets.js';
import { ALARM_EVENTS } from '../labels.js';

const LAYERS = [
  { key: 'hazards', name: '未整改隐患', color: 'hazard', symbol: 'triangle' },
  { key: 'overdue', name: '超期隐患', color: 'overdue', symbol: 'triangle' },
  { key: 'enterprises', name: '企业', color: 'enterprise', symbol: 'circle' },
  { key: 'devices', name: '监测设备', color: 'device', symbol: 'rect' },
  { key: 'alarms', name: '报警', color: 'alarm', symbol: 'diamond' },
];

async function defaultRegion(me) {
  if (me.region_code) return me.region_code;
  const cities = await api('regions' + qs({ level: 'city' }));
  if (cities.length) return cities[0].code;
  const provinces = await api('regions' + qs({ level: 'province' }));
  return provinces.length ? provinces[0].code : null;
}

/** Rows of a compact layer as objects. */
function rowsOf(layer) {
  return layer.rows.map((r) => Object.fromEntries(layer.columns.map((c, i) => [c, r[i]])));
}

function featureCollection(regions) {
  const used = new Set();
  return {
    type: 'FeatureCollection',
    features: regions
      .filter((r) => r.geometry)
      .map((r) => {
        let name = r.name;
        if (used.has(name)) name = `${r.name}（${r.code}）`;
        used.add(name);
        return { type: 'Feature', properties: { name, code: r.code }, geometry: r.geometry };
      }),
  };
}

export async function render(main, ctx) {
  const { me, query, screen } = ctx;
  const base = screen ? '/screen' : '/dashboard';
  const ecP = echarts(); // start loading the library while the data loads
  const region = query.get('region') || (await defaultRegion(me));
  const charts = [];
  let stopLive = null;
  ctx.onLeave(() => {
    if (stopLive) stopLive();
    disposeAll(charts);
  });
  const gone = ctx.gone;

  // ---------- the page skeleton: every box has its final size already
  const title = h('h1', null, '一张图');
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': '区域层级' }, h('span', null, '\u00a0'));
  const windowNote = h('p', { class: 'muted small window-note' }, '统计区间：近12个月');
  const clock = h('span', { class: 'clock', 'aria-hidden': 'true' });
  const figures = h(
    'div',
    { class: 'kpis five', role: 'group', 'aria-label': '关键指标' },
    kpi('found', '发现隐患', '—', { href: '/hazards' + qs({ region }) }),
    kpi('rectified', '已整改', '—', { href: '/hazards' + qs({ region, state: 'closed' }) }),
    kpi('in_progress', '整改中', '—'),
    kpi('rectification_rate', '整改率', '—'),
    kpi('overdue', '超期未整改', '—', { href: '/hazards' + qs({ region, overdue: true }), tone: 'danger' }),
  );
  const mapBox = h('div', { class: 'map', role: 'img', 'aria-label': '区域地图：隐患、企业、设备与报警分布' });
  const layerToggles = h('fieldset', { class: 'layers' }, h('legend', { class: 'sr-only' }, '图层'));
  const drill = h('div', { class: 'drill' }, h('p', { class: 'muted small' }, '\u00a0'));
  const trendBox = h('div', { class: 'chart', role: 'img', 'aria-label': '按月趋势' });
  const childBox = h('div', { class: 'chart', role: 'img', 'aria-label': '下级区域隐患与超期' });
  const domainBox = h('div', { class: 'chart', role: 'img', 'aria-label': '隐患领域构成' });
  const liveState = h('span', { class: 'live-state', role: 'status' }, '连接中…');
  const alarmList = h('ol', { class: 'alarm-list', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const overdueList = h('div', { class: 'overdue-box' }, h('p', { class: 'loading' }, '加载中…'));

  const sec = (cls, heading, ...body) => {
    const id = 'd-' + cls;
    return h('section', { class: 'panel ' + cls, 'aria-labelledby': id }, h('h2', { id }, heading), ...body);
  };
  main.append(
    h(
      'div',
      { class: 'dash' + (screen ? ' is-screen' : '') },
      h(
        'div',
        { class: 'dash-head' },
        h('div', null, title, crumbs),
        h(
          'div',
          { class: 'dash-tools' },
          windowNote,
          clock,
          screen
            ? h('a', { class: 'button', href: '/dashboard' + qs({ region }) }, '退出大屏')
            : h('a', { class: 'button', href: '/screen' + qs({ region }) }, '大屏模式'),
        ),
      ),
      figures,
      h(
        'div',
        { class: 'dash-grid' },
        sec('map-panel', '隐患分布一张图', layerToggles, mapBox, drill),
        sec('trend', '隐患趋势（按月）', trendBox),
        sec('children', '下级区域', childBox),
        sec('domains', '隐患领域构成', domainBox),
        sec('live', '实时报警', liveState, alarmList),
        sec('overdue', '超期未整改（亮灯）', overdueList),
      ),
    ),
  );
  const tick = () => (clock.textContent = new Date().toLocaleString('zh-CN', { hour12: false }));
  tick();
  const clockTimer = setInterval(tick, 1000);
  ctx.onLeave(() => clearInterval(clockTimer));
  if (!region) {
    fill(drill, h('p', { class: 'empty' }, '没有可显示的区域'));
    return;
  }

  // ---------- data
  const failBox = h('div', { class: 'form-alert', role: 'alert', hidden: true });
  main.querySelector('.dash-head').after(failBox);
  let failed = false;
  const fail = (e) => {
    if (failed || gone()) return;
    failed = true;
    failBox.hidden = false;
    failBox.textContent = e && e.status === 403 ? '该区域不在您的辖区内。' : e && e.status === 404 ? '区域不存在或不在您的辖区内。' : '加载失败：' + ((e && e.message) || e);
  };
  const statsP = (by) => api('analytics/stats' + qs({ by, region }));
  // The figures' query first, alone: the breakdowns read the same hazards
  // and would only slow it down; the map does not wait for any of them.
  const monthP = statsP('month');
  const afterMonth = monthP.catch(() => null);
  const childStatsP = afterMonth.then(() => statsP('region'));
  const domainP = afterMonth.then(() => statsP('domain'));
  const layersP = api('map/layers' + qs({ region }));
  const childrenP = api('regions' + qs({ parent: region, geometry: true }));
  const selfP = api('regions/' + encodeURIComponent(region));
  const overdueP = api('hazards' + qs({ region, overdue: true, per_page: 8 }));
  // Failures are shown once, by `fail`; none goes unhandled meanwhile.
  for (const p of [monthP, childStatsP, domainP, layersP, childrenP, selfP, overdueP]) p.catch(() => {});

  // Live alarms: connect now; changes that arrive before the map is drawn
  // wait in `queued` and are applied, in order, on top of its snapshot.
  let applyChange = null;
  const queued = [];
  const liveStatus = (st) => {
    liveState.textContent = { connecting: '连接中…', live: '● 实时', reconnecting: '重新连接中…', ended: '连接已结束，请刷新' }[st];
    liveState.className = 'live-state ' + st;
    main.dataset.live = st;
  };
  let reloadAlarms = null;
  let readyOnce = false;
  stopLive = connectAlarms({
    onStatus: liveStatus,
    onReady: () => {
      // The first "ready" precedes the snapshot; later ones follow a lag.
      if (readyOnce && reloadAlarms) reloadAlarms();
      readyOnce = true;
    },
    onChange: (ch) => (applyChange ? applyChange(ch) : queued.push(ch)),
    region,
  });

  // Key figures first: they do not wait for the map.
  monthP.then((s) => {
    if (gone()) return;
    const t = s.total;
    const set = (k, v) => (figures.querySelector(`[data-kpi="${k}"]`).textContent = v);
    set('found', fmtNum(t.found));
    set('rectified', fmtNum(t.rectified));
    set('in_progress', fmtNum(t.in_progress));
    set('rectification_rate', fmtPct(t.rectification_rate));
    set('overdue', fmtNum(t.overdue));
    windowNote.textContent = `统计区间：${s.since.slice(0, 10)} 至 ${s.until.slice(0, 10)}`;
    main.dataset.figures = 'ready';
    performance.mark('anjian:figures');
  }).catch(fail);

  selfP.then((r) => {
    if (gone()) return;
    title.textContent = r.name + (screen ? ' · 安全生产监管一张图' : ' · 一张图');
    titled(r.name + ' 一张图');
  }).catch(fail);

  layersP.then((l) => {
    if (gone()) return;
    const parts = l.path.map((p, i) =>
      i === l.path.length - 1
        ? h('span', { 'aria-current': 'page' }, p.name)
        : [h('a', { href: base + qs({ region: p.code }) }, p.name), h('span', { class: 'sep', 'aria-hidden': 'true' }, ' › ')],
    );
    fill(crumbs, parts.length ? parts : h('span', null, '\u00a0'));
  }).catch(fail);

  overdueP.then((p) => {
    if (gone()) return;
    if (!p.items.length) return void fill(overdueList, h('p', { class: 'empty' }, '没有超期未整改的隐患'));
    fill(
      overdueList,
      h('p', { class: 'muted small' }, `共 ${fmtNum(p.total)} 项`, ' · ', h('a', { href: '/hazards' + qs({ region, overdue: true }) }, '查看全部')),
      h(
        'ul',
        { class: 'hz-list compact' },
        p.items.map((x) =>
          h(
            'li',
            { class: 'hz-row overdue' },
            h('a', { href: '/hazards/' + encodeURIComponent(x.id) }, h('span', { class: 'hz-code' }, x.code), h('span', { class: 'hz-desc' }, x.description)),
            h('span', { class: 'hz-meta danger' }, `超期 ${Math.max(1, Math.ceil((Date.now() - x.deadline_ms) / 86400000))} 天`, ' · ', x.state_label),
          ),
        ),
      ),
    );
  }).catch(fail);

  let ec;
  try {
    ec = await ecP;
  } catch (e) {
    return fail(e);
  }
  performance.mark('anjian:echarts');
  if (gone()) return;
  const p = palette();

  // ---------- trend
  monthP.then((s) => {
    if (gone()) return;
    const c = chartIn(ec, trendBox);
    charts.push(c);
    const ax = axisStyle(p);
    c.setOption({
      animation: !screen,
      color: [p.brand, p.ok, p.hazard],
      tooltip: { trigger: 'axis' },
      legend: { textStyle: { color: p.muted }, top: 0 },
      grid: { left: 40, right: 40, top: 30, bottom: 24 },
      xAxis: { type: 'category', data: s.rows.map((r) => r.label || r.key), ...ax },
      yAxis: [
        { type: 'value', ...ax },
        { type: 'value', min: 0, max: 100, axisLabel: { color: p.muted, formatter: '{value}%' }, splitLine: { show: false } },
      ],
      series: [
        { name: '发现', type: 'bar', data: s.rows.map((r) => r.found) },
        { name: '已整改', type: 'bar', data: s.rows.map((r) => r.rectified) },
        { name: '整改率', type: 'line', yAxisIndex: 1, smooth: true, data: s.rows.map((r) => +(r.rectification_rate * 100).toFixed(1)) },
      ],
    });
  }).catch(fail);

  // ---------- children breakdown
  childStatsP.then((s) => {
    if (gone()) return;
    const rows = [...s.rows].sort((a, b) => b.found - a.found).slice(0, 12).reverse();
    if (!rows.length) {
      fill(childBox, h('p', { class: 'empty' }, '没有下级区域'));
      return;
    }
    const c = chartIn(ec, childBox);
    charts.push(c);
    const ax = axisStyle(p);
    c.setOption({
      animation: !screen,
      color: [p.brand, p.danger],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { textStyle: { color: p.muted }, top: 0 },
      grid: { left: 90, right: 16, top: 30, bottom: 20 },
      xAxis: { type: 'value', ...ax },
      yAxis: { type: 'category', data: rows.map((r) => r.label), ...ax },
      series: [
        { name: '发现', type: 'bar', data: rows.map((r) => r.found) },
        { name: '超期', type: 'bar', data: rows.map((r) => r.overdue) },
      ],
    });
    c.on('click', (e) => {
      const r = rows[e.dataIndex];
      if (r) ctx.navigate(base + qs({ region: r.key }));
    });
  }).catch(fail);

  // ---------- domains
  domainP.then((s) => {
    if (gone()) return;
    const rows = s.rows.filter((r) => r.found > 0);
    if (!rows.length) {
      fill(domainBox, h('p', { class: 'empty' }, '统计区间内没有隐患'));
      return;
    }
    const c = chartIn(ec, domainBox);
    charts.push(c);
    c.setOption({
      animation: !screen,
      color: p.series,
      tooltip: { trigger: 'item', formatter: '{b}：{c}（{d}%）' },
      legend: { type: 'scroll', bottom: 0, textStyle: { color: p.muted }, pageTextStyle: { color: p.muted } },
      series: [
        {
          type: 'pie',
          radius: ['38%', '62%'],
          center: ['50%', '44%'],
          label: { show: false },
          data: rows.map((r) => ({ name: r.label, value: r.found })),
        },
      ],
    });
  }).catch(fail);

  // ---------- the map
  let layers, children, self;
  try {
    [layers, children, self] = await Promise.all([layersP, childrenP, selfP]);
  } catch (e) {
    return fail(e);
  }
  performance.mark('anjian:map-data');
  if (gone()) return;
  const leaf = !children.some((r) => r.geometry);
  const shapes = leaf ? [self] : children;
  const fc = featureCollection(shapes);
  const mapName = 'anjian-' + region;
  ec.registerMap(mapName, fc);
  const codeOf = Object.fromEntries(fc.features.map((f) => [f.properties.name, f.properties.code]));
  // The children's statistics shade the regions when they come.
  let statOf = {};

  const hazards = rowsOf(layers.hazards);
  const ents = rowsOf(layers.enterprises);
  const devices = rowsOf(layers.devices);
  const alarms = new Map(rowsOf(layers.alarms).map((a) => [a.id, a]));
  const entName = Object.fromEntries(ents.map((e) => [e.id, e.name]));

  const point = (lon, lat, extra) => ({ value: [lon, lat], ...extra });
  const hazardData = (overdue) =>
    hazards
      .filter((x) => x.overdue === overdue)
      .map((x) => point(x.lon, x.lat, { id: x.id, kind: 'hazard', name: x.code, grade: x.grade, state: x.state, overdue, deadline: x.deadline_ms }));
  const alarmData = () =>
    [...alarms.values()].filter((a) => a.lon != null).map((a) => point(a.lon, a.lat, { id: a.id, kind: 'alarm', name: a.metric, level: a.level, state: a.state, device: a.device_id, enterprise: a.enterprise_id }));
  const data = {
    hazards: hazardData(false),
    overdue: hazardData(true),
    enterprises: ents.map((e) => point(e.lon, e.lat, { id: e.id, kind: 'enterprise', name: e.name, industry: e.industry_label })),
    devices: devices.map((d) =>
      point(d.lon, d.lat, { id: d.id, kind: 'device', name: d.name, offline: d.offline, enterprise: d.enterprise_id, itemStyle: d.offline ? { color: '#868e96' } : undefined }),
    ),
    alarms: alarmData(),
  };

  // Ripples cost a redraw every frame: only the longest overdue hazards and
  // the alarms get them; the other overdue points are lit by colour and size.
  const RIPPLES = 60;
  const longestOverdue = () => [...data.overdue].sort((a, b) => a.deadline - b.deadline).slice(0, RIPPLES);
  const series = LAYERS.map((l) => ({
    name: l.name,
    type: l.key === 'alarms' ? 'effectScatter' : 'scatter',
    coordinateSystem: 'geo',
    symbol: l.symbol,
    symbolSize: l.key === 'enterprises' ? 6 : l.key === 'overdue' || l.key === 'alarms' ? 11 : 8,
    rippleEffect: l.key === 'alarms' ? { brushType: 'stroke', scale: 3 } : undefined,
    // Hundreds of points: one path per layer instead of an element per point.
    large: l.key !== 'alarms' && l.key !== 'devices',
    largeThreshold: 400,
    itemStyle: { color: p[l.color], borderColor: '#fff', borderWidth: l.key === 'enterprises' ? 0 : 0.6 },
    zlevel: l.key === 'enterprises' ? 1 : 2,
    data: data[l.key],
  }));
  // Same name as the overdue layer: its switch shows and hides both.
  series.push({
    name: '超期隐患',
    type: 'effectScatter',
    coordinateSystem: 'geo',
    symbol: 'triangle',
    symbolSize: 12,
    rippleEffect: { brushType: 'stroke', scale: 3 },
    itemStyle: { color: p.overdue },
    zlevel: 3,
    silent: true,
    data: longestOverdue(),
  });

  const map = chartIn(ec, mapBox);
  charts.push(map);
  const regionsStyle = () => {
    const maxOpen = Math.max(1, ...Object.values(statOf).map((r) => r.in_progress));
    return fc.features.map((f) => {
      const st = statOf[f.properties.code];
      const hot = st ? st.in_progress / maxOpen : 0;
      return {
        name: f.properties.name,
        itemStyle: {
          areaColor: hot > 0 ? ec.color.lerp(hot, [p.area, p.areaHot]) : p.area,
          borderColor: st && st.overdue > 0 ? p.overdue : p.border,
          borderWidth: st && st.overdue > 0 ? 2 : 1,
        },
      };
    });
  };
  performance.mark('anjian:map-option');
  map.setOption({
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (e) => {
        if (e.componentType === 'geo' || e.seriesType === 'map') {
          const st = statOf[codeOf[e.name]];
          return st
            ? `${esc(ec, e.name)}<br>发现 ${st.found} · 整改中 ${st.in_progress} · 超期 ${st.overdue}<br>整改率 ${fmtPct(st.rectification_rate)}`
            : esc(ec, e.name);
        }
        const d = e.data || {};
        switch (d.kind) {
          case 'hazard':
            return `隐患 ${esc(ec, d.name)}${d.grade === 'major' ? '（重大）' : ''}${d.overdue ? '<br><b>已超期</b>' : ''}`;
          case 'enterprise':
            return `${esc(ec, d.name)}<br>${esc(ec, d.industry)}`;
          case 'device':
            return `设备 ${esc(ec, d.name)}${d.offline ? '（离线）' : ''}`;
          case 'alarm':
            return `报警 ${esc(ec, d.name)} · ${esc(ec, d.level)} · ${esc(ec, d.state)}`;
          default:
            return '';
        }
      },
    },
    legend: { show: false, data: LAYERS.map((l) => l.name) },
    geo: {
      map: mapName,
      roam: true,
      zoom: 1.1,
      label: { show: shapes.length <= 40, color: p.muted, fontSize: screen ? 13 : 11 },
      itemStyle: { areaColor: p.area, borderColor: p.border },
      emphasis: { label: { color: p.ink }, itemStyle: { areaColor: p.areaHot } },
      select: { disabled: true },
      regions: regionsStyle(),
    },
    series,
  });
  // Ripples animate forever, so "finished" may never come: the first frame counts.
  map.on('rendered', () => {
    if (main.dataset.map) return;
    main.dataset.map = 'ready';
    performance.mark('anjian:map');
  });
  map.on('click', (e) => {
    if (e.componentType === 'geo') {
      const code = codeOf[e.name];
      if (code && !leaf) ctx.navigate(base + qs({ region: code }));
      return;
    }
    const d = e.data || {};
    if (d.kind === 'hazard') ctx.navigate('/hazards/' + encodeURIComponent(d.id));
    else if (d.kind === 'enterprise') ctx.navigate('/enterprises/' + encodeURIComponent(d.id));
    else if (d.enterprise) ctx.navigate('/enterprises/' + encodeURIComponent(d.enterprise));
  });

  // Layer switches (keyboard-usable, with counts).
  const counts = () => ({
    hazards: data.hazards.length,
    overdue: data.overdue.length,
    enterprises: data.enterprises.length,
    devices: data.devices.length,
    alarms: data.alarms.length,
  });
  const countEls = {};
  for (const l of LAYERS) {
    const cb = h('input', { type: 'checkbox', checked: true, name: 'layer-' + l.key });
    cb.addEventListener('change', () => map.dispatchAction({ type: cb.checked ? 'legendSelect' : 'legendUnSelect', name: l.name }));
    countEls[l.key] = h('span', { class: 'count' }, '');
    layerToggles.append(h('label', { class: 'layer' }, cb, h('span', { class: 'swatch ' + l.key, 'aria-hidden': 'true' }), l.name, ' ', countEls[l.key]));
  }
  const showCounts = () => {
    const c = counts();
    for (const k in c) countEls[k].textContent = fmtNum(c[k]);
  };
  showCounts();
  const truncated = ['hazards', 'enterprises', 'devices', 'alarms'].filter((k) => layers[k].truncated);
  if (truncated.length) layerToggles.append(h('p', { class: 'muted small' }, '点位较多，仅显示部分，请下钻查看。'));

  // Drill-down list: the same targets as clicking the map (counts filled in
  // place when the children's statistics come).
  const countOf = {};
  const items = leaf
    ? ents.slice(0, 60).map((e) => h('li', null, h('a', { href: '/enterprises/' + encodeURIComponent(e.id) }, e.name)))
    : children.map((r) => {
        countOf[r.code] = h('span', { class: 'muted small' });
        return h('li', { dataset: { code: r.code } }, h('a', { href: base + qs({ region: r.code }) }, r.name, countOf[r.code]));
      });
  fill(
    drill,
    h('h3', { class: 'small' }, leaf ? `本区域企业（${ents.length}）` : '下钻到下级区域'),
    items.length ? h('ul', { class: 'drill-list' }, items) : h('p', { class: 'empty' }, leaf ? '本区域没有企业' : '没有下级区域'),
  );
  childStatsP
    .then((st) => {
      if (gone()) return;
      statOf = Object.fromEntries(st.rows.map((r) => [r.key, r]));
      map.setOption({ geo: { regions: regionsStyle() } });
      for (const li of drill.querySelectorAll('li[data-code]')) {
        const r = statOf[li.dataset.code];
        if (!r) continue;
        countOf[li.dataset.code].textContent = ` 发现 ${r.found} · 超期 ${r.overdue}`;
        li.classList.toggle('lit', r.overdue > 0);
      }
    })
    .catch(fail);

  // ---------- live alarms
  const recent = [...alarms.values()].sort((a, b) => (a.at < b.at ? 1 : -1));
  const showRecent = () => {
    if (!recent.length) {
      fill(alarmList, h('li', { class: 'empty' }, '暂无报警'));
      return;
    }
    fill(
      alarmList,
      recent.slice(0, 12).map((a) =>
        h(
          'li',
          { class: 'alarm level-' + a.level + (a.state === 'cleared' ? ' cleared' : '') },
          h('span', { class: 'badge level-' + a.level }, a.level_label || a.level),
          h('span', { class: 'alarm-what' }, `${a.device_name || a.device_id} · ${a.metric}`, a.value != null ? ` = ${a.value}` : ''),
          h('span', { class: 'muted small' }, `${ALARM_EVENTS[a.event] || ''} ${fmtTime(a.at)}`),
          a.enterprise_id ? h('a', { class: 'small', href: '/enterprises/' + encodeURIComponent(a.enterprise_id) }, entName[a.enterprise_id] || '企业') : null,
        ),
      ),
    );
  };
  const refreshAlarms = () => {
    data.alarms = alarmData();
    map.setOption({ series: [...LAYERS.map((l) => ({ data: data[l.key] })), { data: longestOverdue() }] });
    showCounts();
  };
  applyChange = (ch) => {
    const a = {
      id: ch.alarm_id,
      lon: ch.lon,
      lat: ch.lat,
      level: ch.level,
      level_label: ch.level_label,
      state: ch.state,
      device_id: ch.device_id,
      device_name: ch.device_name,
      metric: ch.metric,
      value: ch.value,
      at: ch.at,
      event: ch.event,
      enterprise_id: ch.enterprise_id,
    };
    if (ch.state === 'cleared') alarms.delete(ch.alarm_id);
    else alarms.set(ch.alarm_id, a);
    const i = recent.findIndex((x) => x.id === ch.alarm_id);
    if (i >= 0) recent.splice(i, 1);
    recent.unshift(a);
    refreshAlarms();
    showRecent();
  };
  reloadAlarms = async () => {
    const l = await api('map/layers' + qs({ region, only: 'alarms' }));
    alarms.clear();
    for (const a of rowsOf(l.alarms)) alarms.set(a.id, a);
    recent.length = 0;
    recent.push(...[...alarms.values()].sort((a, b) => (a.at < b.at ? 1 : -1)));
    refreshAlarms();
    showRecent();
  };
  showRecent();
  for (const ch of queued.splice(0)) applyChange(ch);
}
