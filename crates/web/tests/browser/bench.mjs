// Dashboard first render in headless Chromium (run by `anjian bench
// dashboard`): cold loads of /dashboard as the city supervisor, the time from
// navigation start to the key figures and to the drawn map (the page's
// performance marks), the bytes transferred by type, a warm reload, and as
// the reference the same API requests fetched in parallel by the same
// browser without rendering anything. Prints one JSON object.

import { chromium } from 'playwright-core';

const BASE = process.env.ANJIAN_BASE;
const USER = process.env.ANJIAN_USER || 'city';
const RUNS = Number(process.env.ANJIAN_RUNS || 5);
const PATH = process.env.ANJIAN_PATH || '/dashboard';

const browser = await chromium.launch({
  executablePath: process.env.ANJIAN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});

function kind(e) {
  const u = new URL(e.name);
  if (u.pathname.startsWith('/api/')) return 'api_json';
  if (u.pathname.includes('/vendor/')) return 'vendor_js';
  if (u.pathname.endsWith('.js')) return 'app_js';
  if (u.pathname.endsWith('.css')) return 'css';
  if (/\.(png|svg|jpg)$/.test(u.pathname)) return 'images';
  return 'other';
}

async function measure(page) {
  await page.waitForSelector('main[data-figures="ready"]', { timeout: 60000 });
  await page.waitForSelector('main[data-map="ready"]', { timeout: 60000 });
  await page.waitForTimeout(300);
  return page.evaluate(() => {
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').filter((e) => !e.name.includes('/alarms/stream'));
    return {
      marks: Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('anjian:')).map((m) => [m.name, Math.round(m.startTime)])),
      figures_ms: mark('anjian:figures'),
      map_ms: mark('anjian:map'),
      document: { transfer: nav.transferSize, body: nav.decodedBodySize },
      resources: res.map((e) => ({ name: e.name, transfer: e.transferSize, body: e.decodedBodySize, start: e.startTime, end: e.responseEnd })),
    };
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cold = [];
let weight = null;
let warm = null;
let reference = [];
for (let i = 0; i < RUNS; i++) {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const login = await ctx.request.post(BASE + '/api/v1/auth/login', { data: { username: USER, password: 'anjian-demo-2026' } });
  if (!login.ok()) throw new Error('login failed ' + login.status());
  const page = await ctx.newPage();
  await page.goto(BASE + PATH);
  const m = await measure(page);
  cold.push(m);
  if (i === 0) {
    const by = {};
    for (const r of m.resources) {
      const k = kind(r);
      by[k] = by[k] || { requests: 0, transfer: 0, body: 0 };
      by[k].requests++;
      by[k].transfer += r.transfer;
      by[k].body += r.body;
    }
    by.html = { requests: 1, transfer: m.document.transfer, body: m.document.body };
    const total = Object.values(by).reduce((a, b) => ({ requests: a.requests + b.requests, transfer: a.transfer + b.transfer, body: a.body + b.body }), { requests: 0, transfer: 0, body: 0 });
    weight = { by_type: by, total, api: m.resources.filter((r) => kind(r) === 'api_json').map((r) => ({ url: r.name.replace(BASE, ''), transfer: r.transfer, start: Math.round(r.start), ms: Math.round(r.end - r.start) })) };
    weight.marks = m.marks;
    weight.files = m.resources.filter((r) => kind(r) !== 'api_json').map((r) => ({ url: r.name.replace(BASE, ''), start: Math.round(r.start), end: Math.round(r.end) }));
  }
  // The reference: the same API requests in parallel, no rendering.
  const apis = m.resources.filter((r) => kind(r) === 'api_json').map((r) => r.name);
  reference.push(
    await page.evaluate(async (urls) => {
      const t0 = performance.now();
      await Promise.all(urls.map((u) => fetch(u, { cache: 'no-store' }).then((r) => r.arrayBuffer())));
      return performance.now() - t0;
    }, apis),
  );
  if (i === RUNS - 1) {
    // Warm: the same browser again (files revalidated by ETag).
    await page.goto('about:blank');
    await page.goto(BASE + PATH);
    const w = await measure(page);
    warm = { figures_ms: w.figures_ms, map_ms: w.map_ms, transfer: w.document.transfer + w.resources.reduce((n, r) => n + r.transfer, 0) };
  }
  await ctx.close();
}
await browser.close();

console.log(
  JSON.stringify({
    runs: RUNS,
    path: PATH,
    user: USER,
    figures_ms: { median: median(cold.map((c) => c.figures_ms)), all: cold.map((c) => Math.round(c.figures_ms)) },
    map_ms: { median: median(cold.map((c) => c.map_ms)), all: cold.map((c) => Math.round(c.map_ms)) },
    reference_api_ms: { median: median(reference), all: reference.map(Math.round) },
    warm,
    weight,
  }),
);
