// Checks, in the browser and without trusting the page's server, that an
// event is on the evidence ledger: its record hashes to the leaf (RFC 8785
// canonical JSON, SHA-256 of 0x00 ‖ record), the audit path leads from the
// leaf to the root (RFC 6962), and that root is in a checkpoint signed with
// the ledger's Ed25519 key (C2SP signed note).

import { api } from './api.js';

const enc = new TextEncoder();
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

/** RFC 8785 for integer-only records: keys sorted by UTF-16 code units. */
export function canonical(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const keys = Object.keys(v).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}

/** RFC 9162 §2.1.3.2: the root from a leaf and its audit path. */
export async function rootFromPath(index, size, leaf, path) {
  if (index >= size) throw new Error('index out of range');
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error('proof too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof too short');
  return r;
}

async function verifyNote(note, vkey) {
  // name+keyid+base64(key): the base64 may itself contain '+'.
  const [name, idHex, ...rest] = vkey.trim().split('+');
  const key64 = rest.join('+');
  const key = unb64(key64);
  if (key[0] !== 1 || key.length !== 33) throw new Error('不是 Ed25519 验证密钥');
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split('\n').filter(Boolean);
  const pub = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
  for (const line of lines) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== name) continue;
    const raw = unb64(m[2]);
    const id = [...raw.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
    if (id !== idHex) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, pub, raw.slice(4), enc.encode(text))) return text;
  }
  throw new Error('检查点签名无效');
}

/** Verifies ledger entry `index` (an event of `subject`); resolves to a
 * summary or rejects with the first failed check. */
export async function verifyEntry(index, subject) {
  const [entry, proof, vkey] = await Promise.all([
    api('ledger/entries/' + index),
    api('ledger/proof/inclusion?index=' + index),
    fetch('/api/v1/ledger/key', { headers: { Accept: 'text/plain' } }).then((r) => r.text()),
  ]);
  if (subject && entry.record.subject !== subject) throw new Error('存证记录不属于本隐患');
  const leaf = await sha256(Uint8Array.of(0), enc.encode(canonical(entry.record)));
  if (b64(leaf) !== entry.leaf_hash || b64(leaf) !== proof.leaf_hash) throw new Error('记录内容与存证哈希不符');
  const root = await rootFromPath(index, proof.size, leaf, proof.proof.map(unb64));
  if (b64(root) !== proof.root_hash) throw new Error('包含证明与树根不符');
  if (!proof.checkpoint) throw new Error('该树大小没有签名检查点');
  const text = await verifyNote(proof.checkpoint, vkey);
  const [origin, size, rootLine] = text.split('\n');
  if (Number(size) !== proof.size || rootLine !== b64(root)) throw new Error('检查点与证明不一致');
  return { index, size: proof.size, origin, key: vkey.trim().split('+').slice(0, 2).join('+'), root: b64(root), kind: entry.record.type, time: entry.sequenced_at };
}
