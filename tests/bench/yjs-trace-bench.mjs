#!/usr/bin/env node
// Yjs side of Tandem's editing-trace benchmark.
//
//   node --expose-gc tests/bench/yjs-trace-bench.mjs <trace.json.gz> [--client 3000000000] [--runs N]
//
// Replays an editing trace (josephg/editing-traces format, gzip JSON) into
// Yjs and prints ONE JSON line on stdout; diagnostics go to stderr. All times
// are milliseconds from performance.now().
//
// Sequential traces {startContent, endContent, txns: [{patches}]}:
//   applyMs            replay, one doc.transact per txn, with an 'update'
//                      listener that only sums byte lengths (updateBytes)
//   applyNoListenerMs  the same replay without any listener
//   stateBytes / stateSha256   encodeStateAsUpdate(doc) after the replay
//   loadColdMs         first applyUpdate of that state into a fresh doc in
//                      this process; loadWarmMs: median of 10 more
//   docHeapBytes       heapUsed growth across a replay, between forced GCs,
//                      with the doc kept alive (needs --expose-gc)
//   The apply phases run --runs times (default 3): medians plus all runs.
//
// Concurrent traces {kind: "concurrent", numAgents, txns: [{parents, agent, patches}]}:
//   one doc per agent (clientID 100 + agent). Before txn t runs on its
//   agent's doc, the recorded update of every ancestor txn the doc lacks is
//   applied (index order); t then runs in one transact and its update event
//   is recorded. Finally every doc receives every update it lacks and must
//   equal endContent. Reports totalMs, mergeMs (time inside applyUpdate),
//   ok, stateBytes, txns (medians over --runs, plus all runs).
//
// Patch semantics: [pos, delCount, insText] = delete then insert at pos;
// positions are UTF-16 units for the traces we use.

import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'

// Yjs is installed under tests/js (tests/js/package.json pins it), which ESM
// resolution from this folder would not search; import its ESM entry from
// there explicitly so this script needs no package.json of its own.
const here = dirname(fileURLToPath(import.meta.url))
const yjsDir = resolve(here, '../js/node_modules/yjs')
const yjsPkg = JSON.parse(readFileSync(resolve(yjsDir, 'package.json'), 'utf8'))
const Y = await import(pathToFileURL(resolve(yjsDir, yjsPkg.exports['.'].import)).href)
const yjsVersion = yjsPkg.version

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

const usage = 'usage: node --expose-gc tests/bench/yjs-trace-bench.mjs <trace.json.gz> [--client 3000000000] [--runs N]'
let tracePath = null
let client = 3000000000
let runs = 3
{
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--client') client = Number(args[++i])
    else if (a === '--runs') runs = Number(args[++i])
    else if (a === '-h' || a === '--help') { console.error(usage); process.exit(0) }
    else if (a.startsWith('--')) { console.error(`unknown option ${a}\n${usage}`); process.exit(2) }
    else if (tracePath === null) tracePath = a
    else { console.error(`unexpected argument ${a}\n${usage}`); process.exit(2) }
  }
  if (tracePath === null) { console.error(usage); process.exit(2) }
  if (!Number.isInteger(client) || client < 0 || client > 0xffffffff) { console.error('--client must be an integer in [0, 2^32-1]'); process.exit(2) }
  if (!Number.isInteger(runs) || runs < 1) { console.error('--runs must be a positive integer'); process.exit(2) }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const ms = (x) => Math.round(x * 1000) / 1000

const gc = typeof global.gc === 'function' ? global.gc : null
if (!gc) console.error('warning: run with --expose-gc to measure docHeapBytes (reported as null)')

const newDoc = (clientID) => {
  const doc = new Y.Doc()
  // Fixed clientID: it is written into every struct and so into the bytes.
  doc.clientID = clientID
  return doc
}

/** Run one txn's patches (delete, then insert, at the same position). */
const applyPatches = (text, patches) => {
  for (const [pos, delCount, ins] of patches) {
    if (delCount > 0) text.delete(pos, delCount)
    if (ins.length > 0) text.insert(pos, ins)
  }
}

const trace = JSON.parse(gunzipSync(readFileSync(tracePath)).toString('utf8'))
const countPatches = () => trace.txns.reduce((n, t) => n + t.patches.length, 0)

// ---------------------------------------------------------------------------
// Sequential traces
// ---------------------------------------------------------------------------

const replaySequential = (withListener) => {
  const doc = newDoc(client)
  const text = doc.getText('text')
  let updateBytes = 0
  if (withListener) doc.on('update', (u) => { updateBytes += u.length })
  const t0 = performance.now()
  for (const txn of trace.txns) {
    doc.transact(() => applyPatches(text, txn.patches))
  }
  const elapsed = performance.now() - t0
  return { doc, text, elapsed, updateBytes }
}

const benchSequential = () => {
  if (trace.startContent) console.error('warning: startContent is not empty; replaying from an empty doc anyway')
  let ok = true
  const applyRuns = []
  const noListenerRuns = []
  let updateBytes = null
  let state = null
  for (let r = 0; r < runs; r++) {
    const a = replaySequential(true)
    applyRuns.push(a.elapsed)
    ok &&= a.text.toString() === trace.endContent
    if (updateBytes !== null && updateBytes !== a.updateBytes) console.error('warning: updateBytes differs between runs')
    updateBytes = a.updateBytes
    a.doc.destroy()

    const b = replaySequential(false)
    noListenerRuns.push(b.elapsed)
    ok &&= b.text.toString() === trace.endContent
    if (state === null) state = Y.encodeStateAsUpdate(b.doc)
    b.doc.destroy()
    console.error(`run ${r + 1}/${runs}: apply ${ms(a.elapsed)} ms, no listener ${ms(b.elapsed)} ms`)
  }

  // Loading: the first applyUpdate in this process runs cold (no JIT for
  // the decoder yet; no applyUpdate ran before in sequential mode).
  const loadOnce = () => {
    const doc = newDoc(client + 1)
    const t0 = performance.now()
    Y.applyUpdate(doc, state)
    const elapsed = performance.now() - t0
    ok &&= doc.getText('text').toString() === trace.endContent
    doc.destroy()
    return elapsed
  }
  const loadColdMs = loadOnce()
  const warm = []
  for (let i = 0; i < 10; i++) warm.push(loadOnce())

  // Heap held by a document: everything above is garbage by now.
  let docHeapBytes = null
  if (gc) {
    gc(); gc()
    const before = process.memoryUsage().heapUsed
    const kept = replaySequential(false)
    gc(); gc()
    const after = process.memoryUsage().heapUsed
    docHeapBytes = after - before
    // Keep the doc reachable until after the measurement.
    ok &&= kept.text.length === trace.endContent.length
    kept.doc.destroy()
  }

  return {
    trace: basename(tracePath),
    kind: 'sequential',
    yjs: yjsVersion,
    client,
    txns: trace.txns.length,
    patches: countPatches(),
    endLength: trace.endContent.length,
    ok,
    runs,
    applyMs: ms(median(applyRuns)),
    applyMsRuns: applyRuns.map(ms),
    applyNoListenerMs: ms(median(noListenerRuns)),
    applyNoListenerMsRuns: noListenerRuns.map(ms),
    updateBytes,
    stateBytes: state.length,
    stateSha256: createHash('sha256').update(state).digest('hex'),
    loadColdMs: ms(loadColdMs),
    loadWarmMs: ms(median(warm)),
    docHeapBytes
  }
}

// ---------------------------------------------------------------------------
// Concurrent traces
// ---------------------------------------------------------------------------

const replayConcurrent = () => {
  const { numAgents, txns } = trace
  const docs = []
  const texts = []
  /** have[agent]: txn indices the agent's doc contains. Always closed under
   *  "ancestor of", because we only ever add whole ancestor sets. */
  const have = []
  for (let a = 0; a < numAgents; a++) {
    const doc = newDoc(100 + a)
    docs.push(doc)
    texts.push(doc.getText('text'))
    have.push(new Uint8Array(txns.length))
  }
  /** Update bytes recorded for each txn (null: the txn emitted none). */
  const updates = new Array(txns.length).fill(null)
  let mergeMs = 0
  let captured = []
  let capturing = false
  for (const doc of docs) doc.on('update', (u) => { if (capturing) captured.push(u) })

  const applyTo = (agent, i) => {
    have[agent][i] = 1
    const u = updates[i]
    if (u === null) return
    const t0 = performance.now()
    Y.applyUpdate(docs[agent], u)
    mergeMs += performance.now() - t0
  }

  const t0 = performance.now()
  for (let t = 0; t < txns.length; t++) {
    const { agent, parents, patches } = txns[t]
    // Ancestors the doc lacks: walk up from the parents, stopping at txns
    // the doc has (their ancestors are then present too).
    const missing = []
    const stack = [...parents]
    const seen = new Set()
    while (stack.length > 0) {
      const p = stack.pop()
      if (have[agent][p] || seen.has(p)) continue
      seen.add(p)
      missing.push(p)
      for (const q of txns[p].parents) stack.push(q)
    }
    missing.sort((a, b) => a - b)
    for (const p of missing) applyTo(agent, p)

    captured = []
    capturing = true
    docs[agent].transact(() => applyPatches(texts[agent], patches))
    capturing = false
    if (captured.length > 1) throw new Error(`txn ${t} emitted ${captured.length} update events`)
    updates[t] = captured.length === 1 ? captured[0] : null
    have[agent][t] = 1
  }
  // Final merge: every doc gets every update it lacks, in index order.
  for (let a = 0; a < numAgents; a++) {
    for (let i = 0; i < txns.length; i++) if (!have[a][i]) applyTo(a, i)
  }
  const totalMs = performance.now() - t0

  const ok = texts.every((text) => text.toString() === trace.endContent)
  const state = Y.encodeStateAsUpdate(docs[0])
  for (const doc of docs) doc.destroy()
  return { totalMs, mergeMs, ok, state }
}

const benchConcurrent = () => {
  const totals = []
  const merges = []
  let ok = true
  let state = null
  for (let r = 0; r < runs; r++) {
    const res = replayConcurrent()
    totals.push(res.totalMs)
    merges.push(res.mergeMs)
    ok &&= res.ok
    state ??= res.state
    console.error(`run ${r + 1}/${runs}: total ${ms(res.totalMs)} ms, in applyUpdate ${ms(res.mergeMs)} ms, ok ${res.ok}`)
  }
  return {
    trace: basename(tracePath),
    kind: 'concurrent',
    yjs: yjsVersion,
    numAgents: trace.numAgents,
    txns: trace.txns.length,
    patches: countPatches(),
    endLength: trace.endContent.length,
    ok,
    runs,
    totalMs: ms(median(totals)),
    totalMsRuns: totals.map(ms),
    mergeMs: ms(median(merges)),
    mergeMsRuns: merges.map(ms),
    stateBytes: state.length,
    stateSha256: createHash('sha256').update(state).digest('hex')
  }
}

const result = trace.kind === 'concurrent' ? benchConcurrent() : benchSequential()
process.stdout.write(JSON.stringify(result) + '\n')
if (!result.ok) {
  console.error('error: final document does not match endContent')
  process.exitCode = 1
}
