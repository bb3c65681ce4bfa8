// The notification inbox: dispatches, reminders, escalations, alarms.

import { api } from '../api.js';
import { h, fill, fmtTime, titled, toast } from '../dom.js';

export async function render(main) {
  titled('消息');
  const list = h('div', { class: 'reserve' }, h('p', { class: 'loading' }, '加载中…'));
  main.append(h('h1', null, '消息'), list);
  const items = await api('notifications');
  if (!items.length) return void fill(list, h('p', { class: 'empty' }, '暂无消息'));
  fill(
    list,
    h(
      'ul',
      { class: 'note-list wide' },
      items.map((n) => {
        const li = h(
          'li',
          { class: n.read ? '' : 'unread' },
          h('div', null, n.hazard_id ? h('a', { href: '/hazards/' + encodeURIComponent(n.hazard_id) }, n.title) : h('strong', null, n.title)),
          h('p', null, n.body),
          h('span', { class: 'muted small' }, fmtTime(n.created_at)),
        );
        if (!n.read) {
          const b = h('button', { type: 'button', class: 'small' }, '标为已读');
          b.addEventListener('click', async () => {
            try {
              await api(`notifications/${encodeURIComponent(n.id)}/read`, { method: 'POST' });
              li.classList.remove('unread');
              b.remove();
            } catch (e) {
              toast(e.message);
            }
          });
          li.append(b);
        }
        return li;
      }),
    ),
  );
}
