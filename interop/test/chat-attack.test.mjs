// What the attack round changed on the page, in real headless Chromium:
// member lists follow the changes the server sends instead of fetching
// every member again (which, in a big room, a joining-and-leaving loop
// multiplied by every member's page), and a conversation can be left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { T, startChat, launchBrowser, person, send, messageWith } from './chat-lib.mjs';

let chat, browser, ann, bob;

before(async () => {
  chat = await startChat();
  browser = await launchBrowser();
  ann = await person(browser, chat.base, 'Ann');
  bob = await person(browser, chat.base, 'Bob');
});

after(async () => {
  await browser?.close();
  await chat?.stop();
});

const roomButton = (page, list, name) => page.getByTestId(list).locator(`button[data-room-name="${name}"]`);
const member = (page, name) => page.getByTestId('member-list').locator('li', { hasText: name });

// countCalls counts the hub invocations of method the page sends from now.
async function countCalls(page, method) {
  await page.evaluate((m) => {
    window.attackCalls = 0;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (typeof data === 'string' && data.includes(`"target":"${m}"`)) window.attackCalls++;
      return send.call(this, data);
    };
  }, method);
  return () => page.evaluate(() => window.attackCalls);
}

test('a member list follows joins and leaves without fetching every member', async () => {
  await ann.getByTestId('room-create-name').fill('lobby');
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'lobby' }).waitFor({ timeout: T });
  await member(ann, 'Ann').waitFor({ timeout: T });
  const calls = await countCalls(ann, 'RoomMembers');
  await roomButton(bob, 'room-list', 'lobby').click();
  await bob.getByTestId('room-title').filter({ hasText: 'lobby' }).waitFor({ timeout: T });
  await member(ann, 'Bob').waitFor({ timeout: T });
  await bob.getByTestId('room-leave').click();
  await member(ann, 'Bob').waitFor({ state: 'detached', timeout: T });
  assert.equal(await calls(), 0, "ann's page fetched the member list again");
  for (const p of [ann, bob]) assert.deepEqual(p.errors, []);
});

test('a conversation can be left, and comes back when started again', async () => {
  await bob.getByTestId('dm-start').click();
  await bob.getByTestId('dm-person').fill('Ann');
  await bob.getByTestId('dm-submit').click();
  await bob.getByTestId('room-title').filter({ hasText: 'Ann' }).waitFor({ timeout: T });
  await send(bob, 'spam, spam, spam');
  await roomButton(ann, 'dm-list', 'Bob').click();
  await messageWith(ann, 'spam, spam, spam').waitFor({ timeout: T });
  const leave = ann.getByTestId('room-leave');
  assert.equal(await leave.textContent(), 'Leave conversation');
  await leave.click();
  await roomButton(ann, 'dm-list', 'Bob').waitFor({ state: 'detached', timeout: T });
  await ann.getByTestId('room-title').filter({ hasNotText: 'Bob' }).waitFor({ timeout: T });
  await member(bob, 'Ann').waitFor({ state: 'detached', timeout: T });
  // Started again, it is back in ann's list, its history with it.
  await bob.getByTestId('dm-start').click();
  await bob.getByTestId('dm-person').fill('Ann');
  await bob.getByTestId('dm-submit').click();
  await roomButton(ann, 'dm-list', 'Bob').click();
  await messageWith(ann, 'spam, spam, spam').waitFor({ timeout: T });
  await member(bob, 'Ann').waitFor({ timeout: T });
  for (const p of [ann, bob]) assert.deepEqual(p.errors, []);
});
