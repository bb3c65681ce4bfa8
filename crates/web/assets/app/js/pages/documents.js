// Enforcement documents (执法文书): site records, rectification orders and
// recheck opinions, drafts and issued ones, with their numbers.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtTime, titled, field, formAlert, showErrors } from '../dom.js';
import { queryOf, select, filterForm, table, pager } from '../listing.js';
import { DOC_KINDS } from './inspection.js';

const PER_PAGE = 20;
const KEYS = ['kind', 'state', 'enterprise_id', 'inspection_id', 'page'];
export const DOC_STATES = [
  { code: 'draft', label: '草稿' },
  { code: 'issued', label: '已签发' },
  { code: 'superseded', label: '已被替代' },
];
export const docState = (s) => (DOC_STATES.find((x) => x.code === s) || { label: s }).label;

export async function render(main, ctx) {
  titled('执法文书');
  const q = queryOf(ctx, KEYS);
  const form = filterForm(
    '筛选执法文书',
    KEYS,
    '/documents',
    ctx,
    formAlert(),
    field('文书种类', select('kind', DOC_KINDS, q.kind)),
    field('状态', select('state', DOC_STATES, q.state)),
    q.enterprise_id ? h('input', { type: 'hidden', name: 'enterprise_id', value: q.enterprise_id }) : null,
    q.inspection_id ? h('input', { type: 'hidden', name: 'inspection_id', value: q.inspection_id }) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '筛选'), h('a', { class: 'button', href: '/documents' }, '清除')),
  );
  const summary = h('p', { class: 'muted', role: 'status' }, '\u00a0');
  const results = h('div', { class: 'reserve tall' }, h('p', { class: 'loading' }, '加载中…'));
  const nav = h('nav', { class: 'pager', 'aria-label': '分页' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, '执法文书'), h('a', { class: 'button', href: '/inspections' + qs({ kind: 'enforcement' }) }, '执法检查记录')),
    h('details', { class: 'filter-box', open: window.innerWidth > 700 }, h('summary', null, '筛选条件'), form),
    summary,
    results,
    nav,
  );
  const page = Math.max(1, parseInt(q.page, 10) || 1);
  let res;
  try {
    res = await api('documents' + qs({ ...q, page, per_page: PER_PAGE }));
  } catch (e) {
    fill(results);
    showErrors(form, e);
    return;
  }
  if (ctx.gone()) return;
  fill(summary, `共 ${fmtNum(res.total)} 份`);
  if (!res.items.length) return void fill(results, h('p', { class: 'empty' }, '没有符合条件的文书'));
  fill(
    results,
    table(
      '执法文书列表',
      ['文号', '种类', '被检查单位', '版本', '状态', '签发时间', '问题数'],
      res.items.map((d) => [
        h('a', { href: '/documents/' + encodeURIComponent(d.id) }, d.number || '（草稿）'),
        d.kind_label,
        h('a', { href: '/enterprises/' + encodeURIComponent(d.enterprise_id) }, d.content.unit.name),
        '第 ' + d.version + ' 版',
        docState(d.state),
        fmtTime(d.issued_at),
        String(d.content.findings.length),
      ]),
    ),
  );
  fill(nav, pager('/documents', q, page, res.total, PER_PAGE));
}
