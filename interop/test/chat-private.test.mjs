// Private rooms and direct messages in real headless Chromium (Debian's),
// with two and three people: what is private stays with its members, and
// appears live for those who are let in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { docShot } from './lib.mjs';
import { T, startChat, launchBrowser, person, send, messageWith, openRoom } from './chat-lib.mjs';

let chat, browser, ann, bob, cy;

before(async () => {
  chat = await startChat();
  browser = await launchBrowser();
  ann = await person(browser, chat.base, 'Ann');
  bob = await person(browser, chat.base, 'Bob');
  cy = await person(browser, chat.base, 'Cy');
});

after(async () => {
  await browser?.close();
  await chat?.stop();
});

const roomButton = (page, list, name) => page.getByTestId(list).locator(`button[data-room-name="${name}"]`);

test('a private room is invisible to an outsider until invited', async () => {
  await ann.getByTestId('room-create-name').fill('plans');
  await ann.getByTestId('room-create-private').check();
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'plans' }).waitFor({ timeout: T });
  await send(ann, 'the secret plan');
  // A public room made afterwards reaches bob: had the private one been
  // announced, it would have come first.
  await ann.getByTestId('room-create-name').fill('lobby');
  await ann.getByTestId('room-create-submit').click();
  await roomButton(bob, 'room-list', 'lobby').waitFor({ timeout: T });
  assert.equal(await roomButton(bob, 'room-list', 'plans').count(), 0, 'bob sees the private room');
  // After a reload (the whole list fetched again) it is still not there.
  await bob.reload();
  await bob.getByTestId('room-title').filter({ hasText: /\S/ }).waitFor({ timeout: T });
  await roomButton(bob, 'room-list', 'lobby').waitFor({ timeout: T });
  assert.equal(await roomButton(bob, 'room-list', 'plans').count(), 0, 'bob sees the private room after a reload');

  await openRoom(ann, 'plans');
  await ann.getByTestId('room-invite-name').fill('Bob');
  await ann.getByTestId('room-invite-submit').click();
  await roomButton(bob, 'room-list', 'plans').waitFor({ timeout: T });
  await openRoom(bob, 'plans');
  await messageWith(bob, 'the secret plan').waitFor({ timeout: T });
  // The member list: both, with the owner's way to remove bob.
  await bob.getByTestId('member-list').locator('li', { hasText: 'Ann' }).waitFor({ timeout: T });
  await ann.getByTestId('member-list').locator('li', { hasText: 'Bob' }).getByTestId('member-remove').waitFor({ timeout: T });
  assert.equal(await bob.getByTestId('member-remove').count(), 0, 'a member who is not the owner can remove people');
  assert.equal(await roomButton(cy, 'room-list', 'plans').count(), 0, 'cy sees the private room');

  // Removed, bob's page drops the room at once.
  await ann.getByTestId('member-list').locator('li', { hasText: 'Bob' }).getByTestId('member-remove').click();
  await roomButton(bob, 'room-list', 'plans').waitFor({ state: 'detached', timeout: T });
  await bob.getByTestId('room-title').filter({ hasNotText: 'plans' }).waitFor({ timeout: T });
  for (const p of [ann, bob, cy]) assert.deepEqual(p.errors, []);
});

test('a direct message appears live for the other person, and no one else', async () => {
  await ann.getByTestId('dm-start').click();
  await ann.getByTestId('dm-person').fill('Bob');
  await ann.getByTestId('dm-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'Bob' }).waitFor({ timeout: T });
  await send(ann, 'just between us');
  // Bob's list shows it, named after Ann, without a reload.
  const entry = roomButton(bob, 'dm-list', 'Ann');
  await entry.waitFor({ timeout: T });
  assert.equal(await roomButton(bob, 'room-list', 'Ann').count(), 0, 'the conversation is in the room list');
  await entry.click();
  await bob.getByTestId('room-title').filter({ hasText: 'Ann' }).waitFor({ timeout: T });
  await messageWith(bob, 'just between us').waitFor({ timeout: T });
  await send(bob, 'agreed');
  await messageWith(ann, 'agreed').waitFor({ timeout: T });
  await bob.getByTestId('member-list').locator('li').nth(1).waitFor({ timeout: T });
  // Starting it again from the other side opens the same conversation.
  await bob.getByTestId('dm-start').click();
  await bob.getByTestId('dm-person').fill('ann');
  await bob.getByTestId('dm-submit').click();
  await messageWith(bob, 'just between us').waitFor({ timeout: T });
  assert.equal(await bob.getByTestId('dm-list').locator('button').count(), 1, 'a second conversation for the same two people');

  // A third person sees nothing of it, even after a reload.
  await cy.reload();
  await cy.getByTestId('room-title').filter({ hasText: /\S/ }).waitFor({ timeout: T });
  assert.equal(await cy.getByTestId('dm-list').locator('button').count(), 0, 'cy sees a conversation');
  assert.equal(await messageWith(cy, 'just between us').count(), 0);

  // A group of three, started with comma-separated names, reaches cy.
  await cy.getByTestId('dm-start').click();
  await cy.getByTestId('dm-person').fill('Ann, Bob');
  await cy.getByTestId('dm-submit').click();
  await send(cy, 'all three');
  await roomButton(ann, 'dm-list', 'Bob, Cy').waitFor({ timeout: T });
  await roomButton(bob, 'dm-list', 'Ann, Cy').waitFor({ timeout: T });

  await bob.getByTestId('room-list').locator('button').first().waitFor({ timeout: T });
  await roomButton(bob, 'dm-list', 'Ann').click();
  await messageWith(bob, 'agreed').waitFor({ timeout: T });
  await bob.screenshot({ path: docShot('chat-dm.png') });
  for (const p of [ann, bob, cy]) assert.deepEqual(p.errors, []);
});
