// Pieces several pages show: state badges, hazard rows, key figures.

import { h, fmtNum, fmtTime } from './dom.js';
import { ACTIONS } from './labels.js';

const DAY = 86400000;

export function stateBadge(state, label) {
  return h('span', { class: 'badge state-' + state }, label);
}

export function gradeBadge(grade, label) {
  return grade === 'major' ? h('span', { class: 'badge major' }, label) : null;
}

/** Days until (positive) or past (negative) a deadline. */
export function daysLeft(ms, now = Date.now()) {
  return Math.ceil((ms - now) / DAY);
}

export function deadlineText(hz) {
  if (!hz.deadline_ms) return '未设期限';
  const d = daysLeft(hz.deadline_ms);
  if (hz.overdue) return `已超期 ${Math.max(1, -d)} 天`;
  if (['closed', 'dismissed'].includes(hz.state)) return '已办结';
  return d <= 0 ? '今日到期' : `剩余 ${d} 天`;
}

/** One hazard as a list row linking to its page. */
export function hazardRow(hz, { actions = false } = {}) {
  return h(
    'li',
    { class: 'hz-row' + (hz.overdue ? ' overdue' : '') },
    h(
      'a',
      { href: '/hazards/' + encodeURIComponent(hz.id) },
      h('span', { class: 'hz-code' }, hz.code),
      stateBadge(hz.state, hz.state_label),
      gradeBadge(hz.grade, hz.grade_label),
      h('span', { class: 'hz-desc' }, hz.description),
    ),
    h(
      'span',
      { class: 'hz-meta' },
      h('span', { class: hz.overdue ? 'danger' : '' }, deadlineText(hz)),
      ' · ',
      hz.channel_label,
      ' · ',
      fmtTime(hz.reported_at),
      actions && hz.my_actions.length
        ? h('span', { class: 'chips' }, hz.my_actions.map((a) => h('span', { class: 'chip' }, (ACTIONS[a] || { label: a }).label)))
        : null,
    ),
  );
}

export function hazardList(items, empty, opts) {
  if (!items.length) return h('p', { class: 'empty' }, empty);
  return h('ul', { class: 'hz-list' }, items.map((x) => hazardRow(x, opts)));
}

/** A key figure; `href` makes it a link to the matching list. */
export function kpi(key, label, value, { href, tone } = {}) {
  const body = [h('span', { class: 'kpi-label' }, label), h('span', { class: 'kpi-value', dataset: { kpi: key } }, value)];
  return href
    ? h('a', { class: 'kpi' + (tone ? ' ' + tone : ''), href }, body)
    : h('div', { class: 'kpi' + (tone ? ' ' + tone : '') }, body);
}

export { fmtNum };
