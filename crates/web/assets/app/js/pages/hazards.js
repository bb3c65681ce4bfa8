// The hazard list with filters (the URL holds them, so a list can be linked
// to, e.g. from a dashboard figure) and pages.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtTime, titled, field, formAlert, showErrors } from '../dom.js';
import { isRegulator, vocabularies } from '../labels.js';
import { stateBadge, gradeBadge, deadlineText } from '../widgets.js';
import { pager as pagerLinks } from '../listing.js';

const PER_PAGE = 20;
const KEYS = ['region', 'state', 'grade', 'channel', 'overdue', 'mine', 'listed', 'q', 'from', 'to', 'enterprise_id', 'page'];

function options(list, current, any = '全部') {
  return [h('option', { value: '' }, any), ...list.map((t) => h('option', { value: t.code, selected: t.code === current }, t.label))];
}

export async function render(main, ctx) {
  titled('隐患');
  const q = Object.fromEntries(KEYS.map((k) => [k, ctx.query.get(k) || '']));
  const regulator = isRegulator(ctx.me.role);
  const v = await vocabularies();
  const regions = regulator ? await api('regions' + qs({ level: 'street' })).catch(() => []) : [];
  const districts = regulator ? await api('regions' + qs({ level: 'district' })).catch(() => []) : [];
  const sel = (name, list, any) => h('select', { name }, options(list, q[name], any));
  const regionSel = h(
    'select',
    { name: 'region' },
    h('option', { value: '' }, '本辖区全部'),
    [...districts, ...regions]
      .sort((a, b) => (a.code < b.code ? -1 : 1))
      .map((r) => h('option', { value: r.code, selected: r.code === q.region }, (r.level === 'street' ? '\u3000' : '') + r.name)),
  );
  const check = (name, label) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: 'true', checked: q[name] === 'true' }), label);
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': '筛选隐患' },
    formAlert(),
    field('关键词', h('input', { name: 'q', type: 'search', value: q.q, placeholder: '描述中的文字' })),
    regulator ? field('区域', regionSel) : null,
    field('状态', sel('state', v.hazard_states)),
    field('等级', sel('grade', v.hazard_grades)),
    field('渠道', sel('channel', v.channels)),
    field('上报自', h('input', { name: 'from', type: 'date', value: q.from })),
    field('上报至', h('input', { name: 'to', type: 'date', value: q.to })),
    h('div', { class: 'checks' }, check('overdue', '仅超期'), check('mine', '分派给我'), regulator ? check('listed', '挂牌督办') : null),
    q.enterprise_id ? h('input', { type: 'hidden', name: 'enterprise_id', value: q.enterprise_id }) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '筛选'), h('a', { class: 'button', href: '/hazards' }, '清除')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const k of KEYS) if (k !== 'page' && data.get(k)) next[k] = data.get(k);
    ctx.navigate('/hazards' + qs(next));
  });
  const summary = h('p', { class: 'muted', role: 'status' }, '\u00a0');
  const results = h('div', { class: 'reserve tall' }, h('p', { class: 'loading' }, '加载中…'));
  const pager = h('nav', { class: 'pager', 'aria-label': '分页' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, '隐患'), h('a', { class: 'button primary', href: '/hazards/new' }, regulator ? '上报隐患' : '自查上报')),
    h('details', { class: 'filter-box', open: window.innerWidth > 700 }, h('summary', null, '筛选条件'), form),
    summary,
    results,
    pager,
  );
  const page = Math.max(1, parseInt(q.page, 10) || 1);
  const params = { ...q, page, per_page: PER_PAGE };
  let res;
  try {
    res = await api('hazards' + qs(params));
  } catch (e) {
    fill(results);
    showErrors(form, e);
    return;
  }
  if (ctx.gone()) return;
  fill(summary, `共 ${fmtNum(res.total)} 项`);
  if (!res.items.length) {
    fill(results, h('p', { class: 'empty' }, '没有符合条件的隐患'));
    return;
  }
  fill(
    results,
    h(
      'table',
      { class: 'table hz-table' },
      h('caption', { class: 'sr-only' }, '隐患列表'),
      h('thead', null, h('tr', null, ['编号', '描述', '状态', '渠道', '上报时间', '整改期限'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        res.items.map((x) =>
          h(
            'tr',
            { class: x.overdue ? 'overdue' : '' },
            h('td', { 'data-label': '编号' }, h('a', { href: '/hazards/' + encodeURIComponent(x.id) }, x.code)),
            h('td', { 'data-label': '描述', class: 'desc' }, x.description),
            h('td', { 'data-label': '状态' }, stateBadge(x.state, x.state_label), ' ', gradeBadge(x.grade, x.grade_label)),
            h('td', { 'data-label': '渠道' }, x.channel_label),
            h('td', { 'data-label': '上报时间' }, fmtTime(x.reported_at)),
            h('td', { 'data-label': '整改期限', class: x.overdue ? 'danger' : '' }, deadlineText(x)),
          ),
        ),
      ),
    ),
  );
  fill(pager, pagerLinks('/hazards', q, page, res.total, PER_PAGE));
}
