#!/usr/bin/env node
// Line driver: a live Yjs peer for Tandem's C++ tests.
//
// Reads newline-delimited JSON commands (see ops.mjs for the vocabulary) on
// stdin and writes exactly one JSON response line per command on stdout, in
// order, echoing the request's "id" when present. Exits when stdin ends.
// Blank lines are ignored; a line that is not valid JSON gets an
// {"ok": false} response so the caller never waits for an answer.

import { createInterface } from 'node:readline'
import { World } from './ops.mjs'

// stdout carries the protocol only. Yjs/lib0 occasionally log through
// console.log (e.g. the client-id collision warning), so send every console
// method that would write to stdout to stderr instead.
for (const m of ['log', 'info', 'debug', 'dir', 'table']) {
  console[m] = (...args) => console.error(...args)
}

const world = new World()
const out = []
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })

rl.on('line', (line) => {
  if (line.trim() === '') return
  let cmd
  let res
  try {
    cmd = JSON.parse(line)
  } catch (err) {
    res = { ok: false, error: `invalid JSON: ${err.message}` }
  }
  if (res === undefined) res = world.exec(cmd)
  if (cmd !== null && typeof cmd === 'object' && 'id' in cmd) res = { id: cmd.id, ...res }
  process.stdout.write(JSON.stringify(res) + '\n')
})

rl.on('close', () => {
  world.destroy()
})
