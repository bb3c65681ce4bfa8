// Live alarm changes over Server-Sent Events (GET /api/v1/alarms/stream,
// authenticated by the session cookie). The browser reconnects by itself and
// sends Last-Event-ID, so the server replays what was missed; duplicates
// are dropped here by event id.

export function connectAlarms({ onReady, onChange, onStatus, region }) {
  const seen = new Set();
  let closed = false;
  const es = new EventSource('/api/v1/alarms/stream' + (region ? '?region=' + encodeURIComponent(region) : ''));
  onStatus('connecting');
  es.addEventListener('ready', () => {
    onStatus('live');
    onReady();
  });
  es.addEventListener('reload', () => onReady());
  es.addEventListener('alarm', (e) => {
    let ch;
    try {
      ch = JSON.parse(e.data);
    } catch {
      return;
    }
    if (seen.has(ch.event_id)) return;
    seen.add(ch.event_id);
    if (seen.size > 2000) seen.delete(seen.values().next().value);
    onChange(ch);
  });
  es.addEventListener('end', () => {
    closed = true;
    es.close();
    onStatus('ended');
  });
  es.onerror = () => {
    if (!closed) onStatus(es.readyState === EventSource.CLOSED ? 'ended' : 'reconnecting');
  };
  return () => {
    closed = true;
    es.close();
  };
}
