// A rolling restart of a three-server chat while two people talk: Ann
// with the official client in Node, Bob on the chat page in Chromium, both
// through a load balancer (./ready-balancer.mjs: round-robin over the servers
// whose /readyz is 200, sticky per SignalR connection). Each server in
// turn gets SIGTERM, drains (readiness off, clients told to reconnect),
// exits and comes back; the clients land on the other servers. Nothing is
// lost or doubled: the room's history holds every message once, and each
// person's view shows every message once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import signalR from '@microsoft/signalr';
import { startRedis, freePort } from './redis.mjs';
import { startBalancer } from './ready-balancer.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const T = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const pgBase = process.env.CHAT_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
const dbName = `chat_rolling_${randomBytes(6).toString('hex')}`;
const psql = (sql) => execFileSync('psql', [pgBase, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
const dbURL = () => { const u = new URL(pgBase); u.pathname = `/${dbName}`; return u.toString(); };

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-rolling-'));
let redis, lb, browser;
const nodes = [];

async function start(node) {
  const bin = process.env.CHAT_BIN || path.join(root, 'bin', 'chat');
  node.proc = spawn(bin, ['-addr', `127.0.0.1:${node.port}`, '-data', data, '-db', dbURL(), '-redis', redis.url, '-drain', '1s', '-admins', 'Root'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  node.proc.stderr.on('data', (d) => { stderr += d; });
  await new Promise((resolve, reject) => {
    let out = '';
    node.proc.stdout.on('data', (d) => { out += d; if (/listening on/.test(out)) resolve(); });
    node.proc.on('exit', (code) => reject(new Error(`chat exited ${code}: ${stderr}`)));
  });
}

function stop(node) {
  return new Promise((resolve) => {
    if (!node.proc || node.proc.exitCode !== null) return resolve(node.proc?.exitCode);
    node.proc.removeAllListeners('exit');
    node.proc.once('exit', (code, sig) => resolve(code ?? sig));
    node.proc.kill('SIGTERM');
  });
}

async function until(cond, what) {
  const deadline = Date.now() + T;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

// ---- Ann: the official client in Node ----

async function nodePerson(name) {
  const res = await fetch(`${lb.url}/api/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password: `${name}-password` }),
  });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  const p = { name, seen: new Map(), liveIds: [], reconnects: 0, closes: [] };
  p.conn = new signalR.HubConnectionBuilder()
    .withUrl(`${lb.url}/hubs/chat`, { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 100 })
    .configureLogging(signalR.LogLevel.None)
    .build();
  p.conn.on('MessageReceived', (m) => { if (m.roomId === p.room) { p.liveIds.push(m.id); p.seen.set(m.id, m); } });
  p.conn.onreconnected(async () => { p.reconnects++; await catchUp(p).catch(() => {}); });
  p.conn.onclose((e) => p.closes.push(e));
  await p.conn.start();
  p.room = (await p.conn.invoke('Rooms')).find((r) => r.name === 'general').id;
  for (const m of (await p.conn.invoke('JoinRoom', p.room)).messages) p.seen.set(m.id, m);
  return p;
}

async function catchUp(p) {
  const last = Math.max(0, ...p.seen.keys());
  for (const m of await p.conn.invoke('MessagesSince', p.room, last)) p.seen.set(m.id, m);
}

async function talk(p, n, gap) {
  for (let i = 0; i < n; i++) {
    for (;;) {
      try {
        if (p.conn.state === signalR.HubConnectionState.Connected) {
          const m = await p.conn.invoke('SendMessage', p.room, `${p.name} says ${i}`, `${p.name}-${i}`);
          p.seen.set(m.id, m);
          break;
        }
      } catch { /* cut by a restart: send again, same client id */ }
      await sleep(50);
    }
    await sleep(gap);
  }
}

// ---- Bob: the chat page in Chromium ----

const status = (page) => page.getByTestId('connection-status');
const texts = (page) => page.getByTestId('message-list').locator('li[data-id] .text').allTextContents();

async function pagePerson(name) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(lb.url);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-submit').click();
  await status(page).and(page.locator('[data-state="connected"]')).waitFor({ timeout: T });
  return page;
}

async function pageTalk(page, name, n, gap) {
  for (let i = 0; i < n; i++) {
    await page.getByTestId('message-input').fill(`${name} says ${i}`);
    await page.getByTestId('message-send').click({ timeout: T }); // waits while sending is disabled
    await sleep(gap);
  }
}

before(async () => {
  psql(`CREATE DATABASE ${dbName}`);
  redis = await startRedis();
  for (let i = 0; i < 3; i++) {
    const node = { port: await freePort() };
    node.url = `http://127.0.0.1:${node.port}`;
    await start(node); // one after the other: the first migrates and makes the key
    nodes.push(node);
  }
  lb = await startBalancer(nodes.map((n) => n.url));
  await until(() => nodes.every((n) => lb.ready(n.url)), 'every server ready behind the balancer');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await lb?.close();
  await Promise.all(nodes.map(stop));
  await redis?.stop();
  fs.rmSync(data, { recursive: true, force: true });
  try { psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } catch { /* best effort */ }
});

test('a rolling restart of three servers while two people talk loses and doubles nothing', async (t) => {
  const ann = await nodePerson('Ann');
  const bob = await pagePerson('Bob');
  const nAnn = 40, nBob = 12;
  const talking = Promise.all([talk(ann, nAnn, 60), pageTalk(bob, 'Bob', nBob, 200)]);

  for (const node of nodes) {
    await sleep(300);
    const code = await stop(node);
    assert.equal(code, 0, `server ${node.url} exits cleanly after draining`);
    await start(node);
    await until(() => lb.ready(node.url), `${node.url} ready again`);
  }
  await talking;
  await catchUp(ann);
  assert.ok(ann.reconnects >= 1, 'Ann was moved at least once');
  t.diagnostic(`Ann was moved ${ann.reconnects} time(s); ${ann.liveIds.length} live messages`);
  assert.deepEqual(ann.closes, [], 'Ann\'s connection never closed for good');

  const want = [...[...Array(nAnn).keys()].map((i) => `Ann says ${i}`), ...[...Array(nBob).keys()].map((i) => `Bob says ${i}`)].sort();
  const history = (await ann.conn.invoke('MessagesSince', ann.room, 0)).map((m) => m.text).sort();
  assert.deepEqual(history, want, 'the room holds every message exactly once');
  assert.deepEqual([...ann.seen.values()].map((m) => m.text).sort(), want, 'Ann sees every message once');
  assert.equal(new Set(ann.liveIds).size, ann.liveIds.length, 'Ann got no live message twice');
  await status(bob).and(bob.locator('[data-state="connected"]')).waitFor({ timeout: T });
  await until(async () => (await texts(bob)).length >= want.length, 'Bob\'s page shows every message');
  assert.deepEqual((await texts(bob)).sort(), want, 'Bob\'s page shows every message once');
  assert.deepEqual(bob.errors, []);
  await ann.conn.stop();
});

test('the status page lists the three servers, the restarted ones included', async () => {
  const res = await fetch(`${lb.url}/api/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Root', password: 'root-password' }),
  });
  const session = await res.json();
  const context = await browser.newContext();
  await context.addInitScript((s) => localStorage.setItem('chat.session', s), JSON.stringify(session));
  const page = await context.newPage();
  await page.goto(`${lb.url}/static/admin.html`);
  await page.getByTestId('admin-state').and(page.locator('[data-state="connected"]')).waitFor({ timeout: T });
  // A stopped server leaves the list as it closes its backplane.
  await until(async () => (await page.locator('#nodes li').count()) === 3, 'three servers on the status page');
  const names = await page.locator('#nodes li').allTextContents();
  assert.equal(new Set(names).size, 3, names.join(', '));
  await context.close();
});
