// Shared helpers for the tests that drive the chat application
// (cmd/chat): run it (and a PostgreSQL database of the run's own), sign
// people in on the page in Debian's headless Chromium, with the official
// browser client the page loads, or with the official client in Node.
// The binary is built by scripts/test.sh into bin/.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import signalR from '@microsoft/signalr';
import { sleep } from './lib.mjs';
import { freePort } from './redis.mjs';

export { freePort, sleep };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// T is the patience, in milliseconds, for anything the page shows.
export const T = 15000;

// tempDir makes a fresh data folder; the caller removes it.
export const tempDir = (prefix = 'chat-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

// tempDatabase makes a PostgreSQL database of this run's own, named
// <prefix>_<random>, on the local server (CHAT_TEST_POSTGRES, default
// postgres@127.0.0.1:5432), and returns {url, drop}: its URL for -db, and
// a function that drops it.
export function tempDatabase(prefix) {
  const pgBase = process.env.CHAT_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const psql = (sql) => execFileSync('psql', [pgBase, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
  psql(`CREATE DATABASE ${name}`);
  const u = new URL(pgBase);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// startChat runs bin/chat and resolves with {base, proc, port, data,
// stop, kill, stderr} once it listens. Options: port (default a free one),
// data (default a fresh folder, removed by stop), args (more flags), env.
// stop sends SIGTERM and resolves with the exit code (or the signal) once
// the process ended; kill does the same with SIGKILL.
export async function startChat({ port, data, args = [], env } = {}) {
  port ??= await freePort();
  const own = data === undefined;
  data ??= tempDir();
  const bin = process.env.CHAT_BIN || path.join(root, 'bin', 'chat');
  const proc = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-data', data, ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`chat did not start: ${stderr}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`chat exited ${code}: ${stderr}`)); });
  });
  const ended = () => proc.exitCode !== null || proc.signalCode !== null;
  const signal = (sig) => new Promise((resolve) => {
    if (ended()) return resolve(proc.exitCode ?? proc.signalCode);
    proc.once('exit', (code, sig2) => resolve(code ?? sig2));
    proc.kill(sig);
  });
  const stop = async () => {
    const code = await signal('SIGTERM');
    if (own) fs.rmSync(data, { recursive: true, force: true });
    return code;
  };
  return { base, proc, port, data, stop, kill: () => signal('SIGKILL'), stderr: () => stderr };
}

// launchBrowser starts Debian's Chromium, headless; never a downloaded one.
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// person opens the chat at url in a new browser context (or a new tab of
// context), signs in as name (with password when given) and resolves with
// the page once connected and showing a room. page.errors collects
// uncaught page errors. opts go to browser.newContext (viewport,
// permissions, ...).
export async function person(browser, url, name, { password, context, ...opts } = {}) {
  context ??= await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  await page.getByTestId('login-name').fill(name);
  if (password !== undefined) await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await connected(page);
  await page.getByTestId('room-title').filter({ hasText: /\S/ }).waitFor({ timeout: T });
  return page;
}

// status is the connection indicator; connected waits until it says so.
export const status = (page) => page.getByTestId('connection-status');
export const connected = (page) => status(page).and(page.locator('[data-state="connected"]')).waitFor({ timeout: T });

// messages are the open room's shown messages; messageWith those with text.
export const messages = (page) => page.getByTestId('message-list').locator('li[data-id]');
export const messageWith = (page, text) => messages(page).filter({ hasText: text });

// send types text into the composer, presses Enter (or, with click,
// clicks the send button) and waits until the message shows; with once,
// a second message with the same text fails the wait.
export async function send(page, text, { click = false, once = false } = {}) {
  await page.getByTestId('message-input').fill(text);
  if (click) await page.getByTestId('message-send').click();
  else await page.getByTestId('message-input').press('Enter');
  const shown = messageWith(page, text);
  await (once ? shown : shown.first()).waitFor({ timeout: T });
}

// openRoom clicks a room of the list by name and waits until it is open.
export async function openRoom(page, name) {
  await page.getByTestId('room-list').locator(`button[data-room-name="${name}"]`).click();
  await page.getByTestId('room-title').filter({ hasText: name }).waitFor({ timeout: T });
}

// png makes a real w×h PNG image.
export function png(w, h) {
  const chunk = (type, body) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(body.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), body])));
    return Buffer.concat([len, Buffer.from(type), body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + 3 * w);
    for (let x = 0; x < w; x++) row.set([40 + (x * 200) / w, 90 + (y * 120) / h, 200], 1 + 3 * x);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

// ---- the official client in Node, as a person talking in "general" ----

// login signs name in at base through the chat's API and resolves with the
// session it answers ({token, ...}); it fails unless the answer is 200.
export async function login(base, name, password = '') {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }),
  });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}

// nodePerson signs name in at base (password defaults to
// "<name>-password"), connects with automatic reconnects (transport: a
// signalR.HttpTransportType, default any), joins the general room and
// keeps a view of it: seen (messages by id: live, sent, caught up),
// liveIds (live messages in order), reconnects, closes (onclose errors),
// reconnecting (the errors onreconnecting got) and ids (the connection
// ids, the first and one per reconnect).
export async function nodePerson(base, name, { password = `${name}-password`, transport } = {}) {
  const { token } = await login(base, name, password);
  const p = { name, seen: new Map(), liveIds: [], reconnects: 0, closes: [], reconnecting: [], ids: [] };
  p.conn = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/hubs/chat`, { accessTokenFactory: () => token, transport })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 100 })
    .configureLogging(signalR.LogLevel.None)
    .build();
  p.conn.on('MessageReceived', (m) => {
    if (m.roomId !== p.room) return;
    p.liveIds.push(m.id);
    p.seen.set(m.id, m);
  });
  p.conn.onreconnecting((e) => p.reconnecting.push(e));
  p.conn.onreconnected(async (id) => {
    p.reconnects++;
    p.ids.push(id);
    await catchUp(p).catch(() => {}); // cut again: the next reconnect catches up
  });
  p.conn.onclose((e) => p.closes.push(e));
  await p.conn.start();
  p.ids.push(p.conn.connectionId);
  p.room = (await p.conn.invoke('Rooms')).find((r) => r.name === 'general').id;
  for (const m of (await p.conn.invoke('JoinRoom', p.room)).messages) p.seen.set(m.id, m);
  return p;
}

// catchUp adds the room's messages after the last one p has seen.
export async function catchUp(p) {
  const last = Math.max(0, ...p.seen.keys());
  for (const m of await p.conn.invoke('MessagesSince', p.room, last)) p.seen.set(m.id, m);
}

// talk sends n messages "<name> says <i>", one every gap ms, each retried
// with its client id "<name>-<i>" until the server has it.
export async function talk(p, n, gap) {
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
