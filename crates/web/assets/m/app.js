// 移动巡检: pick an enterprise, pick a checklist (kept on the phone for
// offline use), go through its items with photos and the phone's position,
// and save into the outbox. The outbox syncs whenever the network is there,
// each inspection with its own Idempotency-Key, and shows where each stands.

import { h, fill, field, formAlert, showErrors, clearErrors, toast, skipLinks } from '/assets/app/js/dom.js';

skipLinks();
import { idb, meta, call, setCsrf, draft, outbox, enqueue, syncAll } from './outbox.js';

const main = document.getElementById('main');
const pill = document.getElementById('sync');
let me = null;
let busy = false;

const STATE_LABEL = { editing: '草稿', pending: '待同步', syncing: '同步中', synced: '已同步', failed: '同步失败' };

// ---------------------------------------------------------------- status

async function showStatus() {
  const items = await outbox();
  const waiting = items.filter((e) => e.state === 'pending' || e.state === 'syncing').length;
  const failed = items.filter((e) => e.state === 'failed').length;
  const online = navigator.onLine;
  let text;
  let cls = '';
  if (busy) text = '同步中…';
  else if (failed) {
    text = `${failed} 条同步失败`;
    cls = 'failed';
  } else if (!online) {
    text = waiting ? `离线 · ${waiting} 条待同步` : '离线';
    cls = 'offline';
  } else if (waiting) {
    text = `在线 · ${waiting} 条待同步`;
  } else {
    text = '在线 · 已全部同步';
    cls = 'ok';
  }
  pill.textContent = text;
  pill.className = 'sync-pill ' + cls;
  pill.dataset.waiting = waiting;
  pill.dataset.failed = failed;
  pill.dataset.online = online;
}

async function sync() {
  if (!navigator.onLine || busy) return showStatus();
  const waiting = (await outbox()).some((e) => e.state === 'pending' || e.state === 'syncing');
  if (!waiting) return showStatus();
  busy = true;
  await showStatus();
  try {
    const r = await syncAll(() => refreshOutbox());
    if (r.sent) toast(`已同步 ${r.sent} 条检查记录`);
  } finally {
    busy = false;
    await showStatus();
    await refreshOutbox();
  }
}

window.addEventListener('online', () => sync());
window.addEventListener('offline', () => showStatus());
setInterval(() => sync(), 20000);

// --------------------------------------------------------------- session

async function loadMe() {
  try {
    const { data } = await call('auth/me');
    me = data;
    await meta.set('me', data);
  } catch (e) {
    if (e.status === 401) {
      me = null;
      await meta.set('me', null);
    } else {
      me = await meta.get('me'); // offline: who was here last time
    }
  }
  if (me) setCsrf(me.csrf_token);
}

function loginView() {
  const user = h('input', { name: 'username', autocomplete: 'username' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const form = h('form', { class: 'card', novalidate: true }, h('h1', null, '登录'), formAlert(), field('用户名', user), field('密码', pass), h('button', { type: 'submit', class: 'primary' }, '登录'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!navigator.onLine) return showErrors(form, { message: '首次使用需联网登录' });
    try {
      const { data } = await call('auth/login', { method: 'POST', body: { username: user.value.trim(), password: pass.value } });
      me = { ...data.user, csrf_token: data.csrf_token };
      setCsrf(data.csrf_token);
      await meta.set('me', me);
      home();
      sync();
    } catch (err) {
      showErrors(form, err.status === 401 ? { message: '用户名或密码错误' } : err);
    }
  });
  fill(main, form);
  user.focus();
}

// ------------------------------------------------------------------ home

let outboxBox = null;

async function refreshOutbox() {
  if (!outboxBox || !outboxBox.isConnected) return;
  const items = await outbox();
  if (!items.length) return void fill(outboxBox, h('p', { class: 'empty' }, '还没有检查记录'));
  fill(
    outboxBox,
    h(
      'ul',
      { class: 'outbox' },
      items.slice(0, 30).map((e) => {
        const li = h(
          'li',
          { dataset: { id: e.id, state: e.state } },
          h('div', null, h('span', { class: 'state ' + e.state }, STATE_LABEL[e.state] || e.state), ' · ', e.enterprise.name),
          h('div', { class: 'muted small' }, e.template.name, ' · ', new Date(e.created_at).toLocaleString('zh-CN', { hour12: false })),
          e.server ? h('div', { class: 'small' }, `编号 ${e.server.number || e.server.id}`, e.server.hazards && e.server.hazards.length ? ` · 生成隐患 ${e.server.hazards.length} 条` : '') : null,
          e.error ? h('div', { class: 'small danger' }, e.error) : null,
        );
        if (e.state === 'failed') {
          const retry = h('button', { type: 'button', class: 'small' }, '重试');
          retry.addEventListener('click', async () => {
            await enqueue(e);
            sync();
          });
          const edit = h('button', { type: 'button', class: 'small' }, '修改');
          edit.addEventListener('click', async () => {
            const t = await idb.get('templates', e.template.id);
            if (t) checklist(e, t);
            else toast('本机没有该检查表，请联网后重试');
          });
          const drop = h('button', { type: 'button', class: 'small danger-outline' }, '删除');
          drop.addEventListener('click', async () => {
            if (!confirm('删除这条未同步的检查记录？')) return;
            await idb.del('outbox', e.id);
            refreshOutbox();
            showStatus();
          });
          li.append(h('div', { class: 'actions' }, retry, edit, drop));
        }
        return li;
      }),
    ),
  );
}

async function home() {
  const templates = await idb.all('templates');
  const syncBtn = h('button', { type: 'button' }, '立即同步');
  syncBtn.addEventListener('click', () => sync());
  const start = h('button', { type: 'button', class: 'primary' }, '新建检查');
  start.addEventListener('click', () => pickEnterprise());
  outboxBox = h('div', { class: 'reserve' });
  fill(
    main,
    h('h1', null, '移动巡检'),
    h('p', { class: 'muted' }, me ? `${me.display_name} · ${me.role_label}` : ''),
    h('div', { class: 'm-actions' }, start, syncBtn),
    h('p', { class: 'muted small' }, `本机已保存检查表 ${templates.length} 份，离线也能检查；联网后自动同步。`),
    h('h2', { class: 'section-title' }, '检查记录'),
    outboxBox,
    h('p', { class: 'small' }, h('a', { href: '/' }, '返回网页版')),
  );
  await refreshOutbox();
  await showStatus();
}

// ----------------------------------------------------- pick enterprise

async function pickEnterprise() {
  const search = h('input', { type: 'search', name: 'q', placeholder: '企业名称或统一社会信用代码', autocomplete: 'off' });
  const list = h('ul', { class: 'pick-list' });
  const back = h('button', { type: 'button', class: 'link' }, '返回');
  back.addEventListener('click', home);
  const choose = (e) => {
    idb.put('enterprises', { id: e.id, name: e.name, industry: e.industry, industry_label: e.industry_label, seen: Date.now() });
    pickTemplate(e);
  };
  const show = (items, note) =>
    fill(
      list,
      items.length
        ? items.map((e) => {
            const b = h('button', { type: 'button', dataset: { enterprise: e.id } }, h('span', null, e.name), h('small', null, e.industry_label || ''));
            b.addEventListener('click', () => choose(e));
            return h('li', null, b);
          })
        : h('li', { class: 'empty' }, note),
    );
  const cached = async (q) => {
    const all = (await idb.all('enterprises')).sort((a, b) => b.seen - a.seen);
    return q ? all.filter((e) => e.name.includes(q)) : all;
  };
  let t;
  const run = async () => {
    const q = search.value.trim();
    if (!navigator.onLine) return show(await cached(q), '离线：本机没有匹配的企业');
    try {
      const { data } = await call('enterprises?' + new URLSearchParams({ q, per_page: 20 }));
      show(data.items, '未找到企业');
    } catch {
      show(await cached(q), '未找到企业');
    }
  };
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = setTimeout(run, 250);
  });
  fill(main, h('div', null, back), h('h1', null, '选择受检企业'), field('搜索企业', search), list);
  run();
  search.focus();
}

// ------------------------------------------------------- pick template

async function pickTemplate(ent) {
  const back = h('button', { type: 'button', class: 'link' }, '返回');
  back.addEventListener('click', pickEnterprise);
  const list = h('ul', { class: 'pick-list' }, h('li', { class: 'loading' }, '加载中…'));
  fill(main, h('div', null, back), h('h1', null, '选择检查表'), h('p', { class: 'muted' }, ent.name), list);
  const kind = me && (me.role === 'enterprise-head' || me.role === 'enterprise-staff') ? 'self' : '';
  let items;
  try {
    const { data } = await call('inspection-templates?' + new URLSearchParams(kind ? { kind, industry: ent.industry } : { industry: ent.industry }));
    items = data.items;
  } catch {
    items = (await idb.all('templates')).filter((t) => !t.industry || t.industry === ent.industry);
  }
  const saved = new Set((await idb.all('templates')).map((t) => t.id));
  fill(
    list,
    items.length
      ? items.map((t) => {
          const b = h('button', { type: 'button', dataset: { template: t.id } }, h('span', null, t.name), h('small', null, `${t.code} v${t.version}${saved.has(t.id) ? ' · 已存本机' : ''}`));
          b.addEventListener('click', () => openTemplate(ent, t));
          return h('li', null, b);
        })
      : h('li', { class: 'empty' }, navigator.onLine ? '没有适用的检查表' : '离线：本机没有适用的检查表'),
  );
}

async function openTemplate(ent, t) {
  let detail = null;
  try {
    const { data } = await call('inspection-templates/' + encodeURIComponent(t.id));
    detail = data;
    await idb.put('templates', detail); // the chosen checklist stays on the phone
  } catch {
    detail = await idb.get('templates', t.id);
  }
  if (!detail) return toast('离线：本机没有该检查表');
  const entry = draft({ enterprise: { id: ent.id, name: ent.name }, template: detail });
  checklist(entry, detail);
}

// ------------------------------------------------------------ checklist

function locate(entry, out) {
  if (!navigator.geolocation) return void (out.textContent = '此设备不能定位');
  out.textContent = '正在定位…';
  navigator.geolocation.getCurrentPosition(
    (p) => {
      entry.lat = +p.coords.latitude.toFixed(6);
      entry.lng = +p.coords.longitude.toFixed(6);
      entry.accuracy = Math.round(p.coords.accuracy);
      out.textContent = `位置：${entry.lat}, ${entry.lng}（约 ${entry.accuracy} 米）`;
    },
    (e) => (out.textContent = '未取得位置：' + e.message),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

function checklist(entry, tpl) {
  const prior = Object.fromEntries((entry.results || []).map((r) => [r.item_code, r]));
  const gps = h('p', { class: 'gps muted', role: 'status' }, entry.lat != null ? `位置：${entry.lat}, ${entry.lng}` : '未定位');
  const relocate = h('button', { type: 'button', class: 'small' }, '重新定位');
  relocate.addEventListener('click', () => locate(entry, gps));
  const form = h('form', { class: 'checklist', novalidate: true });
  form.append(formAlert());
  const items = [];
  for (const sec of tpl.sections || []) {
    form.append(h('h2', { class: 'section-title' }, sec.title));
    for (const it of sec.items || []) {
      const p = prior[it.code] || {};
      const name = 'o-' + it.code;
      const radio = (value, label, cls) =>
        h('label', { class: cls || '' }, h('input', { type: 'radio', name, value, checked: (p.outcome || '') === value }), label);
      const problem = h('select', { name: 'p-' + it.code }, h('option', { value: '' }, '选择问题'), (it.problems || []).map((pb) => h('option', { value: pb.code, selected: p.problem_code === pb.code }, pb.text)));
      const note = h('textarea', { name: 'n-' + it.code, rows: 2, maxlength: 2000 }, p.note || '');
      const deduction = h('input', { type: 'number', name: 'd-' + it.code, min: 0, max: it.points || 100, step: '0.5', value: p.deduction ?? '' });
      const photo = h('input', { type: 'file', name: 'f-' + it.code, accept: 'image/*', capture: 'environment', multiple: true });
      const photos = [...(p.photos || [])];
      const previews = h('div', { class: 'previews' });
      const showPhotos = () => fill(previews, photos.map((b, i) => h('img', { src: URL.createObjectURL(b), alt: `照片 ${i + 1}`, width: 80, height: 60 })));
      showPhotos();
      photo.addEventListener('change', () => {
        photos.push(...photo.files);
        photo.value = '';
        showPhotos();
      });
      const failBox = h(
        'div',
        { class: 'fail-box', hidden: p.outcome !== 'fail' },
        (it.problems || []).length ? field('问题', problem) : null,
        tpl.kind === 'jgj59' ? field(`扣分（满分 ${it.points}）`, deduction) : null,
      );
      const fs = h(
        'fieldset',
        { class: 'check-item' + (it.guarantee ? ' guarantee' : ''), dataset: { item: it.code, field: 'results-' + it.code } },
        h('legend', null, it.text),
        it.criteria ? h('p', { class: 'hint' }, it.criteria) : null,
        it.points ? h('span', { class: 'pts' }, `${it.points} 分`) : null,
        h('div', { class: 'outcomes' }, radio('pass', '合格'), radio('fail', '不合格', 'fail'), radio('na', '不适用')),
        failBox,
        field('说明', note),
        field(it.photo_required ? '照片（必拍）' : '照片', photo),
        previews,
        h('p', { class: 'field-error', 'aria-live': 'polite' }),
      );
      fs.addEventListener('change', (e) => {
        if (e.target.name === name) failBox.hidden = e.target.value !== 'fail';
      });
      form.append(fs);
      items.push({ it, fs, name, problem, note, deduction, photos });
    }
  }
  const saveDraft = h('button', { type: 'button' }, '存为草稿（不提交）');
  const submit = h('button', { type: 'submit', class: 'primary' }, '提交检查');
  form.append(h('div', { class: 'sticky-actions' }, saveDraft, submit));
  const collect = (submitIt) => {
    clearErrors(form);
    const results = [];
    for (const x of items) {
      const o = form.querySelector(`input[name="${CSS.escape(x.name)}"]:checked`);
      const slot = x.fs.querySelector(':scope > .field-error');
      slot.textContent = '';
      if (!o) {
        if (submitIt) {
          slot.textContent = '请选择检查结果';
          x.fs.scrollIntoView({ block: 'center' });
          x.fs.querySelector('input').focus();
          return null;
        }
        continue;
      }
      if (submitIt && x.it.photo_required && o.value === 'fail' && !x.photos.length) {
        slot.textContent = '该项不合格须拍照';
        x.fs.querySelector('input[type=file]').focus();
        return null;
      }
      results.push({
        item_code: x.it.code,
        outcome: o.value,
        problem_code: o.value === 'fail' ? x.problem.value || undefined : undefined,
        note: x.note.value.trim() || undefined,
        deduction: o.value === 'fail' && x.deduction.value !== '' ? Number(x.deduction.value) : undefined,
        photos: x.photos,
        attachments: [],
      });
    }
    return results;
  };
  const save = async (submitIt) => {
    const results = collect(submitIt);
    if (!results) return;
    entry.results = results;
    entry.submit = submitIt;
    await enqueue(entry);
    toast(navigator.onLine ? '已保存，正在同步…' : '已保存到本机，联网后自动同步');
    await home();
    sync();
  };
  saveDraft.addEventListener('click', () => save(false));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    save(true);
  });
  const back = h('button', { type: 'button', class: 'link' }, '放弃并返回');
  back.addEventListener('click', () => {
    if (confirm('放弃本次检查？已填写的内容不会保存。')) home();
  });
  fill(
    main,
    h('div', null, back),
    h('h1', null, tpl.name),
    h('p', { class: 'muted' }, entry.enterprise.name, ' · ', `${tpl.code} v${tpl.version}`),
    h('div', { class: 'row' }, gps, relocate),
    entry.error ? h('p', { class: 'form-alert', role: 'alert' }, '上次同步失败：' + entry.error) : null,
    form,
  );
  if (entry.lat == null) locate(entry, gps);
}

// ------------------------------------------------------------------ boot

(async () => {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => {});
  }
  await loadMe();
  if (!me) {
    await showStatus();
    if (!navigator.onLine) return fill(main, h('p', { class: 'form-alert', role: 'alert' }, '离线：首次使用需联网登录。'));
    return loginView();
  }
  await home();
  sync();
})().catch((e) => fill(main, h('p', { class: 'form-alert', role: 'alert' }, '启动失败：' + e.message)));

