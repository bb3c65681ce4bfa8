// Enforcement documents (执法文书): site records, rectification orders and
// recheck opinions, drafts and issued ones, with their numbers.

import { api, qs } from '../api.js';
import { h, fmtTime, field } from '../dom.js';
import { select, table, listPage } from '../listing.js';
import { DOC_KINDS } from './inspection.js';

export const DOC_STATES = [
  { code: 'draft', label: '草稿' },
  { code: 'issued', label: '已签发' },
  { code: 'superseded', label: '已被替代' },
];
export const docState = (s) => (DOC_STATES.find((x) => x.code === s) || { label: s }).label;

export function render(main, ctx) {
  return listPage(main, ctx, {
    title: '执法文书',
    base: '/documents',
    keys: ['kind', 'state', 'enterprise_id', 'inspection_id', 'page'],
    hidden: ['enterprise_id', 'inspection_id'],
    headExtra: h('a', { class: 'button', href: '/inspections' + qs({ kind: 'enforcement' }) }, '执法检查记录'),
    fields: (q) => [field('文书种类', select('kind', DOC_KINDS, q.kind)), field('状态', select('state', DOC_STATES, q.state))],
    load: (q) => api('documents' + qs(q)),
    unit: '份',
    empty: '没有符合条件的文书',
    show: async (items) =>
      table(
        '执法文书列表',
        ['文号', '种类', '被检查单位', '版本', '状态', '签发时间', '问题数'],
        items.map((d) => [
          h('a', { href: '/documents/' + encodeURIComponent(d.id) }, d.number || '（草稿）'),
          d.kind_label,
          h('a', { href: '/enterprises/' + encodeURIComponent(d.enterprise_id) }, d.content.unit.name),
          '第 ' + d.version + ' 版',
          docState(d.state),
          fmtTime(d.issued_at),
          String(d.content.findings.length),
        ]),
      ),
  });
}
