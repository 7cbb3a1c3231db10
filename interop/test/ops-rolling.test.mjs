// A rolling restart of a three-server chat while two people talk: Ann
// with the official client in Node, Bob on the chat page in Chromium, both
// through a load balancer (./balancer.mjs with readiness and stickiness:
// round-robin over the servers whose /readyz is 200, sticky per SignalR
// connection). Each server in turn gets SIGTERM, drains (readiness off,
// clients told to reconnect), exits and comes back; the clients land on
// the other servers. Nothing is lost or doubled: the room's history holds
// every message once, and each person's view shows every message once.
// The drain is what makes it smooth: Ann's client is only ever asked to
// reconnect (the server's Close allowing it, onreconnecting without an
// error), never cut; a server killed without a drain cuts her (an error).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import signalR from '@microsoft/signalr';
import { startRedis } from './redis.mjs';
import { startBalancer } from './balancer.mjs';
import { startChat, launchBrowser, tempDir, tempDatabase, freePort, login, person, status, nodePerson, catchUp, talk, sleep } from './chat-lib.mjs';
import fs from 'node:fs';

const T = 20000;

const data = tempDir('chat-rolling-');
let redis, db, lb, browser;
const nodes = [];

// start runs (or runs again) a node on its port, sharing the data folder,
// database and Redis.
async function start(node) {
  node.chat = await startChat({ port: node.port, data, args: ['-db', db.url, '-redis', redis.url, '-drain', '1s', '-admins', 'Root'] });
}

const stop = (node) => node.chat?.stop();

async function until(cond, what) {
  const deadline = Date.now() + T;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

// ---- Ann: the official client in Node ----

const nodeAnn = () => nodePerson(lb.url, 'Ann', { transport: signalR.HttpTransportType.WebSockets });

// ---- Bob: the chat page in Chromium ----

const texts = (page) => page.getByTestId('message-list').locator('li[data-id] .text').allTextContents();
const pagePerson = (name) => person(browser, lb.url, name, { viewport: { width: 1100, height: 720 } });

async function pageTalk(page, name, n, gap) {
  for (let i = 0; i < n; i++) {
    await page.getByTestId('message-input').fill(`${name} says ${i}`);
    await page.getByTestId('message-send').click({ timeout: T }); // waits while sending is disabled
    await sleep(gap);
  }
}

before(async () => {
  db = tempDatabase('chat_rolling');
  redis = await startRedis();
  for (let i = 0; i < 3; i++) {
    const node = { port: await freePort() };
    node.url = `http://127.0.0.1:${node.port}`;
    await start(node); // one after the other: the first migrates and makes the key
    nodes.push(node);
  }
  lb = await startBalancer(nodes.map((n) => n.url), { readiness: true, sticky: true });
  await until(() => nodes.every((n) => lb.ready(n.url)), 'every server ready behind the balancer');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await lb?.close();
  await Promise.all(nodes.map(stop));
  await redis?.stop();
  fs.rmSync(data, { recursive: true, force: true });
  try { db?.drop(); } catch { /* best effort */ }
});

test('a rolling restart of three servers while two people talk loses and doubles nothing', async (t) => {
  const ann = await nodeAnn();
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
  // Drained, never cut: each move began with the server's Close allowing
  // a reconnect (the client passes no error), and went to another server.
  assert.equal(ann.reconnecting.length, ann.reconnects, 'every reconnect attempt succeeded at once');
  assert.deepEqual(ann.reconnecting.map((e) => e?.message), ann.reconnecting.map(() => undefined),
    'no abnormal close: every reconnect was asked for by a draining server');
  const where = ann.ids.map((id) => lb.negotiatedBy(id));
  t.diagnostic(`Ann's servers: ${where.join(' -> ')}`);
  for (let i = 1; i < where.length; i++) {
    assert.ok(where[i] && where[i] !== where[i - 1], `reconnect ${i} landed on another server (${where.join(' -> ')})`);
  }

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
  const session = await login(lb.url, 'Root', 'root-password');
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

// The control: without a drain, Ann's server is simply gone. Her client
// still reconnects elsewhere, but through an abnormal close (the error
// onreconnecting gets), which is what the drain spares every client.
test('the control: a server killed without draining cuts its clients', async () => {
  const ann = await nodeAnn();
  const node = nodes.find((n) => n.url === lb.negotiatedBy(ann.ids[0]));
  assert.ok(node, 'the balancer knows Ann\'s server');
  assert.equal(await node.chat.kill(), 'SIGKILL');
  await until(() => ann.reconnects === 1, 'Ann reconnected');
  assert.equal(ann.reconnecting.length, 1);
  assert.ok(ann.reconnecting[0] instanceof Error, `onreconnecting got an error: ${ann.reconnecting[0]}`);
  assert.notEqual(lb.negotiatedBy(ann.ids[1]), node.url, 'Ann landed on another server');
  await start(node);
  await until(() => lb.ready(node.url), `${node.url} ready again`);
  await ann.conn.stop();
  assert.deepEqual(ann.closes, [undefined], 'stopped by the test only');
});
