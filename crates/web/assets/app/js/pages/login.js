// Log in with username and password; the session cookie is set by the API.

import { api } from '../api.js';
import { h, field, formAlert, showErrors, clearErrors, titled } from '../dom.js';

export async function render(main, ctx) {
  titled('登录');
  const next = ctx.query.get('next');
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const btn = h('button', { type: 'submit', class: 'primary' }, '登录');
  const form = h(
    'form',
    { class: 'card login', novalidate: true },
    h('h1', null, '登录'),
    h('p', { class: 'muted' }, '安全生产监管平台：监管人员、企业负责人与员工。'),
    formAlert(),
    field('用户名', user),
    field('密码', pass),
    btn,
    h('p', { class: 'muted small' }, '群众举报无需登录：', h('a', { href: '/report' }, '随手拍举报'), ' · ', h('a', { href: '/track' }, '查询办理进度')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!user.value.trim()) return showErrors(form, { field: 'username', message: '请输入用户名' });
    if (!pass.value) return showErrors(form, { field: 'password', message: '请输入密码' });
    btn.disabled = true;
    btn.textContent = '正在登录…';
    try {
      const res = await api('auth/login', { method: 'POST', body: { username: user.value.trim(), password: pass.value } });
      ctx.signedIn(res);
      const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
      if (target.startsWith('/m/')) location.assign(target);
      else await ctx.navigate(target, { replace: true });
    } catch (err) {
      showErrors(form, err.status === 401 ? { message: '用户名或密码错误' } : err);
    } finally {
      btn.disabled = false;
      btn.textContent = '登录';
    }
  });
  main.append(h('div', { class: 'center' }, form));
  if (ctx.me) {
    form.prepend(h('p', { class: 'notice' }, `您已以 ${ctx.me.display_name} 登录。`, h('a', { href: '/' }, '进入首页')));
  }
  user.focus();
}
