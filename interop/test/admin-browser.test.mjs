// The chat's status page in headless Chromium (Debian's): official
// clients connect over several transports and protocols, a person sits in
// a room, messages flow; the page's numbers must match, and its button
// disconnects the person. Only a listed name signed in with a password
// may open it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { docShot } from './lib.mjs';
import signalR from '@microsoft/signalr';
import msgpack from '@microsoft/signalr-protocol-msgpack';
import { T, startChat, launchBrowser, login as loginAt } from './chat-lib.mjs';

let chat, base, browser;
const conns = [];

const login = (name, password) => loginAt(base, name, password);

async function connect(url, opts, protocol) {
  const b = new signalR.HubConnectionBuilder().withUrl(url, opts).configureLogging(signalR.LogLevel.None);
  if (protocol === 'messagepack') b.withHubProtocol(new msgpack.MessagePackHubProtocol());
  const c = b.build();
  c.on('ReceiveMessage', () => {});
  await c.start();
  conns.push(c);
  return c;
}

async function adminPage(session) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  await context.addInitScript((s) => localStorage.setItem('chat.session', s), JSON.stringify(session));
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('dialog', (d) => d.accept());
  await page.goto(`${base}/static/admin.html`);
  return page;
}

before(async () => {
  chat = await startChat({ args: ['-admins', 'Root,NoPass', '-drain', '100ms'] });
  base = chat.base;
  browser = await launchBrowser();
});

after(async () => {
  for (const c of conns) await c.stop().catch(() => {});
  await browser?.close();
  await chat?.stop();
});

test('only a listed name with a password opens the status page', async () => {
  for (const s of [await login('Eve', 'eve-password'), await login('NoPass')]) {
    const page = await adminPage(s);
    await page.getByTestId('admin-error').filter({ hasText: 'Not allowed' }).waitFor({ timeout: T });
    assert.equal(await page.getByTestId('admin-state').getAttribute('data-state'), 'disconnected');
    await page.context().close();
  }
});

test('the status page shows what the clients did, live, and disconnects a person', async () => {
  const seed = `${base}/chatHub`;
  const ws = await connect(seed, { transport: signalR.HttpTransportType.WebSockets }, 'json');
  await connect(seed, { transport: signalR.HttpTransportType.WebSockets }, 'messagepack');
  await connect(seed, { transport: signalR.HttpTransportType.LongPolling }, 'json');
  await connect(seed, { transport: signalR.HttpTransportType.ServerSentEvents }, 'json');
  const ann = await login('Ann', 'ann-password');
  const annConn = await connect(`${base}/hubs/chat`, { accessTokenFactory: () => ann.token }, 'json');
  const annClosed = new Promise((resolve) => annConn.onclose(resolve));
  const rooms = await annConn.invoke('Rooms');
  const general = rooms.find((r) => r.name === 'general');
  assert.ok(general, JSON.stringify(rooms));
  await annConn.invoke('JoinRoom', general.id);
  // Ann opens a conversation with Bob (who is not online): counted, never
  // listed, neither of them named for it.
  await login('Bob', 'bob-password');
  const dm = await annConn.invoke('StartConversation', ['Bob']);
  await annConn.invoke('JoinRoom', dm.id);

  const page = await adminPage(await login('Root', 'root-password'));
  await page.getByTestId('admin-state').and(page.locator('[data-state="connected"]')).waitFor({ timeout: T });
  const count = (key) => page.locator(`#connections tr[data-key="${key}"] td.n`);
  const expected = {
    'ChatHub/WebSockets/json': '1', 'ChatHub/WebSockets/messagepack': '1',
    'ChatHub/LongPolling/json': '1', 'ChatHub/ServerSentEvents/json': '1', 'Chat/WebSockets/json': '1',
  };
  for (const [key, n] of Object.entries(expected)) {
    await count(key).filter({ hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: T });
  }
  assert.equal(await page.getByTestId('total-connections').textContent(), '5');
  await page.locator('#rooms tr[data-room="general"] td.n').filter({ hasText: /^1$/ }).waitFor({ timeout: T });
  await page.locator('#people li[data-user="Ann"]').waitFor({ timeout: T });
  await page.getByTestId('room-counts').filter({ hasText: /1 conversation, 1 with people online$/ }).waitFor({ timeout: T });
  assert.equal(await page.locator('#rooms tr[data-room="general"] td').nth(1).textContent(), 'public');
  const roomRows = await page.locator('#rooms tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(roomRows, [['general', 'public', '1']], 'only the public room is listed, not the conversation');
  assert.doesNotMatch(await page.locator('main').textContent(), /Bob/, 'the conversation names nobody');

  // Traffic: 40 messages in one burst show up in the totals, as a rate
  // and as a line. Pings also count as received messages: a few at most
  // (one per connection every 15 s).
  const received = async () => Number(await page.getByTestId('received').textContent());
  const before = await received();
  await Promise.all(Array.from({ length: 40 }, (_, i) => ws.invoke('SendMessage', 'load', `m${i}`)));
  await page.waitForFunction((n) => Number(document.getElementById('received').textContent) >= n, before + 40, { timeout: T });
  assert.ok(await received() - before <= 40 + 6, `received ${await received() - before} messages for 40 invocations`);
  // (the page shows the last second's rate, for a second)
  await page.waitForFunction(() => Number(document.getElementById('rate-in').textContent) > 0, null, { timeout: T });
  const d = await page.locator('#chart path.in').getAttribute('d');
  assert.match(d, /^M[\d.-]+,[\d.-]+L/, 'the chart has a line');
  await page.screenshot({ path: docShot('admin.png') });

  // The button disconnects Ann: her client is closed, and she leaves the page's lists.
  await page.locator('#people li[data-user="Ann"] button').click();
  await annClosed;
  await page.locator('#people li[data-user="Ann"]').waitFor({ state: 'detached', timeout: T });
  // (a room with nobody online leaves the list)
  await page.locator('#rooms tr[data-room="general"]').waitFor({ state: 'detached', timeout: T });
  await page.getByTestId('room-counts').filter({ hasText: /1 conversation, 0 with people online$/ }).waitFor({ timeout: T });
  await count('Chat/WebSockets/json').waitFor({ state: 'detached', timeout: T });
  assert.deepEqual(page.errors, []);
});
