#!/usr/bin/env node
// Fixture generator for Tandem's Yjs compatibility tests.
//
//   node tests/js/gen-fixtures.mjs [output path]
//
// Writes tests/data/yjs/fixtures.json (relative to the repository root) unless
// an output path is given. Every case is a list of ops.mjs commands together
// with the responses the real Yjs gave, so a C++ test can replay the commands
// on its own implementation (or against yjs-peer.mjs) and compare.
//
// The output is deterministic: every doc gets a fixed clientID, random cases
// use a seeded PRNG implemented here, the UndoManager runs with
// captureTimeout 0 (or one so large that elapsed time cannot matter), and
// nothing time- or machine-dependent is written. Before writing, every case
// is replayed from its commands alone in a fresh World and must reproduce the
// recorded responses exactly.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { World, toHex, anyFromJSON, anyToJSON } from './ops.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const outPath = resolve(process.argv[2] ?? resolve(here, '../data/yjs/fixtures.json'))

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

const EXPECTED = { yjs: '13.6.33', lib0: '0.2.120', 'y-protocols': '1.0.7' }
const versions = {}
for (const name of Object.keys(EXPECTED)) {
  const pkg = JSON.parse(readFileSync(resolve(here, 'node_modules', name, 'package.json'), 'utf8'))
  versions[name] = pkg.version
  if (pkg.version !== EXPECTED[name]) {
    console.error(`warning: ${name} ${pkg.version} installed, fixtures are meant for ${EXPECTED[name]} (run npm ci in tests/js)`)
  }
}

// ---------------------------------------------------------------------------
// Primitives (lib0 encodings)
// ---------------------------------------------------------------------------

const encodeWith = (write, value) => {
  const enc = encoding.createEncoder()
  write(enc, value)
  return encoding.toUint8Array(enc)
}

const check = (cond, msg) => { if (!cond) throw new Error(`self check failed: ${msg}`) }

const primitives = () => {
  const varUint = [0, 127, 128, 300, 2 ** 32 - 1, 2 ** 53 - 1].map((value) => {
    const bytes = encodeWith(encoding.writeVarUint, value)
    check(decoding.readVarUint(decoding.createDecoder(bytes)) === value, `varUint ${value}`)
    return { value, hex: toHex(bytes) }
  })

  const varInt = [0, -1, 1, 63, 64, -63, -64, -65, -0, 2 ** 31 - 1, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1)].map((value) => {
    const bytes = encodeWith(encoding.writeVarInt, value)
    check(Object.is(decoding.readVarInt(decoding.createDecoder(bytes)), value), `varInt ${value}`)
    return { value: anyToJSON(value), hex: toHex(bytes) }
  })

  // `decoded` is what readVarString returns: a lone surrogate cannot be
  // represented in UTF-8 and is written as U+FFFD (ef bf bd).
  const varString = [
    ['ascii', 'hello'],
    ['multibyte', 'é€😀'],
    ['empty', ''],
    ['lone high surrogate', '\ud83d'],
    ['BOM', '\ufeff'],
    ['NUL inside', 'a\u0000b']
  ].map(([label, value]) => {
    const bytes = encodeWith(encoding.writeVarString, value)
    const decoded = decoding.readVarString(decoding.createDecoder(bytes))
    return { label, value, utf16Length: value.length, hex: toHex(bytes), decoded }
  })

  const anyValues = [
    ['undefined', undefined],
    ['null', null],
    ['int 0', 0],
    ['int 1', 1],
    ['int -1', -1],
    ['int 2^31-1', 2 ** 31 - 1],
    ['2^31 (not an int31: float32)', 2 ** 31],
    ['-2^31 (not an int31: float32)', -(2 ** 31)],
    ['-0', -0],
    ['float32 1.5', 1.5],
    ['float64 0.1', 0.1],
    ['2^53-1 (float64)', 2 ** 53 - 1],
    ['1e300', 1e300],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['bigint', 123456789012345678n],
    ['negative bigint', -5n],
    ['true', true],
    ['false', false],
    ['string', 'hello'],
    ['string multibyte', 'é€😀'],
    ['empty string', ''],
    // JS orders integer-like keys first (ascending), then the others in
    // insertion order; writeAny uses Object.keys, so the bytes follow that.
    ['object with integer-like and ordinary keys', { b: 1, 10: true, a: 'x', 2: null, nested: { z: [] } }],
    ['empty object', {}],
    ['array', [1, 'two', null, [true, 1.5], { k: -1 }]],
    ['empty array', []],
    ['Uint8Array', new Uint8Array([0, 1, 127, 128, 255])],
    ['empty Uint8Array', new Uint8Array([])]
  ].map(([label, value]) => {
    const bytes = encodeWith(encoding.writeAny, value)
    const json = anyToJSON(value)
    const back = decoding.readAny(decoding.createDecoder(bytes))
    check(isDeepStrictEqual(anyToJSON(back), json), `any ${label} round trip`)
    check(toHex(encodeWith(encoding.writeAny, anyFromJSON(json))) === toHex(bytes), `any ${label} from JSON`)
    return { label, value: json, hex: toHex(bytes) }
  })

  return { varUint, varInt, varString, any: anyValues }
}

// ---------------------------------------------------------------------------
// Case recording
// ---------------------------------------------------------------------------

const TEXT = { name: 't', kind: 'text' }
/** Target helpers. */
const txt = (root = 't', path) => path ? { kind: 'text', root, path } : { kind: 'text', root }
const map = (root = 'm', path) => path ? { kind: 'map', root, path } : { kind: 'map', root }
const arr = (root = 'a', path) => path ? { kind: 'array', root, path } : { kind: 'array', root }

/** Op helpers on the default root text 't'. */
const ins = (index, text, attrs) => attrs ? { op: 'textInsert', target: txt(), index, text, attrs } : { op: 'textInsert', target: txt(), index, text }
const del = (index, length) => ({ op: 'textDelete', target: txt(), index, length })

class Case {
  /**
   * @param {string} name
   * @param {string} description
   */
  constructor (name, description) {
    this.name = name
    this.description = description
    this.world = new World()
    this.commands = []
    this.responses = []
    /** doc name -> roots reported by its `state` commands */
    this.roots = {}
    /** doc name -> last state response */
    this.last = {}
  }

  run (cmd) {
    const res = this.world.exec(cmd)
    if (!res.ok) throw new Error(`case ${this.name}: ${JSON.stringify(cmd)} failed: ${res.error}`)
    this.commands.push(cmd)
    this.responses.push(res)
    return res
  }

  /** Create a doc; `roots` are pre-registered (so their deltas are observed) and reported by state. */
  doc (name, client, { gc = true, roots = [TEXT] } = {}) {
    this.roots[name] = roots
    this.run({ cmd: 'new', doc: name, client, gc, roots })
    this.state(name)
    return name
  }

  state (doc) {
    const res = this.run({ cmd: 'state', doc, roots: this.roots[doc] })
    this.last[doc] = res
    return res
  }

  /** Run ops in one transaction, then record the doc's state. Returns the op response. */
  op (doc, ops, origin) {
    const cmd = { cmd: 'op', doc, ops }
    if (origin !== undefined) cmd.origin = origin
    const res = this.run(cmd)
    this.state(doc)
    return res
  }

  apply (doc, update, origin) {
    const cmd = { cmd: 'apply', doc, update }
    if (origin !== undefined) cmd.origin = origin
    const res = this.run(cmd)
    this.state(doc)
    return res
  }

  /** Apply each update event of an earlier response to `doc`, in order. */
  deliver (doc, res, origin) {
    for (const ev of res.events) this.apply(doc, ev, origin)
  }

  /** Send what `to` lacks from `from` (state vector exchange, as sync step 2 does). */
  sync (from, to, origin) {
    const diff = this.run({ cmd: 'diff', doc: from, sv: this.last[to].sv })
    return this.apply(to, diff.update, origin)
  }

  /** Sync every ordered pair, twice around, so all docs end up equal. */
  syncAll (docs, origin) {
    for (const a of docs) for (const b of docs) if (a !== b) this.sync(a, b, origin)
  }

  text (doc, root = 't') { return this.last[doc].values[root] }

  expectConverged (docs, root = 't') {
    const v = JSON.stringify(this.last[docs[0]].values)
    const sv = this.last[docs[0]].sv
    for (const d of docs) {
      check(JSON.stringify(this.last[d].values) === v, `${this.name}: ${d} values differ from ${docs[0]}`)
      check(this.last[d].sv === sv, `${this.name}: ${d} state vector differs from ${docs[0]}`)
    }
  }

  expectText (doc, text, root = 't') {
    check(this.text(doc, root) === text, `${this.name}: ${doc}.${root} is ${JSON.stringify(this.text(doc, root))}, expected ${JSON.stringify(text)}`)
  }

  toJSON () {
    this.world.destroy()
    return { name: this.name, description: this.description, commands: this.commands, responses: this.responses }
  }
}

const cases = []
/** Define a case: `fn` drives a Case and may assert on it. */
const defCase = (name, description, fn) => {
  const c = new Case(name, description)
  fn(c)
  cases.push(c.toJSON())
}

// ---------------------------------------------------------------------------
// Basic text structure
// ---------------------------------------------------------------------------

defCase('single-insert', 'One insert into an empty root text, delivered to a second doc: the minimal update (one struct, root parent key, empty delete set).', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  const r = c.op('A', [ins(0, 'hello')])
  c.deliver('B', r)
  c.expectConverged(['A', 'B']); c.expectText('B', 'hello')
})

defCase('typing-appends-merge', 'Five single-character transactions: each emits its own update event, but the store merges them into one item, so the full state is a single struct.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  const evs = []
  for (const [i, ch] of [...'hello'].entries()) evs.push(c.op('A', [ins(i, ch)]))
  for (const r of evs) c.deliver('B', r)
  c.expectConverged(['A', 'B']); c.expectText('A', 'hello')
})

defCase('insert-in-middle-splits-item', 'Insert inside an existing item splits it; the new item has origin = left half end and rightOrigin = right half start.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'abcdef')]))
  c.deliver('B', c.op('A', [ins(3, 'XY')]))
  c.deliver('A', c.op('B', [ins(1, '_')]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'a_bcXYdef')
})

defCase('delete-with-gc', 'Delete on a gc doc: the deleted string becomes ContentDeleted in the encoded state; the delete travels as a delete-set-only update. Receiver B also has gc on.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'hello world')]))
  c.deliver('B', c.op('A', [del(5, 6)]))
  c.deliver('B', c.op('A', [del(0, 1)]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'ello')
})

defCase('delete-without-gc', 'Same edits with gc disabled on both docs: tombstones keep their strings in the encoded state.', (c) => {
  c.doc('A', 1, { gc: false }); c.doc('B', 2, { gc: false })
  c.deliver('B', c.op('A', [ins(0, 'hello world')]))
  c.deliver('B', c.op('A', [del(5, 6)]))
  c.deliver('B', c.op('A', [del(0, 1)]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'ello')
})

defCase('local-insert-after-tombstones-middle', 'Insert at an index just after deleted text in the middle: the origin is the last tombstone (Yjs walks over deleted items before inserting). A has gc, B not.', (c) => {
  c.doc('A', 1); c.doc('B', 2, { gc: false })
  c.deliver('B', c.op('A', [ins(0, 'abcdef')]))
  c.deliver('B', c.op('A', [del(2, 2)]))
  c.deliver('B', c.op('A', [ins(2, 'X')]))
  c.deliver('A', c.op('B', [ins(2, 'Y')]))
  c.expectConverged(['A', 'B'])
})

defCase('local-insert-after-tombstones-end', 'Insert at the end after the tail was deleted: origin = deleted tail item, no rightOrigin. Done on both a gc and a non-gc doc.', (c) => {
  c.doc('A', 1); c.doc('B', 2, { gc: false })
  c.deliver('B', c.op('A', [ins(0, 'abc')]))
  c.deliver('B', c.op('A', [del(1, 2)]))
  c.deliver('B', c.op('A', [ins(1, 'Z')]))
  c.deliver('A', c.op('B', [del(1, 1)]))
  c.deliver('A', c.op('B', [ins(1, 'W')]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'aW')
})

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

const concurrentSamePosition = (c, idA, idB) => {
  c.doc('A', idA); c.doc('B', idB)
  c.deliver('B', c.op('A', [ins(0, 'ab')]))
  const ra = c.op('A', [ins(1, 'xx')])
  const rb = c.op('B', [ins(1, 'yy')])
  c.deliver('A', rb)
  c.deliver('B', ra)
  c.expectConverged(['A', 'B'])
}

defCase('concurrent-insert-same-position', 'A (client 1) and B (client 2) insert at the same index concurrently: equal origins, the lower clientID goes first.', (c) => {
  concurrentSamePosition(c, 1, 2); c.expectText('A', 'axxyyb')
})

defCase('concurrent-insert-same-position-swapped-ids', 'The same edits with the clientIDs swapped (A = 2, B = 1): the order of the inserted runs flips.', (c) => {
  concurrentSamePosition(c, 2, 1); c.expectText('A', 'ayyxxb')
})

defCase('three-clients-concurrent-at-start', 'Three clients insert at index 0 of an empty text concurrently; observers D, E, F receive the three updates in different orders and converge. Then the writers sync.', (c) => {
  for (const [d, id] of [['A', 30], ['B', 10], ['C', 20], ['D', 40], ['E', 50], ['F', 60]]) c.doc(d, id)
  const r = { A: c.op('A', [ins(0, 'aaa')]), B: c.op('B', [ins(0, 'bbb')]), C: c.op('C', [ins(0, 'ccc')]) }
  for (const k of ['A', 'B', 'C']) c.deliver('D', r[k])
  for (const k of ['C', 'B', 'A']) c.deliver('E', r[k])
  for (const k of ['B', 'C', 'A']) c.deliver('F', r[k])
  c.syncAll(['A', 'B', 'C'])
  c.expectConverged(['A', 'B', 'C', 'D', 'E', 'F']); c.expectText('D', 'bbbcccaaa')
})

defCase('interleaving-origins', 'YATA case 2: base "xy"; A inserts "1" and B inserts "2" between x and y concurrently; C, who saw only A\'s insert, inserts "3" right after "1" (origin = A\'s item). Delivered in different orders to D and E.', (c) => {
  for (const [d, id] of [['A', 3], ['B', 1], ['C', 2], ['D', 4], ['E', 5]]) c.doc(d, id)
  const base = c.op('A', [ins(0, 'xy')])
  for (const d of ['B', 'C', 'D', 'E']) c.deliver(d, base)
  const r1 = c.op('A', [ins(1, '1')])
  const r2 = c.op('B', [ins(1, '2')])
  c.deliver('C', r1)
  const r3 = c.op('C', [ins(2, '3')])
  for (const r of [r1, r2, r3]) c.deliver('D', r)
  for (const r of [r2, r1, r3]) c.deliver('E', r)
  c.syncAll(['A', 'B', 'C'])
  c.expectConverged(['A', 'B', 'C', 'D', 'E'])
})

defCase('delete-concurrently-inserted-text', 'Three peers on "hello world": A deletes "world", B inserts inside "world", C inserts at the end and deletes "hello". Everything concurrent, then full sync; B\'s insert survives inside the deleted range.', (c) => {
  c.doc('A', 1); c.doc('B', 2); c.doc('C', 3)
  const base = c.op('A', [ins(0, 'hello world')])
  c.deliver('B', base); c.deliver('C', base)
  const ra = c.op('A', [del(6, 5)])
  const rb = c.op('B', [ins(8, 'RR')])
  const rc = c.op('C', [ins(11, '!'), del(0, 5)])
  c.deliver('A', rb); c.deliver('A', rc)
  c.deliver('B', rc); c.deliver('B', ra)
  c.deliver('C', ra); c.deliver('C', rb)
  c.expectConverged(['A', 'B', 'C']); c.expectText('A', ' RR!')
})

defCase('concurrent-overlapping-deletes', 'A deletes [1,6) and B deletes [3,8) of "abcdefgh" concurrently; the delete sets are unioned.', (c) => {
  c.doc('A', 1); c.doc('B', 2, { gc: false })
  c.deliver('B', c.op('A', [ins(0, 'abcdefgh')]))
  const ra = c.op('A', [del(1, 5)])
  const rb = c.op('B', [del(3, 5)])
  c.deliver('A', rb); c.deliver('B', ra)
  c.expectConverged(['A', 'B']); c.expectText('A', 'a')
})

// ---------------------------------------------------------------------------
// Delivery order, duplicates
// ---------------------------------------------------------------------------

defCase('out-of-order-same-client', 'A makes three transactions (insert, insert, delete). B receives them in reverse order: the delete waits in the pending delete set, the second insert in pending structs (missing A clock 0), and all integrate when the first arrives.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  const r1 = c.op('A', [ins(0, 'abc')])
  const r2 = c.op('A', [ins(3, 'def')])
  const r3 = c.op('A', [del(1, 4)])
  c.deliver('B', r3); c.deliver('B', r2); c.deliver('B', r1)
  c.expectConverged(['A', 'B']); c.expectText('B', 'af')
})

defCase('out-of-order-cross-client', 'B inserts after A\'s text; C receives B\'s update first (it depends on A: pending), then A\'s, then a delete from A referencing text C already has.', (c) => {
  c.doc('A', 1); c.doc('B', 2); c.doc('C', 3)
  const ra = c.op('A', [ins(0, 'one ')])
  c.deliver('B', ra)
  const rb = c.op('B', [ins(4, 'two')])
  c.deliver('C', rb)
  c.deliver('C', ra)
  c.deliver('A', rb)
  const rd = c.op('B', [del(0, 4)])
  const re = c.op('A', [ins(7, '!')])
  c.deliver('C', re); c.deliver('C', rd)
  c.deliver('A', rd); c.deliver('B', re)
  c.expectConverged(['A', 'B', 'C']); c.expectText('C', 'two!')
})

defCase('duplicate-and-overlapping-delivery', 'B receives an update twice, then a full-state diff that overlaps what it has (integrated with an offset), then an old update again: duplicates emit no update events.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  const r1 = c.op('A', [ins(0, 'abc')])
  const r2 = c.op('A', [ins(3, 'def')])
  // A's full state now: covers r1 and r2, so it overlaps what B will have.
  const full = c.run({ cmd: 'diff', doc: 'A', sv: '00' })
  const r3 = c.op('A', [del(0, 1), ins(5, 'g')])
  c.deliver('B', r1); c.deliver('B', r1)
  c.apply('B', full.update)
  c.deliver('B', r2); c.deliver('B', r3); c.deliver('B', r1)
  c.expectConverged(['A', 'B']); c.expectText('B', 'bcdefg')
})

// ---------------------------------------------------------------------------
// Unicode
// ---------------------------------------------------------------------------

defCase('utf16-surrogate-pairs', 'An emoji counts 2 UTF-16 units (2 clocks) and 4 UTF-8 bytes; deleting it deletes both units.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'a😀b')]))
  c.deliver('B', c.op('A', [ins(4, '👍🏽')]))
  c.deliver('A', c.op('B', [del(1, 2)]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'ab👍🏽')
})

defCase('utf16-split-surrogate-insert', 'Inserting between the two halves of a surrogate pair splits the item; Yjs replaces both orphaned halves with U+FFFD, on the inserting doc and on the receiver.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'x😀y')]))
  c.deliver('B', c.op('A', [ins(2, '-')]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'x\ufffd-\ufffdy')
})

defCase('utf16-split-surrogate-delete', 'Deleting one half of a surrogate pair: the remaining half becomes U+FFFD.', (c) => {
  c.doc('A', 1); c.doc('B', 2, { gc: false })
  c.deliver('B', c.op('A', [ins(0, 'a😀b')]))
  c.deliver('B', c.op('A', [del(1, 1)]))
  c.deliver('A', c.op('B', [ins(2, '😀')]))
  c.expectConverged(['A', 'B'])
})

defCase('utf8-multibyte', 'Strings whose UTF-8 byte length differs from their UTF-16 length: content length fields count bytes, clocks count UTF-16 units.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'é€中\u0000\ufeffß')]))
  c.deliver('B', c.op('A', [ins(2, 'ü😀')]))
  c.deliver('A', c.op('B', [del(0, 1), ins(3, 'Ω')]))
  c.expectConverged(['A', 'B'])
})

// ---------------------------------------------------------------------------
// Rich text from a rich peer, seen by a plain-text peer
// ---------------------------------------------------------------------------

defCase('rich-text-format-and-plain-peer', 'Rich peer A bolds a run; plain peer B (inserts without attributes) then types at the run start (lands before the bold marker: plain) and at the run end (inherits bold: lands before the closing marker).', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'hello world')]))
  c.deliver('B', c.op('A', [{ op: 'textFormat', target: txt(), index: 6, length: 5, attrs: { bold: true } }]))
  c.deliver('A', c.op('B', [ins(6, '[')]))
  c.deliver('A', c.op('B', [ins(12, ']')]))
  c.deliver('A', c.op('B', [ins(13, '.')]))
  c.expectConverged(['A', 'B'])
})

defCase('rich-text-insert-with-attributes', 'A inserts text with attributes (format markers around it, including a negating marker); plain peer B inserts inside and after; A later removes the attribute with null.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'ab')]))
  c.deliver('B', c.op('A', [ins(1, 'XY', { italic: true, color: '#ff0000' })]))
  c.deliver('A', c.op('B', [ins(2, '-')]))
  c.deliver('A', c.op('B', [ins(4, '+')]))
  c.deliver('B', c.op('A', [{ op: 'textFormat', target: txt(), index: 1, length: 2, attrs: { italic: null } }]))
  c.expectConverged(['A', 'B'])
})

defCase('rich-text-embed', 'An embed counts 1 toward length and indices but is absent from the string value; the plain peer inserts after it.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'ab')]))
  c.deliver('B', c.op('A', [{ op: 'textInsertEmbed', target: txt(), index: 1, embed: { image: 'cat.png', width: 120 } }]))
  c.deliver('A', c.op('B', [ins(2, 'c')]))
  c.deliver('A', c.op('B', [del(0, 1)]))
  c.expectConverged(['A', 'B']); c.expectText('A', 'cb')
})

defCase('rich-text-delete-across-format', 'Overlapping bold/italic runs, then a delete spanning both: the deleting doc also removes format markers that became redundant, and the receiver runs its own formatting cleanup.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'abcdefgh')]))
  c.deliver('B', c.op('A', [{ op: 'textFormat', target: txt(), index: 1, length: 3, attrs: { bold: true } }]))
  c.deliver('B', c.op('A', [{ op: 'textFormat', target: txt(), index: 3, length: 3, attrs: { italic: true } }]))
  c.deliver('B', c.op('A', [del(2, 3)]))
  c.deliver('A', c.op('B', [ins(2, 'Q')]))
  c.expectConverged(['A', 'B'])
})

defCase('rich-text-concurrent-format-and-insert', 'A formats a range while B (plain) concurrently inserts inside it and deletes across its end; on receiving A\'s format B runs Yjs\' formatting cleanup (which can emit its own update).', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.deliver('B', c.op('A', [ins(0, 'one two three')]))
  const ra = c.op('A', [{ op: 'textFormat', target: txt(), index: 4, length: 3, attrs: { bold: true } }])
  const rb = c.op('B', [ins(5, 'x'), del(7, 3)])
  c.deliver('B', ra)
  c.deliver('A', rb)
  c.syncAll(['A', 'B'])
  c.expectConverged(['A', 'B'])
})

defCase('rich-text-concurrent-same-format-cleanup', 'A and B bold overlapping ranges concurrently. On receiving the other\'s format markers each JS doc deletes the now redundant ones in a follow-up local transaction (cleanupYTextAfterTransaction), so one apply emits two update events; those cleanup deletes are exchanged as well. Plain peer C only receives.', (c) => {
  c.doc('A', 1); c.doc('B', 2); c.doc('C', 3)
  const base = c.op('A', [ins(0, 'abcdefghij')])
  c.deliver('B', base); c.deliver('C', base)
  const ra = c.op('A', [{ op: 'textFormat', target: txt(), index: 1, length: 5, attrs: { bold: true } }])
  const rb = c.op('B', [{ op: 'textFormat', target: txt(), index: 3, length: 5, attrs: { bold: true } }])
  const a2 = c.apply('A', rb.events[0])
  const b2 = c.apply('B', ra.events[0])
  c.deliver('C', ra); c.deliver('C', rb)
  // Forward the cleanup transactions (every event after the first).
  for (const ev of b2.events.slice(1)) { c.apply('A', ev); c.apply('C', ev) }
  for (const ev of a2.events.slice(1)) { c.apply('B', ev); c.apply('C', ev) }
  c.syncAll(['A', 'B', 'C'])
  c.expectConverged(['A', 'B', 'C'])
})

// ---------------------------------------------------------------------------
// Client IDs
// ---------------------------------------------------------------------------

defCase('many-clients-order-and-large-ids', 'Seven clients including 0, 2^31 and 4294967295 insert concurrently at index 0 and then at the end; full states list clients in descending order; clientIDs take up to 5 varUint bytes.', (c) => {
  const ids = [['A', 4294967295], ['B', 0], ['C', 1], ['D', 2147483648], ['E', 123456789], ['F', 127], ['G', 128]]
  for (const [d, id] of ids) c.doc(d, id)
  const names = ids.map(([d]) => d)
  const rs = names.map((d) => c.op(d, [ins(0, d.toLowerCase())]))
  for (const d of names) for (const r of rs) c.deliver(d, r)
  c.expectConverged(names)
  const rs2 = names.map((d) => c.op(d, [ins(7, d)]))
  for (const d of names) for (const r of [...rs2].reverse()) c.deliver(d, r)
  c.expectConverged(names)
})

// ---------------------------------------------------------------------------
// Maps and arrays
// ---------------------------------------------------------------------------

defCase('gc-nested-type-in-map', 'Root map "m" holds a nested Y.Text, Y.Map and Y.Array (ContentType, parentSub); deleting the key holding the text makes its map entry ContentDeleted and the text\'s own content a GC struct (info 0) on gc docs (A, B), while the non-gc doc C keeps both.', (c) => {
  const roots = [{ name: 'm', kind: 'map' }]
  c.doc('A', 1, { roots }); c.doc('B', 2, { roots }); c.doc('C', 3, { gc: false, roots })
  const r1 = c.op('A', [
    { op: 'mapSetType', target: map(), key: 'text', type: 'text' },
    { op: 'textInsert', target: txt('m', ['text']), index: 0, text: 'nested text' },
    { op: 'mapSetType', target: map(), key: 'map', type: 'map' },
    { op: 'mapSet', target: map('m', ['map']), key: 'x', value: 1 },
    { op: 'mapSetType', target: map(), key: 'arr', type: 'array' },
    { op: 'arrayInsert', target: arr('m', ['arr']), index: 0, values: ['a', 2, null] }
  ])
  c.deliver('B', r1); c.deliver('C', r1)
  const r2 = c.op('A', [{ op: 'textInsert', target: txt('m', ['text']), index: 6, text: '!' }])
  c.deliver('B', r2); c.deliver('C', r2)
  const r3 = c.op('A', [{ op: 'mapDelete', target: map(), key: 'text' }])
  c.deliver('B', r3); c.deliver('C', r3)
  const r4 = c.op('B', [{ op: 'mapSet', target: map('m', ['map']), key: 'y', value: 'after' }])
  c.deliver('A', r4); c.deliver('C', r4)
  c.expectConverged(['A', 'B', 'C'])
})

const ANY_SAMPLES = {
  null: null,
  true: true,
  false: false,
  int: 42,
  negInt: -7,
  int31max: 2147483647,
  int31plus1: 2147483648,
  float32: 1.5,
  float64: 0.1,
  negZero: { $num: '-0' },
  nan: { $num: 'NaN' },
  inf: { $num: 'Infinity' },
  negInf: { $num: '-Infinity' },
  bigint: { $bigint: '-9007199254740993' },
  undef: { $undefined: true },
  string: 'héllo 😀',
  empty: '',
  bytes: { $bytes: '00ff10' },
  array: [1, 'a', [null, { $bytes: '' }]],
  object: { b: 1, 10: 'ten', a: { deep: [true] }, 2: null }
}

defCase('map-any-values', 'Root map values of every Any kind (ContentAny; a top-level Uint8Array becomes ContentBinary), overwritten concurrently (higher clientID wins a concurrent set of the same key), then deleted.', (c) => {
  const roots = [{ name: 'm', kind: 'map' }]
  c.doc('A', 1, { roots }); c.doc('B', 2, { roots })
  const r1 = c.op('A', Object.entries(ANY_SAMPLES).map(([key, value]) => ({ op: 'mapSet', target: map(), key, value })))
  c.deliver('B', r1)
  const ra = c.op('A', [{ op: 'mapSet', target: map(), key: 'int', value: 1 }, { op: 'mapSet', target: map(), key: 'string', value: 'from A' }])
  const rb = c.op('B', [{ op: 'mapSet', target: map(), key: 'int', value: 2 }, { op: 'mapDelete', target: map(), key: 'string' }])
  c.deliver('A', rb); c.deliver('B', ra)
  c.deliver('B', c.op('A', [{ op: 'mapDelete', target: map(), key: 'bytes' }, { op: 'mapDelete', target: map(), key: 'object' }]))
  c.expectConverged(['A', 'B'])
})

defCase('array-insert-delete-nested', 'Root array: Any values (consecutive values share one ContentAny item), nested Y.Map / Y.Array / Y.Text, inserts inside, range deletes across items, concurrent inserts at the same index.', (c) => {
  const roots = [{ name: 'a', kind: 'array' }]
  c.doc('A', 1, { roots }); c.doc('B', 2, { roots, gc: false })
  c.deliver('B', c.op('A', [{ op: 'arrayInsert', target: arr(), index: 0, values: [1, 2, 3, 'four', { five: 5 }] }]))
  c.deliver('B', c.op('A', [
    { op: 'arrayInsertType', target: arr(), index: 2, type: 'map' },
    { op: 'mapSet', target: map('a', [2]), key: 'k', value: 'v' },
    { op: 'arrayInsertType', target: arr(), index: 3, type: 'array' },
    { op: 'arrayInsert', target: arr('a', [3]), index: 0, values: [[1, 2], { $bytes: 'beef' }] },
    { op: 'arrayInsertType', target: arr(), index: 4, type: 'text' },
    { op: 'textInsert', target: txt('a', [4]), index: 0, text: 'inner' }
  ]))
  const ra = c.op('A', [{ op: 'arrayInsert', target: arr(), index: 1, values: ['A1', 'A2'] }])
  const rb = c.op('B', [{ op: 'arrayInsert', target: arr(), index: 1, values: ['B1'] }, { op: 'textInsert', target: txt('a', [5]), index: 5, text: '!' }])
  c.deliver('A', rb); c.deliver('B', ra)
  c.deliver('B', c.op('A', [{ op: 'arrayDelete', target: arr(), index: 2, length: 4 }]))
  c.deliver('A', c.op('B', [{ op: 'arrayDelete', target: arr(), index: 0, length: 1 }, { op: 'arrayInsertType', target: arr(), index: 0, type: 'text' }]))
  c.expectConverged(['A', 'B'])
})

defCase('notes-schema-two-peers', 'The notes schema: root map "notes": id -> Y.Map {title, createdAt, createdBy, body: Y.Text}. Two peers create notes, edit the same body concurrently, rename a title concurrently, delete a note.', (c) => {
  const roots = [{ name: 'notes', kind: 'map' }]
  c.doc('A', 101, { roots }); c.doc('B', 202, { roots })
  const note = (id, title, by, body) => [
    { op: 'mapSetType', target: map('notes'), key: id, type: 'map' },
    { op: 'mapSet', target: map('notes', [id]), key: 'title', value: title },
    { op: 'mapSet', target: map('notes', [id]), key: 'createdAt', value: 1700000000000 },
    { op: 'mapSet', target: map('notes', [id]), key: 'createdBy', value: by },
    { op: 'mapSetType', target: map('notes', [id]), key: 'body', type: 'text' },
    { op: 'textInsert', target: txt('notes', [id, 'body']), index: 0, text: body }
  ]
  c.deliver('B', c.op('A', note('n1', 'Shopping', 'alice', 'milk\neggs\n')))
  c.deliver('A', c.op('B', note('n2', 'Ideas', 'bob', 'CRDTs')))
  const ra = c.op('A', [{ op: 'textInsert', target: txt('notes', ['n1', 'body']), index: 10, text: 'bread\n' }, { op: 'mapSet', target: map('notes', ['n1']), key: 'title', value: 'Groceries' }])
  const rb = c.op('B', [{ op: 'textInsert', target: txt('notes', ['n1', 'body']), index: 5, text: 'butter\n' }, { op: 'mapSet', target: map('notes', ['n1']), key: 'title', value: 'Shop' }])
  c.deliver('A', rb); c.deliver('B', ra)
  c.expectConverged(['A', 'B'])
  c.deliver('B', c.op('A', [{ op: 'mapDelete', target: map('notes'), key: 'n2' }]))
  c.deliver('A', c.op('B', [{ op: 'textDelete', target: txt('notes', ['n1', 'body']), index: 0, length: 5 }]))
  c.expectConverged(['A', 'B'])
})

// ---------------------------------------------------------------------------
// Update utilities
// ---------------------------------------------------------------------------

defCase('merge-and-diff-updates', 'mergeUpdates / diffUpdate / encodeStateVectorFromUpdate on real updates: contiguous, with gaps (Skip structs), out of order, with delete sets, with another client; plus encodeStateAsUpdate(doc, sv) and applying a merged update with a gap (pending).', (c) => {
  c.doc('A', 1); c.doc('B', 2); c.doc('C', 3)
  const e1 = c.op('A', [ins(0, 'abc')]).events[0]
  const e2 = c.op('A', [ins(3, 'def')]).events[0]
  const e3 = c.op('A', [ins(6, 'ghi')]).events[0]
  const e4 = c.op('A', [del(2, 3)]).events[0]
  c.apply('B', e1)
  const f1 = c.op('B', [ins(1, 'BB')]).events[0]
  const merged = (updates) => c.run({ cmd: 'mergeUpdates', updates }).update
  merged([e1, e2, e3])
  const gap = merged([e1, e3])
  merged([e3, e1])
  merged([e2, e3])
  merged([e4, e1])
  const all = merged([e1, e2, e3, e4, f1])
  merged([f1, e4, e3, e2, e1])
  merged([all, e2])
  for (const u of [e1, e2, e3, e4, f1, gap, all]) c.run({ cmd: 'svFromUpdate', update: u })
  const svB = c.last.B.sv
  c.run({ cmd: 'diffUpdate', update: all, sv: svB })
  c.run({ cmd: 'diffUpdate', update: gap, sv: svB })
  c.run({ cmd: 'diffUpdate', update: all, sv: '00' })
  c.run({ cmd: 'diffUpdate', update: c.last.A.update, sv: svB })
  c.run({ cmd: 'diff', doc: 'A', sv: svB })
  c.run({ cmd: 'diff', doc: 'A', sv: '00' })
  // A gap leaves the tail pending until the missing middle arrives.
  c.apply('C', gap)
  c.apply('C', e2)
  c.apply('C', merged([e4, f1]))
  c.apply('B', all)
  c.apply('A', f1)
  c.expectConverged(['A', 'B', 'C'])
  // Full states of a gc doc (ContentDeleted) merged with a foreign update.
  merged([c.last.A.update, f1])
  c.run({ cmd: 'svFromUpdate', update: c.last.A.update })
})

// ---------------------------------------------------------------------------
// Relative positions
// ---------------------------------------------------------------------------

defCase('relative-positions', 'Relative positions on "hello" at start/middle/end with assoc 0 and -1 (JSON.stringify form, relativePositionToJSON form, binary), resolved after insert(4,"XY") and delete(1,2), on a synced peer, on a peer that lacks the item (null), from the JSON form, and on a nested text (type-ID form).', (c) => {
  c.doc('A', 7, { roots: [TEXT, { name: 'm', kind: 'map' }] }); c.doc('B', 8); c.doc('C', 9)
  c.deliver('B', c.op('A', [ins(0, 'hello')]))
  const positions = []
  for (const index of [0, 2, 5]) {
    for (const assoc of [0, -1]) positions.push(c.run({ cmd: 'relPos', doc: 'A', target: txt(), index, assoc }))
  }
  for (const p of positions) c.run({ cmd: 'absPos', doc: 'A', binary: p.binary })
  c.deliver('B', c.op('A', [ins(4, 'XY')]))
  c.deliver('B', c.op('A', [del(1, 2)]))
  for (const doc of ['A', 'B', 'C']) for (const p of positions) c.run({ cmd: 'absPos', doc, binary: p.binary })
  c.run({ cmd: 'absPos', doc: 'B', json: positions[2].json })
  c.run({ cmd: 'absPos', doc: 'B', json: positions[3].compact })
  // Positions after edits and inside a deleted range.
  for (const index of [1, 3, 5]) c.run({ cmd: 'relPos', doc: 'B', target: txt(), index, assoc: 0 })
  // Nested text: at the end the position names the type by its item ID.
  c.op('A', [{ op: 'mapSetType', target: map(), key: 'inner', type: 'text' }, { op: 'textInsert', target: txt('m', ['inner']), index: 0, text: 'nest' }])
  const nested = [
    c.run({ cmd: 'relPos', doc: 'A', target: txt('m', ['inner']), index: 4, assoc: 0 }),
    c.run({ cmd: 'relPos', doc: 'A', target: txt('m', ['inner']), index: 1, assoc: -1 }),
    c.run({ cmd: 'relPos', doc: 'A', target: txt('m', ['inner']), index: 0, assoc: -1 })
  ]
  c.op('A', [{ op: 'textInsert', target: txt('m', ['inner']), index: 2, text: '--' }])
  for (const p of nested) c.run({ cmd: 'absPos', doc: 'A', binary: p.binary })
  for (const p of nested) c.run({ cmd: 'absPos', doc: 'C', binary: p.binary })
})

// ---------------------------------------------------------------------------
// Undo / redo
// ---------------------------------------------------------------------------

defCase('undo-redo-text-with-remote-edits', 'UndoManager on A\'s text (captureTimeout 0, stopCapturing between steps). B edits concurrently; its updates reach A with origin "remote" (untracked). Undo of a delete restores the text (as new items), undo of inserts deletes them; redo; B receives A\'s undo/redo updates.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.run({ cmd: 'undoManager', doc: 'A', targets: [txt()], captureTimeout: 0 })
  c.deliver('B', c.op('A', [ins(0, 'hello')]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('B', c.op('A', [ins(5, ' world')]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('A', c.op('B', [ins(0, '> ')]), 'remote')
  c.deliver('B', c.op('A', [del(2, 5)]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('A', c.op('B', [ins(8, '!')]), 'remote')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.expectText('A', '> hello world!')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.expectText('A', '> hello!')
  c.deliver('B', c.run({ cmd: 'redo', doc: 'A' })); c.state('A')
  c.deliver('A', c.op('B', [del(0, 2)]), 'remote')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.deliver('B', c.run({ cmd: 'redo', doc: 'A' })); c.state('A')
  c.expectConverged(['A', 'B'])
})

defCase('undo-redo-map-sets', 'UndoManager on a root map: undo of a set restores the previous value, undo of the first set deletes the key; a remote set of another key is untouched; redo re-applies.', (c) => {
  const roots = [{ name: 'm', kind: 'map' }]
  c.doc('A', 1, { roots }); c.doc('B', 2, { roots })
  c.run({ cmd: 'undoManager', doc: 'A', targets: [map()], captureTimeout: 0 })
  c.deliver('B', c.op('A', [{ op: 'mapSet', target: map(), key: 'k', value: 1 }]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('B', c.op('A', [{ op: 'mapSet', target: map(), key: 'k', value: { v: [2] } }]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('A', c.op('B', [{ op: 'mapSet', target: map(), key: 'other', value: 'remote' }]), 'remote')
  c.deliver('B', c.op('A', [{ op: 'mapDelete', target: map(), key: 'k' }]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  for (const cmd of ['undo', 'undo', 'undo', 'redo', 'redo']) {
    c.deliver('B', c.run({ cmd, doc: 'A' })); c.state('A')
  }
  c.expectConverged(['A', 'B'])
})

defCase('undo-tracked-origins', 'trackedOrigins ["user"]: only transactions with origin "user" are undoable; origin "system" and the default (null) origin are not.', (c) => {
  c.doc('A', 1)
  c.run({ cmd: 'undoManager', doc: 'A', targets: [txt()], captureTimeout: 0, trackedOrigins: ['user'] })
  c.op('A', [ins(0, 'user1 ')], 'user')
  c.op('A', [ins(6, 'sys ')], 'system')
  c.op('A', [ins(10, 'null ')])
  c.op('A', [ins(15, 'user2')], 'user')
  c.run({ cmd: 'undo', doc: 'A' }); c.state('A')
  c.expectText('A', 'user1 sys null ')
  c.run({ cmd: 'undo', doc: 'A' }); c.state('A')
  c.expectText('A', 'sys null ')
  c.run({ cmd: 'undo', doc: 'A' }); c.state('A')
  c.run({ cmd: 'redo', doc: 'A' }); c.state('A')
})

defCase('undo-capture-merge', 'captureTimeout 1e12 ms: consecutive edits merge into one undo step until stopCapturing; the first change after a stop always starts a new step.', (c) => {
  c.doc('A', 1); c.doc('B', 2)
  c.run({ cmd: 'undoManager', doc: 'A', targets: [txt()], captureTimeout: 1e12 })
  c.deliver('B', c.op('A', [ins(0, 'a')]))
  c.deliver('B', c.op('A', [ins(1, 'b')]))
  c.deliver('B', c.op('A', [ins(2, 'c')]))
  c.run({ cmd: 'stopCapturing', doc: 'A' })
  c.deliver('B', c.op('A', [ins(3, 'd')]))
  c.deliver('B', c.op('A', [del(0, 1)]))
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.expectText('A', 'abc')
  c.deliver('B', c.run({ cmd: 'undo', doc: 'A' })); c.state('A')
  c.expectText('A', '')
  c.deliver('B', c.run({ cmd: 'redo', doc: 'A' })); c.state('A')
  c.expectConverged(['A', 'B'])
})

// ---------------------------------------------------------------------------
// Random long case
// ---------------------------------------------------------------------------

/** mulberry32: tiny seeded PRNG, uniform in [0, 1). */
const mulberry32 = (seed) => () => {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

defCase('random-3-peers-300-ops', 'Seeded random editing (mulberry32, seed 20240607): three peers (gc on A and B, off on C) make 300 random text edits (inserts of 1-6 chars incl. multibyte BMP characters, deletes of 1-4), with random syncs in between (state-vector diffs or forwarding of single update events, sometimes out of order); finally everything syncs and converges.', (c) => {
  const rnd = mulberry32(20240607)
  const int = (n) => Math.floor(rnd() * n)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz     \néüß€中'
  const peers = ['A', 'B', 'C']
  c.doc('A', 1000); c.doc('B', 2000); c.doc('C', 1500, { gc: false })
  /** peer -> update events not yet forwarded to the others */
  const outbox = { A: [], B: [], C: [] }
  for (let i = 0; i < 300; i++) {
    const p = peers[int(3)]
    const len = c.last[p].lengths.t
    let res
    if (len > 0 && rnd() < 0.3) {
      const index = int(len)
      res = c.op(p, [del(index, Math.min(1 + int(4), len - index))])
    } else {
      let s = ''
      for (let k = 1 + int(6); k > 0; k--) s += alphabet[int(alphabet.length)]
      res = c.op(p, [ins(int(len + 1), s)])
    }
    outbox[p].push(...res.events)
    const r = rnd()
    if (r < 0.1) {
      // State-vector sync between two random peers.
      const from = peers[int(3)]
      const to = peers.filter((x) => x !== from)[int(2)]
      c.sync(from, to)
    } else if (r < 0.2) {
      // Forward p's recent update events to one peer, possibly reversed.
      const to = peers.filter((x) => x !== p)[int(2)]
      const evs = rnd() < 0.3 ? [...outbox[p]].reverse() : outbox[p]
      for (const ev of evs) c.apply(to, ev)
      outbox[p] = []
    }
  }
  c.syncAll(peers)
  c.expectConverged(peers)
})

// ---------------------------------------------------------------------------
// Self check and output
// ---------------------------------------------------------------------------

// Replay every case from its commands alone: responses must be identical.
for (const cs of cases) {
  const w = new World()
  cs.commands.forEach((cmd, i) => {
    const res = w.exec(cmd)
    check(isDeepStrictEqual(res, cs.responses[i]), `${cs.name}: replay of command ${i} differs`)
  })
  w.destroy()
}
const names = new Set(cases.map((cs) => cs.name))
check(names.size === cases.length, 'case names are unique')

const fixtures = {
  generator: 'tests/js/gen-fixtures.mjs',
  versions,
  conventions: {
    bytes: 'lowercase hex',
    updates: 'update format v1',
    indices: 'UTF-16 code units (an embed counts 1)',
    any: 'Yjs Any values as JSON plus tagged objects: {"$undefined":true}, {"$bigint":"<decimal>"}, {"$bytes":"<hex>"}, {"$num":"NaN"|"Infinity"|"-Infinity"|"-0"}',
    commands: 'tests/js/ops.mjs documents the command vocabulary; responses are exactly what it returned',
    state: 'every op/apply in a case is followed by a state command for the affected doc; new accepts "roots" so the listed roots are observed from the start',
    events: 'events: v1 bytes of every update event emitted by the command, in order; deltas: root text name -> one observed delta per transaction that changed it'
  },
  primitives: primitives(),
  cases
}

// Pretty-print the structure but keep each command/response (and each
// primitive entry) on one line: readable and friendly to diffs.
const format = (value, depth = 0, indent = '') => {
  const compact = JSON.stringify(value)
  if (value === null || typeof value !== 'object' || depth >= 4 || compact.length <= 100) return compact
  const inner = indent + '  '
  const items = Array.isArray(value)
    ? value.map((v) => inner + format(v, depth + 1, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, depth + 1, inner)}`)
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  return `${open}\n${items.join(',\n')}\n${indent}${close}`
}

mkdirSync(dirname(outPath), { recursive: true })
writeFileSync(outPath, format(fixtures) + '\n')
console.error(`wrote ${outPath}: ${cases.length} cases, ${cases.reduce((n, cs) => n + cs.commands.length, 0)} commands (self check: all replayed)`)
