// Restarting the chat while two people talk, with the official client in
// Node: SIGTERM drains the server (each client is told to reconnect), the
// server comes back on the same address and data, and the clients
// reconnect by themselves, catch up by message id and resend what failed
// with the same client id, as the page does. Nothing is lost or doubled:
// the room's history has every message exactly once, and each person's
// view (live messages plus the catch-up, merged by id) has all of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import signalR from '@microsoft/signalr';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-restart-'));
let proc, port, base;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startChat() {
  const bin = process.env.CHAT_BIN || path.join(root, 'bin', 'chat');
  proc = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-data', data, '-drain', '500ms'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  base = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`chat exited ${code}: ${stderr}`)));
  });
}

function stopChat() {
  return new Promise((resolve) => {
    if (!proc || proc.exitCode !== null) return resolve(proc?.exitCode);
    proc.once('exit', (code, sig) => resolve(code ?? sig));
    proc.kill('SIGTERM');
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// person signs in, connects, joins the room, and keeps a view of it.
async function person(name, password) {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }),
  });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  const p = { name, seen: new Map(), liveIds: [], reconnects: 0, closes: [] };
  p.conn = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/hubs/chat`, { accessTokenFactory: () => token })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 100 })
    .configureLogging(signalR.LogLevel.None)
    .build();
  p.conn.on('MessageReceived', (m) => {
    if (m.roomId !== p.room) return;
    p.liveIds.push(m.id);
    p.seen.set(m.id, m);
  });
  p.conn.onreconnected(async () => {
    p.reconnects++;
    await catchUp(p);
  });
  p.conn.onclose((e) => p.closes.push(e));
  await p.conn.start();
  const rooms = await p.conn.invoke('Rooms');
  p.room = rooms.find((r) => r.name === 'general').id;
  const st = await p.conn.invoke('JoinRoom', p.room);
  for (const m of st.messages) p.seen.set(m.id, m);
  return p;
}

async function catchUp(p) {
  const last = Math.max(0, ...p.seen.keys());
  for (const m of await p.conn.invoke('MessagesSince', p.room, last)) p.seen.set(m.id, m);
}

// talk sends n messages, one every gap ms, each retried with its client
// id until the server has it.
async function talk(p, n, gap) {
  for (let i = 0; i < n; i++) {
    const clientId = `${p.name}-${i}`;
    for (;;) {
      try {
        if (p.conn.state === signalR.HubConnectionState.Connected) {
          const m = await p.conn.invoke('SendMessage', p.room, `${p.name} says ${i}`, clientId);
          p.seen.set(m.id, m);
          break;
        }
      } catch { /* cut by the restart: send again */ }
      await sleep(50);
    }
    await sleep(gap);
  }
}

after(async () => { await stopChat(); });

test('a restart while two people talk loses and doubles nothing', async () => {
  port = await freePort();
  await startChat();
  const ann = await person('Ann', 'ann-password');
  const bob = await person('Bob', 'bob-password');
  const n = 40;
  const talking = Promise.all([talk(ann, n, 25), talk(bob, n, 25)]);
  await sleep(300);
  const code = await stopChat();
  assert.equal(code, 0, 'the drained server exits cleanly');
  await startChat();
  await talking;
  assert.equal(ann.reconnects, 1, 'Ann reconnected once');
  assert.equal(bob.reconnects, 1, 'Bob reconnected once');
  assert.deepEqual([...ann.closes, ...bob.closes], [], 'no connection closed for good');
  for (const p of [ann, bob]) await catchUp(p);

  const history = await ann.conn.invoke('MessagesSince', ann.room, 0);
  const ids = history.map((m) => m.clientId).sort();
  const want = [...Array(n).keys()].flatMap((i) => [`Ann-${i}`, `Bob-${i}`]).sort();
  assert.deepEqual(ids, want, 'every message stored exactly once');
  for (const p of [ann, bob]) {
    const view = [...p.seen.values()].map((m) => m.clientId).sort();
    assert.deepEqual(view, want, `${p.name} sees every message once`);
    assert.equal(new Set(p.liveIds).size, p.liveIds.length, `${p.name} got no live message twice`);
  }
  await ann.conn.stop();
  await bob.conn.stop();
});
