// 随手拍: a photo, the phone's position and a description, sent without an
// account (multipart, one Idempotency-Key per report so a retry cannot
// create two); the answer is the tracking code.

import { ApiError } from '/assets/app/js/api.js';
import { h, fill, showErrors, clearErrors, uuid, skipLinks } from '/assets/app/js/dom.js';

skipLinks();

const form = document.getElementById('report');
const photos = document.getElementById('photos');
const previews = document.getElementById('previews');
const lat = document.getElementById('lat');
const lng = document.getElementById('lng');
const locState = document.getElementById('loc-state');
const submit = document.getElementById('submit');
let key = uuid();

const MINE = 'anjian.public.reports';
function mine() {
  try {
    return JSON.parse(localStorage.getItem(MINE) || '[]');
  } catch {
    return [];
  }
}
function showMine() {
  const list = mine();
  const box = document.getElementById('mine');
  box.hidden = !list.length;
  fill(
    document.getElementById('mine-list'),
    list.slice(0, 10).map((r) => h('li', null, h('a', { href: '/track/' + encodeURIComponent(r.code) }, r.code), h('span', { class: 'muted small' }, ' ' + r.at))),
  );
}

photos.addEventListener('change', () => {
  fill(previews, [...photos.files].map((f) => h('img', { src: URL.createObjectURL(f), alt: '待上传：' + f.name, width: 80, height: 60 })));
});

function locate() {
  if (!navigator.geolocation) {
    locState.textContent = '此浏览器不支持定位，请手动填写经纬度。';
    return;
  }
  locState.textContent = '正在定位…';
  navigator.geolocation.getCurrentPosition(
    (p) => {
      lat.value = p.coords.latitude.toFixed(6);
      lng.value = p.coords.longitude.toFixed(6);
      locState.textContent = `已获取位置（精度约 ${Math.round(p.coords.accuracy)} 米）`;
    },
    (e) => {
      locState.textContent = (e.code === 1 ? '未获得定位授权' : '定位失败') + '，请手动填写经纬度。';
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}
document.getElementById('locate').addEventListener('click', locate);

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  const description = form.description.value.trim();
  if (!description) return showErrors(form, { field: 'description', message: '请描述您看到的隐患' });
  if (!lat.value.trim() || !lng.value.trim()) return showErrors(form, { field: 'lat', message: '请获取当前位置或填写经纬度' });
  if (!isFinite(Number(lat.value)) || !isFinite(Number(lng.value))) return showErrors(form, { field: 'lat', message: '经纬度应为数字' });
  const body = new FormData();
  body.set('description', description);
  body.set('lat', lat.value.trim());
  body.set('lng', lng.value.trim());
  if (form.contact.value.trim()) body.set('contact', form.contact.value.trim());
  for (const f of photos.files) body.append('photos', f, f.name);
  submit.disabled = true;
  submit.textContent = '正在提交…';
  try {
    let res;
    try {
      res = await fetch('/api/v1/public/hazards', { method: 'POST', body, headers: { 'Idempotency-Key': key, Accept: 'application/json' } });
    } catch {
      throw new ApiError(0, { error: { message: '网络连接失败，请稍后重试（重试不会重复提交）' } });
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    const code = data.tracking_code;
    const list = mine().filter((r) => r.code !== code);
    list.unshift({ code, at: new Date().toLocaleString('zh-CN', { hour12: false }) });
    localStorage.setItem(MINE, JSON.stringify(list.slice(0, 20)));
    document.getElementById('code').textContent = code;
    document.getElementById('track-link').href = '/track/' + encodeURIComponent(code);
    form.hidden = true;
    const receipt = document.getElementById('receipt');
    receipt.hidden = false;
    document.getElementById('receipt-h').focus();
    key = uuid();
    showMine();
  } catch (err) {
    showErrors(form, err);
  } finally {
    submit.disabled = false;
    submit.textContent = '提交举报';
  }
});

showMine();
