// IoT alarms (监测报警): open ones first, with their level, value and peak;
// a person acknowledges or clears them here (both go on the audit log and
// the evidence ledger), and each row unfolds into its history.

import { api, qs } from '../api.js';
import { h, fmtTime, field, toast } from '../dom.js';
import { ALARM_EVENTS } from '../labels.js';
import { select, table, listPage, namesOf, enterpriseNames } from '../listing.js';

const STATES = [
  { code: 'open', label: '未解除（报警中或已确认）' },
  { code: 'active', label: '报警中' },
  { code: 'acknowledged', label: '已确认' },
  { code: 'cleared', label: '已解除' },
];
const stateLabel = (s) => ({ active: '报警中', acknowledged: '已确认', cleared: '已解除' })[s] || s;

export function render(main, ctx) {
  return listPage(main, ctx, {
    title: '监测报警',
    base: '/alarms',
    keys: ['state', 'device_id', 'page'],
    hidden: ['device_id'],
    // Open alarms unless the URL asks otherwise (an empty state= is "all").
    defaults: () => (ctx.query.has('state') ? {} : { state: 'open' }),
    fields: (q) => [field('状态', select('state', STATES, q.state, '全部'))],
    load: (q) => api('alarms' + qs(q)),
    unit: '条',
    empty: '没有符合条件的报警',
    show: async (items) => {
      const [device, ent] = await Promise.all([namesOf('devices', items.map((a) => a.device_id)), enterpriseNames(items.map((a) => a.enterprise_id))]);
      return table(
        '报警列表',
        ['等级', '设备', '单位', '指标', '当前值 / 峰值', '报警时间', '状态', '处置'],
        items.map((a) => ({
          class: a.state === 'active' ? 'overdue' : '',
          cells: [
            h('span', { class: 'badge level-' + a.level }, a.level_label),
            device(a.device_id),
            h('a', { href: '/enterprises/' + encodeURIComponent(a.enterprise_id) }, ent(a.enterprise_id)),
            a.metric,
            `${a.last_value} / ${a.peak_value}`,
            fmtTime(a.raised_at),
            stateLabel(a.state) + (a.acknowledged_at ? ` · ${fmtTime(a.acknowledged_at)} 确认` : ''),
            actions(a, ctx),
          ],
        })),
      );
    },
  });
}

function actions(a, ctx) {
  const box = h('div', { class: 'alarm-actions' });
  const send = async (action, note, b, label) => {
    b.disabled = true;
    try {
      await api(`alarms/${encodeURIComponent(a.id)}/actions`, { method: 'POST', body: { action, note: note || undefined } });
      toast(label + '成功');
      ctx.navigate(location.pathname + location.search, { replace: true });
    } catch (e) {
      toast(e.message);
      b.disabled = false;
    }
  };
  if (a.state === 'active') {
    const b = h('button', { type: 'button', class: 'small primary' }, '确认');
    b.addEventListener('click', () => send('acknowledge', null, b, '确认'));
    box.append(b);
  }
  if (a.state !== 'cleared') {
    // Clearing asks what was done (处置情况), in a small form of its own.
    const note = h('input', { name: 'note', maxlength: 500, required: true, placeholder: '处置情况（必填）' });
    const ok = h('button', { type: 'submit', class: 'small' }, '确认解除');
    const f = h('form', { class: 'inline-form', hidden: true, 'aria-label': '解除报警' }, h('label', { class: 'sr-only' }, '处置情况', note), ok);
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      send('clear', note.value.trim(), ok, '解除');
    });
    const open = h('button', { type: 'button', class: 'small' }, '解除');
    open.addEventListener('click', () => {
      f.hidden = false;
      open.hidden = true;
      note.focus();
    });
    box.append(open, f);
  }
  const history = h('details', null, h('summary', null, '经过'));
  history.addEventListener(
    'toggle',
    async () => {
      const d = await api('alarms/' + encodeURIComponent(a.id)).catch(() => null);
      history.append(
        d
          ? h('ol', { class: 'plain small' }, d.events.map((e) => h('li', null, `${fmtTime(e.at)} ${ALARM_EVENTS[e.event] || e.event} ${e.level} ${e.value ?? ''} · ${e.actor_name}${e.note ? '：' + e.note : ''}`)))
          : h('p', { class: 'muted' }, '无法加载'),
      );
    },
    { once: true },
  );
  box.append(history);
  return box;
}
