// Service worker of the mobile inspection app (scope /m/). The app shell is
// cached at install and served cache-first (refreshed in the background),
// so the app opens with no network; checklists (inspection templates) and
// enterprise lookups are network-first with the last answer kept for
// offline use. Everything else goes to the network.

const SHELL = 'anjian-m-shell-v1';
const DATA = 'anjian-m-data-v1';
const SHELL_FILES = [
  '/m/',
  '/m/manifest.webmanifest',
  '/assets/m/app.js',
  '/assets/m/outbox.js',
  '/assets/m/m.css',
  '/assets/app/app.css',
  '/assets/app/js/dom.js',
  '/assets/app/js/api.js',
  '/assets/m/icon.svg',
  '/assets/m/icon-192.png',
];

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(SHELL)
      .then((c) => c.addAll(SHELL_FILES.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => ![SHELL, DATA].includes(k)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function shellFirst(request) {
  const cache = await caches.open(SHELL);
  const key = request.mode === 'navigate' ? '/m/' : request;
  const hit = await cache.match(key, { ignoreSearch: request.mode === 'navigate' });
  const fresh = fetch(request)
    .then((res) => {
      if (res.ok) cache.put(key, res.clone());
      return res;
    })
    .catch(() => null);
  if (hit) return hit;
  return (await fresh) || new Response('离线且未缓存', { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const res = await fetch(request);
    if (res.ok) cache.put(request, res.clone());
    return res;
  } catch {
    const hit = await cache.match(request);
    if (hit) return hit;
    return new Response(JSON.stringify({ error: { code: 'offline', message: '离线，且本机没有缓存' } }), {
      status: 503,
      headers: { 'Content-Type': 'application/json' },
    });
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (req.mode === 'navigate' && url.pathname.startsWith('/m/')) return e.respondWith(shellFirst(req));
  if (SHELL_FILES.includes(url.pathname)) return e.respondWith(shellFirst(req));
  if (url.pathname.startsWith('/api/v1/inspection-templates') || url.pathname === '/api/v1/auth/me') {
    return e.respondWith(networkFirst(req));
  }
});
