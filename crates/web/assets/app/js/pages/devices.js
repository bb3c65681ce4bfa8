// Monitoring devices (监测设备) in the caller's scope: type, unit, whether
// each reports (在线 / 离线 / 已退役) and when it last did; each links to its
// page (curves, alarm rules).

import { api, qs } from '../api.js';
import { h, fmtTime } from '../dom.js';
import { table, listPage, enterpriseNames } from '../listing.js';

/** 在线 / 离线 / 已退役 as a badge. */
export function deviceState(d) {
  if (d.status === 'retired') return h('span', { class: 'badge' }, '已退役');
  return d.offline ? h('span', { class: 'badge level-orange' }, '离线') : h('span', { class: 'badge state-closed' }, '在线');
}

export function render(main, ctx) {
  return listPage(main, ctx, {
    title: '监测设备',
    base: '/devices',
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
