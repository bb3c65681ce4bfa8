// The signed-in application: who is here, the navigation for their role,
// and a small router (links are real URLs; same-app links are followed
// without reloading the page).

import { api, setCsrf, ApiError } from './api.js';
import { h, fill, skipLinks } from './dom.js';

skipLinks();
import { isRegulator } from './labels.js';

const ROUTES = [
  { re: /^\/login$/, load: () => import('./pages/login.js'), anonymous: true },
  { re: /^\/$/, load: () => import('./pages/home.js') },
  { re: /^\/dashboard$/, load: () => import('./pages/dashboard.js'), regulator: true },
  { re: /^\/screen$/, load: () => import('./pages/dashboard.js'), regulator: true, screen: true },
  { re: /^\/hazards$/, load: () => import('./pages/hazards.js') },
  { re: /^\/hazards\/new$/, load: () => import('./pages/hazard-new.js') },
  { re: /^\/hazards\/([^/]+)$/, load: () => import('./pages/hazard.js') },
  { re: /^\/enterprises\/([^/]+)$/, load: () => import('./pages/enterprise.js') },
  { re: /^\/inbox$/, load: () => import('./pages/inbox.js') },
  { re: /^\/inspections$/, load: () => import('./pages/inspections.js') },
  { re: /^\/inspections\/([^/]+)$/, load: () => import('./pages/inspection.js') },
  { re: /^\/documents$/, load: () => import('./pages/documents.js'), regulator: true },
  { re: /^\/documents\/([^/]+)$/, load: () => import('./pages/document.js'), regulator: true },
  { re: /^\/alarms$/, load: () => import('./pages/alarms.js') },
  { re: /^\/devices$/, load: () => import('./pages/devices.js') },
  { re: /^\/devices\/([^/]+)$/, load: () => import('./pages/device.js') },
];

function navItems(me) {
  if (isRegulator(me.role)) {
    return [
      ['/dashboard', '一张图'],
      ['/screen', '大屏'],
      ['/hazards', '隐患'],
      ['/hazards/new', '上报隐患'],
      ['/inspections', '检查'],
      ['/documents', '文书'],
      ['/alarms', '报警'],
      ['/devices', '设备'],
      ['/inbox', '消息'],
      ['/m/', '移动巡检'],
    ];
  }
  return [
    ['/', me.role === 'enterprise-head' ? '工作台' : '我的任务'],
    ['/hazards', '隐患'],
    ['/hazards/new', '自查上报'],
    ['/inspections', '检查记录'],
    ['/alarms', '报警'],
    ['/devices', '设备'],
    ['/inbox', '消息'],
    ['/m/', '移动巡检'],
  ];
}

let me = null;
/** What the current page asked to run when it is left. */
let leaving = [];
let pageSeq = 0;

/** Whether nav item `href` is the page at `here` (a hazard's page is under 隐患). */
function current(href, here) {
  if (href === here) return true;
  if (href === '/inspections' || href === '/documents' || href === '/devices') return here.startsWith(href + '/');
  return href === '/hazards' && here.startsWith('/hazards/') && here !== '/hazards/new';
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!me) {
    fill(nav);
    fill(who);
    return;
  }
  const here = location.pathname;
  fill(
    nav,
    h(
      'ul',
      null,
      navItems(me).map(([href, label]) =>
        h('li', null, h('a', { href, 'aria-current': current(href, here) ? 'page' : null }, label)),
      ),
    ),
  );
  fill(
    who,
    h('span', { class: 'who-name' }, me.display_name, h('small', null, me.role_label)),
    h('button', { type: 'button', class: 'link', onclick: logout }, '退出'),
  );
}

async function logout() {
  try {
    await api('auth/logout', { method: 'POST' });
  } catch {
    /* the session may already be gone */
  }
  me = null;
  setCsrf(null);
  navigate('/login');
}

/** Signs in (called by the login page). */
export function signedIn(res) {
  me = { ...res.user, csrf_token: res.csrf_token };
  setCsrf(res.csrf_token);
}

async function loadMe() {
  try {
    me = await api('auth/me');
    setCsrf(me.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    me = null;
  }
}

export async function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  await route();
  focusHeading();
}

/** After an in-page navigation, move focus to the new page's heading (as a
 * page load would start from the top) without scrolling. */
function focusHeading() {
  const h1 = document.querySelector('#main h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

async function route() {
  const path = location.pathname;
  const r = ROUTES.find((x) => x.re.test(path));
  const main = document.getElementById('main');
  for (const fn of leaving.splice(0)) {
    try {
      fn();
    } catch {
      /* a page's cleanup must not stop the next page */
    }
  }
  const seq = ++pageSeq;
  for (const k of Object.keys(main.dataset)) delete main.dataset[k];
  document.body.classList.toggle('screen', !!(r && r.screen));
  if (!r) {
    renderChrome();
    fill(main, h('h1', null, '页面不存在'), h('p', null, h('a', { href: '/' }, '返回首页')));
    return;
  }
  if (!r.anonymous && !me) {
    location.replace('/login?next=' + encodeURIComponent(path + location.search));
    return;
  }
  if (r.regulator && !isRegulator(me.role)) {
    history.replaceState(null, '', '/');
    return route();
  }
  renderChrome();
  const mod = await r.load();
  const params = path.match(r.re).slice(1).map(decodeURIComponent);
  const query = new URLSearchParams(location.search);
  fill(main);
  const ctx = {
    me,
    params,
    query,
    navigate,
    screen: !!r.screen,
    signedIn,
    onLeave: (fn) => leaving.push(fn),
    gone: () => seq !== pageSeq,
  };
  try {
    await mod.render(main, ctx);
  } catch (e) {
    if (ctx.gone()) return;
    main.append(h('div', { class: 'form-alert', role: 'alert' }, '加载失败：' + e.message));
  }
}

function sameApp(a) {
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return false;
  if (a.getAttribute('href').startsWith('#')) return false; // in-page (the skip link)
  return ROUTES.some((r) => r.re.test(a.pathname));
}

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!sameApp(a)) return;
  e.preventDefault();
  navigate(a.pathname + a.search + a.hash);
});

window.addEventListener('popstate', () => route().then(focusHeading));

(async () => {
  await loadMe();
  await route();
})().catch((e) => {
  fill(document.getElementById('main'), h('div', { class: 'form-alert', role: 'alert' }, '加载失败：' + e.message));
});
