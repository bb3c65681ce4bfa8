// One monitoring device (监测设备): what it is and whether it reports, each
// metric's last 24 hours (minute means with their range), and its alarm
// rules. A regulator or the enterprise head changes a rule's four
// thresholds or turns it off here (PUT /api/v1/devices/{id}/rules/{rule}:
// a new definition restarts the rule's evaluation; an open alarm stays
// until a person or the new rule clears it).

import { api, qs } from '../api.js';
import { h, fill, fmtTime, titled, panel, field, formAlert, onSubmit, toast } from '../dom.js';
import { isRegulator } from '../labels.js';
import { table, enterpriseNames } from '../listing.js';
import { echarts, palette, chartIn, disposeAll, axisStyle } from '../charts.js';
import { deviceState, parseMetrics } from './devices.js';

const LEVELS = [
  ['blue', '蓝色'],
  ['yellow', '黄色'],
  ['orange', '橙色'],
  ['red', '红色'],
];
const LEVEL_COLOURS = { blue: '#1c7ed6', yellow: '#f59f00', orange: '#f76707', red: '#e03131' };
const MEASURES = { value: '读数', change: '窗口内变化', sum: '窗口内累计', offline: '漏报周期数' };
const DAY = 86_400_000;

export async function render(main, ctx) {
  const id = ctx.params[0];
  const ecP = echarts();
  const [d, rules] = await Promise.all([api('devices/' + encodeURIComponent(id)), api(`devices/${encodeURIComponent(id)}/rules`)]);
  if (ctx.gone()) return;
  titled(d.name);
  const ent = await enterpriseNames([d.enterprise_id]);
  const manage = (isRegulator(ctx.me.role) || ctx.me.role === 'enterprise-head') && d.status !== 'retired';
  const facts = [
    ['类型', d.device_type_label || d.device_type],
    ['单位', h('a', { href: '/enterprises/' + encodeURIComponent(d.enterprise_id) }, ent(d.enterprise_id))],
    ['监测指标', d.metrics.map((m) => `${m.name}（${m.unit}）`).join('、')],
    ['上报间隔', `${d.interval_s} 秒`],
    ['状态', deviceState(d)],
    ['最近上报', d.last_seen_at ? fmtTime(d.last_seen_at) : '从未上报'],
    d.lon !== null && d.lat !== null ? ['位置', `${d.lon.toFixed(5)}, ${d.lat.toFixed(5)}`] : null,
    d.retired_at ? ['退役时间', fmtTime(d.retired_at)] : null,
  ].filter(Boolean);
  const curves = h('div');
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, d.name),
      h('div', { class: 'actions' }, h('a', { class: 'button', href: '/alarms' + qs({ device_id: id, state: '' }) }, '该设备的报警')),
    ),
    h(
      'div',
      { class: 'grid detail' },
      h('div', null, panel('设备信息', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))), panel('近 24 小时监测曲线', curves)),
      h('div', null, panel('报警规则', rulesView(d, rules, manage, ctx)), manage ? panel('设备维护', upkeep(d, ctx)) : null),
    ),
  );
  const charts = [];
  ctx.onLeave(() => disposeAll(charts));
  const to = Date.now();
  for (const m of d.metrics) {
    const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${m.name} 近 24 小时曲线` });
    const note = h('p', { class: 'muted small' }, '加载中…');
    curves.append(h('h3', null, `${m.name}（${m.unit}）`), note, box);
    Promise.all([ecP, api(`devices/${encodeURIComponent(id)}/series` + qs({ metric: m.name, step: 'minute', from: to - DAY, to }))])
      .then(([ec, s]) => {
        if (ctx.gone()) return;
        if (!s.points.length) {
          fill(note, '近 24 小时没有读数');
          box.hidden = true;
          return;
        }
        fill(note, `${s.points.length} 个分钟点（均值，阴影为最小至最大）`);
        const p = palette();
        const ax = axisStyle(p);
        const c = chartIn(ec, box);
        charts.push(c);
        const lines = rules.filter((r) => r.enabled && r.rule.metric === m.name && (r.rule.measure.type || 'value') === 'value');
        c.setOption({
          color: [p.brand],
          tooltip: { trigger: 'axis' },
          grid: { left: 48, right: 16, top: 16, bottom: 24 },
          xAxis: { type: 'time', ...ax },
          yAxis: { type: 'value', scale: true, ...ax },
          series: [
            { name: '最小', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, data: s.points.map((x) => [x.at, x.min ?? x.value]) },
            {
              name: '范围',
              type: 'line',
              stack: 'band',
              symbol: 'none',
              lineStyle: { opacity: 0 },
              areaStyle: { opacity: 0.15 },
              tooltip: { show: false },
              data: s.points.map((x) => [x.at, (x.max ?? x.value) - (x.min ?? x.value)]),
            },
            {
              name: '均值',
              type: 'line',
              symbol: 'none',
              data: s.points.map((x) => [x.at, x.value]),
              markLine: lines.length
                ? {
                    symbol: 'none',
                    label: { formatter: '{b}' },
                    data: lines.flatMap((r) =>
                      LEVELS.filter(([k]) => r.rule.thresholds[k] !== null && r.rule.thresholds[k] !== undefined).map(([k, label]) => ({
                        name: label,
                        yAxis: r.rule.thresholds[k],
                        lineStyle: { color: LEVEL_COLOURS[k], type: 'dashed' },
                      })),
                    ),
                  }
                : undefined,
            },
          ],
        });
      })
      .catch((e) => fill(note, '曲线无法加载：' + e.message));
  }
}

function rulesView(d, rules, manage, ctx) {
  if (!rules.length) return h('p', { class: 'empty' }, '没有报警规则');
  return h(
    'div',
    null,
    table(
      '报警规则',
      ['规则', '指标', '判定', '蓝 / 黄 / 橙 / 红', '状态'],
      rules.map((r) => [
        r.name,
        r.rule.metric,
        `${MEASURES[r.rule.measure.type] || r.rule.measure.type}${r.rule.direction === 'below' ? '低于' : '达到'}阈值` + (r.rule.min_duration_s ? `，持续 ${r.rule.min_duration_s} 秒` : ''),
        LEVELS.map(([k]) => r.rule.thresholds[k] ?? '—').join(' / '),
        (r.enabled ? '启用' : '停用') + (r.active_level ? ` · 报警中（${r.active_level}）` : ''),
      ]),
    ),
    manage ? rules.map((r) => editForm(d, r, ctx)) : null,
  );
}

/** A new secret (shown once) and retirement (with what happened, for the record). */
function upkeep(d, ctx) {
  const shown = h('div', { role: 'status' });
  const rekey = h('button', { type: 'button' }, '更换设备密钥');
  rekey.addEventListener('click', async () => {
    if (!confirm('更换后旧密钥立即失效，设备需改用新密钥上报。继续？')) return;
    rekey.disabled = true;
    try {
      const x = await api(`devices/${encodeURIComponent(d.id)}/secret`, { method: 'POST' });
      fill(shown, h('p', null, '新密钥（只显示这一次，请配置到设备）：'), h('code', { class: 'hash' }, x.secret));
    } catch (e) {
      toast(e.message);
    } finally {
      rekey.disabled = false;
    }
  });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 500, required: true });
  const retire = h('button', { type: 'submit', class: 'danger' }, '退役设备');
  const form = h(
    'form',
    { 'aria-label': '退役设备' },
    formAlert(),
    field('退役原因', note, '退役后设备保留历史，上报被拒收，规则不再判定，未解除的报警以此说明解除。'),
    h('div', { class: 'actions' }, retire),
  );
  onSubmit(form, retire, async (data) => {
    await api(`devices/${encodeURIComponent(d.id)}/retire`, { method: 'POST', body: { note: data.get('note') } });
    toast('设备已退役');
    ctx.navigate(location.pathname, { replace: true });
  });
  return [editBox(d, ctx), h('div', { class: 'actions' }, rekey), shown, h('details', { class: 'rule-box' }, h('summary', null, '退役'), form)];
}

/** Editing the device's name, metrics, reporting interval and position (PATCH). */
function editBox(d, ctx) {
  const name = h('input', { name: 'name', maxlength: 100, required: true, value: d.name });
  const metrics = h('input', { name: 'metrics', required: true, value: d.metrics.map((m) => `${m.name}:${m.unit}`).join(', ') });
  const interval = h('input', { name: 'interval_s', type: 'number', min: 1, max: 86400, required: true, value: d.interval_s });
  const lon = h('input', { name: 'lon', inputmode: 'decimal', value: d.lon ?? '' });
  const lat = h('input', { name: 'lat', inputmode: 'decimal', value: d.lat ?? '' });
  const save = h('button', { type: 'submit', class: 'primary' }, '保存设备信息');
  const form = h(
    'form',
    { 'aria-label': '修改设备信息' },
    formAlert(),
    field('设备名称', name),
    field('监测指标', metrics, '指标名:单位，逗号分隔；规则在用的指标不能删除'),
    field('上报间隔（秒）', interval),
    h('div', { class: 'row' }, field('经度', lon), field('纬度', lat)),
    h('div', { class: 'actions' }, save),
  );
  onSubmit(form, save, async (data) => {
    const num = (k) => (String(data.get(k)).trim() === '' ? null : Number(data.get(k)));
    await api('devices/' + encodeURIComponent(d.id), {
      method: 'PATCH',
      body: { name: data.get('name'), metrics: parseMetrics(data.get('metrics')), interval_s: Number(data.get('interval_s')), lon: num('lon'), lat: num('lat') },
    });
    toast('设备信息已保存');
    ctx.navigate(location.pathname, { replace: true });
  });
  return h('details', { class: 'rule-box' }, h('summary', null, '修改设备信息'), form);
}

/** Changing one rule's thresholds and whether it is on. */
function editForm(d, r, ctx) {
  const inputs = LEVELS.map(([k, label]) =>
    field(`${label}阈值`, h('input', { name: k, type: 'number', step: 'any', inputmode: 'decimal', value: r.rule.thresholds[k] ?? '' })),
  );
  for (const [i, [k]] of LEVELS.entries()) inputs[i].dataset.also = `rule.thresholds.${k}`;
  const on = h('input', { type: 'checkbox', name: 'enabled', checked: r.enabled });
  const save = h('button', { type: 'submit', class: 'primary' }, '保存规则');
  const form = h(
    'form',
    { class: 'rule-edit', 'aria-label': '修改规则 ' + r.name },
    formAlert(),
    h('div', { class: 'row' }, inputs),
    h('div', { class: 'field', dataset: { field: 'enabled' } }, h('label', null, on, ' 启用此规则')),
    h('p', { class: 'hint' }, '修改后规则重新开始判定；未解除的报警保留，直到人工解除或新规则判定解除。'),
    h('div', { class: 'actions' }, save),
  );
  onSubmit(form, save, async (data) => {
    const thresholds = Object.fromEntries(LEVELS.map(([k]) => [k, data.get(k) === '' ? null : Number(data.get(k))]));
    const changed = LEVELS.some(([k]) => thresholds[k] !== (r.rule.thresholds[k] ?? null));
    const body = { enabled: on.checked };
    if (changed) body.rule = { ...r.rule, thresholds };
    await api(`devices/${encodeURIComponent(d.id)}/rules/${encodeURIComponent(r.id)}`, { method: 'PUT', body });
    toast('规则已保存');
    ctx.navigate(location.pathname, { replace: true });
  });
  return h('details', { class: 'rule-box' }, h('summary', null, '修改：' + r.name), form);
}
