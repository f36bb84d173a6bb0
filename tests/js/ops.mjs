// Shared op interpreter for Tandem's Yjs compatibility tooling.
//
// A `World` holds named Y.Docs and executes JSON commands against them. The
// same interpreter backs the line driver (yjs-peer.mjs, used by the C++ tests
// to run a live Yjs peer) and the fixture generator (gen-fixtures.mjs), so a
// command recorded in a fixture means exactly what it means to the driver.
//
// Conventions
// - Byte strings (updates, state vectors, relative positions) are lowercase hex.
// - Text indices and lengths are UTF-16 code units (Yjs' native unit).
// - Updates are update format v1 (what y-protocols/sync and y-websocket carry).
// - Yjs "Any" values travel as JSON, with tagged objects for what JSON lacks:
//   {"$undefined": true}, {"$bigint": "123"}, {"$bytes": "<hex>"},
//   {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}.
//
// Every successful response is {ok: true, ...result, events, deltas} where
// `events` lists the v1 bytes of every 'update' event emitted while the
// command ran and `deltas` maps a root Y.Text name to the deltas its observer
// saw (one per transaction that changed it; names without any are left out).
// Failures are {ok: false, error} (plus `events`/`deltas` if the failed
// command had already changed a document). exec() never throws.
//
// Targets: {kind: "text"|"map"|"array", root, path?}. Without a path the
// target is the root type of that kind. With a path the root is a Y.Map when
// path[0] is a string and a Y.Array when it is a number; each element
// descends (map.get(key) / array.get(index)) and the result must be of kind.
//
// Commands (result fields besides ok/events/deltas after the arrow):
//   new          {doc, client, gc?=true, roots?: [{name, kind}], observeDeltas?=true}
//                roots (extension) are touched at creation so their deltas
//                are observed even if the first change arrives via apply;
//                observeDeltas: false attaches no observers (reading
//                YTextEvent.delta has side effects in Yjs, see the
//                differential test)
//   op           {doc, origin?, ops: [op...]}: all ops in ONE doc.transact
//     textInsert {target, index, text, attrs?}  (no attrs: Yjs inherits the
//                formatting at the position; {} means explicitly none)
//     textDelete {target, index, length}
//     textFormat {target, index, length, attrs}
//     textInsertEmbed {target, index, embed, attrs?}
//     mapSet {target, key, value}   mapSetType {target, key, type}   mapDelete {target, key}
//     arrayInsert {target, index, values}   arrayInsertType {target, index, type}
//     arrayDelete {target, index, length}
//   apply        {doc, update, origin?}                 Y.applyUpdate
//   undoManager  {doc, targets, captureTimeout?, trackedOrigins?}
//                -> undoStackSize, redoStackSize
//   undo / redo  {doc} -> done (false: stack was empty), undoStackSize, redoStackSize
//   stopCapturing {doc} -> undoStackSize, redoStackSize
//   state        {doc, roots: [{name, kind}]} -> clientID, sv, update,
//                values, lengths, deltas (toDelta() of the text roots; a
//                state command never changes a doc, so it has no observed
//                deltas), pendingStructs, pendingDs, pendingMissing
//                ({client: clock} the pending structs wait for)
//   diff         {doc, sv?} -> update         encodeStateAsUpdate(doc, sv)
//   updates      {doc} -> updates             every update event of the doc so far
//   mergeUpdates {updates} -> update
//   diffUpdate   {update, sv} -> update
//   svFromUpdate {update} -> sv               encodeStateVectorFromUpdate
//   relPos       {doc, target, index, assoc?=0} -> json (JSON.stringify form),
//                compact (relativePositionToJSON), binary
//   absPos       {doc, binary} or {doc, json} -> index (null if unresolvable), assoc
//   free         {doc}                         destroys the doc (and its UndoManager)

import * as Y from 'yjs'

// ---------------------------------------------------------------------------
// Hex and Any conversions
// ---------------------------------------------------------------------------

/** @param {Uint8Array} bytes */
export const toHex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/** @param {string} hex */
export const fromHex = (hex) => {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`invalid hex string: ${JSON.stringify(hex)}`)
  }
  // Copy into a fresh, exactly-sized Uint8Array: Buffer.from() may return a
  // view into Node's shared pool, and lib0 decoders read `.buffer` directly.
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

const TAGS = ['$undefined', '$bigint', '$bytes', '$num']

/**
 * JSON (with tags) -> JS value as Yjs stores it.
 * An object is a tag only when its single key is one of TAGS.
 */
export const anyFromJSON = (v) => {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(anyFromJSON)
  const keys = Object.keys(v)
  if (keys.length === 1 && TAGS.includes(keys[0])) {
    const tag = keys[0]
    const x = v[tag]
    switch (tag) {
      case '$undefined': return undefined
      case '$bigint': return BigInt(x)
      case '$bytes': return fromHex(x)
      case '$num':
        switch (x) {
          case 'NaN': return NaN
          case 'Infinity': return Infinity
          case '-Infinity': return -Infinity
          case '-0': return -0
        }
        throw new Error(`unknown $num value ${JSON.stringify(x)}`)
    }
  }
  const out = {}
  for (const k of keys) out[k] = anyFromJSON(v[k])
  return out
}

/**
 * JS value (Any, or a shared type) -> JSON with tags.
 * Shared types report their content: Y.Text as its string, Y.Map as an
 * object, Y.Array as an array (recursively, with the same tagging).
 */
export const anyToJSON = (v) => {
  switch (typeof v) {
    case 'undefined': return { $undefined: true }
    case 'bigint': return { $bigint: v.toString() }
    case 'number':
      if (Number.isNaN(v)) return { $num: 'NaN' }
      if (v === Infinity) return { $num: 'Infinity' }
      if (v === -Infinity) return { $num: '-Infinity' }
      if (Object.is(v, -0)) return { $num: '-0' }
      return v
    case 'string':
    case 'boolean':
      return v
    case 'object':
      if (v === null) return null
      if (v instanceof Uint8Array) return { $bytes: toHex(v) }
      if (Array.isArray(v)) return v.map(anyToJSON)
      if (v instanceof Y.AbstractType) return typeToJSON(v)
      if (v instanceof Y.Doc) return { $doc: v.guid }
      {
        const out = {}
        for (const k of Object.keys(v)) out[k] = anyToJSON(v[k])
        return out
      }
  }
  throw new Error(`cannot represent value of type ${typeof v}`)
}

/** Content of a shared type as tagged JSON. */
export const typeToJSON = (type) => {
  if (type instanceof Y.Text) return type.toString()
  if (type instanceof Y.Map) {
    const out = {}
    for (const [k, v] of type.entries()) out[k] = anyToJSON(v)
    return out
  }
  if (type instanceof Y.Array) return type.toArray().map(anyToJSON)
  // XML types are not part of the vocabulary; report Yjs' own rendering.
  return type.toString()
}

/** A Yjs text delta (event.delta or toDelta()) as tagged JSON. */
const deltaToJSON = (delta) => delta.map((op) => {
  const out = {}
  for (const k of Object.keys(op)) {
    // `insert` is a string, an embed object or a shared type; `attributes`
    // is an object of Any values; retain/delete are counts.
    out[k] = (k === 'insert' && typeof op.insert === 'string') ? op.insert : anyToJSON(op[k])
  }
  return out
})

/** Length of a shared type in its own units (UTF-16 + embeds, entries, elements). */
const typeLength = (type) => {
  if (type instanceof Y.Text || type instanceof Y.Array) return type.length
  if (type instanceof Y.Map) return type.size
  return type._length
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

const KINDS = {
  text: Y.Text,
  map: Y.Map,
  array: Y.Array
}

const kindClass = (kind) => {
  const cls = KINDS[kind]
  if (!cls) throw new Error(`unknown kind ${JSON.stringify(kind)} (expected text, map or array)`)
  return cls
}

const newType = (kind) => new (kindClass(kind))()

const kindOf = (type) => {
  for (const [k, cls] of Object.entries(KINDS)) if (type instanceof cls) return k
  return type?.constructor?.name ?? typeof type
}

// ---------------------------------------------------------------------------
// World
// ---------------------------------------------------------------------------

class DocEntry {
  /**
   * @param {World} world
   * @param {string} name
   * @param {Y.Doc} doc
   */
  constructor (world, name, doc) {
    this.world = world
    this.name = name
    this.doc = doc
    /** Every v1 update event this doc emitted, as hex, in order. */
    this.updates = []
    /** Whether root texts get a delta-reading observer. */
    this.observeDeltas = true
    /** Root names whose types have been touched (and, for texts, observed). */
    this.roots = new Map()
    /** @type {Y.UndoManager|null} */
    this.undoManager = null
    doc.on('update', (update) => {
      const hex = toHex(update)
      this.updates.push(hex)
      world._capture.events.push(hex)
    })
  }

  /** Get (and on first touch observe) a root type. */
  root (name, kind) {
    if (typeof name !== 'string') throw new Error('root name must be a string')
    const cls = kindClass(kind)
    const type = this.doc.get(name, cls)
    if (!this.roots.has(name)) {
      this.roots.set(name, kind)
      // Deltas are recorded for root texts only. observeDeep also fires for
      // changes in nested types, so keep just the event whose target is the
      // root itself. The delta must be read inside the handler: it is
      // computed lazily against the transaction that produced it.
      if (type instanceof Y.Text && this.observeDeltas) {
        type.observeDeep((events) => {
          for (const ev of events) {
            if (ev.target === type) {
              const d = this.world._capture.deltas
              ;(d[name] ??= []).push(deltaToJSON(ev.delta))
            }
          }
        })
      }
    }
    return type
  }

  /** Resolve a target {kind, root, path} to a shared type. */
  resolve (target) {
    if (target === null || typeof target !== 'object') throw new Error('target must be an object')
    const { kind, root, path = [] } = target
    const cls = kindClass(kind)
    if (!Array.isArray(path)) throw new Error('target.path must be an array')
    if (path.length === 0) return this.root(root, kind)
    // The root's kind follows from how the first path element indexes it.
    let cur = this.root(root, typeof path[0] === 'number' ? 'array' : 'map')
    for (const step of path) {
      if (typeof step === 'string') {
        if (!(cur instanceof Y.Map)) throw new Error(`path step ${JSON.stringify(step)} needs a map, found ${kindOf(cur)}`)
        cur = cur.get(step)
      } else if (Number.isInteger(step)) {
        if (!(cur instanceof Y.Array)) throw new Error(`path step ${step} needs an array, found ${kindOf(cur)}`)
        if (step < 0 || step >= cur.length) throw new Error(`path index ${step} out of range (length ${cur.length})`)
        cur = cur.get(step)
      } else {
        throw new Error(`invalid path step ${JSON.stringify(step)}`)
      }
      if (cur === undefined) throw new Error(`path ${JSON.stringify(path)} does not exist`)
    }
    if (!(cur instanceof cls)) throw new Error(`target ${JSON.stringify(path)} is ${kindOf(cur)}, not ${kind}`)
    return cur
  }
}

const need = (cond, msg) => { if (!cond) throw new Error(msg) }
const needInt = (v, name) => need(Number.isInteger(v) && v >= 0, `${name} must be a non-negative integer`)

/** Apply one op inside the current transaction. */
const runOp = (entry, op) => {
  const t = entry.resolve(op.target)
  switch (op.op) {
    case 'textInsert':
      need(t instanceof Y.Text, 'textInsert needs a text target')
      needInt(op.index, 'index')
      need(typeof op.text === 'string', 'text must be a string')
      // Absent attrs is not the same as {}: Yjs then inherits the
      // formatting at the insert position.
      t.insert(op.index, op.text, op.attrs == null ? undefined : anyFromJSON(op.attrs))
      return
    case 'textDelete':
      need(t instanceof Y.Text, 'textDelete needs a text target')
      needInt(op.index, 'index'); needInt(op.length, 'length')
      t.delete(op.index, op.length)
      return
    case 'textFormat':
      need(t instanceof Y.Text, 'textFormat needs a text target')
      needInt(op.index, 'index'); needInt(op.length, 'length')
      need(op.attrs && typeof op.attrs === 'object', 'attrs must be an object')
      t.format(op.index, op.length, anyFromJSON(op.attrs))
      return
    case 'textInsertEmbed':
      need(t instanceof Y.Text, 'textInsertEmbed needs a text target')
      needInt(op.index, 'index')
      need(op.embed && typeof op.embed === 'object' && !Array.isArray(op.embed), 'embed must be an object')
      t.insertEmbed(op.index, anyFromJSON(op.embed), op.attrs == null ? {} : anyFromJSON(op.attrs))
      return
    case 'mapSet':
      need(t instanceof Y.Map, 'mapSet needs a map target')
      need(typeof op.key === 'string', 'key must be a string')
      need('value' in op, 'mapSet needs a value')
      t.set(op.key, anyFromJSON(op.value))
      return
    case 'mapSetType':
      need(t instanceof Y.Map, 'mapSetType needs a map target')
      need(typeof op.key === 'string', 'key must be a string')
      t.set(op.key, newType(op.type))
      return
    case 'mapDelete':
      need(t instanceof Y.Map, 'mapDelete needs a map target')
      need(typeof op.key === 'string', 'key must be a string')
      t.delete(op.key)
      return
    case 'arrayInsert':
      need(t instanceof Y.Array, 'arrayInsert needs an array target')
      needInt(op.index, 'index')
      need(Array.isArray(op.values), 'values must be an array')
      t.insert(op.index, op.values.map(anyFromJSON))
      return
    case 'arrayInsertType':
      need(t instanceof Y.Array, 'arrayInsertType needs an array target')
      needInt(op.index, 'index')
      t.insert(op.index, [newType(op.type)])
      return
    case 'arrayDelete':
      need(t instanceof Y.Array, 'arrayDelete needs an array target')
      needInt(op.index, 'index'); needInt(op.length, 'length')
      t.delete(op.index, op.length)
      return
    default:
      throw new Error(`unknown op ${JSON.stringify(op.op)}`)
  }
}

/** Plain-object view of a relative position (ID objects become {client, clock}). */
const relPosStringified = (rpos) => JSON.parse(JSON.stringify(rpos))

const undoStatus = (um) => ({
  undoStackSize: um.undoStack.length,
  redoStackSize: um.redoStack.length
})

export class World {
  constructor () {
    /** @type {Map<string, DocEntry>} */
    this.docs = new Map()
    this._capture = { events: [], deltas: {} }
  }

  /** @returns {DocEntry} */
  entry (name) {
    const e = this.docs.get(name)
    if (!e) throw new Error(`unknown doc ${JSON.stringify(name)}`)
    return e
  }

  /**
   * Execute one command and return its response. Never throws.
   * @param {any} cmd
   */
  exec (cmd) {
    this._capture = { events: [], deltas: {} }
    try {
      if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) throw new Error('command must be a JSON object')
      const handler = COMMANDS[cmd.cmd]
      if (!handler) throw new Error(`unknown cmd ${JSON.stringify(cmd.cmd)}`)
      const result = handler(this, cmd) ?? {}
      return { ok: true, ...result, events: this._capture.events, deltas: result.deltas ?? this._capture.deltas }
    } catch (err) {
      const res = { ok: false, error: String(err?.message ?? err) }
      // A command may fail half-way (e.g. an out-of-range index in the second
      // op of a transaction): report what was already emitted.
      if (this._capture.events.length > 0) res.events = this._capture.events
      if (Object.keys(this._capture.deltas).length > 0) res.deltas = this._capture.deltas
      return res
    }
  }

  /** Destroy every doc. */
  destroy () {
    for (const name of [...this.docs.keys()]) COMMANDS.free(this, { doc: name })
  }
}

/** Command handlers: (world, cmd) -> result fields merged into the response. */
const COMMANDS = {
  new (world, cmd) {
    need(typeof cmd.doc === 'string', 'doc must be a string')
    need(!world.docs.has(cmd.doc), `doc ${JSON.stringify(cmd.doc)} already exists`)
    need(Number.isInteger(cmd.client) && cmd.client >= 0 && cmd.client <= 0xffffffff, 'client must be an integer in [0, 2^32-1]')
    const doc = new Y.Doc({ gc: cmd.gc ?? true })
    // Set before any edit: Yjs reads clientID when it creates structs.
    doc.clientID = cmd.client
    const entry = new DocEntry(world, cmd.doc, doc)
    entry.observeDeltas = cmd.observeDeltas ?? true
    // Optional extension: pre-register roots so their deltas are observed
    // even when the first change arrives through `apply`.
    for (const r of cmd.roots ?? []) entry.root(r.name, r.kind)
    world.docs.set(cmd.doc, entry)
    return {}
  },

  op (world, cmd) {
    const entry = world.entry(cmd.doc)
    need(Array.isArray(cmd.ops), 'ops must be an array')
    // Resolve origin outside so an absent origin gives Yjs' default (null).
    entry.doc.transact(() => {
      for (const op of cmd.ops) runOp(entry, op)
    }, cmd.origin ?? null)
    return {}
  },

  apply (world, cmd) {
    const entry = world.entry(cmd.doc)
    // Note: an absent origin means null, which the UndoManager tracks by
    // default; pass an origin for remote updates in undo scenarios.
    Y.applyUpdate(entry.doc, fromHex(cmd.update), cmd.origin ?? null)
    return {}
  },

  undoManager (world, cmd) {
    const entry = world.entry(cmd.doc)
    need(entry.undoManager === null, 'doc already has an UndoManager')
    need(Array.isArray(cmd.targets) && cmd.targets.length > 0, 'targets must be a non-empty array')
    const types = cmd.targets.map((t) => entry.resolve(t))
    const opts = {}
    if (cmd.captureTimeout != null) opts.captureTimeout = cmd.captureTimeout
    if (cmd.trackedOrigins != null) {
      need(Array.isArray(cmd.trackedOrigins), 'trackedOrigins must be an array')
      opts.trackedOrigins = new Set(cmd.trackedOrigins)
    }
    entry.undoManager = new Y.UndoManager(types, opts)
    return undoStatus(entry.undoManager)
  },

  undo (world, cmd) {
    const um = world.entry(cmd.doc).undoManager
    need(um, 'doc has no UndoManager')
    const done = um.undo() !== null
    return { done, ...undoStatus(um) }
  },

  redo (world, cmd) {
    const um = world.entry(cmd.doc).undoManager
    need(um, 'doc has no UndoManager')
    const done = um.redo() !== null
    return { done, ...undoStatus(um) }
  },

  stopCapturing (world, cmd) {
    const um = world.entry(cmd.doc).undoManager
    need(um, 'doc has no UndoManager')
    um.stopCapturing()
    return undoStatus(um)
  },

  state (world, cmd) {
    const entry = world.entry(cmd.doc)
    const doc = entry.doc
    const values = {}
    const lengths = {}
    const deltas = {}
    for (const r of cmd.roots ?? []) {
      const type = entry.root(r.name, r.kind)
      values[r.name] = typeToJSON(type)
      lengths[r.name] = typeLength(type)
      if (type instanceof Y.Text) deltas[r.name] = deltaToJSON(type.toDelta())
    }
    const { pendingStructs, pendingDs } = doc.store
    const pendingMissing = {}
    if (pendingStructs) {
      for (const [client, clock] of [...pendingStructs.missing].sort((a, b) => a[0] - b[0])) pendingMissing[client] = clock
    }
    return {
      clientID: doc.clientID,
      sv: toHex(Y.encodeStateVector(doc)),
      update: toHex(Y.encodeStateAsUpdate(doc)),
      values,
      lengths,
      // `deltas` here is toDelta() of each text root. A state command never
      // changes a doc, so it has no observed deltas this could be confused with.
      deltas,
      pendingStructs: pendingStructs !== null,
      pendingDs: pendingDs !== null,
      pendingMissing
    }
  },

  diff (world, cmd) {
    const doc = world.entry(cmd.doc).doc
    return { update: toHex(cmd.sv == null ? Y.encodeStateAsUpdate(doc) : Y.encodeStateAsUpdate(doc, fromHex(cmd.sv))) }
  },

  updates (world, cmd) {
    return { updates: [...world.entry(cmd.doc).updates] }
  },

  mergeUpdates (world, cmd) {
    need(Array.isArray(cmd.updates), 'updates must be an array')
    return { update: toHex(Y.mergeUpdates(cmd.updates.map(fromHex))) }
  },

  diffUpdate (world, cmd) {
    return { update: toHex(Y.diffUpdate(fromHex(cmd.update), fromHex(cmd.sv))) }
  },

  svFromUpdate (world, cmd) {
    return { sv: toHex(Y.encodeStateVectorFromUpdate(fromHex(cmd.update))) }
  },

  relPos (world, cmd) {
    const entry = world.entry(cmd.doc)
    const type = entry.resolve(cmd.target)
    needInt(cmd.index, 'index')
    const rpos = Y.createRelativePositionFromTypeIndex(type, cmd.index, cmd.assoc ?? 0)
    return {
      json: relPosStringified(rpos),
      compact: relPosStringified(Y.relativePositionToJSON(rpos)),
      binary: toHex(Y.encodeRelativePosition(rpos))
    }
  },

  absPos (world, cmd) {
    const entry = world.entry(cmd.doc)
    // Accepts the binary form or (extension) either JSON form.
    const rpos = cmd.binary != null
      ? Y.decodeRelativePosition(fromHex(cmd.binary))
      : Y.createRelativePositionFromJSON(cmd.json)
    const abs = Y.createAbsolutePositionFromRelativePosition(rpos, entry.doc)
    return abs === null ? { index: null } : { index: abs.index, assoc: abs.assoc }
  },

  free (world, cmd) {
    const entry = world.entry(cmd.doc)
    entry.undoManager?.destroy()
    entry.doc.destroy()
    world.docs.delete(cmd.doc)
    return {}
  }
}
