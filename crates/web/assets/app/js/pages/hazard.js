// One hazard: facts, photos, where it is, its timeline with ledger proofs,
// and the actions the caller's side may take now (the API's `my_actions`),
// each a form whose errors come from the API's error JSON.

import { api, upload, ApiError } from '../api.js';
import { h, fill, fmtTime, titled, field, formAlert, onSubmit, toast, panel } from '../dom.js';
import { ACTIONS, isRegulator } from '../labels.js';
import { stateBadge, gradeBadge, deadlineText } from '../widgets.js';
import { minimap } from '../minimap.js';
import { verifyEntry } from '../ledger.js';
import { searchEnterprises } from '../listing.js';

const PLAN_FIELDS = [
  ['objective', '治理的目标和任务'],
  ['methods', '采取的方法和措施'],
  ['funds', '经费和物资的落实'],
  ['responsible', '负责治理的机构和人员'],
  ['safety_measures', '安全措施'],
  ['emergency_plan', '应急预案'],
];

function photo(sha) {
  const src = '/api/v1/attachments/' + encodeURIComponent(sha);
  const img = h('img', { src, alt: '现场照片', loading: 'lazy', width: 160, height: 120 });
  img.addEventListener('error', () => img.replaceWith(h('a', { href: src, class: 'file' }, '附件 ' + sha.slice(0, 8))));
  return h('a', { href: src, class: 'photo', target: '_blank', rel: 'noopener' }, img);
}

/** Photo picker with previews; `files()` gives the chosen files. */
function photoInput(name = 'attachments') {
  const input = h('input', { type: 'file', name, accept: 'image/*', multiple: true, capture: 'environment' });
  const previews = h('div', { class: 'previews' });
  input.addEventListener('change', () => {
    fill(previews, [...input.files].map((f) => h('img', { src: URL.createObjectURL(f), alt: f.name, width: 80, height: 60 })));
  });
  return { input, previews, files: () => [...input.files] };
}

async function uploadAll(files) {
  const out = [];
  for (const f of files) {
    try {
      out.push(await upload(f));
    } catch (e) {
      if (e instanceof ApiError) e.field = 'attachments';
      throw e;
    }
  }
  return out;
}

/** The enterprise chooser of dispatch/reassign: search, then pick. */
function enterprisePicker() {
  const search = h('input', { type: 'search', name: 'enterprise_q', placeholder: '企业名称或统一社会信用代码', autocomplete: 'off' });
  const select = h('select', { name: 'enterprise_id' }, h('option', { value: '' }, '（保持不变）'));
  searchEnterprises(search, select);
  return { search, select };
}

function actionForm(hz, name, onDone) {
  const spec = ACTIONS[name] || { label: name, fields: ['note'] };
  const form = h('form', { class: 'action-form', novalidate: true, dataset: { action: name } });
  form.append(h('h3', null, spec.label), formAlert());
  let photos = null;
  for (const f of spec.fields) {
    if (f === 'deadline_days') {
      form.append(field('整改期限（天）', h('input', { name: 'deadline_days', type: 'number', min: 1, max: 365, inputmode: 'numeric' }), '留空则按隐患类别的默认期限'));
    } else if (f === 'enterprise_id') {
      if (hz.enterprise_id && name === 'dispatch') continue;
      const p = enterprisePicker();
      form.append(field('责任企业', p.search), field('选择企业', p.select, hz.enterprise_id ? '留空则不变' : '尚未确定责任企业时须选择'));
    } else if (f === 'until') {
      const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
      form.append(field('延期至', h('input', { name: 'until', type: 'date', min: tomorrow, required: true })));
    } else if (f === 'attachments') {
      photos = photoInput();
      form.append(field('现场照片（必填）', photos.input, '整改验收须附现场照片'), photos.previews);
    } else if (f === 'note') {
      form.append(field(spec.noteRequired ? '理由（必填）' : '说明', h('textarea', { name: 'note', rows: 3, maxlength: 2000, required: !!spec.noteRequired })));
    }
  }
  const btn = h('button', { type: 'submit', class: spec.danger ? 'danger' : 'primary' }, '提交：' + spec.label);
  const cancel = h('button', { type: 'button', class: 'link' }, '取消');
  cancel.addEventListener('click', () => form.remove());
  form.append(h('div', { class: 'actions' }, btn, cancel));
  onSubmit(form, btn, async (d) => {
    const body = { action: name };
    if (d.get('deadline_days')) body.deadline_days = Number(d.get('deadline_days'));
    if (d.get('enterprise_id')) body.enterprise_id = d.get('enterprise_id');
    if (d.get('until')) body.until = d.get('until');
    if (d.get('note')) body.note = d.get('note').trim();
    body.attachments = photos ? await uploadAll(photos.files()) : [];
    const next = await api(`hazards/${encodeURIComponent(hz.id)}/actions`, { method: 'POST', body });
    toast(`已${spec.label}：${next.state_label}`);
    onDone();
  });
  return form;
}

function classifyForm(hz, onDone) {
  const select = h('select', { name: 'taxonomy_item', required: true }, h('option', { value: '' }, '加载中…'));
  api('taxonomy').then((tree) => {
    fill(
      select,
      h('option', { value: '' }, '请选择隐患类别'),
      tree.map((d) =>
        h(
          'optgroup',
          { label: d.name },
          d.children.flatMap((c) => c.children.map((i) => h('option', { value: i.code, selected: i.code === hz.taxonomy_item }, `${c.name} / ${i.name}`))),
        ),
      ),
    );
  });
  const form = h('form', { class: 'action-form', novalidate: true, dataset: { action: 'classify' } }, h('h3', null, '确定隐患类别'), formAlert(), field('隐患类别', select));
  const btn = h('button', { type: 'submit', class: 'primary' }, '确定类别');
  form.append(h('div', { class: 'actions' }, btn));
  onSubmit(form, btn, async () => {
    if (!select.value) throw Object.assign(new Error('请选择隐患类别'), { field: 'taxonomy_item' });
    await api(`hazards/${encodeURIComponent(hz.id)}/classify`, { method: 'POST', body: { taxonomy_item: select.value } });
    toast('已确定类别');
    onDone();
  });
  return form;
}

function planForm(hz, major, onDone) {
  const plan = major.plan || {};
  const form = h('form', { class: 'action-form', novalidate: true, dataset: { action: 'plan' } }, h('h3', null, major.plan ? '修改治理方案' : '提交治理方案'), formAlert());
  for (const [k, label] of PLAN_FIELDS) form.append(field(label, h('textarea', { name: k, rows: 2, maxlength: 5000 }, plan[k] || '')));
  form.append(field('治理时限', h('input', { name: 'deadline_on', type: 'date', value: plan.deadline_on || '' })));
  const btn = h('button', { type: 'submit', class: 'primary' }, '保存治理方案');
  form.append(h('div', { class: 'actions' }, btn));
  onSubmit(form, btn, async (d) => {
    await api(`hazards/${encodeURIComponent(hz.id)}/plan`, { method: 'PUT', body: Object.fromEntries(d) });
    toast('治理方案已保存');
    onDone();
  });
  return form;
}

function timelineView(hz, events) {
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) => {
      const proof = h('span', { class: 'proof', role: 'status' });
      let verify = null;
      if (e.ledger_index !== null && e.ledger_index !== undefined) {
        verify = h('button', { type: 'button', class: 'small', dataset: { ledger: e.ledger_index } }, `验证存证 #${e.ledger_index}`);
        verify.addEventListener('click', async () => {
          verify.disabled = true;
          proof.textContent = '验证中…';
          try {
            const r = await verifyEntry(e.ledger_index, hz.id);
            proof.className = 'proof ok';
            proof.textContent = `✓ 已验证：记录哈希、包含证明与签名检查点（树大小 ${r.size}，验证密钥 ${r.key}）一致`;
          } catch (err) {
            proof.className = 'proof bad';
            proof.textContent = '✗ 验证失败：' + err.message;
          } finally {
            verify.disabled = false;
          }
        });
      }
      return h(
        'li',
        null,
        h('div', { class: 'tl-head' }, h('strong', null, e.event_label || e.event), ' ', stateBadge(e.state_after, e.state_after_label)),
        h('div', { class: 'muted small' }, fmtTime(e.at), ' · ', e.actor_name, e.party ? `（${{ regulator: '监管方', enterprise: '企业', public: '群众', system: '系统' }[e.party] || e.party}）` : ''),
        e.note ? h('p', { class: 'tl-note' }, e.note) : null,
        e.attachments.length ? h('div', { class: 'photos' }, e.attachments.map(photo)) : null,
        h('div', { class: 'tl-proof' }, verify || h('span', { class: 'muted small' }, '存证排队中'), ' ', proof),
      );
    }),
  );
}

export async function render(main, ctx) {
  const id = ctx.params[0];
  const box = h('div', { class: 'hazard-page' }, h('h1', null, '隐患详情'), h('p', { class: 'loading' }, '加载中…'));
  main.append(box);
  const reload = () => {
    if (!ctx.gone()) show();
  };
  async function show() {
    let hz, tl;
    try {
      [hz, tl] = await Promise.all([api('hazards/' + encodeURIComponent(id)), api(`hazards/${encodeURIComponent(id)}/timeline`)]);
    } catch (e) {
      fill(box, h('h1', null, '隐患详情'), h('p', { class: 'form-alert', role: 'alert' }, e.status === 404 ? '隐患不存在或不在您的权限范围内' : e.message));
      return;
    }
    if (ctx.gone()) return;
    titled('隐患 ' + hz.code);
    const [region, ent, major] = await Promise.all([
      api('regions/' + encodeURIComponent(hz.region_code)).catch(() => null),
      hz.enterprise_id ? api('enterprises/' + encodeURIComponent(hz.enterprise_id)).catch(() => null) : null,
      hz.grade === 'major' ? api(`hazards/${encodeURIComponent(id)}/major`).catch(() => null) : null,
    ]);
    if (ctx.gone()) return;
    const photos = tl.events.flatMap((e) => e.attachments);
    const facts = [
      ['描述', hz.description],
      ['类别', hz.taxonomy ? hz.taxonomy.path : hz.needs_classification ? '待人工确定' : '—'],
      ['等级', hz.grade_label + (hz.grade_basis ? `（${hz.grade_basis.standard || ''} ${hz.grade_basis.article || ''}）` : '')],
      ['渠道', hz.channel_label],
      ['区域', region ? region.name : hz.region_code],
      ['责任企业', ent ? h('a', { href: '/enterprises/' + encodeURIComponent(ent.id) }, ent.name) : '尚未确定'],
      ['上报时间', fmtTime(hz.reported_at)],
      ['整改期限', hz.deadline ? fmtTime(hz.deadline) + (['closed', 'dismissed'].includes(hz.state) ? '' : `（${deadlineText(hz)}）`) : '—'],
      hz.extension_requested_until ? ['申请延期至', fmtTime(hz.extension_requested_until)] : null,
      hz.escalation_level ? ['超期升级', `已升级 ${hz.escalation_level} 级`] : null,
      hz.closed_at ? ['销号时间', fmtTime(hz.closed_at)] : null,
      hz.recheck_due ? ['复查期限', fmtTime(hz.recheck_due) + (hz.recheck_late ? '（已逾期）' : '')] : null,
      major && major.listing ? ['挂牌督办', (major.listing.level === 'city' ? '市级' : '区县级') + '挂牌督办 · ' + fmtTime(major.listing.listed_at)] : null,
    ].filter(Boolean);
    const actions = h('div', { class: 'action-buttons' });
    const forms = h('div', { class: 'action-forms' });
    const open = (make) => {
      fill(forms, make());
      const first = forms.querySelector('input, select, textarea');
      if (first) first.focus();
    };
    for (const a of hz.my_actions) {
      const spec = ACTIONS[a] || { label: a };
      const b = h('button', { type: 'button', class: spec.danger ? 'danger-outline' : spec.primary ? 'primary' : '', dataset: { open: a } }, spec.label);
      b.addEventListener('click', () => open(() => actionForm(hz, a, reload)));
      actions.append(b);
    }
    const regulator = isRegulator(ctx.me.role);
    if (regulator && hz.state === 'reported' && (hz.needs_classification || !hz.taxonomy_item)) {
      const b = h('button', { type: 'button', dataset: { open: 'classify' } }, '确定类别');
      b.addEventListener('click', () => open(() => classifyForm(hz, reload)));
      actions.append(b);
    }
    if (major && !['closed', 'dismissed'].includes(hz.state) && (regulator || ctx.me.role === 'enterprise-head')) {
      const b = h('button', { type: 'button', dataset: { open: 'plan' } }, major.plan ? '修改治理方案' : '提交治理方案');
      b.addEventListener('click', () => open(() => planForm(hz, major, reload)));
      actions.append(b);
    }
    fill(
      box,
      h(
        'div',
        { class: 'page-head' },
        h('div', null, h('h1', null, '隐患 ', hz.code), h('p', null, stateBadge(hz.state, hz.state_label), ' ', gradeBadge(hz.grade, hz.grade_label), hz.overdue ? h('span', { class: 'badge overdue' }, '已超期') : null)),
        h('a', { class: 'button', href: '/hazards' }, '返回列表'),
      ),
      h(
        'div',
        { class: 'grid detail' },
        h(
          'div',
          null,
          panel('基本信息', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
          panel('处置', actions.children.length ? actions : h('p', { class: 'muted' }, ['closed', 'dismissed'].includes(hz.state) ? '该隐患已办结。' : '当前没有您可执行的操作。'), forms),
          panel('处理过程与存证', timelineView(hz, tl.events)),
        ),
        h(
          'div',
          null,
          panel('位置', minimap(region && region.geometry, hz.lon != null ? [{ lon: hz.lon, lat: hz.lat, label: hz.code, cls: hz.overdue ? 'overdue' : '' }] : [], { label: `隐患位置：${region ? region.name : ''}` }), h('p', { class: 'muted small' }, hz.lon != null ? `经度 ${hz.lon.toFixed(5)}，纬度 ${hz.lat.toFixed(5)}` : '未提供坐标')),
          panel('现场照片', photos.length ? h('div', { class: 'photos' }, photos.map(photo)) : h('p', { class: 'muted' }, '暂无照片')),
          hz.taxonomy && hz.taxonomy.guidance ? panel('整改指引', h('p', null, hz.taxonomy.guidance)) : null,
        ),
      ),
    );
  }
  await show();
}
