// Follow a public report by its tracking code: its state and the public
// steps (never who handled it or their notes).

import { h, fill, fmtTime, skipLinks } from '/assets/app/js/dom.js';

skipLinks();

const form = document.getElementById('track');
const input = document.getElementById('code');
const err = document.getElementById('err-code');
const result = document.getElementById('result');

async function show(code) {
  fill(result, h('p', { class: 'loading' }, '查询中…'));
  let res;
  try {
    res = await fetch('/api/v1/public/hazards/' + encodeURIComponent(code), { headers: { Accept: 'application/json' } });
  } catch {
    fill(result, h('p', { class: 'form-alert', role: 'alert' }, '网络连接失败，请稍后重试'));
    return;
  }
  if (res.status === 404) {
    fill(result, h('p', { class: 'form-alert', role: 'alert' }, `未找到追踪码 ${code}，请核对后重试。`));
    return;
  }
  if (!res.ok) {
    fill(result, h('p', { class: 'form-alert', role: 'alert' }, '查询失败，请稍后重试'));
    return;
  }
  const s = await res.json();
  document.title = `${s.tracking_code} · ${s.state_label}`;
  fill(
    result,
    h('h2', null, '追踪码 ', h('span', { class: 'code inline', dataset: { code: s.tracking_code } }, s.tracking_code)),
    h('p', null, '当前状态：', h('span', { class: 'badge state-' + s.state, dataset: { state: s.state } }, s.state_label)),
    h('p', { class: 'muted small' }, '提交于 ', fmtTime(s.reported_at), s.closed_at ? ` · 办结于 ${fmtTime(s.closed_at)}` : ''),
    h(
      'ol',
      { class: 'steps' },
      s.timeline.map((e) => h('li', null, h('strong', null, e.event_label || e.event), ' → ', e.state_label, h('div', { class: 'muted small' }, fmtTime(e.at)))),
    ),
  );
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const code = input.value.trim().toUpperCase();
  err.textContent = '';
  input.removeAttribute('aria-invalid');
  if (code.length !== 10) {
    err.textContent = '追踪码为 10 位字母或数字';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  history.pushState(null, '', '/track/' + encodeURIComponent(code));
  show(code);
});

function fromPath() {
  const m = location.pathname.match(/^\/track\/([^/]+)$/);
  if (m) {
    const code = decodeURIComponent(m[1]).toUpperCase();
    input.value = code;
    show(code);
  } else {
    fill(result);
  }
}
window.addEventListener('popstate', fromPath);
fromPath();
