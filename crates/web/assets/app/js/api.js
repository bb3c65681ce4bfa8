// The JSON API from the pages: the session cookie authenticates, the CSRF
// token (from login or /auth/me) goes on every state-changing request, and
// an error body {"error":{"code","message","field"}} becomes an ApiError.

let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `请求失败（${status}）`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || null;
  }
}

export function setCsrf(token) {
  csrf = token || null;
}

/** Calls `path` (under /api/v1 unless absolute) and resolves to
 * `{status, data}`. `body`: an object (JSON), a Blob/File (raw upload) or
 * FormData. Errors are ApiErrors (status 0 when the network failed). */
export async function request(path, { method = 'GET', body, headers = {}, signal, cache } = {}) {
  const url = path.startsWith('/') ? path : '/api/v1/' + path;
  const h = { Accept: 'application/json', ...headers };
  let payload;
  if (body instanceof FormData || body instanceof Blob) {
    payload = body;
    if (body instanceof Blob) h['Content-Type'] = body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) h['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(url, { method, body: payload, headers: h, credentials: 'same-origin', signal, cache });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { error: { code: 'network', message: '网络连接失败，请检查网络后重试' } });
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { status: res.status, data };
}

/** As `request`, resolving to the data; a lost session sends the page to
 * the login (and back here afterwards). */
export async function api(path, opts = {}) {
  try {
    return (await request(path, opts)).data;
  } catch (err) {
    if (err.status === 401 && !path.endsWith('auth/login') && !path.endsWith('auth/me')) {
      location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    }
    throw err;
  }
}

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

/** Uploads one file as an attachment; returns its sha256. */
export async function upload(file) {
  const a = await api('attachments', { method: 'POST', body: file });
  return a.sha256;
}
