// The browser suite of the anjian web application, run by
// crates/web/tests/it/browser.rs against a server on the small demo city.
// Debian's chromium through playwright-core (never a downloaded browser);
// each check prints its result; any failure exits non-zero with the reason
// and a screenshot in $ANJIAN_ARTIFACTS.

import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BASE = process.env.ANJIAN_BASE;
const ART = process.env.ANJIAN_ARTIFACTS;
const PASSWORD = 'anjian-demo-2026';
const PHOTO = readFileSync(new URL('../../assets/m/icon-192.png', import.meta.url));
if (!BASE || !ART) throw new Error('ANJIAN_BASE and ANJIAN_ARTIFACTS must be set');

// launch() gives the browser a fresh temporary profile (user data dir) of its own.
const browser = await chromium.launch({
  executablePath: process.env.ANJIAN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
});

const external = [];
const pageErrors = [];
const open = new Set();

async function newContext(opts = {}) {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 }, ...opts });
  ctx.setDefaultTimeout(15000);
  ctx.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u);
  });
  ctx.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message} (${(e.stack || '').split('\n').slice(1, 3).join(' ← ').trim()})`)));
  ctx.on('close', () => open.delete(ctx));
  open.add(ctx);
  return ctx;
}

async function login(ctx, user) {
  const page = await ctx.newPage();
  await page.goto(BASE + '/login');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return page;
}

/** The JSON API as the page's session (cookie + CSRF token from /auth/me). */
async function apiCall(page, path, { method = 'GET', body, headers = {} } = {}) {
  return page.evaluate(
    async ({ path, method, body, headers }) => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      const h = { Accept: 'application/json', ...headers };
      if (body !== undefined) h['Content-Type'] = 'application/json';
      if (method !== 'GET') h['X-CSRF-Token'] = me.csrf_token;
      const r = await fetch('/api/v1/' + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, data: text ? JSON.parse(text) : null };
    },
    { path, method, body, headers },
  );
}

async function ok(page, path, opts) {
  const r = await apiCall(page, path, opts);
  if (r.status >= 300) throw new Error(`${opts?.method || 'GET'} ${path} → ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(page, name) {
  await page.screenshot({ path: join(ART, name + '.png'), fullPage: true });
}

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t0, error: e });
    console.log(`FAIL ${name}: ${e.stack || e}`);
    let n = 0;
    for (const ctx of open) {
      for (const p of ctx.pages()) {
        const file = join(ART, `failed-${results.length}-${n++}.png`);
        await p.screenshot({ path: file, fullPage: true }).catch(() => {});
        console.log(`     screenshot ${file} (${p.url()})`);
      }
    }
  }
  for (const ctx of [...open]) await ctx.close().catch(() => {});
}

async function figures(page) {
  await page.waitForSelector('main[data-figures="ready"]');
  return page.$$eval('[data-kpi]', (els) => Object.fromEntries(els.map((e) => [e.dataset.kpi, e.textContent.trim()])));
}

const fmt = (n) => Number(n).toLocaleString('zh-CN');
const pct = (r) => (r * 100).toFixed(1) + '%';

// ------------------------------------------------------------------ roles

await check('every role logs in and lands on its home page', async () => {
  const roles = [
    ['admin', '/dashboard', /一张图/],
    ['city', '/dashboard', /安澜市/],
    ['district01', '/dashboard', /一张图/],
    ['street0101', '/dashboard', /一张图/],
    ['grid010101', '/dashboard', /一张图/],
    ['ent0001-head', '/', /工作台/],
    ['ent0001-staff', '/', /我的任务/],
  ];
  for (const [user, path, heading] of roles) {
    const ctx = await newContext();
    const page = await login(ctx, user);
    await page.waitForURL((u) => u.pathname === path);
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('main h1')?.textContent || ''), heading.source);
    const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.textContent));
    if (path === '/dashboard') {
      await page.waitForSelector('main[data-figures="ready"]');
      expect(nav.includes('一张图') && nav.includes('大屏'), `${user} nav: ${nav}`);
    } else {
      await page.waitForSelector('.kpis .kpi-value:not(:empty)');
      expect(!nav.includes('一张图'), `${user} must not see the dashboard: ${nav}`);
      // A regulator page is not theirs: they are sent home.
      await page.goto(BASE + '/dashboard');
      await page.waitForURL((u) => u.pathname === '/');
    }
    if (['city', 'ent0001-head', 'ent0001-staff'].includes(user)) {
      if (user === 'city') await page.waitForSelector('main[data-map="ready"]');
      await shot(page, `home-${user}`);
      // Keyboard: on a fresh load the first Tab reaches the skip link, and focus is visible.
      await page.reload();
      await page.locator('main h1').waitFor();
      await page.keyboard.press('Tab');
      const focus = await page.evaluate(() => ({ cls: document.activeElement.className, outline: getComputedStyle(document.activeElement).outlineStyle }));
      expect(focus.cls === 'skip' && focus.outline !== 'none', `${user}: first Tab should show the skip link, got ${JSON.stringify(focus)}`);
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement.id === 'main'), `${user}: the skip link moves focus to the main content`);
    }
    await ctx.close();
  }
  // Wrong password: the API's message, on the form.
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(BASE + '/login');
  await page.getByLabel('用户名').fill('city');
  await page.getByLabel('密码').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor();
  await ctx.close();
});

// ---------------------------------------------------------- public report

let tracking = null;
await check('a hazard reported publicly from a phone can be followed by its code', async () => {
  const ctx = await newContext({
    viewport: { width: 375, height: 812 },
    isMobile: true,
    hasTouch: true,
    geolocation: { latitude: 36.7, longitude: 118.0, accuracy: 12 },
    permissions: ['geolocation'],
  });
  const page = await ctx.newPage();
  await page.goto(BASE + '/report');
  // The description is required: said on the field itself.
  await page.getByRole('button', { name: '获取当前位置' }).click();
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  await page.getByRole('button', { name: '提交举报' }).click();
  await page.locator('#err-description').filter({ hasText: '请描述' }).waitFor();
  // A place outside the city: the API names the field and the page shows it there.
  await page.getByLabel('隐患描述').fill('工地塔吊下方堆放氧气瓶和乙炔瓶，没有防护');
  await page.fill('#lat', '10.0');
  await page.fill('#lng', '10.0');
  await page.getByRole('button', { name: '提交举报' }).click();
  await page.locator('#err-lat').filter({ hasText: /管辖范围|范围/ }).waitFor();
  // From the phone's position, with a photo.
  await page.getByRole('button', { name: '获取当前位置' }).click();
  await page.waitForFunction(() => document.getElementById('lat').value.startsWith('36.7'));
  await page.setInputFiles('#photos', { name: 'site.png', mimeType: 'image/png', buffer: PHOTO });
  await page.getByRole('button', { name: '提交举报' }).click();
  await page.locator('#receipt').waitFor();
  tracking = (await page.textContent('#code')).trim();
  expect(/^[A-Z0-9]{10}$/.test(tracking), `tracking code ${tracking}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `the report page is wider than 375 px by ${overflow}`);
  await shot(page, 'public-report-375');
  await page.getByRole('link', { name: '查询办理进度' }).click();
  await page.waitForURL(`**/track/${tracking}`);
  await page.locator(`[data-code="${tracking}"]`).waitFor();
  const state = await page.getAttribute('[data-state]', 'data-state');
  expect(state === 'reported', `state ${state}`);
  await shot(page, 'public-track-375');
  // An unknown code is said plainly.
  await page.goto(BASE + '/track/ZZZZZZZZZZ');
  await page.getByRole('alert').filter({ hasText: '未找到' }).waitFor();
  await ctx.close();
});

// --------------------------------------------------------------- lifecycle

let hazardId = null;
await check('a hazard goes through its whole lifecycle across a regulator and an enterprise head', async () => {
  const regCtx = await newContext();
  const reg = await login(regCtx, 'district01');
  const ent = await ok(reg, 'enterprises/ent-00001');
  // Report as the district officer.
  await reg.goto(BASE + '/hazards/new');
  await reg.getByLabel('上报渠道').selectOption('grid_patrol');
  await reg.getByLabel('隐患描述').fill('配电箱未接地，箱门无警示标识，存在触电风险');
  await reg.getByLabel('所属企业').fill(ent.name.slice(0, 6));
  await reg.waitForFunction((id) => [...document.querySelectorAll('select[name=enterprise_id] option')].some((o) => o.value === id), ent.id);
  await reg.getByLabel('选择企业').selectOption(ent.id);
  await reg.getByRole('button', { name: '提交' }).click();
  await reg.waitForURL(/\/hazards\/(?!new)[^/]+$/);
  hazardId = decodeURIComponent(new URL(reg.url()).pathname.split('/').pop());
  await reg.getByRole('heading', { level: 1, name: /隐患/ }).waitFor();
  // A low-confidence classification waits for a person: classify first.
  if (await reg.locator('[data-open="classify"]').count()) {
    await reg.click('[data-open="classify"]');
    const first = await reg.$eval('select[name=taxonomy_item] option[value]:not([value=""])', (o) => o.value);
    await reg.selectOption('select[name=taxonomy_item]', first);
    await reg.click('form[data-action="classify"] button[type=submit]');
    await reg.locator('[data-open="dispatch"]').waitFor();
  }
  // Assign it with a deadline (dispatch, or reassign when the platform
  // dispatched it already); a bad deadline is refused with the API's message.
  await reg.locator('[data-open="dispatch"], [data-open="reassign"]').first().waitFor();
  const assign = (await reg.locator('[data-open="dispatch"]').count()) ? 'dispatch' : 'reassign';
  await reg.click(`[data-open="${assign}"]`);
  await reg.fill(`form[data-action="${assign}"] input[name=deadline_days]`, '400');
  await reg.click(`form[data-action="${assign}"] button[type=submit]`);
  await reg.locator(`form[data-action="${assign}"] [data-field="deadline_days"] .field-error`).filter({ hasText: '1到365' }).waitFor();
  await reg.fill(`form[data-action="${assign}"] input[name=deadline_days]`, '7');
  await reg.click(`form[data-action="${assign}"] button[type=submit]`);
  await reg.locator('.badge.state-pending').first().waitFor();
  await reg.locator('dd', { hasText: '剩余 7 天' }).waitFor();

  // The enterprise head finds it among their tasks.
  const entCtx = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const head = await login(entCtx, 'ent0001-head');
  await head.locator(`.hz-list a[href="/hazards/${hazardId}"]`).first().click();
  await head.click('[data-open="start"]');
  await head.click('form[data-action="start"] button[type=submit]');
  await head.locator('.badge.state-rectifying').first().waitFor();
  // Ask for more time; the regulator approves.
  const until = new Date(Date.now() + 20 * 86400000).toISOString().slice(0, 10);
  await head.click('[data-open="request_extension"]');
  await head.fill('form[data-action="request_extension"] input[name=until]', until);
  await head.click('form[data-action="request_extension"] button[type=submit]');
  await head.locator('dt', { hasText: '申请延期至' }).waitFor();
  await reg.reload();
  await reg.click('[data-open="approve_extension"]');
  await reg.click('form[data-action="approve_extension"] button[type=submit]');
  await reg.locator('dd', { hasText: until }).waitFor();
  // Submitting without a photo: the API's validation message under the photo field.
  await head.reload();
  await head.click('[data-open="submit"]');
  await head.fill('form[data-action="submit"] textarea[name=note]', '已重新接地并加装警示标识');
  await head.click('form[data-action="submit"] button[type=submit]');
  await head.locator('form[data-action="submit"] [data-field="attachments"] .field-error').filter({ hasText: '照片' }).waitFor();
  await head.setInputFiles('form[data-action="submit"] input[type=file]', { name: 'after.png', mimeType: 'image/png', buffer: PHOTO });
  await head.click('form[data-action="submit"] button[type=submit]');
  await head.locator('.badge.state-awaiting_acceptance').first().waitFor();
  await shot(head, 'hazard-awaiting-acceptance-390');
  // The enterprise cannot accept its own work: the action is not offered.
  expect((await head.locator('[data-open="accept"]').count()) === 0, 'an enterprise must not be offered acceptance');
  // The regulator accepts with a photo: closed.
  await reg.reload();
  await reg.click('[data-open="accept"]');
  await reg.setInputFiles('form[data-action="accept"] input[type=file]', { name: 'check.png', mimeType: 'image/png', buffer: PHOTO });
  await reg.click('form[data-action="accept"] button[type=submit]');
  await reg.locator('.badge.state-closed').first().waitFor();
  const hz = await ok(reg, 'hazards/' + hazardId);
  expect(hz.state === 'closed', `state ${hz.state}`);
  // Every step is on the ledger; the browser verifies one end to end.
  const deadline = Date.now() + 10000;
  for (;;) {
    await reg.reload();
    await reg.locator('.timeline li').first().waitFor();
    const pending = await reg.locator('.tl-proof', { hasText: '存证排队中' }).count();
    if (!pending) break;
    expect(Date.now() < deadline, 'ledger indexes did not appear');
    await reg.waitForTimeout(400);
  }
  const buttons = reg.locator('button[data-ledger]');
  expect((await buttons.count()) >= 7, `timeline events on the ledger: ${await buttons.count()}`);
  await buttons.last().click();
  await reg.locator('.proof.ok').filter({ hasText: '已验证' }).waitFor();
  expect((await reg.locator('.photos img').count()) >= 2, 'the photos are shown');
  await shot(reg, 'hazard-closed');
  await regCtx.close();
  await entCtx.close();
});

// ---------------------------------------------------------------- dashboard

await check('the dashboard shows the API figures, draws the map, drills down and gets alarms live', async () => {
  const ctx = await newContext();
  const page = await login(ctx, 'district01');
  await page.waitForURL('**/dashboard');
  await page.evaluate(() => {
    window.__cls = 0;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => !e.hadRecentInput && (window.__cls += e.value))).observe({ type: 'layout-shift', buffered: true });
  });
  const shown = await figures(page);
  const stats = await ok(page, 'analytics/stats?by=month&region=379901');
  const t = stats.total;
  const want = { found: fmt(t.found), rectified: fmt(t.rectified), in_progress: fmt(t.in_progress), rectification_rate: pct(t.rectification_rate), overdue: fmt(t.overdue) };
  expect(JSON.stringify(shown) === JSON.stringify(want), `figures ${JSON.stringify(shown)} != API ${JSON.stringify(want)}`);
  expect(t.found >= 1 && t.rectified >= 1, `the lifecycle's hazard is counted: ${JSON.stringify(t)}`);
  await page.waitForSelector('main[data-map="ready"]');
  const layers = await ok(page, 'map/layers?region=379901');
  const counts = await page.$$eval('.layer .count', (els) => els.map((e) => e.textContent));
  const overdue = layers.hazards.rows.filter((r) => r[layers.hazards.columns.indexOf('overdue')]).length;
  expect(counts[0] === fmt(layers.hazards.rows.length - overdue) && counts[2] === fmt(layers.enterprises.rows.length), `layer counts ${counts}`);
  await page.waitForSelector('main[data-live="live"]');
  const cls = await page.evaluate(() => window.__cls);
  expect(cls < 0.1, `layout shift while loading: ${cls}`);
  await shot(page, 'dashboard-district');

  // A device alarms: the dashboard shows it without reloading.
  const ent = await ok(page, 'enterprises/ent-00001');
  const devName = `配电房可燃气体探头${Date.now() % 100000}`;
  const dev = await ok(page, 'devices', {
    method: 'POST',
    body: { name: devName, device_type: 'gas_detector', enterprise_id: ent.id, lon: ent.lon, lat: ent.lat, metrics: [{ name: 'lel_percent', unit: '%LEL' }], interval_s: 60 },
  });
  await ok(page, `devices/${dev.id}/rules`, { method: 'POST', body: { template: 'combustible_gas' } });
  const before = await page.$eval('.layer .count', () => document.querySelectorAll('.layer .count')[4].textContent);
  const ingest = await page.request.post(BASE + '/api/v1/ingest', {
    data: { batches: [{ device_id: dev.id, secret: dev.secret, readings: [{ ts: Date.now() - 500, values: { lel_percent: 55 } }] }] },
  });
  expect(ingest.ok(), `ingest ${ingest.status()}`);
  await page.locator('.alarm-list li.alarm', { hasText: devName }).waitFor({ timeout: 10000 });
  await page.waitForFunction((b) => document.querySelectorAll('.layer .count')[4].textContent !== b, before);
  await shot(page, 'dashboard-live-alarm');

  // Drill down by keyboard-usable links: district → street → … → grid → enterprise.
  for (let depth = 0; depth < 4; depth++) {
    const link = page.locator('.drill-list a').first();
    if (!(await link.count())) break;
    const href = await link.getAttribute('href');
    if (!href.startsWith('/dashboard')) break;
    await link.click();
    await page.waitForURL((u) => u.search === new URL(BASE + href).search);
    await page.waitForSelector('main[data-map="ready"]');
  }
  const crumbs = await page.$$eval('.crumbs a, .crumbs [aria-current]', (els) => els.map((e) => e.textContent));
  expect(crumbs.length >= 4 && crumbs[0] === '安澜市', `crumbs ${crumbs}`);
  const entLink = page.locator('.drill-list a[href^="/enterprises/"]').first();
  const entName = await entLink.textContent();
  await entLink.click();
  await page.getByRole('heading', { level: 1, name: entName }).waitFor();
  await shot(page, 'enterprise');

  // The 大屏 at 1920×1080: everything on one screen.
  await page.setViewportSize({ width: 1920, height: 1080 });
  const city = await login(await newContext(), 'city');
  await city.setViewportSize({ width: 1920, height: 1080 });
  await city.goto(BASE + '/screen');
  const cityShown = await figures(city);
  await city.waitForSelector('main[data-map="ready"]');
  const fits = await city.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth }));
  expect(fits.h <= 1080 && fits.w <= 1920, `the 大屏 scrolls: ${JSON.stringify(fits)}`);
  await shot(city, 'screen-1920x1080');
  const cityStats = await ok(city, 'analytics/stats?by=month&region=379900');
  expect(cityShown.found === fmt(cityStats.total.found) && cityShown.overdue === fmt(cityStats.total.overdue), `city figures ${JSON.stringify(cityShown)}`);
  // A district officer cannot look at the whole city: said on the page.
  await page.goto(BASE + '/dashboard?region=379900');
  await page.getByRole('alert').first().waitFor();

  // And usable at 375 px: no sideways scrolling.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto(BASE + '/dashboard');
  await figures(page);
  await page.waitForSelector('main[data-map="ready"]');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide <= 375, `the dashboard is ${wide} px wide at 375`);
  await shot(page, 'dashboard-375');
  await ctx.close();
});

await check('the hazard list filters and links back to the hazard', async () => {
  const ctx = await newContext();
  const page = await login(ctx, 'city');
  await page.goto(BASE + '/hazards?state=closed');
  await page.locator('table.hz-table tbody tr').first().waitFor();
  const codes = await page.$$eval('table.hz-table tbody tr td:first-child a', (as) => as.map((a) => a.getAttribute('href')));
  expect(codes.includes('/hazards/' + hazardId), `closed list ${codes}`);
  await page.getByLabel('状态').selectOption('reported');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/state=reported/);
  const api = await ok(page, 'hazards?state=reported&per_page=1');
  await page.locator('[role=status]', { hasText: `共 ${fmt(api.total)} 项` }).waitFor();
  await shot(page, 'hazard-list');
  await ctx.close();
});

// ------------------------------------------------- inspections, documents

await check('an enforcement inspection becomes a rectification order issued from its pages', async () => {
  const ctx = await newContext();
  const page = await login(ctx, 'district01');
  const ent = (await ok(page, 'enterprises?region=379901&per_page=1')).items[0];
  const tpl = (await ok(page, 'inspection-templates?kind=enforcement')).items[0];
  const t = await ok(page, 'inspection-templates/' + tpl.id);
  const items = t.sections.flatMap((s) => s.items);
  const results = items.map((it, k) => (k < 2 ? { item_code: it.code, outcome: 'fail', problem_code: it.problems[0].code, note: '现场发现' } : { item_code: it.code, outcome: 'pass' }));
  const ins = await ok(page, 'inspections', { method: 'POST', body: { template_id: tpl.id, enterprise_id: ent.id, submit: true, results } });

  await page.goto(BASE + '/inspections?kind=enforcement');
  await page.getByRole('link', { name: ins.number }).click();
  await page.waitForURL('**/inspections/' + ins.id);
  await page.getByRole('heading', { name: `执法检查 ${ins.number}` }).waitFor();
  expect((await page.locator('table tbody tr.overdue').count()) === 2, 'the two failing items are marked');
  expect((await page.getByRole('link', { name: '查看隐患' }).count()) === 2, 'each failing item links to its hazard');
  await page.getByRole('link', { name: ent.name }).first().waitFor();
  await shot(page, 'inspection');

  await page.getByRole('button', { name: '制作责令限期整改指令书' }).click();
  await page.waitForURL(/\/documents\/[^/]+$/);
  await page.getByRole('heading', { name: '责令限期整改指令书' }).waitFor();
  expect((await page.locator('table tbody tr').count()) === 2, 'the order lists both findings');
  // Issuing needs two inspectors with certificates: refused with one, then edited and issued.
  await page.getByLabel('执法人员').fill('张明 37990100123\n');
  await page.getByRole('textbox', { name: '检查情况' }).fill('对该单位进行执法检查，发现下列问题。');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await page.locator('.prose', { hasText: '对该单位进行执法检查' }).waitFor();
  await page.getByRole('button', { name: '签发' }).click();
  await page.locator('#toast', { hasText: '不少于两名执法人员' }).waitFor();
  await page.getByLabel('执法人员').fill('张明 37990100123\n李华 37990100456');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await page.locator('dd', { hasText: '李华（证号 37990100456）' }).waitFor();
  await page.getByRole('button', { name: '签发' }).click();
  await page.locator('dd', { hasText: /应急责改〔\d{4}〕\d+号/ }).first().waitFor();
  const docId = page.url().split('/').pop();
  const doc = await ok(page, 'documents/' + docId);
  expect(doc.state === 'issued' && /^[0-9a-f]{64}$/.test(doc.pdf_sha256), `issued with its hash: ${doc.state} ${doc.pdf_sha256}`);
  await page.locator('code.hash', { hasText: doc.pdf_sha256 }).waitFor();
  const pdf = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return { type: r.headers.get('content-type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
  }, await page.getByRole('link', { name: '下载 PDF' }).getAttribute('href'));
  expect(pdf.type === 'application/pdf' && pdf.head === '%PDF-', `the PDF link serves a PDF: ${JSON.stringify(pdf)}`);
  await shot(page, 'document');

  await page.goto(BASE + '/documents?state=issued');
  await page.getByRole('link', { name: doc.number }).waitFor();
  await page.goto(BASE + '/alarms');
  const alarms = await ok(page, 'alarms?state=open&per_page=1');
  await page.locator('[role=status]', { hasText: `共 ${fmt(alarms.total)} 条` }).waitFor();
  await ctx.close();
});

await check('a device page draws its curves and the thresholds of a rule are changed from it', async () => {
  const ctx = await newContext();
  const page = await login(ctx, 'district01');
  const ent = (await ok(page, 'enterprises?region=379901&per_page=1')).items[0];
  const name = `储罐区可燃气体探头${Date.now() % 100000}`;
  const tpl = (await ok(page, 'rule-templates')).find((t) => t.key === 'combustible_gas');
  // Registered from the list page, with a shipped rule; the secret is shown once.
  await page.goto(BASE + '/devices');
  await page.getByText('登记设备', { exact: true }).click();
  const reg = page.getByRole('form', { name: '登记设备' });
  await reg.getByLabel('设备名称').fill(name);
  await reg.getByLabel('设备类型').selectOption({ label: '气体检测仪' });
  await reg.getByLabel('查找企业').fill(ent.name.slice(-8));
  await reg.locator('select[name=enterprise_id] option', { hasText: ent.name }).first().waitFor({ state: 'attached' });
  await reg.getByLabel('所属企业').selectOption({ label: ent.name });
  await reg.getByLabel('监测指标').fill('lel_percent:%LEL');
  await reg.getByLabel('报警规则模板').selectOption({ label: tpl.name });
  await reg.getByRole('button', { name: '登记' }).click();
  const shownSecret = (await reg.locator('code.hash').textContent()).trim();
  await reg.getByRole('link', { name: '查看设备' }).click();
  await page.waitForURL(/\/devices\/[^/]+$/);
  const dev = { ...(await ok(page, 'devices/' + page.url().split('/').pop())), secret: shownSecret };
  expect(dev.name === name && dev.enterprise_id === ent.id && shownSecret.startsWith('ajd'), `registered: ${dev.name} ${dev.enterprise_id}`);
  const rule = (await ok(page, `devices/${dev.id}/rules`))[0];
  expect(rule && rule.template_key === 'combustible_gas', 'the template rule was added');
  // Three hours of normal readings, one a minute.
  const now = Date.now();
  const readings = Array.from({ length: 180 }, (_, i) => ({ ts: now - (180 - i) * 60_000, values: { lel_percent: 1 + (i % 7) / 10 } }));
  const ingest = await page.request.post(BASE + '/api/v1/ingest', { data: { batches: [{ device_id: dev.id, secret: dev.secret, readings }] } });
  expect(ingest.ok(), `ingest ${ingest.status()}`);
  const list = await ok(page, 'devices?per_page=20');
  await page.goto(BASE + '/devices');
  await page.locator('[role=status]', { hasText: `共 ${fmt(list.total)} 台` }).waitFor();
  if (list.items.some((d) => d.id === dev.id)) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.waitForURL(/\/devices\/[^/]+$/);
  } else {
    await page.goto(BASE + '/devices/' + dev.id);
  }
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  await page.locator('td', { hasText: rule.name }).first().waitFor();
  await page.locator('p', { hasText: '个分钟点' }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await page.getByText('修改：' + rule.name).click();
  const form = page.getByRole('form', { name: '修改规则 ' + rule.name });
  const t = rule.rule.thresholds;
  const levels = ['blue', 'yellow', 'orange', 'red'].filter((k) => t[k] !== null && t[k] !== undefined);
  expect(levels.length >= 2, `the template has two levels or more: ${JSON.stringify(t)}`);
  const label = { blue: '蓝色阈值', yellow: '黄色阈值', orange: '橙色阈值', red: '红色阈值' };
  const [top, next] = [levels[levels.length - 1], levels[levels.length - 2]];
  // The highest threshold under the one below it is refused, named at its field.
  await form.getByLabel(label[top]).fill(String(t[next] - 1));
  await form.getByRole('button', { name: '保存规则' }).click();
  await form.locator('.field-error', { hasText: '级别越高阈值应越严重' }).waitFor();
  const raised = t[top] + 1;
  await form.getByLabel(label[top]).fill(String(raised));
  await form.getByRole('button', { name: '保存规则' }).click();
  await page.locator('#toast', { hasText: '规则已保存' }).waitFor();
  const after = (await ok(page, `devices/${dev.id}/rules`)).find((r) => r.id === rule.id);
  expect(after.rule.thresholds[top] === raised && after.enabled, `the new threshold is stored: ${JSON.stringify(after.rule.thresholds)}`);
  await page.locator('td', { hasText: String(raised) }).first().waitFor();
  await shot(page, 'device');
  // Editing: a metric a rule uses cannot be removed (named at its field); a new one can be added.
  await page.getByText('修改设备信息', { exact: true }).click();
  const edit = page.getByRole('form', { name: '修改设备信息' });
  await edit.getByLabel('监测指标').fill('temp_c:°C');
  await edit.getByRole('button', { name: '保存设备信息' }).click();
  await edit.locator('[data-field=metrics] .field-error', { hasText: 'lel_percent' }).waitFor();
  await edit.getByLabel('监测指标').fill('lel_percent:%LEL, temp_c:°C');
  await edit.getByRole('button', { name: '保存设备信息' }).click();
  await page.locator('#toast', { hasText: '设备信息已保存' }).waitFor();
  await page.locator('dd', { hasText: 'temp_c（°C）' }).waitFor();
  // A new secret: shown once; the old one is refused from then on.
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: '更换设备密钥' }).click();
  const secret = (await page.locator('code.hash').textContent()).trim();
  expect(secret.startsWith('ajd') && secret !== dev.secret, `a new secret is shown: ${secret}`);
  const send = async (sec) =>
    (await page.request.post(BASE + '/api/v1/ingest', { data: { batches: [{ device_id: dev.id, secret: sec, readings: [{ ts: Date.now(), values: { lel_percent: 1 } }] }] } })).json();
  const [old, fresh] = [await send(dev.secret), await send(secret)];
  expect(old.rejected?.bad_secret === 1 && fresh.accepted === 1, `old refused, new accepted: ${JSON.stringify([old, fresh])}`);
  // Retiring needs a reason; afterwards the device is listed as retired.
  await page.getByText('退役', { exact: true }).click();
  await page.getByRole('button', { name: '退役设备' }).click();
  expect(await page.getByLabel('退役原因').evaluate((e) => !e.validity.valid), 'the reason is required');
  await page.getByLabel('退役原因').fill('储罐区改造，探头拆除');
  await page.getByRole('button', { name: '退役设备' }).click();
  await page.locator('#toast', { hasText: '设备已退役' }).waitFor();
  await page.locator('dd .badge', { hasText: '已退役' }).waitFor();
  expect((await ok(page, 'devices/' + dev.id)).status === 'retired', 'retired');
  await ctx.close();
});

// ------------------------------------------------------------- mobile app

await check('the mobile app inspects offline and syncs later without duplicates', async () => {
  const ctx = await newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    geolocation: { latitude: 36.706, longitude: 117.918, accuracy: 8 },
    permissions: ['geolocation'],
  });
  const page = await ctx.newPage();
  await page.goto(BASE + '/m/');
  await page.getByLabel('用户名').fill('ent0001-head');
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('button', { name: '新建检查' }).waitFor();
  // Installable: a manifest with icons and an active service worker for /m/.
  const manifest = await (await page.request.get(BASE + '/m/manifest.webmanifest')).json();
  expect(manifest.start_url === '/m/' && manifest.display === 'standalone' && manifest.icons.some((i) => i.sizes === '512x512'), 'manifest');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload(); // now controlled by the service worker
  await page.getByRole('button', { name: '新建检查' }).waitFor();
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the app is served by its service worker');

  // Pick the enterprise and its checklist while online (the checklist is kept on the phone).
  const ent = await ok(page, 'enterprises/ent-00001');
  const before = (await ok(page, `inspections?enterprise_id=${ent.id}`)).total;
  await page.getByRole('button', { name: '新建检查' }).click();
  await page.locator(`[data-enterprise="${ent.id}"]`).click();
  await page.locator('[data-template]').first().click();
  await page.locator('fieldset.check-item').first().waitFor();
  const items = await page.locator('fieldset.check-item').count();
  expect(items >= 5, `checklist items: ${items}`);
  await page.locator('.gps', { hasText: '位置' }).waitFor();

  // The network goes; the inspection is filled and saved anyway.
  await ctx.setOffline(true);
  const fs = page.locator('fieldset.check-item');
  for (let i = 0; i < items; i++) await fs.nth(i).locator('input[value="pass"]').check();
  const first = fs.first();
  await first.locator('input[value="fail"]').check();
  const problem = first.locator('select');
  if (await problem.count()) await problem.selectOption({ index: 1 });
  await first.locator('textarea').fill('项目专职安全员未到岗');
  await first.locator('input[type=file]').setInputFiles({ name: 'finding.png', mimeType: 'image/png', buffer: PHOTO });
  await page.getByRole('button', { name: '提交检查' }).click();
  await page.locator('.outbox li[data-state="pending"]').waitFor();
  await page.locator('#sync', { hasText: '离线 · 1 条待同步' }).waitFor();
  await shot(page, 'mobile-offline-pending-390');
  // Still offline, the app reopens from its service worker with the outbox intact.
  await page.reload();
  await page.locator('.outbox li[data-state="pending"]').waitFor();

  // Back online, the first answer is lost on the way back (the server has it):
  // the retry with the same Idempotency-Key returns it instead of a second one.
  let lost = 0;
  await page.route('**/api/v1/inspections', async (route) => {
    if (route.request().method() !== 'POST' || lost) return route.continue();
    lost++;
    await route.fetch();
    await route.abort('connectionreset');
  });
  await ctx.setOffline(false);
  // The entry stays waiting, with what went wrong.
  await page.locator('.outbox li[data-state="pending"] .danger', { hasText: '网络' }).waitFor();
  expect(lost === 1, 'the first sync reached the server');
  await page.unroute('**/api/v1/inspections');
  await page.getByRole('button', { name: '立即同步' }).click();
  await page.locator('.outbox li[data-state="synced"]').waitFor();
  await page.locator('#sync', { hasText: '已全部同步' }).waitFor();
  await shot(page, 'mobile-synced-390');
  const list = await ok(page, `inspections?enterprise_id=${ent.id}`);
  expect(list.total === before + 1, `inspections stored: ${list.total - before}`);
  const insp = list.items[0];
  expect(insp.state === 'submitted' && insp.failed === 1 && insp.passed === items - 1, `inspection ${JSON.stringify(insp)}`);
  expect(insp.hazards.length === 1, `the failing item became a hazard: ${insp.hazards}`);
  expect(insp.lat && Math.abs(insp.lat - 36.706) < 0.001, `the phone's position: ${insp.lat}`);
  const detail = await ok(page, `inspections/${insp.id}`);
  expect(detail.results.some((r) => r.attachments && r.attachments.length === 1), 'the photo came along');
  const entry = await page.evaluate(async () => {
    const db = await new Promise((res) => (indexedDB.open('anjian-m').onsuccess = (e) => res(e.target.result)));
    return new Promise((res) => (db.transaction('outbox').objectStore('outbox').getAll().onsuccess = (e) => res(e.target.result[0])));
  });
  expect(entry.server.id === insp.id && entry.server.replayed === true, `the retry got the first inspection back: ${JSON.stringify(entry.server)}`);
  await ctx.close();
});

// ------------------------------------------------------------------ finish

await browser.close();
if (external.length) results.push({ name: 'no request leaves the server', ok: false, error: new Error(external.join('\n')) });
if (pageErrors.length) results.push({ name: 'no uncaught errors in the pages', ok: false, error: new Error(pageErrors.join('\n')) });
const failed = results.filter((r) => !r.ok);
for (const f of failed) console.log(`FAIL ${f.name}: ${f.error.message}`);
if (failed.length) {
  console.log(`${failed.length} of ${results.length} browser checks failed`);
  process.exit(1);
}
console.log(`all browser checks passed (${results.length}, ${results.reduce((n, r) => n + r.ms, 0)} ms)`);
