// The chat as a cluster in real headless Chromium: two chat servers share
// a redis-server of the test's own (free port), a fresh PostgreSQL
// database (dropped after) and one data folder; Ann's page is on the first
// server, Bob's on the second. Rooms, messages, presence, typing, read
// receipts, direct messages with their unread counts, edits, deletes,
// reactions, and private rooms' invitations and removals cross servers, and
// a message sent while Redis restarts arrives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startRedis, command } from './redis.mjs';
import { signalR } from './lib.mjs';
import {
  T, startChat, launchBrowser, tempDir, tempDatabase, person as signIn, status, messageWith, send as sendWith, openRoom,
} from './chat-lib.mjs';

// ---- the servers, on a PostgreSQL database of this run's own ----

const data = tempDir('chat-cluster-');
let redis, db;
const nodes = [];

const startNode = () => startChat({ data, args: ['-db', db.url, '-redis', redis.url] });

// ---- the people ----

let browser, ann, bob;

// person signs name in on nodes[node], in a new browser context or in a
// new tab of context.
const person = (name, node, context) => signIn(browser, nodes[node].base, name, { context, viewport: { width: 1100, height: 720 } });
const send = (page, text) => sendWith(page, text, { click: true, once: true });
const online = (page, name) => page.getByTestId('presence-list').locator('li', { hasText: name });

before(async () => {
  db = tempDatabase('chat_cluster');
  redis = await startRedis();
  // One after the other: the first migrates the database and makes the
  // signing key that the second then shares.
  nodes.push(await startNode());
  nodes.push(await startNode());
  browser = await launchBrowser();
  ann = await person('Ann', 0);
  bob = await person('Bob', 1);
});

after(async () => {
  await browser?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
  fs.rmSync(data, { recursive: true, force: true });
  db?.drop();
});

test('a room made on one server is joined and talked in from the other', async () => {
  await ann.getByTestId('room-create-name').fill('ops');
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'ops' }).waitFor({ timeout: T });
  await openRoom(bob, 'ops'); // the room list of the other server's page updated live
  await send(ann, 'Hello Bob, from server one.');
  await messageWith(bob, 'Hello Bob, from server one.').waitFor({ timeout: T });
  await send(bob, 'Hello Ann, from server two.');
  await messageWith(ann, 'Hello Ann, from server two.').waitFor({ timeout: T });
});

test('presence counts a person once across servers and tabs', async () => {
  await online(ann, 'Bob').waitFor({ timeout: T });
  await online(bob, 'Ann').waitFor({ timeout: T });
  // Bob's second tab is on Ann's server (another origin: he signs in
  // there too, as the same person).
  const tab2 = await person('Bob', 0, bob.context());
  await openRoom(tab2, 'ops');
  await online(tab2, 'Ann').waitFor({ timeout: T });
  await tab2.close();
  // Cid arrives on the same server after the tab closed, so the news of
  // both reach Ann in that order.
  const cid = await person('Cid', 0);
  await openRoom(cid, 'ops');
  await online(ann, 'Cid').waitFor({ timeout: T });
  await online(bob, 'Cid').waitFor({ timeout: T });
  assert.equal(await online(ann, 'Bob').count(), 1, 'Bob is not online once on Ann\'s page');
  // Cid leaves: both servers' pages see it.
  await cid.context().close();
  await online(ann, 'Cid').waitFor({ state: 'detached', timeout: T });
  await online(bob, 'Cid').waitFor({ state: 'detached', timeout: T });
  assert.equal(await online(bob, 'Ann').count(), 1);
});

test('typing and read receipts cross servers', async () => {
  await ann.getByTestId('message-input').pressSequentially('I am typ', { delay: 20 });
  await bob.getByTestId('typing-indicator').filter({ hasText: 'Ann is typing' }).waitFor({ timeout: T });
  await ann.getByTestId('message-input').fill('');
  await send(ann, 'Read this, Bob.');
  await messageWith(bob, 'Read this, Bob.').waitFor({ timeout: T });
  await messageWith(ann, 'Read this, Bob.').getByTestId('read-receipt').filter({ hasText: 'Bob' }).waitFor({ timeout: T });
});

const entry = (page, list, name) => page.getByTestId(list).locator(`button[data-room-name="${name}"]`);
const waitTitle = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.title), re.source, { timeout: T });

test('a direct message started on one server appears live on the other, with its unread count', async () => {
  await ann.getByTestId('dm-start').click();
  await ann.getByTestId('dm-person').fill('Bob');
  await ann.getByTestId('dm-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'Bob' }).waitFor({ timeout: T });
  await send(ann, 'between us, across servers');
  await send(ann, 'and a second one');
  // Bob, in ops on the other server, gets the conversation named after
  // Ann, its count and the tab's total without a reload.
  const dm = entry(bob, 'dm-list', 'Ann');
  await dm.getByTestId('room-unread').filter({ hasText: /^2$/ }).waitFor({ timeout: T });
  await waitTitle(bob, /^\(2\) ops · Chat$/);
  await dm.click();
  await bob.getByTestId('room-title').filter({ hasText: 'Ann' }).waitFor({ timeout: T });
  await messageWith(bob, 'between us, across servers').waitFor({ timeout: T });
  await dm.getByTestId('room-unread').waitFor({ state: 'hidden', timeout: T });
  await waitTitle(bob, /^Ann · Chat$/);
  await send(bob, 'got both');
  await messageWith(ann, 'got both').waitFor({ timeout: T });
});

test('an edit, a delete and a reaction made on one server are seen live on the other', async () => {
  await send(ann, 'a first draft');
  await send(ann, 'a second thought');
  await messageWith(bob, 'a second thought').waitFor({ timeout: T });

  const draft = messageWith(ann, 'a first draft');
  await draft.hover();
  await draft.getByTestId('message-edit').click();
  await ann.getByTestId('message-edit-input').fill('a first draft, edited on server one');
  await ann.getByTestId('message-edit-input').press('Enter');
  const edited = messageWith(bob, 'a first draft, edited on server one');
  await edited.getByTestId('message-edited').waitFor({ timeout: T });

  await edited.hover();
  await edited.getByTestId('reaction-add').click();
  await bob.getByTestId('reaction-choice').filter({ hasText: '🎉' }).click();
  const party = messageWith(ann, 'a first draft, edited on server one').getByTestId('reaction').filter({ hasText: '🎉' });
  await party.waitFor({ timeout: T });
  assert.match(await party.getAttribute('title'), /Bob/);
  assert.match(await party.textContent(), /1/);

  const gone = messageWith(ann, 'a second thought');
  const goneId = await gone.getAttribute('data-id');
  await gone.hover();
  await gone.getByTestId('message-delete').click();
  await ann.getByTestId('confirm-ok').click();
  await bob.locator(`li[data-id="${goneId}"]`).getByTestId('message-deleted').waitFor({ timeout: T });
  assert.equal(await messageWith(bob, 'a second thought').count(), 0);
});

test('a private room made on one server reaches the other only by invitation, and leaves it on removal', async () => {
  await openRoom(ann, 'ops');
  await ann.getByTestId('room-create-name').fill('hideout');
  await ann.getByTestId('room-create-private').check();
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'hideout' }).waitFor({ timeout: T });
  await send(ann, 'only for the invited');
  // A public room made afterwards reaches Bob: had the private one been
  // announced, it would have come first.
  await ann.getByTestId('room-create-name').fill('hall');
  await ann.getByTestId('room-create-submit').click();
  await entry(bob, 'room-list', 'hall').waitFor({ timeout: T });
  assert.equal(await entry(bob, 'room-list', 'hideout').count(), 0, 'bob sees the private room before he is invited');

  await openRoom(ann, 'hideout');
  await ann.getByTestId('room-invite-name').fill('Bob');
  await ann.getByTestId('room-invite-submit').click();
  await entry(bob, 'room-list', 'hideout').waitFor({ timeout: T });
  await openRoom(bob, 'hideout');
  await messageWith(bob, 'only for the invited').waitFor({ timeout: T });
  await send(bob, 'Bob, in from server two');
  await messageWith(ann, 'Bob, in from server two').waitFor({ timeout: T });

  const bobRow = ann.getByTestId('member-list').locator('li', { hasText: 'Bob' });
  await bobRow.getByTestId('member-remove').click();
  await entry(bob, 'room-list', 'hideout').waitFor({ state: 'detached', timeout: T });
  await bob.getByTestId('room-title').filter({ hasNotText: 'hideout' }).waitFor({ timeout: T });
  await bobRow.waitFor({ state: 'detached', timeout: T });
  await send(ann, 'after Bob left');
  assert.equal(await messageWith(bob, 'after Bob left').count(), 0);

  // Back to the room the next test talks in.
  await openRoom(ann, 'ops');
  await openRoom(bob, 'ops');
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});

// waitLog waits until a server has logged text more than `seen` times.
async function waitLog(node, text, seen) {
  const count = () => nodes[node].stderr().split(text).length - 1;
  const deadline = Date.now() + T;
  while (count() <= seen) {
    if (Date.now() > deadline) throw new Error(`server ${node} never logged ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a message sent while Redis restarts reaches the other server\'s page', async () => {
  const lost = 'redis: connection lost';
  const before = nodes.map((n) => n.stderr().split(lost).length - 1);
  await redis.kill();
  // Both servers know Redis is gone before Ann sends: her message cannot
  // go through it.
  await waitLog(0, lost, before[0]);
  await waitLog(1, lost, before[1]);
  await send(ann, 'sent while Redis is down');
  await redis.restart();
  await messageWith(bob, 'sent while Redis is down').waitFor({ timeout: T });
  await send(bob, 'after the restart');
  await messageWith(ann, 'after the restart').waitFor({ timeout: T });
  // Neither page lost its connection, and presence is whole again.
  assert.equal(await status(ann).getAttribute('data-state'), 'connected');
  assert.equal(await status(bob).getAttribute('data-state'), 'connected');
  await online(ann, 'Bob').waitFor({ timeout: T });
  await online(bob, 'Ann').waitFor({ timeout: T });
  assert.equal(await messageWith(bob, 'sent while Redis is down').count(), 1, 'the message is shown twice');
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('the seed\'s /chatHub crosses servers, under the ASP.NET sample\'s hub name', async () => {
  const hubOn = (node) => new signalR.HubConnectionBuilder().withUrl(`${nodes[node].base}/chatHub`)
    .configureLogging(signalR.LogLevel.None).build();
  const a = hubOn(0);
  const b = hubOn(1);
  const got = [];
  b.on('ReceiveMessage', (user, message) => got.push([user, message]));
  await a.start();
  await b.start();
  try {
    // What a .NET server with the sample's ChatHub would subscribe to.
    const channels = await command(redis.port, 'PUBSUB', 'CHANNELS', 'ChatApp.Hubs.ChatHub:*');
    assert.ok(channels.includes('ChatApp.Hubs.ChatHub:all'), `channels: ${channels}`);
    await a.invoke('SendMessage', 'ann', 'hello from server one');
    const deadline = Date.now() + T;
    while (!got.some(([, m]) => m === 'hello from server one')) {
      assert.ok(Date.now() < deadline, `server two's client got ${JSON.stringify(got)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(got.find(([, m]) => m === 'hello from server one'), ['ann', 'hello from server one']);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
