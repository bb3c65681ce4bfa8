// Small DOM helpers: elements built from data never go through innerHTML.

/** h('a', {href, class: 'x', onclick}, 'text', child…) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export const fmtNum = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('zh-CN'));
export const fmtPct = (r) => (r === null || r === undefined ? '—' : (r * 100).toFixed(1) + '%');

/** A short local date-time from the API's "2026-11-25T08:00:00+08:00". */
export function fmtTime(s) {
  if (!s) return '—';
  return s.replace('T', ' ').slice(0, 16);
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

let toastTimer;
export function toast(msg) {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 4000);
}

/** A labelled form field; `input` is the control element. The error slot
 * `#err-<name>` is filled by showErrors. */
export function field(label, input, hint) {
  const name = input.name;
  const id = input.id || 'f-' + name + '-' + Math.random().toString(36).slice(2, 7);
  input.id = id;
  const err = h('p', { class: 'field-error', id: 'err-' + id, 'aria-live': 'polite' });
  const hintEl = hint ? h('p', { class: 'hint', id: 'hint-' + id }, hint) : null;
  input.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
  return h('div', { class: 'field', dataset: { field: name } }, h('label', { for: id }, label), input, hintEl, err);
}

/** Shows an ApiError on a form: under the named field when the API names
 * one (focusing it), otherwise in the form's alert box. */
export function showErrors(form, err) {
  clearErrors(form);
  const f = err.field ? fieldBox(form, err.field) : null;
  if (f) {
    const input = f.querySelector('input, select, textarea');
    const slot = f.querySelector('.field-error');
    slot.textContent = err.message;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  } else {
    const box = form.querySelector('.form-alert');
    if (box) {
      box.textContent = err.message;
      box.hidden = false;
      box.focus();
    }
  }
}

function fieldBox(form, name) {
  // "attachments[0]" → "attachments"; "results[2].note" → "results".
  const base = name.replace(/\[.*$/, '').split('.')[0];
  const q = (n) => form.querySelector(`[data-field="${CSS.escape(n)}"]`) || form.querySelector(`[data-also~="${CSS.escape(n)}"]`);
  return q(name) || q(base);
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => (e.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const box = form.querySelector('.form-alert');
  if (box) {
    box.textContent = '';
    box.hidden = true;
  }
}

/** Submits `form` through `send` (async): clears old errors, disables the
 * button meanwhile, and shows an ApiError on the form. */
export function onSubmit(form, button, send) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    button.disabled = true;
    try {
      await send(new FormData(form));
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
}

export function formAlert() {
  return h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
}

/** Sets the document title and the page heading. */
export function titled(text) {
  document.title = text + ' · 安监';
}

/** A section with a heading, for landmarks. */
export function panel(title, ...body) {
  const id = 'p-' + Math.random().toString(36).slice(2, 8);
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

/** Skip links move focus to their target (not every browser does on its own). */
export function skipLinks() {
  for (const a of document.querySelectorAll('a.skip[href^="#"]')) {
    a.addEventListener('click', (e) => {
      const t = document.getElementById(a.getAttribute('href').slice(1));
      if (!t) return;
      e.preventDefault();
      t.focus();
    });
  }
}
