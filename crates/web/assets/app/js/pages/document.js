// One enforcement document as it will print: addressee, inspectors, the
// findings with their legal basis and deadlines. A regulator edits a draft's
// text, issues it (numbered, rendered, its PDF's hash on the evidence
// ledger) or starts a new version of an issued one.

import { api } from '../api.js';
import { h, fill, fmtTime, titled, panel, field, formAlert, onSubmit, toast } from '../dom.js';
import { isRegulator } from '../labels.js';
import { table } from '../listing.js';
import { docState } from './documents.js';

const fmtDateTime = (s) => (s ? s.replace('T', ' ').slice(0, 16) : '—');

export async function render(main, ctx) {
  const id = ctx.params[0];
  const d = await api('documents/' + encodeURIComponent(id));
  if (ctx.gone()) return;
  const c = d.content;
  titled(d.kind_label + (d.number ? ' ' + d.number : ''));
  const regulator = isRegulator(ctx.me.role);
  const facts = [
    ['文号', d.number || '签发时编号'],
    ['状态', docState(d.state) + ` · 第 ${d.version} 版`],
    ['签发机关', c.issuer],
    ['被检查单位', h('a', { href: '/enterprises/' + encodeURIComponent(d.enterprise_id) }, c.unit.name)],
    ['地址', c.unit.address || '—'],
    ['负责人', [c.unit.representative, c.unit.position].filter(Boolean).join(' ') || '—'],
    ['检查场所', c.place || '—'],
    ['检查时间', `${fmtDateTime(c.started)} 至 ${fmtDateTime(c.ended)}`],
    ['执法人员', c.inspectors.map((i) => i.name + (i.certificate ? `（证号 ${i.certificate}）` : '')).join('、') || '—'],
    d.inspection_id ? ['检查记录', h('a', { href: '/inspections/' + encodeURIComponent(d.inspection_id) }, '查看检查记录')] : null,
    d.issued_at ? ['签发时间', fmtTime(d.issued_at)] : null,
    d.pdf_sha256 ? ['PDF 存证哈希', h('code', { class: 'hash' }, d.pdf_sha256)] : null,
    d.supersedes_id ? ['替代', h('a', { href: '/documents/' + encodeURIComponent(d.supersedes_id) }, '上一版本')] : null,
  ].filter(Boolean);
  const findings = c.findings.length
    ? table(
        '存在的问题',
        ['序号', '存在的问题', '依据', '整改期限', '复查'],
        c.findings.map((f, i) => [
          String(i + 1),
          f.description,
          f.basis,
          f.deadline || '—',
          f.review ? (f.review.rectified ? '已整改' : '未整改') + (f.review.note ? '：' + f.review.note : '') : '—',
        ]),
      )
    : h('p', { class: 'muted' }, '没有列出问题');
  const actions = h('div', { class: 'actions' });
  actions.append(h('a', { class: 'button', href: `/api/v1/documents/${encodeURIComponent(id)}/pdf`, target: '_blank', rel: 'noopener' }, d.state === 'draft' ? '预览 PDF' : '下载 PDF'));
  if (regulator && d.state === 'draft') actions.append(button('签发', 'primary', () => api(`documents/${encodeURIComponent(id)}/issue`, { method: 'POST' }), ctx, (x) => x.id));
  if (regulator && d.state === 'issued') actions.append(button('制作新版本', '', () => api(`documents/${encodeURIComponent(id)}/revise`, { method: 'POST' }), ctx, (x) => x.id));
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, d.kind_label), actions),
    h(
      'div',
      { class: 'grid detail' },
      h(
        'div',
        null,
        c.situation ? panel(d.kind === 'recheck_opinion' ? '复查意见' : '检查情况', h('p', { class: 'prose' }, c.situation)) : null,
        panel(`存在的问题（${c.findings.length}）`, findings, c.order_basis && d.kind === 'rectification_order' ? h('p', null, '依据 ', c.order_basis, '，责令你单位按上列期限整改完毕。') : null),
        regulator && d.state === 'draft' ? panel('修改草稿', editForm(d, ctx)) : null,
      ),
      h('div', null, panel('文书信息', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])))),
    ),
  );
}

/** A button that runs `call` and then opens the document it returns. */
function button(label, cls, call, ctx, idOf) {
  const b = h('button', { type: 'button', class: cls }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const x = await call();
      toast(label + '成功');
      ctx.navigate('/documents/' + encodeURIComponent(idOf(x)), { replace: true });
    } catch (e) {
      toast(e.message);
      b.disabled = false;
    }
  });
  return b;
}

function editForm(d, ctx) {
  const c = d.content;
  const save = h('button', { type: 'submit', class: 'primary' }, '保存草稿');
  const form = h(
    'form',
    { class: 'action-form', novalidate: true, 'aria-label': '修改草稿' },
    formAlert(),
    field('执法人员', h('textarea', { name: 'inspectors', rows: 2 }, c.inspectors.map((i) => `${i.name} ${i.certificate}`.trim()).join('\n')), '每行一人：姓名 执法证号（依法不少于两人）'),
    field('检查场所', h('input', { name: 'place', value: c.place || '', maxlength: 200 })),
    field(d.kind === 'recheck_opinion' ? '复查意见' : '检查情况', h('textarea', { name: 'situation', rows: 4, maxlength: 4000 }, c.situation || '')),
    d.kind === 'rectification_order' ? field('责令整改依据', h('input', { name: 'order_basis', value: c.order_basis || '', maxlength: 400 })) : null,
    h('div', { class: 'actions' }, save),
  );
  onSubmit(form, save, async (data) => {
    const inspectors = String(data.get('inspectors'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [name, ...rest] = l.split(/\s+/);
        return { name, certificate: rest.join(' ') };
      });
    const body = { inspectors, place: data.get('place'), situation: data.get('situation') };
    if (data.has('order_basis')) body.order_basis = data.get('order_basis');
    await api('documents/' + encodeURIComponent(d.id), { method: 'PUT', body });
    toast('已保存');
    ctx.navigate('/documents/' + encodeURIComponent(d.id), { replace: true });
  });
  return form;
}
