// The hazard list with filters (the URL holds them, so a list can be linked
// to, e.g. from a dashboard figure) and pages.

import { api, qs } from '../api.js';
import { h, fmtTime, field } from '../dom.js';
import { isRegulator, vocabularies } from '../labels.js';
import { stateBadge, gradeBadge, deadlineText } from '../widgets.js';
import { select, table, listPage } from '../listing.js';

export async function render(main, ctx) {
  const regulator = isRegulator(ctx.me.role);
  const v = await vocabularies();
  const regions = regulator ? await api('regions' + qs({ level: 'street' })).catch(() => []) : [];
  const districts = regulator ? await api('regions' + qs({ level: 'district' })).catch(() => []) : [];
  const regionSel = (q) =>
    h(
      'select',
      { name: 'region' },
      h('option', { value: '' }, '本辖区全部'),
      [...districts, ...regions]
        .sort((a, b) => (a.code < b.code ? -1 : 1))
        .map((r) => h('option', { value: r.code, selected: r.code === q.region }, (r.level === 'street' ? '\u3000' : '') + r.name)),
    );
  const check = (q, name, label) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: 'true', checked: q[name] === 'true' }), label);
  return listPage(main, ctx, {
    title: '隐患',
    base: '/hazards',
    keys: ['region', 'state', 'grade', 'channel', 'overdue', 'mine', 'listed', 'q', 'from', 'to', 'enterprise_id', 'page'],
    hidden: ['enterprise_id'],
    headExtra: h('a', { class: 'button primary', href: '/hazards/new' }, regulator ? '上报隐患' : '自查上报'),
    fields: (q) => [
      field('关键词', h('input', { name: 'q', type: 'search', value: q.q, placeholder: '描述中的文字' })),
      regulator ? field('区域', regionSel(q)) : null,
      field('状态', select('state', v.hazard_states, q.state)),
      field('等级', select('grade', v.hazard_grades, q.grade)),
      field('渠道', select('channel', v.channels, q.channel)),
      field('上报自', h('input', { name: 'from', type: 'date', value: q.from })),
      field('上报至', h('input', { name: 'to', type: 'date', value: q.to })),
      h('div', { class: 'checks' }, check(q, 'overdue', '仅超期'), check(q, 'mine', '分派给我'), regulator ? check(q, 'listed', '挂牌督办') : null),
    ],
    load: (q) => api('hazards' + qs(q)),
    unit: '项',
    empty: '没有符合条件的隐患',
    show: async (items) =>
      table(
        '隐患列表',
        ['编号', '描述', '状态', '渠道', '上报时间', '整改期限'],
        items.map((x) => ({
          class: x.overdue ? 'overdue' : '',
          cells: [
            h('a', { href: '/hazards/' + encodeURIComponent(x.id) }, x.code),
            h('span', { class: 'desc' }, x.description),
            [stateBadge(x.state, x.state_label), ' ', gradeBadge(x.grade, x.grade_label)],
            x.channel_label,
            fmtTime(x.reported_at),
            h('span', { class: x.overdue ? 'danger' : '' }, deadlineText(x)),
          ],
        })),
        'hz-table',
      ),
  });
}
