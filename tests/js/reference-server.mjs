#!/usr/bin/env node
// The reference Yjs room server: @y/websocket-server's own connection handler.
//
//   node reference-server.mjs [--host 127.0.0.1] [--port 0]
//
// Builds the same server as the package's bin (src/server.js): an http server
// answering plain requests with "okay" and handing every upgrade to a `ws`
// WebSocketServer whose connections go to setupWSConnection from
// '@y/websocket-server/utils' (the room is the URL path). Unlike the bin it
// takes host/port as arguments, accepts port 0 and reports the port it got:
// once listening it prints exactly one line to stdout,
//   {"url":"ws://127.0.0.1:<port>"}
// and nothing else ever goes to stdout. It runs in memory only and exits 0 on
// SIGTERM, SIGINT or when stdin ends (so the parent must keep stdin open).
//
// This is the reference side of the room-server benchmark, so it runs the
// package code unchanged. Two differences from `npx y-websocket-server`:
// - the `ws` used is the one this project pins (8.23.0); the package's bin
//   resolves its own nested optional dependency (ws 6.2.x). `--ws bundled`
//   uses that nested copy instead.
// - the environment knobs the package reads when it is imported are cleared
//   (YPERSISTENCE: no LevelDB persistence; CALLBACK_*: no HTTP callbacks;
//   GC: always the default, garbage collection on), so the reference cannot
//   silently change with the caller's environment.

import http from 'node:http'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

// stdout carries the one "listening" line only.
for (const m of ['log', 'info', 'debug', 'dir', 'table']) {
  console[m] = (...args) => console.error(...args)
}

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    ws: { type: 'string', default: 'pinned' }
  }
})
const port = Number(args.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${JSON.stringify(args.port)}`)
  process.exit(2)
}
if (args.ws !== 'pinned' && args.ws !== 'bundled') {
  console.error(`invalid --ws ${JSON.stringify(args.ws)} (pinned | bundled)`)
  process.exit(2)
}

// utils.js reads these at import time, hence the dynamic import below.
for (const name of ['YPERSISTENCE', 'CALLBACK_URL', 'CALLBACK_DEBOUNCE_WAIT', 'CALLBACK_DEBOUNCE_MAXWAIT',
  'CALLBACK_TIMEOUT', 'CALLBACK_OBJECTS', 'GC']) {
  delete process.env[name]
}
const { setupWSConnection } = await import('@y/websocket-server/utils')

let WebSocketServer
if (args.ws === 'bundled') {
  // Resolve 'ws' the way the package's own src/server.js does. That copy is
  // CommonJS (ws 6: WebSocket.Server).
  const require = createRequire(import.meta.resolve('@y/websocket-server/utils'))
  WebSocketServer = require('ws').Server
} else {
  WebSocketServer = (await import('ws')).WebSocketServer
}

const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end('okay')
})

server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    wss.emit('connection', ws, request)
  })
})

server.on('error', (err) => {
  console.error(`reference-server: ${err.message}`)
  process.exit(1)
})

server.listen(port, args.host, () => {
  const { port: actual } = server.address()
  // Bracket IPv6 literals so the URL stays valid.
  const host = args.host.includes(':') ? `[${args.host}]` : args.host
  process.stdout.write(JSON.stringify({ url: `ws://${host}:${actual}` }) + '\n')
})

// Exit promptly: setupWSConnection keeps a 30 s ping interval per connection,
// so waiting for the event loop to drain is not an option.
const shutdown = () => {
  for (const client of wss.clients) client.terminate()
  server.close()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.stdin.on('end', shutdown)
process.stdin.on('error', shutdown)
process.stdin.resume()
