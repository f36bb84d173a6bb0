#!/usr/bin/env node
// Line driver: a real y-websocket client for Tandem's C++ tests.
//
// Runs one stock `WebsocketProvider` (y-websocket) over the `ws` package, so a
// C++ test can prove that an unmodified Yjs web client interoperates with
// Tandem's room server: document sync, awareness and close handling all go
// through the provider's own code, not a reimplementation of the protocol.
//
// Reads newline-delimited JSON commands on stdin and writes exactly one JSON
// response line per command on stdout, echoing the request's "id" when
// present. Commands run strictly in order: a wait is just a command that takes
// a while, and the lines after it are queued (still read, not yet run). Blank
// lines are ignored; a line that is not valid JSON gets an {"ok": false}
// response so the caller never waits for an answer. When stdin ends, the
// commands already read still run and answer as usual (a wait still waits, up
// to its timeout, so `printf '...' | node ywsclient.mjs` behaves like an
// interactive session), then the provider and doc are destroyed and the
// process exits 0.
//
// Text indices and lengths are UTF-16 code units; byte strings are lowercase
// hex; the shared text is doc.getText('text'). Failures are {ok: false, error}.
//
// Commands (result fields besides ok after the arrow):
//   connect      {url, room, clientID?, name?, params?, protocols?, maxBackoffTime?}
//                new Y.Doc (clientID set if given) + WebsocketProvider to
//                `${url}/${room}`; name sets the awareness state {user: {name}}.
//                Answers at once (does not wait for the socket).
//   waitSynced   {timeoutMs?=5000}              provider.synced became true
//   insert       {index, text}                  one transaction
//   delete       {index, length}                one transaction
//   text         {} -> text
//   waitText     {text, timeoutMs?=5000}        timeout also reports -> text
//   state        {} -> clientID, text, sv, update, status ('connected' |
//                'connecting' | 'disconnected'), synced, wsReadyState (null
//                when there is no socket), shouldConnect
//   setAwareness {state}                        null removes the local state
//   awareness    {} -> self, states ({clientID: state} incl. our own)
//   waitAwareness {clientID, present?=true, state?, timeoutMs?=5000}
//                present: the client's state exists (and deep-equals `state`
//                when given); present false: it is gone. A timeout also
//                reports -> states (as in `awareness`)
//   disconnect / reconnect {}                   provider.disconnect() / .connect()
//   closeEvents  {} -> events: [{code, reason, wasClean, local}] for every
//                'connection-close' (local: true, code/reason null when we
//                closed the socket ourselves: disconnect/destroy/watchdog),
//                closed: [{code, reason}] for every terminal 'closed' event
//                (server close code 4400-4499: the provider stops
//                reconnecting), errors: number of 'connection-error' events
//   destroy      {}                             provider.destroy(), doc.destroy()

import { createInterface } from 'node:readline'
import { isDeepStrictEqual } from 'node:util'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { toHex } from './ops.mjs'

// stdout carries the protocol only. y-websocket and lib0 log through console
// (e.g. "Permission denied", the client-id collision warning), so send every
// console method that would write to stdout to stderr instead.
for (const m of ['log', 'info', 'debug', 'dir', 'table']) {
  console[m] = (...args) => console.error(...args)
}

const DEFAULT_TIMEOUT_MS = 5000

/**
 * The one live connection, or null before connect / after destroy.
 * @type {null | {
 *   doc: Y.Doc, ytext: Y.Text, provider: WebsocketProvider,
 *   closeEvents: Array<object>, closed: Array<object>, errors: number
 * }}
 */
let session = null

/** Sockets of destroyed providers that are still closing; awaited before exit. */
const closing = []

const need = (cond, msg) => {
  if (!cond) throw new Error(msg)
}

const current = () => {
  need(session !== null, 'not connected (send connect first)')
  return session
}

const timeoutOf = (cmd) => {
  const t = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  need(typeof t === 'number' && t >= 0, 'timeoutMs must be a non-negative number')
  return t
}

/**
 * Wait until check() holds. It is evaluated now and again every time
 * subscribe's callback fires; subscribe(cb) returns its unsubscribe function.
 * Resolves 'ok' or 'timeout'.
 */
const waitFor = (check, subscribe, timeoutMs) => new Promise((resolve) => {
  if (check()) return resolve('ok')
  let unsubscribe = () => {}
  let timer = null
  const finish = (result) => {
    clearTimeout(timer)
    unsubscribe()
    resolve(result)
  }
  unsubscribe = subscribe(() => {
    if (check()) finish('ok')
  })
  timer = setTimeout(() => finish('timeout'), timeoutMs)
})

const waitError = (result) => ({ ok: false, error: result })

/** The provider's connection status, as its 'status' events name it. */
const statusOf = (provider) => {
  if (provider.wsconnected) return 'connected'
  if (provider.wsconnecting) return 'connecting'
  return 'disconnected'
}

/** awareness.getStates() as a JSON object keyed by clientID. */
const statesOf = (awareness) => {
  const out = {}
  for (const [client, state] of awareness.getStates()) out[client] = state
  return out
}

/** Destroy the provider and doc; remember the socket so exit can let it close. */
const teardown = () => {
  if (session === null) return
  const { provider, doc } = session
  const ws = provider.ws
  // destroy() -> disconnect(): sends our awareness removal, then closes the
  // socket (emitting 'connection-close' with a null event). Its doc/awareness
  // listeners go away; doc.destroy() also destroys the Awareness (and its
  // 3 s renewal interval).
  provider.destroy()
  doc.destroy()
  session = null
  if (ws !== null && ws.readyState !== WebSocket.CLOSED) {
    // The provider detached its handlers, but `ws` is an EventEmitter too.
    closing.push(new Promise((resolve) => ws.once('close', resolve)))
  }
}

/** Command handlers: cmd -> result fields (or a promise of a full response). */
const COMMANDS = {
  connect (cmd) {
    need(session === null, 'already connected (send destroy first)')
    need(typeof cmd.url === 'string', 'url must be a string')
    need(typeof cmd.room === 'string', 'room must be a string')
    const doc = new Y.Doc()
    if (cmd.clientID !== undefined) {
      need(Number.isInteger(cmd.clientID) && cmd.clientID >= 0 && cmd.clientID <= 0xffffffff,
        'clientID must be an integer in [0, 2^32-1]')
      // Before the provider exists: its Awareness reads doc.clientID when it
      // is constructed, and Yjs reads it when creating structs.
      doc.clientID = cmd.clientID
    }
    const opts = {
      WebSocketPolyfill: WebSocket,
      connect: true,
      // BroadcastChannel sync would let two clients in one process talk
      // without the server; we only ever want the websocket path.
      disableBc: true
    }
    if (cmd.params !== undefined) opts.params = cmd.params
    if (cmd.protocols !== undefined) opts.protocols = cmd.protocols
    if (cmd.maxBackoffTime !== undefined) opts.maxBackoffTime = cmd.maxBackoffTime
    // Not exposed: resyncInterval (its timer reads the global WebSocket,
    // which Node 20 lacks).
    const provider = new WebsocketProvider(cmd.url, cmd.room, doc, opts)
    const s = { doc, ytext: doc.getText('text'), provider, closeEvents: [], closed: [], errors: 0 }
    provider.on('connection-close', (event) => {
      // event is the socket's CloseEvent, or null when the provider closed
      // the socket itself (disconnect(), destroy(), no-message watchdog).
      s.closeEvents.push(event == null
        ? { code: null, reason: null, wasClean: null, local: true }
        : { code: event.code, reason: String(event.reason ?? ''), wasClean: event.wasClean ?? null, local: false })
    })
    provider.on('closed', (event) => {
      s.closed.push({ code: event.code, reason: String(event.reason ?? '') })
    })
    provider.on('connection-error', () => { s.errors++ })
    // The socket opens asynchronously, so a state set here is already in
    // place when the provider broadcasts it on open.
    if (cmd.name !== undefined) provider.awareness.setLocalState({ user: { name: cmd.name } })
    session = s
    return {}
  },

  async waitSynced (cmd) {
    const { provider } = current()
    const result = await waitFor(() => provider.synced, (cb) => {
      provider.on('sync', cb)
      return () => provider.off('sync', cb)
    }, timeoutOf(cmd))
    return result === 'ok' ? {} : waitError(result)
  },

  insert (cmd) {
    const { doc, ytext } = current()
    need(Number.isInteger(cmd.index) && cmd.index >= 0, 'index must be a non-negative integer')
    need(typeof cmd.text === 'string', 'text must be a string')
    need(cmd.index <= ytext.length, `index ${cmd.index} beyond text length ${ytext.length}`)
    doc.transact(() => ytext.insert(cmd.index, cmd.text))
    return {}
  },

  delete (cmd) {
    const { doc, ytext } = current()
    need(Number.isInteger(cmd.index) && cmd.index >= 0, 'index must be a non-negative integer')
    need(Number.isInteger(cmd.length) && cmd.length >= 0, 'length must be a non-negative integer')
    need(cmd.index + cmd.length <= ytext.length, `range [${cmd.index}, +${cmd.length}) beyond text length ${ytext.length}`)
    doc.transact(() => ytext.delete(cmd.index, cmd.length))
    return {}
  },

  text () {
    return { text: current().ytext.toString() }
  },

  async waitText (cmd) {
    const { doc, ytext } = current()
    need(typeof cmd.text === 'string', 'text must be a string')
    // afterTransaction fires for every transaction, local or remote, once
    // the text is up to date.
    const result = await waitFor(() => ytext.toString() === cmd.text, (cb) => {
      doc.on('afterTransaction', cb)
      return () => doc.off('afterTransaction', cb)
    }, timeoutOf(cmd))
    return result === 'ok' ? {} : { ...waitError(result), text: ytext.toString() }
  },

  state () {
    const { doc, ytext, provider } = current()
    return {
      clientID: doc.clientID,
      text: ytext.toString(),
      sv: toHex(Y.encodeStateVector(doc)),
      update: toHex(Y.encodeStateAsUpdate(doc)),
      status: statusOf(provider),
      synced: provider.synced,
      wsReadyState: provider.ws === null ? null : provider.ws.readyState,
      shouldConnect: provider.shouldConnect
    }
  },

  setAwareness (cmd) {
    const { provider } = current()
    need('state' in cmd, 'state is required (null removes the local state)')
    provider.awareness.setLocalState(cmd.state)
    return {}
  },

  awareness () {
    const { doc, provider } = current()
    return { self: doc.clientID, states: statesOf(provider.awareness) }
  },

  async waitAwareness (cmd) {
    const { provider } = current()
    need(Number.isInteger(cmd.clientID), 'clientID must be an integer')
    const present = cmd.present ?? true
    need(typeof present === 'boolean', 'present must be a boolean')
    const { awareness } = provider
    const check = () => {
      const states = awareness.getStates()
      if (!present) return !states.has(cmd.clientID)
      if (!states.has(cmd.clientID)) return false
      return cmd.state === undefined || isDeepStrictEqual(states.get(cmd.clientID), cmd.state)
    }
    // 'update' (not 'change') also fires for renewals and removals alike.
    const result = await waitFor(check, (cb) => {
      awareness.on('update', cb)
      return () => awareness.off('update', cb)
    }, timeoutOf(cmd))
    return result === 'ok' ? {} : { ...waitError(result), states: statesOf(awareness) }
  },

  disconnect () {
    current().provider.disconnect()
    return {}
  },

  reconnect () {
    current().provider.connect()
    return {}
  },

  closeEvents () {
    const s = current()
    return { events: s.closeEvents, closed: s.closed, errors: s.errors }
  },

  destroy () {
    current()
    teardown()
    return {}
  }
}

/** Run one command; never throws. */
const exec = async (cmd) => {
  try {
    need(cmd !== null && typeof cmd === 'object' && !Array.isArray(cmd), 'command must be a JSON object')
    const handler = COMMANDS[cmd.cmd]
    need(handler !== undefined && Object.hasOwn(COMMANDS, cmd.cmd), `unknown cmd ${JSON.stringify(cmd.cmd)}`)
    const result = (await handler(cmd)) ?? {}
    return 'ok' in result ? result : { ok: true, ...result }
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err) }
  }
}

const handleLine = async (line) => {
  let cmd
  let res
  try {
    cmd = JSON.parse(line)
  } catch (err) {
    res = { ok: false, error: `invalid JSON: ${err.message}` }
  }
  if (res === undefined) res = await exec(cmd)
  if (cmd !== null && typeof cmd === 'object' && 'id' in cmd) res = { id: cmd.id, ...res }
  process.stdout.write(JSON.stringify(res) + '\n')
}

// Commands form a promise chain: each starts after the previous one answered.
let queue = Promise.resolve()
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })

rl.on('line', (line) => {
  if (line.trim() === '') return
  queue = queue.then(() => handleLine(line))
})

rl.on('close', () => {
  queue = queue.then(async () => {
    teardown()
    // Give the close frames (and the awareness removal sent before them) a
    // moment to reach the server, but do not wait for a silent peer: ws
    // would wait 30 s for the closing handshake.
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 1000))])
    process.exit(0)
  })
})
