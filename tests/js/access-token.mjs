#!/usr/bin/env node
// Line driver: makes Tandem access tokens with nothing but node's own crypto module, as an
// admin's script would (core/server/accesstoken.h describes the format). Used by
// tests/server/tst_accesstoken to prove the format does not depend on Qt.
//
// In: one JSON command per line, {"secret": <hex>, "payload": {...}}.
// Out: one JSON answer per line, {"ok": true, "token": "<payload>.<signature>"}.

import { createHmac } from 'node:crypto'
import { createInterface } from 'node:readline'

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })

rl.on('line', (line) => {
  if (line.trim() === '') return
  let res
  try {
    const cmd = JSON.parse(line)
    const payload = Buffer.from(JSON.stringify(cmd.payload)).toString('base64url')
    const signature = createHmac('sha256', Buffer.from(cmd.secret, 'hex'))
      .update(payload)
      .digest('base64url')
    res = { ok: true, token: `${payload}.${signature}` }
  } catch (err) {
    res = { ok: false, error: String(err) }
  }
  process.stdout.write(JSON.stringify(res) + '\n')
})
