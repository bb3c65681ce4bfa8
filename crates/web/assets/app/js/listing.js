// What the list pages share: filters kept in the URL (so a list can be
// linked to), a results table that reads on a phone (cells carry their
// column's label), and the pager.

import { api, qs } from './api.js';
import { h, fill, fmtNum, formAlert, showErrors, titled } from './dom.js';

/** The filter values of `keys` from the page's query. */
export function queryOf(ctx, keys) {
  return Object.fromEntries(keys.map((k) => [k, ctx.query.get(k) || '']));
}

/** `<select name>` with an "any" first option. `list`: [{code, label}]. */
export function select(name, list, current, any = '全部') {
  return h(
    'select',
    { name },
    h('option', { value: '' }, any),
    list.map((t) => h('option', { value: t.code, selected: t.code === current }, t.label)),
  );
}

/** A filter form: submitting it navigates to `base` with the non-empty values. */
export function filterForm(label, keys, base, ctx, ...fields) {
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': label }, ...fields);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const k of keys) if (k !== 'page' && data.get(k)) next[k] = data.get(k);
    ctx.navigate(base + qs(next));
  });
  return form;
}

/** A table whose rows are `rows` (arrays of cells, or {cells, class}). */
export function table(caption, headers, rows, cls = '') {
  return h(
    'table',
    { class: 'table ' + cls },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      rows.map((r) => {
        const cells = Array.isArray(r) ? r : r.cells;
        return h('tr', { class: Array.isArray(r) ? '' : r.class || '' }, cells.map((c, i) => h('td', { 'data-label': headers[i] }, c)));
      }),
    ),
  );
}

/** Page links for `total` items, `perPage` a page; null for one page. */
export function pager(base, q, page, total, perPage) {
  const pages = Math.ceil(total / perPage);
  if (pages <= 1) return null;
  const link = (p, label) =>
    h('a', { href: base + qs({ ...q, page: p }), 'aria-current': p === page ? 'page' : null, class: 'button small' }, label);
  const nums = [];
  for (let p = Math.max(1, page - 2); p <= Math.min(pages, page + 2); p++) nums.push(link(p, String(p)));
  return [page > 1 ? link(page - 1, '上一页') : null, nums, page < pages ? link(page + 1, '下一页') : null, h('span', { class: 'muted small' }, ` 第 ${page} / ${pages} 页`)];
}

const names = new Map();

/** Names of registry records (`enterprises`, `devices`) by id, fetched once
 * per page load (a list page shows at most one page of distinct ids).
 * Unknown or hidden ids keep the id. */
export async function namesOf(kind, ids) {
  const key = (id) => kind + '/' + id;
  const missing = [...new Set(ids)].filter((id) => id && !names.has(key(id)));
  await Promise.all(
    missing.map((id) =>
      api(kind + '/' + encodeURIComponent(id))
        .then((x) => names.set(key(id), x.name))
        .catch(() => names.set(key(id), id)),
    ),
  );
  return (id) => names.get(key(id)) || id;
}

export const enterpriseNames = (ids) => namesOf('enterprises', ids);

/** Offers in `select` the enterprises matching what is typed into `search`
 * (two characters or more, 250 ms after the last key). */
export function searchEnterprises(search, select) {
  let t;
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = setTimeout(async () => {
      const q = search.value.trim();
      if (q.length < 2) return;
      const res = await api('enterprises' + qs({ q, per_page: 10 })).catch(() => ({ items: [] }));
      fill(select, h('option', { value: '' }, res.items.length ? '请选择企业' : '未找到企业'), res.items.map((e) => h('option', { value: e.id }, e.name)));
    }, 250);
  });
}

/** Offers in `select` the caller's own enterprises (`ids`). */
export function ownEnterprises(select, ids) {
  Promise.all(ids.map((id) => api('enterprises/' + encodeURIComponent(id)).catch(() => null))).then((es) =>
    fill(select, es.filter(Boolean).map((e) => h('option', { value: e.id }, e.name))),
  );
}

/**
 * A whole list page: heading (with `headExtra`), the filter form of
 * `fields` (kept in the URL under `base`), a count, the results and pages.
 * `load(query)` resolves to {items, total}; `show(items)` to the results
 * element (after any lookups it needs). `hidden` keys ride along unseen.
 * Without `fields` the page has no filter form.
 */
export async function listPage(main, ctx, o) {
  titled(o.title);
  const q = queryOf(ctx, o.keys);
  Object.assign(q, o.defaults ? o.defaults(q) : {});
  const hidden = (o.hidden || []).filter((k) => q[k]).map((k) => h('input', { type: 'hidden', name: k, value: q[k] }));
  const form = filterForm(
    o.filterLabel || '筛选' + o.title,
    o.keys,
    o.base,
    ctx,
    formAlert(),
    o.fields ? o.fields(q) : null,
    hidden,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '筛选'), h('a', { class: 'button', href: o.base }, '清除')),
  );
  const summary = h('p', { class: 'muted', role: 'status' }, '\u00a0');
  const results = h('div', { class: 'reserve tall' }, h('p', { class: 'loading' }, '加载中…'));
  const nav = h('nav', { class: 'pager', 'aria-label': '分页' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, o.title), o.headExtra || null),
    o.fields ? h('details', { class: 'filter-box', open: window.innerWidth > 700 }, h('summary', null, '筛选条件'), form) : null,
    summary,
    results,
    nav,
  );
  const page = Math.max(1, parseInt(q.page, 10) || 1);
  const perPage = o.perPage || 20;
  let res;
  try {
    res = await o.load({ ...q, page, per_page: perPage });
  } catch (e) {
    fill(results, o.fields ? null : h('p', { class: 'form-alert', role: 'alert' }, e.message));
    if (o.fields) showErrors(form, e);
    return;
  }
  const shown = res.items.length ? await o.show(res.items) : h('p', { class: 'empty' }, o.empty);
  if (ctx.gone()) return;
  fill(summary, `共 ${fmtNum(res.total)} ${o.unit}`);
  fill(results, shown);
  fill(nav, pager(o.base, q, page, res.total, perPage));
}
