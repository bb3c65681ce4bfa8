// Inspections (检查记录): enterprise self-inspections, expert checks and
// enforcement checks, filtered by kind, state and date; each links to its
// record with the findings and the hazards and documents they led to.

import { api, qs } from '../api.js';
import { h, fmtTime, field } from '../dom.js';
import { select, table, listPage, enterpriseNames } from '../listing.js';

export const KINDS = [
  { code: 'self', label: '企业自查' },
  { code: 'expert', label: '专家检查' },
  { code: 'enforcement', label: '执法检查' },
];
export const STATES = [
  { code: 'draft', label: '草稿' },
  { code: 'submitted', label: '已提交' },
];
export const stateLabel = (s) => (STATES.find((x) => x.code === s) || { label: s }).label;

export function render(main, ctx) {
  return listPage(main, ctx, {
    title: '检查记录',
    base: '/inspections',
    keys: ['kind', 'state', 'from', 'to', 'enterprise_id', 'page'],
    hidden: ['enterprise_id'],
    headExtra: h('a', { class: 'button', href: '/m/' }, '移动巡检'),
    fields: (q) => [
      field('检查类型', select('kind', KINDS, q.kind)),
      field('状态', select('state', STATES, q.state)),
      field('检查日期自', h('input', { name: 'from', type: 'date', value: q.from })),
      field('检查日期至', h('input', { name: 'to', type: 'date', value: q.to })),
    ],
    load: (q) => api('inspections' + qs(q)),
    unit: '次检查',
    empty: '没有符合条件的检查记录',
    show: async (items) => {
      const name = await enterpriseNames(items.map((i) => i.enterprise_id));
      return table(
        '检查记录列表',
        ['编号', '类型', '被检查单位', '检查人', '检查时间', '状态', '结果', '生成隐患'],
        items.map((i) => ({
          class: i.failed ? 'overdue' : '',
          cells: [
            h('a', { href: '/inspections/' + encodeURIComponent(i.id) }, i.number),
            i.kind_label,
            h('a', { href: '/enterprises/' + encodeURIComponent(i.enterprise_id) }, name(i.enterprise_id)),
            i.inspector_name,
            fmtTime(i.started_at),
            stateLabel(i.state),
            [`合格 ${i.passed} / 不合格 ${i.failed}`, i.score != null ? h('div', { class: 'muted small' }, `${i.score} 分 · ${i.grade}`) : null],
            i.hazards.length ? h('span', { class: 'danger' }, `${i.hazards.length} 条`) : '—',
          ],
        })),
      );
    },
  });
}
