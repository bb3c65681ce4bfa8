// Monitoring devices (监测设备) in the caller's scope: type, unit, whether
// each reports (在线 / 离线 / 已退役) and when it last did; each links to its
// page (curves, alarm rules). A regulator or the enterprise head registers
// a device here; its secret is shown once.

import { api, qs } from '../api.js';
import { h, fill, fmtTime, field, formAlert, onSubmit } from '../dom.js';
import { isRegulator, vocabularies } from '../labels.js';
import { table, listPage, enterpriseNames, searchEnterprises, ownEnterprises } from '../listing.js';

/** 在线 / 离线 / 已退役 as a badge. */
export function deviceState(d) {
  if (d.status === 'retired') return h('span', { class: 'badge' }, '已退役');
  return d.offline ? h('span', { class: 'badge level-orange' }, '离线') : h('span', { class: 'badge state-closed' }, '在线');
}

export function render(main, ctx) {
  return listPage(main, ctx, {
    title: '监测设备',
    base: '/devices',
    headExtra: isRegulator(ctx.me.role) || ctx.me.role === 'enterprise-head' ? registerBox(ctx) : null,
    keys: ['page'],
    load: (q) => api('devices' + qs(q)),
    unit: '台',
    empty: '没有监测设备',
    show: async (items) => {
      const ent = await enterpriseNames(items.map((d) => d.enterprise_id));
      return table(
        '设备列表',
        ['设备', '类型', '单位', '监测指标', '状态', '最近上报'],
        items.map((d) => ({
          class: d.offline ? 'overdue' : '',
          cells: [
            h('a', { href: '/devices/' + encodeURIComponent(d.id) }, d.name),
            d.device_type_label || d.device_type,
            h('a', { href: '/enterprises/' + encodeURIComponent(d.enterprise_id) }, ent(d.enterprise_id)),
            d.metrics.map((m) => `${m.name}（${m.unit}）`).join('、'),
            deviceState(d),
            d.last_seen_at ? fmtTime(d.last_seen_at) : '从未上报',
          ],
        })),
      );
    },
  });
}

/** `"lel_percent:%LEL, temp_c:°C"` → [{name, unit}]. */
export function parseMetrics(text) {
  return text
    .split(/[,，\n]/)
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const i = x.search(/[:：]/);
      return i < 0 ? { name: x, unit: '' } : { name: x.slice(0, i).trim(), unit: x.slice(i + 1).trim() };
    });
}

/** Registering a device (and, optionally, a shipped rule for it). */
function registerBox(ctx) {
  const regulator = isRegulator(ctx.me.role);
  const name = h('input', { name: 'name', maxlength: 100, required: true });
  const type = h('select', { name: 'device_type', required: true });
  const entSelect = h('select', { name: 'enterprise_id', required: true });
  const entSearch = h('input', { type: 'search', placeholder: '输入企业名称查找', 'aria-label': '查找企业' });
  const metrics = h('input', { name: 'metrics', required: true, placeholder: 'lel_percent:%LEL' });
  const interval = h('input', { name: 'interval_s', type: 'number', min: 1, max: 86400, value: 60, required: true });
  const template = h('select', { name: 'template' }, h('option', { value: '' }, '暂不添加'));
  Promise.all([vocabularies(), api('rule-templates')]).then(([v, ts]) => {
    fill(type, h('option', { value: '' }, '请选择'), (v.device_types || []).map((t) => h('option', { value: t.code }, t.label)));
    fill(template, h('option', { value: '' }, '暂不添加'), ts.map((t) => h('option', { value: t.key, dataset: { type: t.device_type } }, t.name)));
  });
  if (regulator) searchEnterprises(entSearch, entSelect);
  else ownEnterprises(entSelect, ctx.me.enterprise_ids);
  const done = h('div', { role: 'status' });
  const save = h('button', { type: 'submit', class: 'primary' }, '登记');
  const form = h(
    'form',
    { class: 'form-narrow', 'aria-label': '登记设备' },
    formAlert(),
    field('设备名称', name),
    field('设备类型', type),
    regulator ? h('div', { class: 'field' }, entSearch) : null,
    field('所属企业', entSelect),
    field('监测指标', metrics, '指标名:单位，多个用逗号分隔，如 lel_percent:%LEL'),
    field('上报间隔（秒）', interval),
    field('报警规则模板', template),
    h('div', { class: 'actions' }, save),
    done,
  );
  onSubmit(form, save, async (data) => {
    const d = await api('devices', {
      method: 'POST',
      body: {
        name: data.get('name'),
        device_type: data.get('device_type'),
        enterprise_id: data.get('enterprise_id'),
        metrics: parseMetrics(data.get('metrics')),
        interval_s: Number(data.get('interval_s')),
      },
    });
    let note = '';
    if (data.get('template')) {
      await api(`devices/${encodeURIComponent(d.id)}/rules`, { method: 'POST', body: { template: data.get('template') } }).catch((e) => (note = '（规则未添加：' + e.message + '）'));
    }
    fill(
      done,
      h('p', null, `已登记${note}。设备密钥只显示这一次，请配置到设备：`),
      h('code', { class: 'hash' }, d.secret),
      h('p', null, h('a', { href: '/devices/' + encodeURIComponent(d.id) }, '查看设备')),
    );
    form.reset();
  });
  return h('details', { class: 'register-box' }, h('summary', { class: 'button' }, '登记设备'), form);
}
