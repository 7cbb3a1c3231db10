// Unread counts and mentions in the chat page, in Debian's headless
// Chromium with the official browser client: counts and bold entries on
// rooms with news, cleared when opened; the total in the tab's title;
// mentions highlighted and notified while the tab is hidden; counts kept
// by the server across reloads and devices; the "new messages" pill and
// "jump to first unread".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { docShot } from './lib.mjs';
import { T, startChat, launchBrowser, connected, send, messageWith, openRoom } from './chat-lib.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// Each test gets its own server: the counts of one never see another's.
async function server(t) {
  const chat = await startChat();
  t.after(() => chat.stop());
  return chat.base;
}

// The page's Notification is recorded (window.notes), and the tab can be
// made hidden or visible again (window.setHidden), as when the person
// switches to another tab.
function instrument() {
  window.notes = [];
  const Real = window.Notification;
  if (Real) {
    window.Notification = new Proxy(Real, {
      construct(target, args) {
        window.notes.push({ title: args[0], body: args[1] && args[1].body });
        return Reflect.construct(target, args);
      },
      get: (target, key) => target[key],
    });
  }
  window.setHidden = (hidden) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

// person signs name in, in a new browser context with the page
// instrumented; opts go to browser.newContext.
async function person(base, name, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(base);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-submit').click();
  await ready(page);
  return page;
}

async function ready(page) {
  await connected(page);
  await page.getByTestId('room-title').filter({ hasText: /\S/ }).waitFor({ timeout: T });
}

const entry = (page, room) => page.getByTestId('room-list').locator(`button[data-room-name="${room}"]`);
const count = (page, room) => entry(page, room).getByTestId('room-unread');
const mentionCount = (page, room) => entry(page, room).getByTestId('mention-count');

async function createRoom(page, name) {
  await page.getByTestId('room-create-name').fill(name);
  await page.getByTestId('room-create-submit').click();
  await page.getByTestId('room-title').filter({ hasText: name }).waitFor({ timeout: T });
}

async function expectCount(page, room, n) {
  if (n) {
    await count(page, room).filter({ hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: T });
    assert.match(await entry(page, room).getAttribute('class'), /has-unread/, `${room} is bold with news`);
    assert.equal(await entry(page, room).evaluate((b) => getComputedStyle(b.querySelector('.name')).fontWeight), '700');
  } else {
    await count(page, room).waitFor({ state: 'hidden', timeout: T });
    assert.doesNotMatch(await entry(page, room).getAttribute('class') || '', /has-unread/);
  }
}

const waitTitle = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.title), re.source, { timeout: T });

test('two people: counts on rooms with news, cleared when opened; the title; after a reload; the pill; jump to first unread', async (t) => {
  const base = await server(t);
  const ann = await person(base, 'Ann');
  const bob = await person(base, 'Bob', { viewport: { width: 1000, height: 420 } });
  await createRoom(ann, 'plans');
  await openRoom(bob, 'plans'); // joins it
  await openRoom(bob, 'general');
  await expectCount(bob, 'plans', 0);

  for (let i = 1; i <= 14; i++) await send(ann, `plan number ${i}`);
  await expectCount(bob, 'plans', 14);
  await expectCount(bob, 'general', 0);
  await expectCount(ann, 'plans', 0); // her own messages
  await waitTitle(bob, /^\(14\) general · Chat$/);
  assert.equal(await ann.title(), 'plans · Chat');

  // The counts are the server's: a reload finds them.
  await bob.reload();
  await ready(bob);
  await expectCount(bob, 'plans', 14);
  await waitTitle(bob, /^\(14\) general/);

  // Opening the room clears its count; the first unread is above the view.
  await openRoom(bob, 'plans');
  await expectCount(bob, 'plans', 0);
  await waitTitle(bob, /^plans · Chat$/);
  const jump = bob.getByTestId('jump-unread');
  await jump.waitFor({ timeout: T });
  assert.match(await jump.textContent(), /14/);
  await jump.click();
  await jump.waitFor({ state: 'hidden', timeout: T });
  const first = messageWith(bob, 'plan number 1').first();
  assert.match(await first.getAttribute('class'), /first-unread/);
  assert.ok(await first.evaluate((li) => {
    const l = li.closest('ol').getBoundingClientRect(), r = li.getBoundingClientRect();
    return r.top >= l.top - 1 && r.top < l.bottom;
  }), 'the first unread message is in view');

  // Scrolled up, news shows a pill that brings the end back.
  const pill = bob.getByTestId('new-messages');
  assert.ok(await pill.isHidden());
  await send(ann, 'plan number 15');
  await messageWith(bob, 'plan number 15').waitFor({ timeout: T });
  await pill.waitFor({ timeout: T });
  await pill.click();
  await pill.waitFor({ state: 'hidden', timeout: T });
  assert.ok(await messageWith(bob, 'plan number 15').evaluate((li) => {
    const l = li.closest('ol').getBoundingClientRect(), r = li.getBoundingClientRect();
    return r.bottom <= l.bottom + 1;
  }), 'the newest message is in view');
  // At the end, news scrolls in without a pill.
  await send(ann, 'plan number 16');
  await messageWith(bob, 'plan number 16').waitFor({ timeout: T });
  assert.ok(await pill.isHidden());
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});

test('three people: mentions highlighted, counted apart, notified while hidden; read on one tab, cleared on the other', async (t) => {
  const base = await server(t);
  const ann = await person(base, 'Ann');
  const bob = await person(base, 'Bob Stone');
  const cy = await person(base, 'Cy', { permissions: ['notifications'] });
  await createRoom(bob, 'side');
  await createRoom(cy, 'corner');
  await openRoom(cy, 'general');

  // Permission is asked only on request: an offer, not a prompt.
  await ann.getByTestId('notify-offer').waitFor({ timeout: T });
  assert.equal(await cy.getByTestId('notify-offer').count(), 0, 'no offer once granted');

  await cy.evaluate(() => window.setHidden(true));
  await send(ann, 'hello @cy and @bob stone, see this');
  await send(ann, 'nothing for anyone');

  // Bob, in another room: two unread in general, one mentioning him.
  await expectCount(bob, 'general', 2);
  await mentionCount(bob, 'general').filter({ hasText: '@1' }).waitFor({ timeout: T });
  // Cy, hidden: counted even in the open room, and notified of the mention only.
  await expectCount(cy, 'general', 2);
  await mentionCount(cy, 'general').filter({ hasText: '@1' }).waitFor({ timeout: T });
  await waitTitle(cy, /^\(2\) /);
  await cy.waitForFunction(() => window.notes.length === 1, null, { timeout: T });
  const notes = await cy.evaluate(() => window.notes);
  assert.equal(notes[0].title, 'Ann in general');
  assert.match(notes[0].body, /hello @cy/);

  // Highlights: both names, the reader's own apart, and the whole message.
  const msg = messageWith(cy, 'hello @cy');
  assert.deepEqual(await msg.getByTestId('mention').allTextContents(), ['@cy', '@bob stone']);
  assert.equal(await msg.locator('.mention-me').textContent(), '@cy');
  assert.match(await msg.getAttribute('class'), /mentions-me/);
  assert.doesNotMatch(await messageWith(cy, 'nothing for anyone').getAttribute('class') || '', /mentions-me/);
  assert.equal(await messageWith(ann, 'hello @cy').getByTestId('mention').count(), 2, 'the author sees them too');
  await cy.screenshot({ path: docShot('chat-unread.png') });

  // Cy comes back: reading clears the counts.
  await cy.evaluate(() => window.setHidden(false));
  await expectCount(cy, 'general', 0);
  await waitTitle(cy, /^general · Chat$/);

  // A second tab of Cy's, in another room, follows the first one's reading.
  const cy2 = await cy.context().newPage();
  cy2.errors = [];
  cy2.on('pageerror', (e) => cy2.errors.push(e.message));
  await cy2.goto(base);
  await ready(cy2);
  await openRoom(cy2, 'corner');
  await cy.evaluate(() => window.setHidden(true));
  await send(ann, 'again @Cy');
  await expectCount(cy2, 'general', 1);
  await mentionCount(cy2, 'general').filter({ hasText: '@1' }).waitFor({ timeout: T });
  await waitTitle(cy2, /^\(1\) corner/);
  await cy.evaluate(() => window.setHidden(false));
  await expectCount(cy2, 'general', 0);
  await mentionCount(cy2, 'general').waitFor({ state: 'hidden', timeout: T });
  await waitTitle(cy2, /^corner · Chat$/);
  // Only the hidden tab notified: once for each mention.
  assert.equal(await cy.evaluate(() => window.notes.length), 2);
  assert.deepEqual([...ann.errors, ...bob.errors, ...cy.errors, ...cy2.errors], []);
});

test('a direct message: unread count and title badge on the conversation, a notification while hidden, cleared when read', async (t) => {
  const base = await server(t);
  const ann = await person(base, 'Ann');
  const bob = await person(base, 'Bob', { permissions: ['notifications'] });
  await ann.getByTestId('dm-start').click();
  await ann.getByTestId('dm-person').fill('Bob');
  await ann.getByTestId('dm-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'Bob' }).waitFor({ timeout: T });

  await bob.evaluate(() => window.setHidden(true));
  await send(ann, 'just between us');
  await send(ann, 'no mention needed');
  const dm = bob.getByTestId('dm-list').locator('button[data-room-name="Ann"]');
  await dm.getByTestId('room-unread').filter({ hasText: /^2$/ }).waitFor({ timeout: T });
  assert.match(await dm.getAttribute('class'), /has-unread/);
  await waitTitle(bob, /^\(2\) general · Chat$/);
  // A direct message notifies without a mention, named after its writer.
  await bob.waitForFunction(() => window.notes.length === 2, null, { timeout: T });
  assert.deepEqual((await bob.evaluate(() => window.notes)).map((n) => n.title), ['Ann', 'Ann']);

  // After a reload the server still counts them; opening the conversation reads them.
  await bob.reload();
  await ready(bob);
  await dm.getByTestId('room-unread').filter({ hasText: /^2$/ }).waitFor({ timeout: T });
  await waitTitle(bob, /^\(2\) /);
  await dm.click();
  await bob.getByTestId('room-title').filter({ hasText: 'Ann' }).waitFor({ timeout: T });
  await dm.getByTestId('room-unread').waitFor({ state: 'hidden', timeout: T });
  await waitTitle(bob, /^Ann · Chat$/);
  await messageWith(bob, 'just between us').waitFor({ timeout: T });
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});
