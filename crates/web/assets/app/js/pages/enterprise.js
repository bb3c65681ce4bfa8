// An enterprise (the last level of the dashboard's drill-down): registry
// facts, its safety profile with every deduction explained, its open
// hazards, devices and alarms on a small map.

import { api, qs } from '../api.js';
import { h, fill, fmtNum, fmtPct, fmtTime, titled, panel } from '../dom.js';
import { hazardList } from '../widgets.js';
import { minimap } from '../minimap.js';
import { isRegulator } from '../labels.js';

export async function render(main, ctx) {
  const id = ctx.params[0];
  const box = h('div', null, h('h1', null, '企业'), h('p', { class: 'loading' }, '加载中…'));
  main.append(box);
  let e;
  try {
    e = await api('enterprises/' + encodeURIComponent(id));
  } catch (err) {
    fill(box, h('h1', null, '企业'), h('p', { class: 'form-alert', role: 'alert' }, err.status === 404 ? '企业不存在或不在您的权限范围内' : err.message));
    return;
  }
  if (ctx.gone()) return;
  titled(e.name);
  const [profile, hazards, region, layers, inspections] = await Promise.all([
    api(`enterprises/${encodeURIComponent(id)}/profile`).catch(() => null),
    api('hazards' + qs({ enterprise_id: id, per_page: 50 })),
    api('regions/' + encodeURIComponent(e.region_code)).catch(() => null),
    api('map/layers' + qs({ region: e.region_code, only: 'devices,alarms' })).catch(() => null),
    api('inspections' + qs({ enterprise_id: id, per_page: 10 })).catch(() => null),
  ]);
  if (ctx.gone()) return;
  const open = hazards.items.filter((x) => !['closed', 'dismissed'].includes(x.state));
  const rows = (layer) => (layer ? layer.rows.map((r) => Object.fromEntries(layer.columns.map((c, i) => [c, r[i]]))) : []);
  const devices = rows(layers && layers.devices).filter((d) => d.enterprise_id === id);
  const alarms = rows(layers && layers.alarms).filter((a) => a.enterprise_id === id);
  const points = [
    e.lon != null ? { lon: e.lon, lat: e.lat, label: e.name, cls: 'enterprise' } : null,
    ...open.filter((x) => x.lon != null).map((x) => ({ lon: x.lon, lat: x.lat, label: x.code, cls: x.overdue ? 'overdue' : 'hazard' })),
    ...devices.map((d) => ({ lon: d.lon, lat: d.lat, label: d.name, cls: 'device' })),
  ].filter(Boolean);
  const facts = [
    ['统一社会信用代码', e.uscc],
    ['行业', e.industry_label],
    ['规模', e.scale_label],
    ['地址', e.address],
    ['所在区域', region ? region.name : e.region_code],
    ['负责人', e.responsible.map((p) => `${p.name}（${p.role}）`).join('、') || '—'],
  ];
  fill(
    box,
    h(
      'div',
      { class: 'page-head' },
      h('div', null, h('h1', null, e.name), h('p', { class: 'muted' }, e.industry_label, ' · ', e.address)),
      isRegulator(ctx.me.role) ? h('a', { class: 'button', href: '/dashboard' + qs({ region: e.region_code }) }, '返回所在区域一张图') : null,
    ),
    h(
      'div',
      { class: 'grid detail' },
      h(
        'div',
        null,
        profile
          ? panel(
              '安全画像（近12个月）',
              h('p', { class: 'score' }, h('span', { class: 'score-value' }, profile.score.toFixed(1)), ' 分 · ', h('span', { class: 'badge grade-' + profile.grade }, profile.grade + ' 级')),
              h(
                'dl',
                { class: 'facts compact' },
                [
                  ['发现隐患', fmtNum(profile.facts.hazards_found)],
                  ['未整改', fmtNum(profile.facts.hazards_open)],
                  ['超期', fmtNum(profile.facts.hazards_overdue)],
                  ['整改率', profile.facts.rectification_rate == null ? '—' : fmtPct(profile.facts.rectification_rate)],
                  ['按期整改率', profile.facts.on_time_rate == null ? '—' : fmtPct(profile.facts.on_time_rate)],
                  ['报警（红色）', `${fmtNum(profile.facts.alarms)}（${fmtNum(profile.facts.red_alarms)}）`],
                  ['重大危险源', fmtNum(profile.facts.major_hazard_sources)],
                ].map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
              ),
              profile.deductions.length
                ? h('ul', { class: 'deductions' }, profile.deductions.map((d) => h('li', null, d.reason, h('span', { class: 'danger' }, ` −${d.points}`))))
                : h('p', { class: 'muted' }, '没有扣分项'),
            )
          : null,
        panel(`未整改隐患（${open.length}）`, hazardList(open, '没有未整改的隐患'), h('p', null, h('a', { href: '/hazards' + qs({ enterprise_id: id }) }, `全部隐患（${hazards.total}）`))),
        inspections
          ? panel(
              `检查记录（${inspections.total}）`,
              inspections.items.length
                ? h(
                    'ul',
                    { class: 'plain' },
                    inspections.items.map((i) =>
                      h(
                        'li',
                        null,
                        h('strong', null, i.number), ` ${i.kind_label} · ${fmtTime(i.started_at)} · ${i.state === 'submitted' ? '已提交' : '草稿'}`,
                        ` · 合格 ${i.passed} / 不合格 ${i.failed}`,
                        i.score != null ? ` · ${i.score} 分（${i.grade}）` : '',
                        i.hazards.length ? h('span', { class: 'danger' }, ` · 生成隐患 ${i.hazards.length} 条`) : null,
                      ),
                    ),
                  )
                : h('p', { class: 'muted' }, '暂无检查记录'),
            )
          : null,
      ),
      h(
        'div',
        null,
        panel('位置', minimap(region && region.geometry, points, { label: `${e.name}的位置与隐患、设备分布` })),
        panel('基本信息', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
        panel(
          `监测设备（${devices.length}）与报警（${alarms.length}）`,
          devices.length
            ? h('ul', { class: 'plain' }, devices.map((d) => h('li', null, d.name, d.offline ? h('span', { class: 'badge' }, '离线') : null)))
            : h('p', { class: 'muted' }, '没有接入监测设备'),
          alarms.length ? h('ul', { class: 'plain' }, alarms.map((a) => h('li', null, h('span', { class: 'badge level-' + a.level }, a.level_label), ` ${a.device_name || ''} ${a.metric} = ${a.value}`))) : null,
        ),
      ),
    ),
  );
}
