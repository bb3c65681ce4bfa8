// One inspection: who checked what and when, every item's outcome with the
// standard problem found, the hazards its findings opened, and the
// enforcement documents made from it (a regulator drafts them here).

import { api, qs } from '../api.js';
import { h, fill, fmtTime, titled, panel, toast } from '../dom.js';
import { isRegulator } from '../labels.js';
import { table, enterpriseNames } from '../listing.js';
import { stateLabel } from './inspections.js';

const OUTCOMES = { pass: '符合', fail: '不符合', na: '不适用' };
export const DOC_KINDS = [
  { code: 'site_record', label: '现场检查记录' },
  { code: 'rectification_order', label: '责令限期整改指令书' },
  { code: 'recheck_opinion', label: '整改复查意见书' },
];

/** The template's items and problems by code. */
function index(template) {
  const items = new Map();
  const problems = new Map();
  for (const s of template.sections) {
    for (const it of s.items) {
      items.set(it.code, { ...it, section: s.title });
      for (const p of it.problems || []) problems.set(p.code, p);
    }
  }
  return { items, problems };
}

export async function render(main, ctx) {
  const id = ctx.params[0];
  const ins = await api('inspections/' + encodeURIComponent(id));
  const [template, docs, name] = await Promise.all([
    api('inspection-templates/' + encodeURIComponent(ins.template_id)).catch(() => ({ name: ins.template_id, sections: [] })),
    ins.kind === 'self' ? Promise.resolve(null) : api('documents' + qs({ inspection_id: id, per_page: 50 })).catch(() => null),
    enterpriseNames([ins.enterprise_id]),
  ]);
  if (ctx.gone()) return;
  titled('检查 ' + ins.number);
  const { items, problems } = index(template);
  const facts = [
    ['检查类型', ins.kind_label],
    ['检查表', template.name],
    ['被检查单位', h('a', { href: '/enterprises/' + encodeURIComponent(ins.enterprise_id) }, name(ins.enterprise_id))],
    ['检查人', ins.inspector_name],
    ['开始时间', fmtTime(ins.started_at)],
    ['提交时间', fmtTime(ins.submitted_at)],
    ['状态', stateLabel(ins.state)],
    ['结果', `共 ${ins.items} 项：符合 ${ins.passed}，不符合 ${ins.failed}，不适用 ${ins.not_applicable}`],
    ins.score != null ? ['评分', `${ins.score} 分（${ins.grade}）`] : null,
    ins.period ? ['自查月份', ins.period] : null,
  ].filter(Boolean);
  const rows = ins.results.map((r) => {
    const it = items.get(r.item_code);
    const p = r.problem_code ? problems.get(r.problem_code) : null;
    return {
      class: r.outcome === 'fail' ? 'overdue' : '',
      cells: [
        r.item_code + (r.instance > 1 ? ` #${r.instance}` : ''),
        it ? it.text : '—',
        h('span', { class: r.outcome === 'fail' ? 'danger' : '' }, OUTCOMES[r.outcome] || r.outcome),
        [p ? p.text : null, r.note ? h('div', { class: 'muted small' }, r.note) : null, r.deduction ? h('div', { class: 'small' }, `扣 ${r.deduction} 分`) : null],
        r.hazard_id ? h('a', { href: '/hazards/' + encodeURIComponent(r.hazard_id) }, '查看隐患') : '—',
      ],
    };
  });
  const docList = h('div');
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, `${ins.kind_label} ${ins.number}`)),
    h(
      'div',
      { class: 'grid detail' },
      h(
        'div',
        null,
        panel(
          `检查项（${ins.results.length}）`,
          rows.length ? table('检查项结果', ['项目', '检查内容', '结论', '发现的问题', '隐患'], rows) : h('p', { class: 'muted' }, '尚未填写检查项'),
          ins.unanswered.length ? h('p', { class: 'muted' }, `未填写 ${ins.unanswered.length} 项`) : null,
        ),
      ),
      h('div', null, panel('基本信息', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))), docs ? panel('执法文书', docList) : null),
    ),
  );
  if (docs) showDocs(docList, ins, docs.items, ctx);
}

function showDocs(el, ins, list, ctx) {
  const made = list.length
    ? h(
        'ul',
        { class: 'plain' },
        list.map((d) =>
          h('li', null, h('a', { href: '/documents/' + encodeURIComponent(d.id) }, d.kind_label), ' ', d.number || '（草稿）', d.state === 'superseded' ? h('span', { class: 'muted' }, ' 已被替代') : null),
        ),
      )
    : h('p', { class: 'muted' }, '尚未制作文书');
  const canDraft = isRegulator(ctx.me.role) && ins.state === 'submitted';
  const buttons = canDraft
    ? h(
        'div',
        { class: 'actions' },
        DOC_KINDS.filter((k) => k.code !== 'recheck_opinion').map((k) => {
          const b = h('button', { type: 'button', class: k.code === 'rectification_order' ? 'primary' : '' }, '制作' + k.label);
          b.addEventListener('click', async () => {
            b.disabled = true;
            try {
              const d = await api(`inspections/${encodeURIComponent(ins.id)}/documents`, { method: 'POST', body: { kind: k.code } });
              ctx.navigate('/documents/' + encodeURIComponent(d.id));
            } catch (e) {
              toast(e.message);
              b.disabled = false;
            }
          });
          return b;
        }),
      )
    : null;
  fill(el, made, buttons);
}
