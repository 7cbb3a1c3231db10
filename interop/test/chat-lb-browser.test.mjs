// The chat in real headless Chromium behind a round-robin balancer with
// no affinity (balancer.mjs) in front of three chat servers on one Redis
// (cmd/chat -redis forwards requests for connections of the other
// servers by default) and one PostgreSQL database: on each transport,
// forced with the page's ?transport= parameter, two people sign in, make
// a room and talk both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startRedis } from './redis.mjs';
import { startBalancer } from './balancer.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const T = 15000; // patience for anything the page shows

const pgBase = process.env.CHAT_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
const dbName = `chat_lb_${randomBytes(6).toString('hex')}`;
const psql = (sql) => execFileSync('psql', [pgBase, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
const dbURL = () => { const u = new URL(pgBase); u.pathname = `/${dbName}`; return u.toString(); };

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-lb-'));
let redis, lb, browser;
const nodes = [];

async function startChat() {
  const bin = process.env.CHAT_BIN || path.join(root, 'bin', 'chat');
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', '-data', data, '-db', dbURL(), '-redis', redis.url],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`chat exited ${code}: ${stderr}`)));
  });
  return { proc, url, stderr: () => stderr };
}

const stop = (proc) => new Promise((resolve) => {
  if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
  proc.once('exit', resolve);
  proc.kill('SIGTERM');
});

const status = (page) => page.getByTestId('connection-status');
const connected = (page) => status(page).and(page.locator('[data-state="connected"]')).waitFor({ timeout: T });
const messageWith = (page, text) => page.getByTestId('message-list').locator('li[data-id]').filter({ hasText: text });

async function person(name, transport) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${lb.url}/?transport=${transport}`);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-submit').click();
  await connected(page);
  return page;
}

async function send(page, text) {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-send').click();
  await messageWith(page, text).waitFor({ timeout: T });
}

async function openRoom(page, name) {
  const b = page.getByTestId('room-list').locator(`button[data-room-name="${name}"]`);
  await b.waitFor({ timeout: T });
  await b.click();
  await page.getByTestId('room-title').filter({ hasText: name }).waitFor({ timeout: T });
}

before(async () => {
  psql(`CREATE DATABASE ${dbName}`);
  redis = await startRedis();
  // One after the other: the first migrates the database and makes the
  // signing key the others share.
  for (let i = 0; i < 3; i += 1) nodes.push(await startChat());
  lb = await startBalancer(nodes.map((n) => n.url));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await lb?.close();
  await Promise.all(nodes.map((n) => stop(n.proc)));
  await redis?.stop();
  fs.rmSync(data, { recursive: true, force: true });
  psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
});

for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
  test(`two people talk through the balancer over ${transport}`, async () => {
    const before = { ...lb.seen };
    const ann = await person(`Ann${transport}`, transport);
    const bob = await person(`Bob${transport}`, transport);
    try {
      const room = `lb-${transport.toLowerCase()}`;
      await ann.getByTestId('room-create-name').fill(room);
      await ann.getByTestId('room-create-submit').click();
      await ann.getByTestId('room-title').filter({ hasText: room }).waitFor({ timeout: T });
      await openRoom(bob, room);
      for (let i = 0; i < 5; i += 1) {
        await send(ann, `Ann says ${i} over ${transport}`);
        await messageWith(bob, `Ann says ${i} over ${transport}`).waitFor({ timeout: T });
        await send(bob, `Bob says ${i} over ${transport}`);
        await messageWith(ann, `Bob says ${i} over ${transport}`).waitFor({ timeout: T });
      }
      // The forced transport is the one used.
      const upgrades = lb.seen.upgrades - before.upgrades;
      const streams = lb.seen.eventStreams - before.eventStreams;
      assert.equal(upgrades > 0, transport === 'WebSockets', `${upgrades} WebSocket upgrades`);
      assert.equal(streams > 0, transport === 'ServerSentEvents', `${streams} SSE streams`);
      for (const page of [ann, bob]) {
        assert.equal(await status(page).getAttribute('data-state'), 'connected');
        assert.deepEqual(page.errors, []);
      }
    } finally {
      await ann.context().close();
      await bob.context().close();
    }
  });
}
