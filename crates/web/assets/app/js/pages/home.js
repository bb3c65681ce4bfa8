// Home by role: supervisors go to their region's dashboard; an enterprise
// head gets a workbench (open hazards, deadlines, tasks); staff get their
// assignments.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtTime, titled, panel } from '../dom.js';
import { isRegulator } from '../labels.js';
import { hazardList, kpi } from '../widgets.js';

const OPEN = ['pending', 'rectifying', 'awaiting_acceptance'];

async function openHazards() {
  const pages = await Promise.all(OPEN.map((state) => api('hazards' + qs({ state, per_page: 200 }))));
  return pages.flatMap((p) => p.items);
}

const byDeadline = (a, b) => (a.deadline_ms ?? Infinity) - (b.deadline_ms ?? Infinity);

function inbox(items) {
  if (!items.length) return h('p', { class: 'empty' }, '暂无消息');
  return h(
    'ul',
    { class: 'note-list' },
    items.slice(0, 6).map((n) =>
      h(
        'li',
        { class: n.read ? '' : 'unread' },
        h('a', { href: n.hazard_id ? '/hazards/' + encodeURIComponent(n.hazard_id) : '/inbox' }, n.title),
        h('span', { class: 'muted small' }, fmtTime(n.created_at)),
      ),
    ),
  );
}

export async function render(main, ctx) {
  const { me } = ctx;
  if (isRegulator(me.role)) {
    await ctx.navigate('/dashboard', { replace: true });
    return;
  }
  const head = me.role === 'enterprise-head';
  titled(head ? '工作台' : '我的任务');
  const title = h('h1', null, head ? '工作台' : '我的任务');
  const figures = h('div', { class: 'kpis four' }, ['待整改', '整改中', '待验收', '超期'].map((l, i) => kpi('k' + i, l, '—')));
  const todo = h('div', { class: 'reserve' }, h('p', { class: 'loading' }, '加载中…'));
  const deadlines = h('div', { class: 'reserve' }, h('p', { class: 'loading' }, '加载中…'));
  const notes = h('div', { class: 'reserve' }, h('p', { class: 'loading' }, '加载中…'));
  const entName = h('p', { class: 'muted' }, '\u00a0');
  main.append(
    h('div', { class: 'page-head' }, h('div', null, title, entName), h('a', { class: 'button primary', href: '/hazards/new' }, '自查上报隐患')),
    figures,
    h(
      'div',
      { class: 'grid two' },
      panel(head ? '待办任务' : '分派给我的任务', todo),
      panel('整改期限', deadlines),
    ),
    panel('最新消息', notes, h('p', null, h('a', { href: '/inbox' }, '全部消息'))),
  );
  const [counts, open, mine, messages, ents] = await Promise.all([
    api('hazards/counts'),
    openHazards(),
    head ? Promise.resolve(null) : api('hazards' + qs({ mine: true, per_page: 100 })),
    api('notifications'),
    Promise.all(me.enterprise_ids.slice(0, 3).map((id) => api('enterprises/' + encodeURIComponent(id)).catch(() => null))),
  ]);
  fill(entName, ents.filter(Boolean).map((e) => e.name).join('、') || '\u00a0');
  const values = [counts.pending, counts.rectifying, counts.awaiting_acceptance, counts.overdue];
  figures.querySelectorAll('.kpi-value').forEach((el, i) => (el.textContent = fmtNum(values[i])));
  figures.children[3].classList.toggle('danger', counts.overdue > 0);
  open.sort(byDeadline);
  if (head) {
    const actionable = open.filter((x) => x.my_actions.length);
    fill(todo, hazardList(actionable, '没有待处理的隐患', { actions: true }));
  } else {
    const assigned = mine.items.filter((x) => OPEN.includes(x.state)).sort(byDeadline);
    const ours = open.filter((x) => x.my_actions.length && !assigned.some((a) => a.id === x.id));
    fill(
      todo,
      hazardList(assigned, '暂无分派给您的隐患', { actions: true }),
      h('h3', null, '本企业待整改'),
      hazardList(ours, '没有待整改的隐患', { actions: true }),
    );
  }
  fill(deadlines, hazardList(open, '没有未完成的隐患'));
  fill(notes, inbox(messages));
}
