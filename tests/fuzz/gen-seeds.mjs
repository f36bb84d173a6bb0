// SPDX-License-Identifier: GPL-3.0-or-later
// Seed inputs for the server fuzz targets, made with the real Yjs and y-protocols (the pinned
// packages of tests/js; run `npm ci` there first):
//   corpus-server/     fuzz_server:    y-websocket sessions of two clients, as frames
//   corpus-frames/     fuzz_frames:    request heads, client frame streams, request targets
//   corpus-storedlog/  fuzz_storedlog: stored logs (snapshot + updates), whole and damaged
// Usage: node tests/fuzz/gen-seeds.mjs [outdir]   (default: tests/fuzz, the committed corpora)
// The input formats are described at the top of each fuzz_*.cpp. Deterministic: client ids
// are fixed, so a rerun writes the same files.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../js/package.json'));
const Y = require('yjs');
const syncProtocol = require('y-protocols/sync');
const awarenessProtocol = require('y-protocols/awareness');
const encoding = require('lib0/encoding');

const outDir = process.argv[2] ?? here;

// --- y-websocket messages -----------------------------------------------------------------
const MSG_SYNC = 0;
const MSG_AWARENESS = 1;
const MSG_AUTH = 2;
const MSG_QUERY_AWARENESS = 3;

function message(write) {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}
const step1 = (doc) => message((e) => { encoding.writeVarUint(e, MSG_SYNC); syncProtocol.writeSyncStep1(e, doc); });
const step2 = (doc, sv) => message((e) => { encoding.writeVarUint(e, MSG_SYNC); syncProtocol.writeSyncStep2(e, doc, sv); });
const update = (u) => message((e) => { encoding.writeVarUint(e, MSG_SYNC); syncProtocol.writeUpdate(e, u); });
const awarenessMsg = (aw, ids) => message((e) => {
  encoding.writeVarUint(e, MSG_AWARENESS);
  encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(aw, ids));
});
const queryAwareness = () => message((e) => encoding.writeVarUint(e, MSG_QUERY_AWARENESS));
const authDenied = (why) => message((e) => { encoding.writeVarUint(e, MSG_AUTH); encoding.writeVarUint(e, 0); encoding.writeVarString(e, why); });

/// A document that records its updates.
function recordingDoc(clientID) {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates = [];
  doc.on('update', (u) => updates.push(u));
  return { doc, updates };
}

// --- fuzz_server records ------------------------------------------------------------------
// control: bit 0 client, bits 1-3 kind, bit 4 settle, bits 5-6 variant, bit 7 read-only.
const KIND = { binary: 0, fragmented: 4, ping: 5, raw: 6, special: 7 };
function record(kind, payload, { client = 0, settle = false, variant = 0, readOnly = false } = {}) {
  const p = Buffer.from(payload ?? []);
  const control = (client & 1) | (kind << 1) | (settle ? 0x10 : 0) | (variant << 5) | (readOnly ? 0x80 : 0);
  const head = Buffer.from([control, p.length & 0xff, (p.length >> 8) & 0xff]);
  return Buffer.concat([head, p]);
}
const send = (payload, opts) => record(KIND.binary, payload, opts);

/// A masked client frame (for raw records and the frame seeds).
function clientFrame(opcode, payload, { fin = true, mask = [0x11, 0x22, 0x33, 0x44], rsv = 0 } = {}) {
  const p = Buffer.from(payload ?? []);
  const head = [(fin ? 0x80 : 0) | rsv | opcode];
  if (p.length < 126) head.push(0x80 | p.length);
  else if (p.length <= 0xffff) head.push(0x80 | 126, p.length >> 8, p.length & 0xff);
  else {
    head.push(0x80 | 127);
    for (let i = 7; i >= 0; --i) head.push(Number((BigInt(p.length) >> BigInt(8 * i)) & 0xffn));
  }
  const masked = Buffer.from(p.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from(head), Buffer.from(mask), masked]);
}
const closePayload = (code, reason = '') => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);

function serverSeeds() {
  const seeds = {};

  // A first visit: a client syncs an empty document, types, shows its cursor, a second joins.
  {
    const a = recordingDoc(101);
    const b = recordingDoc(102);
    const text = a.doc.getText('codemirror');
    const awA = new awarenessProtocol.Awareness(a.doc);
    awA.setLocalState({ user: { name: 'Ada', color: '#30bced' }, cursor: null });
    const recs = [send(step1(a.doc), { settle: true }), send(awarenessMsg(awA, [a.doc.clientID]))];
    text.insert(0, 'Hello');
    text.insert(5, ', world');
    for (const u of a.updates) recs.push(send(update(u)));
    recs.push(send(step1(b.doc), { client: 1, settle: true }));
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    b.doc.getText('codemirror').delete(0, 5);
    b.doc.getText('codemirror').insert(0, 'Goodbye');
    for (const u of b.updates.slice(-2)) recs.push(send(update(u), { client: 1 }));
    awA.setLocalState({ user: { name: 'Ada', color: '#30bced' }, cursor: { anchor: 3, head: 5 } });
    recs.push(send(awarenessMsg(awA, [a.doc.clientID]), { settle: true }));
    recs.push(send(queryAwareness(), { client: 1 }));
    awA.setLocalState(null);
    recs.push(send(awarenessMsg(awA, [a.doc.clientID]), { settle: true }));
    seeds['session-two-clients'] = Buffer.concat(recs);
  }

  // A client arriving with offline work: its step 2 holds texts, maps, arrays, nesting.
  {
    const a = recordingDoc(201);
    a.doc.transact(() => {
      const notes = a.doc.getMap('notes');
      const note = new Y.Map();
      notes.set('n1', note);
      note.set('title', 'Plan');
      const body = new Y.Text();
      note.set('body', body);
      body.insert(0, 'Steps: one, two', { bold: true });
      body.format(0, 5, { italic: true });
      const order = a.doc.getArray('order');
      order.push(['n1', 2, 3.5, true, null, { k: [1, 'x'] }, new Uint8Array([1, 2, 3])]);
      const frag = a.doc.getXmlFragment('prosemirror');
      const p = new Y.XmlElement('paragraph');
      p.setAttribute('align', 'left');
      p.insert(0, [new Y.XmlText('para')]);
      frag.insert(0, [p]);
    });
    a.doc.getArray('order').delete(1, 2);
    a.doc.getMap('notes').get('n1').get('body').delete(2, 4);
    const recs = [send(step1(a.doc)), send(step2(a.doc), { settle: true }), send(step1(new Y.Doc()), { client: 1, settle: true })];
    seeds['offline-step2-rich'] = Buffer.concat(recs);
  }

  // A typing trace: many small updates (the room compacts every 4), some batched together.
  {
    const a = recordingDoc(301);
    const t = a.doc.getText('t');
    const words = 'the quick brown fox jumps over the lazy dog'.split(' ');
    for (const w of words) t.insert(t.length, w + ' ');
    t.delete(4, 6);
    t.insert(4, 'slow ');
    const recs = [send(step1(a.doc), { settle: true })];
    a.updates.forEach((u, i) => recs.push(send(update(u), { settle: i % 3 === 0 })));
    seeds['typing-trace-compaction'] = Buffer.concat(recs);
  }

  // Fragmented messages, a ping in between, pings and pongs.
  {
    const a = recordingDoc(401);
    a.doc.getText('t').insert(0, 'fragmented update '.repeat(8));
    const recs = [
      record(KIND.fragmented, step1(a.doc)),
      record(KIND.fragmented, update(a.updates[0]), { variant: 1, settle: true }),
      record(KIND.ping, Buffer.from('are you there?')),
      record(KIND.raw, clientFrame(0xa, Buffer.from('unsolicited pong'))),
      record(KIND.special, null, { variant: 2, settle: true }), // the room pings
      record(KIND.special, null, { variant: 2, settle: true }), // and again: we answered
    ];
    seeds['fragments-pings'] = Buffer.concat(recs);
  }

  // Updates out of order: the later ones wait (pending) until the first arrives.
  {
    const a = recordingDoc(501);
    const t = a.doc.getText('t');
    t.insert(0, 'abc');
    t.insert(3, 'def');
    t.delete(1, 3);
    t.insert(0, 'X');
    const [u0, u1, u2, u3] = a.updates;
    const recs = [u3, u2, u1].map((u) => send(update(u), { settle: true }));
    recs.push(send(step1(new Y.Doc()), { client: 1, settle: true }));
    recs.push(send(update(u0), { settle: true }));
    seeds['out-of-order-pending'] = Buffer.concat(recs);
  }

  // A read-only guest: it reads along, its updates are refused, its presence is kept.
  {
    const a = recordingDoc(601);
    a.doc.getText('t').insert(0, 'guest edit');
    const aw = new awarenessProtocol.Awareness(a.doc);
    aw.setLocalState({ user: { name: 'Guest' } });
    const recs = [
      send(step1(a.doc), { client: 1, readOnly: true, settle: true }),
      send(step2(a.doc), { client: 1 }),
      send(awarenessMsg(aw, [a.doc.clientID]), { client: 1 }),
      send(update(a.updates[0]), { client: 1, settle: true }),
      send(step1(new Y.Doc()), { client: 0, settle: true }),
    ];
    seeds['read-only-guest'] = Buffer.concat(recs);
  }

  // Closing: a close frame, a hang-up, reconnecting, compaction on demand.
  {
    const a = recordingDoc(701);
    a.doc.getMap('m').set('k', 'v');
    a.doc.getMap('m').set('k', 'w');
    const aw = new awarenessProtocol.Awareness(a.doc);
    const recs = [
      send(update(a.updates[0])),
      send(awarenessMsg(aw, [a.doc.clientID]), { settle: true }),
      record(KIND.special, Buffer.from('bye'), { variant: 1, settle: true }), // close frame
      send(update(a.updates[1]), { settle: true }), // reconnects
      record(KIND.special, null, { variant: 3 }), // compact
      record(KIND.special, null, { client: 1, variant: 0 }), // (not open yet: opens, hangs up)
      send(step1(new Y.Doc()), { client: 1, settle: true }),
      record(KIND.special, null, { client: 1, variant: 0, settle: true }),
    ];
    seeds['close-reconnect-compact'] = Buffer.concat(recs);
  }

  // What the server must refuse: malformed envelopes and updates (4400), text frames,
  // protocol violations (1002), an auth message, an over-long message (4413).
  {
    const a = recordingDoc(801);
    a.doc.getText('t').insert(0, 'will be cut');
    const good = update(a.updates[0]);
    const recs = [
      send(Buffer.from([9, 0]), { settle: true }),
      send(good.subarray(0, good.length - 3), { settle: true }),
      send(Buffer.concat([good, Buffer.from([0])]), { settle: true }),
      send(authDenied('no'), { settle: true }),
      record(KIND.ping, Buffer.from('text'), { variant: 1, settle: true }),
      record(KIND.raw, clientFrame(0x3, []), { settle: true }),
      record(KIND.raw, clientFrame(0x2, good, { rsv: 0x40 }), { settle: true }),
      record(KIND.raw, Buffer.concat([clientFrame(0x0, good)]), { settle: true }),
      record(KIND.raw, Buffer.from([0x82, 0x05, 1, 2, 3, 4, 5]), { settle: true }), // unmasked
      record(KIND.raw, clientFrame(0x8, Buffer.from([0x03])), { settle: true }),
      record(KIND.raw, clientFrame(0x8, closePayload(1005)), { settle: true }),
      record(KIND.raw, Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]), { settle: true }), // 16 MiB
      send(step1(a.doc), { settle: true }),
    ];
    seeds['refusals'] = Buffer.concat(recs);
  }

  // Awareness at its edges: many ids from one connection (more than it may speak for), a
  // removal of someone else, an update with an older clock, a state that is not an object.
  {
    const recs = [];
    for (let i = 0; i < 20; ++i) {
      const d = new Y.Doc();
      d.clientID = 900 + i;
      const aw = new awarenessProtocol.Awareness(d);
      aw.setLocalState(i % 3 ? { user: { name: `u${i}` } } : i);
      recs.push(send(awarenessMsg(aw, [d.clientID]), { client: i % 2, settle: i % 5 === 0 }));
    }
    const d = new Y.Doc();
    d.clientID = 901;
    const aw = new awarenessProtocol.Awareness(d);
    aw.setLocalState(null);
    recs.push(send(awarenessMsg(aw, [901]), { client: 0, settle: true }));
    recs.push(send(queryAwareness(), { client: 1, settle: true }));
    seeds['awareness-many'] = Buffer.concat(recs);
  }

  // A room filling up: updates that together pass the room's 8 KiB limit (fuzz_server's).
  {
    const a = recordingDoc(1001);
    const t = a.doc.getText('t');
    for (let i = 0; i < 5; ++i) t.insert(t.length, String.fromCharCode(97 + i).repeat(2000));
    const recs = a.updates.map((u) => send(update(u), { settle: true }));
    recs.push(send(step1(new Y.Doc()), { client: 1, settle: true }));
    seeds['room-full'] = Buffer.concat(recs);
  }

  // Two clients editing concurrently, each update sent to the other through the room.
  {
    const a = recordingDoc(1101);
    const b = recordingDoc(1102);
    a.doc.getText('t').insert(0, 'shared');
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    const before = a.updates.length;
    a.doc.getText('t').insert(0, 'A');
    b.doc.getText('t').insert(6, 'B');
    b.doc.getText('t').delete(0, 2);
    a.doc.getArray('list').insert(0, [1, 2, 3]);
    b.doc.getMap('meta').set('title', 'T');
    const recs = [send(step1(a.doc)), send(step1(b.doc), { client: 1, settle: true })];
    for (const u of a.updates) recs.push(send(update(u)));
    for (const u of b.updates.slice(0)) recs.push(send(update(u), { client: 1 }));
    recs.push(send(step2(b.doc, Y.encodeStateVector(a.doc)), { client: 1, settle: true }));
    void before;
    seeds['concurrent-edits'] = Buffer.concat(recs);
  }

  // Another server instance (Redis relay): it asks with its state vector, relays an update
  // and presence, and something malformed; a client is there too. fuzz_server shares the
  // room with other instances when (size / 2) is odd: padded to that (trailing bytes shorter
  // than a record are ignored).
  {
    const other = recordingDoc(1201);
    other.doc.getText('t').insert(0, 'from the other instance');
    const aw = new awarenessProtocol.Awareness(other.doc);
    aw.setLocalState({ user: { name: 'Remote' } });
    const relayed = (payload) => record(KIND.ping, payload, { variant: 2 });
    const a = recordingDoc(1202);
    a.doc.getText('t').insert(0, 'local');
    const recs = [
      send(step1(a.doc)), send(update(a.updates[0]), { settle: true }),
      relayed(step1(other.doc)),
      relayed(update(other.updates[0])),
      relayed(awarenessMsg(aw, [other.doc.clientID])),
      relayed(Buffer.from([7, 7, 7])),
      relayed(queryAwareness()),
      send(step1(new Y.Doc()), { client: 1, settle: true }),
    ];
    let bytes = Buffer.concat(recs);
    while ((bytes.length >> 1) % 2 === 0) bytes = Buffer.concat([bytes, Buffer.from([0])]);
    seeds['relay-instances'] = bytes;
  }

  return seeds;
}

// --- fuzz_frames inputs (byte 0: 0 head, 1 frames, 2 request target, 3 access token) ------
function framesSeeds() {
  const head = (s) => Buffer.concat([Buffer.from([0]), Buffer.from(s)]);
  const frames = (...fs) => Buffer.concat([Buffer.from([1]), ...fs]);
  const target = (s) => Buffer.concat([Buffer.from([2]), Buffer.from(s)]);
  const upgrade = (t, extra = '', key = 'dGhlIHNhbXBsZSBub25jZQ==', version = '13') =>
    `GET ${t} HTTP/1.1\r\nHost: localhost:1234\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n${extra}\r\n`;
  const long = 'a'.repeat(300);
  return {
    'head-upgrade': head(upgrade('/notes/team?token=abc.def') + '\x82\x80\x01\x02\x03\x04'),
    'head-upgrade-browser': head(
      'GET /codemirror HTTP/1.1\r\nhost: example.org\r\nconnection: keep-alive, Upgrade\r\n' +
      'pragma: no-cache\r\nupgrade: WebSocket\r\norigin: https://example.org\r\n' +
      'sec-websocket-version: 13\r\nsec-websocket-key: x3JJHMbDL1EzLkh9GBhXDw==\r\n' +
      'sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n\r\n'),
    'head-plain-get': head('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    'head-bad-version': head(upgrade('/r', '', 'dGhlIHNhbXBsZSBub25jZQ==', '8')),
    'head-bad-key': head(upgrade('/r', '', 'c2hvcnQ=')),
    'head-post': head('POST /r HTTP/1.1\r\nContent-Length: 0\r\n\r\n'),
    'head-folding': head('GET /r HTTP/1.1\r\nUpgrade: websocket\r\n continued\r\n\r\n'),
    'head-partial': head('GET /r HTTP/1.1\r\nUpgrade: webs'),
    'head-long-header': head(upgrade('/r', `X-Long: ${long}\r\n`)),
    'frames-session': frames(
      clientFrame(0x2, Buffer.from([0, 0, 1, 0])),
      clientFrame(0x2, Buffer.from('fragment'), { fin: false }),
      clientFrame(0x9, Buffer.from('ping')),
      clientFrame(0x0, Buffer.from(' end')),
      clientFrame(0xa, []),
      clientFrame(0x1, Buffer.from('text')),
      clientFrame(0x8, closePayload(1000, 'bye'))),
    'frames-lengths': frames(
      clientFrame(0x2, Buffer.alloc(126, 7)),
      clientFrame(0x2, Buffer.alloc(300, 9), { mask: [0xff, 0, 0x80, 1] }),
      clientFrame(0x2, Buffer.alloc(70000, 1)).subarray(0, 40)),
    'frames-close-codes': frames(
      ...[1000, 1001, 1004, 1005, 1006, 1011, 1014, 1015, 2999, 3000, 4400, 4999, 5000].map((c) =>
        clientFrame(0x8, closePayload(c, c === 4400 ? 'é'.repeat(70) : 'r')))),
    'frames-bad': frames(
      clientFrame(0x8, Buffer.from([3])),
      Buffer.from([0x89, 0xfe, 0x00, 0x7e, 1, 2, 3, 4]),
      Buffer.from([0x82, 0xfe, 0x00, 0x10, 1, 2, 3, 4]),
      Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0])),
    'frames-unmasked': frames(Buffer.from([0x82, 0x02, 0x01, 0x02])),
    'frames-reserved': frames(clientFrame(0x2, Buffer.from('x'), { rsv: 0x40 })),
    'target-query': target('/notes/team?token=x&y=z'),
    'target-root': target('/'),
    'target-odd': target('/../etc/passwd%00?'),
    'target-unicode': target('/café/ノート'),
    // Access tokens: these bytes become the payload of a token signed with fuzz_frames'
    // secret (and are also tried as a token and as a request target).
    ...Object.fromEntries([
      ['write', { v: 1, room: 'notes', perm: 'write', exp: 0, id: '0123456789abcdef' }],
      ['read-expiring', { v: 1, room: 'notes', perm: 'read', exp: 1767225600, id: 'fedcba9876543210' }],
      ['every-room', { v: 1, room: '*', perm: 'write', exp: 4102444800, id: '00000000ffffffff' }],
      ['expired', { v: 1, room: 'notes', perm: 'write', exp: 1, id: '0123456789abcdef' }],
      ['other-room', { v: 1, room: 'other', perm: 'read', exp: 0, id: '0123456789abcdef' }],
      ['bad-id', { v: 1, room: 'notes', perm: 'write', exp: 0, id: '0123456789ABCDEF' }],
      ['version-2', { v: 2, room: 'notes', perm: 'write', exp: 0, id: '0123456789abcdef' }],
      ['odd-values', { v: 1.0, room: 'notes', perm: 'admin', exp: 1.5, id: 'é123456789abcdef', x: [null] }],
    ].map(([name, grant]) => [`token-${name}`, Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(grant))])])),
    'token-duplicate-keys': Buffer.concat([Buffer.from([3]), Buffer.from('{"v":1,"room":"x","room":"notes","perm":"write","exp":0,"id":"0123456789abcdef"}')]),
    'token-in-target': Buffer.concat([Buffer.from([3]), Buffer.from('/notes?a=%74oken&token=eyJ2IjoxfQ.c2ln%2e&token=second#frag')]),
  };
}

// --- fuzz_storedlog inputs (byte 0: lastSeq offset; records: snapshot, then updates) -------
function storedSeeds() {
  const rec = (b) => {
    const p = Buffer.from(b ?? []);
    return Buffer.concat([Buffer.from([p.length & 0xff, (p.length >> 8) & 0xff]), p]);
  };
  const log = (offset, snapshot, updates) => Buffer.concat([Buffer.from([offset]), rec(snapshot), ...updates.map(rec)]);

  const a = recordingDoc(2001);
  const t = a.doc.getText('t');
  t.insert(0, 'stored text');
  a.doc.getMap('notes').set('n', 'first');
  const snapshotAt = a.updates.length;
  const snapshot = Y.encodeStateAsUpdate(a.doc);
  t.delete(0, 7);
  t.insert(t.length, ' and more', { bold: true });
  a.doc.getArray('arr').push([1, 'two', { three: 3 }]);
  a.doc.getMap('notes').set('n', 'second');
  const later = a.updates.slice(snapshotAt);

  const rich = recordingDoc(2002);
  rich.doc.transact(() => {
    const m = new Y.Map();
    rich.doc.getArray('notes').push([m]);
    const body = new Y.Text('nested body');
    m.set('body', body);
    const x = rich.doc.getXmlFragment('x');
    x.insert(0, [new Y.XmlElement('p'), new Y.XmlText('xml')]);
  });
  rich.doc.getArray('notes').get(0).get('body').delete(0, 7);

  const cut = (u) => u.subarray(0, Math.max(1, u.length - 5));
  return {
    'log-empty': Buffer.from([0]),
    'log-snapshot-only': log(0, Y.encodeStateAsUpdate(a.doc), []),
    'log-updates-only': log(0, [], a.updates),
    'log-snapshot-and-updates': log(5, snapshot, later),
    'log-overlapping': log(1, snapshot, a.updates), // updates already in the snapshot
    'log-missing-update': log(2, [], a.updates.filter((_, i) => i !== 1)), // the rest pends
    'log-deletes-first': log(0, [], [...later].reverse()),
    'log-rich': log(0, Y.encodeStateAsUpdate(rich.doc), rich.updates.slice(1)),
    'log-damaged-update': log(0, snapshot, [later[0], cut(later[1]), later[2]]),
    'log-damaged-snapshot': log(0, cut(snapshot), later),
    'log-merged': log(3, Y.mergeUpdates(a.updates.slice(0, 3)), [Y.mergeUpdates(a.updates.slice(3))]),
  };
}

function write(dir, seeds) {
  const full = path.join(outDir, dir);
  fs.mkdirSync(full, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) {
    fs.writeFileSync(path.join(full, `seed-${name}`), bytes);
  }
  console.log(`${dir}: ${Object.keys(seeds).length} seeds`);
}

write('corpus-server', serverSeeds());
write('corpus-frames', framesSeeds());
write('corpus-storedlog', storedSeeds());
process.exit(0); // y-protocols' Awareness keeps a timer running
