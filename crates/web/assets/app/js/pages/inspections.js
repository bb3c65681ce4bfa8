// Inspections (检查记录): enterprise self-inspections, expert checks and
// enforcement checks, filtered by kind, state and date; each links to its
// record with the findings and the hazards and documents they led to.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtTime, titled, field, formAlert, showErrors } from '../dom.js';
import { queryOf, select, filterForm, table, pager, enterpriseNames } from '../listing.js';

const PER_PAGE = 20;
const KEYS = ['kind', 'state', 'from', 'to', 'enterprise_id', 'page'];
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

export async function render(main, ctx) {
  titled('检查记录');
  const q = queryOf(ctx, KEYS);
  const form = filterForm(
    '筛选检查记录',
    KEYS,
    '/inspections',
    ctx,
    formAlert(),
    field('检查类型', select('kind', KINDS, q.kind)),
    field('状态', select('state', STATES, q.state)),
    field('检查日期自', h('input', { name: 'from', type: 'date', value: q.from })),
    field('检查日期至', h('input', { name: 'to', type: 'date', value: q.to })),
    q.enterprise_id ? h('input', { type: 'hidden', name: 'enterprise_id', value: q.enterprise_id }) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '筛选'), h('a', { class: 'button', href: '/inspections' }, '清除')),
  );
  const summary = h('p', { class: 'muted', role: 'status' }, '\u00a0');
  const results = h('div', { class: 'reserve tall' }, h('p', { class: 'loading' }, '加载中…'));
  const nav = h('nav', { class: 'pager', 'aria-label': '分页' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, '检查记录'), h('a', { class: 'button', href: '/m/' }, '移动巡检')),
    h('details', { class: 'filter-box', open: window.innerWidth > 700 }, h('summary', null, '筛选条件'), form),
    summary,
    results,
    nav,
  );
  const page = Math.max(1, parseInt(q.page, 10) || 1);
  let res;
  try {
    res = await api('inspections' + qs({ ...q, page, per_page: PER_PAGE }));
  } catch (e) {
    fill(results);
    showErrors(form, e);
    return;
  }
  const name = await enterpriseNames(api, res.items.map((i) => i.enterprise_id));
  if (ctx.gone()) return;
  fill(summary, `共 ${fmtNum(res.total)} 次检查`);
  if (!res.items.length) return void fill(results, h('p', { class: 'empty' }, '没有符合条件的检查记录'));
  fill(
    results,
    table(
      '检查记录列表',
      ['编号', '类型', '被检查单位', '检查人', '检查时间', '状态', '结果', '生成隐患'],
      res.items.map((i) => ({
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
    ),
  );
  fill(nav, pager('/inspections', q, page, res.total, PER_PAGE));
}
