#!/usr/bin/env node
// Self-test for ywsclient.mjs and reference-server.mjs, node only.
//
//   node selftest-ywsclient.mjs [--ws pinned|bundled]
//
// Starts the reference server, drives two ywsclient.mjs processes (A and B)
// in one room through their line protocol exactly as a C++ test would, and
// checks text sync both ways, awareness propagation, disconnect/reconnect,
// close-event recording and awareness removal when a client is destroyed.
// Prints one line per check; exits 0 when all pass, 1 on the first failure.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({ options: { ws: { type: 'string', default: 'pinned' } } })

const children = []

/** Spawn a node script with piped stdio; stderr is passed through, prefixed. */
const start = (script, argv, tag) => {
  const child = spawn(process.execPath, [join(here, script), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  createInterface({ input: child.stderr }).on('line', (l) => process.stderr.write(`[${tag} stderr] ${l}\n`))
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return child
}

/** A ywsclient.mjs process: send(cmd) resolves with the response to that command. */
const client = (tag) => {
  const child = start('ywsclient.mjs', [], tag)
  const waiting = []
  let nextId = 1
  createInterface({ input: child.stdout }).on('line', (line) => {
    const res = JSON.parse(line)
    const w = waiting.shift()
    if (!w) return fail(`${tag}: unsolicited line ${line}`)
    if (res.id !== w.id) return fail(`${tag}: expected id ${w.id}, got ${line}`)
    w.resolve(res)
  })
  const send = (cmd) => new Promise((resolve) => {
    const id = nextId++
    waiting.push({ id, resolve })
    child.stdin.write(JSON.stringify({ id, ...cmd }) + '\n')
  })
  return { tag, child, send }
}

const fail = (msg) => {
  console.error(`FAIL: ${msg}`)
  for (const c of children) c.kill('SIGKILL')
  process.exit(1)
}

let checks = 0
const check = (what, cond, detail) => {
  if (!cond) fail(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`)
  checks++
  console.log(`ok ${checks} - ${what}`)
}

/** Send and require ok: true (for commands that are not themselves checks). */
const must = async (c, cmd) => {
  const res = await c.send(cmd)
  if (res.ok !== true) fail(`${c.tag} ${JSON.stringify(cmd)} -> ${JSON.stringify(res)}`)
  return res
}

// Nothing here should take long; a hung child must not hang the test.
setTimeout(() => fail('selftest timed out after 60 s'), 60000).unref()

// --- server -----------------------------------------------------------------
const server = start('reference-server.mjs', ['--host', '127.0.0.1', '--port', '0', '--ws', args.ws], 'server')
const url = await new Promise((resolve) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url))
})
check(`reference server (ws ${args.ws}) listening at ${url}`, /^ws:\/\/127\.0\.0\.1:\d+$/.test(url), url)

const room = `selftest-${process.pid}`
const A = client('A')
const B = client('B')
const idA = 1001
const idB = 2002

// --- connect and sync -------------------------------------------------------
await must(A, { cmd: 'connect', url, room, clientID: idA, name: 'alice' })
await must(B, { cmd: 'connect', url, room, clientID: idB, name: 'bob' })
check('A synced', (await A.send({ cmd: 'waitSynced', timeoutMs: 5000 })).ok)
check('B synced', (await B.send({ cmd: 'waitSynced', timeoutMs: 5000 })).ok)
{
  const s = await must(A, { cmd: 'state' })
  check('A state: connected, synced, socket OPEN, own clientID',
    s.status === 'connected' && s.synced === true && s.wsReadyState === 1 && s.clientID === idA, s)
}

// --- text -------------------------------------------------------------------
await must(A, { cmd: 'insert', index: 0, text: 'Hello world' })
check('A insert reaches B (waitText)', (await B.send({ cmd: 'waitText', text: 'Hello world', timeoutMs: 5000 })).ok)
await must(B, { cmd: 'delete', index: 5, length: 6 })
await must(B, { cmd: 'insert', index: 5, text: ', Tandem ✓' })
check('B delete+insert reach A', (await A.send({ cmd: 'waitText', text: 'Hello, Tandem ✓', timeoutMs: 5000 })).ok)
{
  const t = await B.send({ cmd: 'waitText', text: 'never', timeoutMs: 200 })
  check('waitText times out with the current text',
    t.ok === false && t.error === 'timeout' && t.text === 'Hello, Tandem ✓', t)
}
{
  const a = await must(A, { cmd: 'state' })
  const b = await must(B, { cmd: 'state' })
  check('A and B have identical state vectors', a.sv === b.sv && a.sv.length > 0, { a: a.sv, b: b.sv })
}
{
  const bad = await A.send({ cmd: 'insert', index: 999, text: 'x' })
  check('out-of-range insert is an error', bad.ok === false && typeof bad.error === 'string', bad)
  const unknown = await A.send({ cmd: 'nope' })
  check('unknown command is an error', unknown.ok === false, unknown)
}

// --- awareness --------------------------------------------------------------
check('B sees A\'s initial awareness {user:{name:"alice"}}',
  (await B.send({ cmd: 'waitAwareness', clientID: idA, present: true, state: { user: { name: 'alice' } }, timeoutMs: 5000 })).ok)
const cursor = { user: { name: 'alice' }, cursor: { anchor: 3, head: 7 } }
await must(A, { cmd: 'setAwareness', state: cursor })
check('A setAwareness reaches B', (await B.send({ cmd: 'waitAwareness', clientID: idA, state: cursor, timeoutMs: 5000 })).ok)
{
  const aw = await must(B, { cmd: 'awareness' })
  check('B awareness lists itself and A',
    aw.self === idB && isDeepStrictEqual(aw.states[idA], cursor) && isDeepStrictEqual(aw.states[idB], { user: { name: 'bob' } }), aw)
}

// --- queueing: a wait does not block reading, later lines run after it ------
{
  // Sent back to back: B's waitText is pending while A's insert happens; B's
  // text command is queued behind the wait and must see the final text.
  const pWait = B.send({ cmd: 'waitText', text: 'Hello, Tandem ✓!', timeoutMs: 5000 })
  const pText = B.send({ cmd: 'text' })
  await must(A, { cmd: 'insert', index: 15, text: '!' })
  const [w, t] = await Promise.all([pWait, pText])
  check('queued command runs after the pending wait, in order', w.ok && t.ok && t.text === 'Hello, Tandem ✓!', { w, t })
}

// --- disconnect / reconnect -------------------------------------------------
await must(A, { cmd: 'disconnect' })
check('B sees A\'s awareness removed after A.disconnect',
  (await B.send({ cmd: 'waitAwareness', clientID: idA, present: false, timeoutMs: 5000 })).ok)
{
  const s = await must(A, { cmd: 'state' })
  check('A state after disconnect: disconnected, not synced', s.status === 'disconnected' && s.synced === false && s.wsReadyState === null, s)
}
await must(B, { cmd: 'insert', index: 0, text: '>> ' })
await must(A, { cmd: 'reconnect' })
check('A resyncs after reconnect', (await A.send({ cmd: 'waitSynced', timeoutMs: 5000 })).ok)
check('A receives the edit made while it was offline',
  (await A.send({ cmd: 'waitText', text: '>> Hello, Tandem ✓!', timeoutMs: 5000 })).ok)
// Stock y-websocket quirk: disconnect() announces A's state as null at A's
// current awareness clock, and on reconnect A re-announces its unchanged state
// at that same clock, which y-protocols ignores (it needs a higher clock). A
// reappears only when its clock advances: the next setLocalState, or the
// awareness renewal every 15 s. So A moves its cursor, as an editor would.
const cursor2 = { ...cursor, cursor: { anchor: 4, head: 4 } }
await must(A, { cmd: 'setAwareness', state: cursor2 })
check('B sees A\'s awareness again after reconnect + setAwareness',
  (await B.send({ cmd: 'waitAwareness', clientID: idA, state: cursor2, timeoutMs: 5000 })).ok)
{
  const ce = await must(A, { cmd: 'closeEvents' })
  check('A recorded one local close event (disconnect)',
    ce.events.length === 1 && ce.events[0].local === true && ce.events[0].code === null && ce.closed.length === 0, ce)
}

// --- destroy ----------------------------------------------------------------
await must(A, { cmd: 'destroy' })
check('B sees A\'s awareness removed after A.destroy',
  (await B.send({ cmd: 'waitAwareness', clientID: idA, present: false, timeoutMs: 5000 })).ok)
{
  const r = await A.send({ cmd: 'text' })
  check('commands after destroy report "not connected"', r.ok === false && /not connected/.test(r.error), r)
}

// --- server-side close is recorded with its code ----------------------------
// SIGTERM makes the server terminate() its sockets: B must see a close event
// from the peer (code 1006, abnormal closure, since no close frame is sent).
server.kill('SIGTERM')
const sx = await server.exited
check('reference server exits 0 on SIGTERM', sx.code === 0, sx)
{
  const w = await B.send({ cmd: 'state' })
  let ce
  for (let i = 0; i < 50; i++) {
    ce = await must(B, { cmd: 'closeEvents' })
    if (ce.events.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  check('B recorded a remote close event with a code',
    ce.events.length > 0 && ce.events[0].local === false && Number.isInteger(ce.events[0].code), { state: w, ce })
  console.log(`   (B close events: ${JSON.stringify(ce.events.slice(0, 3))})`)
}

// --- stdin end --------------------------------------------------------------
{
  // Commands still queued when stdin ends run and answer as usual; then exit 0.
  const pending = B.send({ cmd: 'waitText', text: 'never', timeoutMs: 300 })
  const queued = B.send({ cmd: 'text' })
  B.child.stdin.end()
  A.child.stdin.end()
  const [r, t] = await Promise.all([pending, queued])
  check('commands pending at stdin end still answer (timeout, then text)',
    r.ok === false && r.error === 'timeout' && t.ok === true && t.text === '>> Hello, Tandem ✓!', { r, t })
  const [ea, eb] = await Promise.all([A.child.exited, B.child.exited])
  check('both clients exit 0 on stdin end', ea.code === 0 && eb.code === 0, { ea, eb })
}

console.log(`all ${checks} checks passed`)
