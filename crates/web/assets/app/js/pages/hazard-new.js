// Report a hazard as a signed-in user: enterprise self-checks, grid patrols,
// enforcement or expert checks, hotline tickets. One Idempotency-Key per
// form, so a retried submission never creates two hazards.

import { api, upload, ApiError } from '../api.js';
import { h, field, formAlert, showErrors, clearErrors, titled, uuid, toast } from '../dom.js';
import { isRegulator, reportChannels, vocabularies } from '../labels.js';
import { searchEnterprises, ownEnterprises } from '../listing.js';

export async function render(main, ctx) {
  titled('上报隐患');
  const { me } = ctx;
  const regulator = isRegulator(me.role);
  const v = await vocabularies();
  const key = uuid();
  const channels = reportChannels(v, me.role);
  const channel = h('select', { name: 'channel' }, channels.map((c) => h('option', { value: c.code }, c.label)));
  const description = h('textarea', { name: 'description', rows: 4, maxlength: 2000, required: true, placeholder: '隐患的部位、现象，例如：3号楼脚手架连墙件缺失' });
  const entSelect = h('select', { name: 'enterprise_id' }, h('option', { value: '' }, regulator ? '（不指定）' : '加载中…'));
  const entSearch = h('input', { type: 'search', name: 'enterprise_q', placeholder: '输入企业名称搜索', autocomplete: 'off' });
  if (regulator) searchEnterprises(entSearch, entSelect);
  else ownEnterprises(entSelect, me.enterprise_ids);
  const lat = h('input', { name: 'lat', inputmode: 'decimal', placeholder: '纬度', 'aria-label': '纬度' });
  const lng = h('input', { name: 'lng', inputmode: 'decimal', placeholder: '经度', 'aria-label': '经度' });
  const locState = h('p', { class: 'muted small', role: 'status' }, '可不填：按所属企业的位置定位。');
  const locate = h('button', { type: 'button' }, '使用当前位置');
  locate.addEventListener('click', () => {
    if (!navigator.geolocation) return void (locState.textContent = '此设备不支持定位');
    locState.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition(
      (p) => {
        lat.value = p.coords.latitude.toFixed(6);
        lng.value = p.coords.longitude.toFixed(6);
        locState.textContent = `已定位（精度约 ${Math.round(p.coords.accuracy)} 米）`;
      },
      (e) => (locState.textContent = '定位失败：' + e.message),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  const photos = h('input', { type: 'file', name: 'attachments', accept: 'image/*', multiple: true, capture: 'environment' });
  const btn = h('button', { type: 'submit', class: 'primary' }, '提交');
  const form = h(
    'form',
    { class: 'card form-narrow', novalidate: true },
    h('h1', null, regulator ? '上报隐患' : '企业自查上报'),
    formAlert(),
    field('上报渠道', channel),
    field('隐患描述', description, '系统会自动识别隐患类别与等级'),
    regulator ? field('所属企业', entSearch) : null,
    field(regulator ? '选择企业' : '所属企业', entSelect),
    h('fieldset', { class: 'field', dataset: { field: 'lat', also: 'lng' } }, h('legend', null, '位置'), h('div', { class: 'row' }, lat, lng, locate), locState, h('p', { class: 'field-error', 'aria-live': 'polite' })),
    field('现场照片', photos),
    h('div', { class: 'actions' }, btn, h('a', { class: 'button', href: '/hazards' }, '取消')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!description.value.trim()) return showErrors(form, { field: 'description', message: '请填写隐患描述' });
    const body = { channel: channel.value, description: description.value.trim() };
    if (entSelect.value) body.enterprise_id = entSelect.value;
    if (lat.value || lng.value) {
      body.lat = Number(lat.value);
      body.lng = Number(lng.value);
      if (!isFinite(body.lat) || !isFinite(body.lng)) return showErrors(form, { field: 'lat', message: '经纬度应为数字' });
    }
    btn.disabled = true;
    try {
      body.attachments = [];
      for (const f of photos.files) {
        try {
          body.attachments.push(await upload(f));
        } catch (err) {
          if (err instanceof ApiError) err.field = 'attachments';
          throw err;
        }
      }
      const hz = await api('hazards', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      toast(`已上报 ${hz.code}`);
      await ctx.navigate('/hazards/' + encodeURIComponent(hz.id), { replace: true });
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  main.append(form);
}
