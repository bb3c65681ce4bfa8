// The mobile app's storage and sync: IndexedDB keeps the checklists chosen
// for offline use, the enterprises seen, and the outbox of inspections
// (photos as Blobs). Sync uploads an entry's photos (content-addressed, so a
// repeated upload is harmless), then POSTs the inspection with the entry's
// own id as Idempotency-Key: a retry after a lost answer returns the same
// inspection, never a second one.

import { uuid } from '/assets/app/js/dom.js';
import { request, setCsrf, ApiError } from '/assets/app/js/api.js';

export { setCsrf, ApiError };

const DB = 'anjian-m';
const VERSION = 1;
let dbP = null;

function db() {
  if (!dbP) {
    dbP = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB, VERSION);
      r.onupgradeneeded = () => {
        const d = r.result;
        d.createObjectStore('outbox', { keyPath: 'id' });
        d.createObjectStore('templates', { keyPath: 'id' });
        d.createObjectStore('enterprises', { keyPath: 'id' });
        d.createObjectStore('meta', { keyPath: 'k' });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbP;
}

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function store(name, mode = 'readonly') {
  return (await db()).transaction(name, mode).objectStore(name);
}

export const idb = {
  async get(name, key) {
    return req((await store(name)).get(key));
  },
  async all(name) {
    return req((await store(name)).getAll());
  },
  async put(name, value) {
    return req((await store(name, 'readwrite')).put(value));
  },
  async del(name, key) {
    return req((await store(name, 'readwrite')).delete(key));
  },
};

export const meta = {
  get: async (k) => ((await idb.get('meta', k)) || {}).v,
  set: (k, v) => idb.put('meta', { k, v }),
};

// ---------------------------------------------------------------- API

/** The JSON API with the session cookie (and the CSRF token set with
 * `setCsrf`): `{status, data}`, or an ApiError (status 0 offline). */
export const call = (path, opts = {}) => request(path, { cache: 'no-store', ...opts });

// ------------------------------------------------------------- outbox

/** A new outbox entry (not yet saved). */
export function draft({ enterprise, template, lat, lng, accuracy }) {
  return {
    id: uuid(), // also the Idempotency-Key
    created_at: new Date().toISOString(),
    started_at: new Date().toISOString(),
    enterprise,
    template: { id: template.id, code: template.code, version: template.version, name: template.name, kind: template.kind },
    lat,
    lng,
    accuracy,
    submit: true,
    results: [],
    state: 'editing',
    error: null,
    server: null,
  };
}

export async function outbox() {
  const all = await idb.all('outbox');
  return all.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

export async function enqueue(entry) {
  entry.state = 'pending';
  entry.error = null;
  entry.queued_at = new Date().toISOString();
  await idb.put('outbox', entry);
  return entry;
}

function body(entry) {
  const b = {
    template_id: entry.template.id,
    enterprise_id: entry.enterprise.id,
    started_at: entry.started_at,
    submit: entry.submit,
    results: entry.results.map((r) => {
      const x = { item_code: r.item_code, outcome: r.outcome, attachments: r.attachments || [] };
      if (r.problem_code) x.problem_code = r.problem_code;
      if (r.note) x.note = r.note;
      if (r.deduction !== undefined && r.deduction !== null && r.deduction !== '') x.deduction = Number(r.deduction);
      return x;
    }),
  };
  if (entry.lat !== null && entry.lat !== undefined) {
    b.lat = entry.lat;
    b.lng = entry.lng;
  }
  return b;
}

let syncing = null;

/** Sends every pending entry; one run at a time (and one per browser when
 * Web Locks exist). Resolves to {sent, failed, waiting}. */
export function syncAll(onChange = () => {}) {
  if (syncing) return syncing;
  const run = async () => {
    const out = { sent: 0, failed: 0, waiting: 0 };
    const entries = (await outbox()).filter((e) => e.state === 'pending' || e.state === 'syncing').reverse();
    for (const e of entries) {
      const r = await syncOne(e, onChange);
      out[r]++;
      if (r === 'waiting') {
        out.waiting += entries.length - entries.indexOf(e) - 1;
        break;
      }
    }
    return out;
  };
  syncing = (navigator.locks ? navigator.locks.request('anjian-m-sync', run) : run()).finally(() => (syncing = null));
  return syncing;
}

async function syncOne(e, onChange) {
  e.state = 'syncing';
  await idb.put('outbox', e);
  onChange(e);
  try {
    for (const r of e.results) {
      r.attachments = r.attachments || [];
      for (let i = r.attachments.length; i < (r.photos || []).length; i++) {
        const { data } = await call('attachments', { method: 'POST', body: r.photos[i] });
        r.attachments.push(data.sha256);
        await idb.put('outbox', e);
      }
    }
    const { status, data } = await call('inspections', { method: 'POST', body: body(e), headers: { 'Idempotency-Key': e.id } });
    e.state = 'synced';
    e.server = { ...data, replayed: status === 200 };
    e.synced_at = new Date().toISOString();
    e.error = null;
    await idb.put('outbox', e);
    onChange(e);
    return 'sent';
  } catch (err) {
    const retry = err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500;
    e.state = retry ? 'pending' : 'failed';
    e.error = err.status === 401 ? '登录已过期，请重新登录后同步' : err.message;
    e.error_field = err.field || null;
    await idb.put('outbox', e);
    onChange(e);
    return retry ? 'waiting' : 'failed';
  }
}
