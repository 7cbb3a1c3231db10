// Message actions and the timeline's look in real headless Chromium
// (Debian's) with the official browser client: two people edit, delete
// and react, each seeing the other's changes live and again after a
// reload; consecutive messages group under one name; a day separator
// parts an older message (made older in the database) from today's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { T, startChat, launchBrowser, person, send, messageWith, messages, openRoom } from './chat-lib.mjs';
import { docShot } from './lib.mjs';

let chat, browser, ann, bob;

before(async () => {
  chat = await startChat();
  browser = await launchBrowser();
  ann = await person(browser, chat.base, 'Ann');
  bob = await person(browser, chat.base, 'Bob');
  // Confirmations are the page's own dialog, never the browser's.
  for (const p of [ann, bob]) p.on('dialog', (d) => { p.errors.push(`browser dialog: ${d.message()}`); d.dismiss(); });
});

after(async () => {
  await browser?.close();
  await chat?.stop();
});

const reactionOn = (page, text, emoji) => messageWith(page, text).getByTestId('reaction').filter({ hasText: emoji });

// ageMessage moves a message's time back by days, in the SQLite database
// of the running server (the page has no way to post in the past).
function ageMessage(id, days) {
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(chat.data, 'chat.db'),
    `UPDATE messages SET created_at = created_at - ${days * 86400000} WHERE id = ${Number(id)}`]);
}

test('edit, delete and react, live and after a reload; grouping and day separators', async () => {
  // Ann owns a room; Bob joins it.
  await ann.getByTestId('room-create-name').fill('team');
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'team' }).waitFor({ timeout: T });
  await bob.getByTestId('room-list').locator('button[data-room-name="team"]').waitFor({ timeout: T });
  await openRoom(bob, 'team');

  await send(ann, 'first draft');
  await send(ann, 'second thought');
  await send(bob, 'hello from Bob');
  await messageWith(bob, 'second thought').waitFor({ timeout: T });

  // Ann's second message is grouped under her first: the name is hidden
  // from the eye but still in the page.
  const second = messageWith(bob, 'second thought');
  assert.equal(await second.evaluate((li) => li.classList.contains('grouped')), true);
  assert.equal(await messageWith(bob, 'first draft').evaluate((li) => li.classList.contains('grouped')), false);
  assert.equal(await messageWith(bob, 'hello from Bob').evaluate((li) => li.classList.contains('grouped')), false);
  assert.equal(await second.locator('.author').textContent(), 'Ann');
  const width = async (text) => (await messageWith(bob, text).locator('.head').boundingBox()).width;
  assert.ok(await width('second thought') <= 1, 'a grouped message shows no name');
  assert.ok(await width('first draft') > 10, 'the first message of a group shows the name');

  // Only one's own messages offer editing; deleting too, except for the
  // room's owner.
  assert.equal(await messageWith(bob, 'first draft').getByTestId('message-edit').count(), 0);
  assert.equal(await messageWith(bob, 'first draft').getByTestId('message-delete').count(), 0);
  assert.equal(await messageWith(bob, 'hello from Bob').getByTestId('message-edit').count(), 1);
  assert.equal(await messageWith(ann, 'hello from Bob').getByTestId('message-delete').count(), 1);
  assert.equal(await messageWith(ann, 'hello from Bob').getByTestId('message-edit').count(), 0);

  // Escape cancels an edit; Enter saves one, seen live by Bob.
  const draft = messageWith(ann, 'first draft');
  await draft.hover();
  await draft.getByTestId('message-edit').click();
  await ann.getByTestId('message-edit-input').fill('never mind');
  await ann.getByTestId('message-edit-input').press('Escape');
  assert.equal(await ann.getByTestId('message-edit-input').count(), 0);
  assert.equal(await draft.locator('.text').textContent(), 'first draft');
  assert.equal(await draft.getByTestId('message-edit').evaluate((b) => b === document.activeElement), true,
    'the focus goes back to the edit button');
  await draft.getByTestId('message-edit').press('Enter'); // the keyboard opens it too
  await ann.getByTestId('message-edit-input').fill('first draft, edited');
  await ann.getByTestId('message-edit-input').press('Enter');
  const edited = messageWith(bob, 'first draft, edited');
  await edited.getByTestId('message-edited').waitFor({ timeout: T });
  await messageWith(ann, 'first draft, edited').getByTestId('message-edited').waitFor({ timeout: T });

  // The reaction choices work from the keyboard: they take the focus,
  // arrows move it, Escape gives it back.
  const add = messageWith(bob, 'hello from Bob').getByTestId('reaction-add');
  await add.focus();
  await add.press('Enter');
  const focusedChoice = () => bob.evaluate(() => document.activeElement.dataset.testid + ' ' + document.activeElement.textContent);
  assert.equal(await focusedChoice(), 'reaction-choice 👍');
  await bob.keyboard.press('ArrowRight');
  assert.equal(await focusedChoice(), 'reaction-choice 👎');
  await bob.keyboard.press('Escape');
  assert.equal(await bob.getByTestId('reaction-choice').count(), 0);
  assert.equal(await add.evaluate((b) => b === document.activeElement && b.getAttribute('aria-expanded')), 'false');

  // A reaction: Bob picks one, Ann sees it live with his name, adds hers.
  await edited.hover();
  await edited.getByTestId('reaction-add').click();
  await bob.getByTestId('reaction-choice').filter({ hasText: '🎉' }).click();
  const party = reactionOn(ann, 'first draft, edited', '🎉');
  await party.waitFor({ timeout: T });
  assert.match(await party.getAttribute('title'), /Bob/);
  assert.equal(await party.getAttribute('aria-pressed'), 'false');
  assert.match(await party.textContent(), /1/);
  await party.click();
  await reactionOn(bob, 'first draft, edited', '🎉').filter({ hasText: '2' }).waitFor({ timeout: T });
  assert.equal(await reactionOn(ann, 'first draft, edited', '🎉').getAttribute('aria-pressed'), 'true');
  assert.match(await reactionOn(bob, 'first draft, edited', '🎉').getAttribute('title'), /you.*Ann|Ann.*you/);

  // Deleting asks first, in the page's own dialog; Bob sees it live.
  const gone = messageWith(ann, 'second thought');
  const goneId = await gone.getAttribute('data-id');
  await gone.hover();
  await gone.getByTestId('message-delete').click();
  await ann.getByTestId('confirm-dialog').waitFor({ timeout: T });
  await ann.getByTestId('confirm-ok').click();
  const tomb = bob.locator(`li[data-id="${goneId}"]`);
  await tomb.getByTestId('message-deleted').waitFor({ timeout: T });
  assert.equal(await tomb.locator('.text').count(), 0);
  assert.equal(await messageWith(bob, 'second thought').count(), 0);

  // A reload shows the same state, from history.
  await bob.reload();
  await messageWith(bob, 'hello from Bob').waitFor({ timeout: T });
  await reactionOn(bob, 'first draft, edited', '🎉').filter({ hasText: '2' }).waitFor({ timeout: T });
  await messageWith(bob, 'first draft, edited').getByTestId('message-edited').waitFor({ timeout: T });
  await bob.locator(`li[data-id="${goneId}"]`).getByTestId('message-deleted').waitFor({ timeout: T });
  assert.equal(await messages(bob).count(), 3, 'a deleted message keeps its place');
  assert.equal(await bob.getByTestId('day-separator').count(), 1);
  assert.equal(await bob.getByTestId('day-separator').textContent(), 'Today');

  // An older message gets its own day, and a date on its time.
  ageMessage(await messageWith(bob, 'first draft, edited').getAttribute('data-id'), 3);
  await bob.reload();
  await messageWith(bob, 'hello from Bob').waitFor({ timeout: T });
  const days = await bob.getByTestId('day-separator').allTextContents();
  assert.equal(days.length, 2, `separators: ${days}`);
  assert.notEqual(days[0], 'Today');
  assert.equal(days[1], 'Today');
  const old = await messageWith(bob, 'first draft, edited').locator('time').textContent();
  const today = await messageWith(bob, 'hello from Bob').locator('time').textContent();
  assert.ok(old.length > today.length && /\D\D/.test(old), `an old time names its date: ${old} (today: ${today})`);

  // A busy room for the README.
  for (const t of ['Shipping the release today?', 'Yes, after the last review.']) await send(ann, t);
  await send(bob, 'Great, I will write the notes.');
  await send(bob, 'And tag it once CI is green.');
  const review = messageWith(bob, 'after the last review');
  await review.hover();
  await review.getByTestId('reaction-add').click();
  await bob.getByTestId('reaction-choice').filter({ hasText: '👍' }).click();
  await reactionOn(bob, 'after the last review', '👍').waitFor({ timeout: T });
  await bob.mouse.move(0, 0);
  await bob.screenshot({ path: docShot('chat-busy-room.png') });

  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
