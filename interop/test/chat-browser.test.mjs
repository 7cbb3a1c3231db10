// The chat application in real headless Chromium (Debian's), with the
// official browser client the page loads: two people sign in, talk, see
// each other, share files, and survive a server restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { docShot } from './lib.mjs';
import {
  T, startChat, launchBrowser, tempDir, person as signIn, status, connected, messages, messageWith, send as sendWith, png,
} from './chat-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'interop', 'test-results');

// ---- the server: one data folder and port for the whole file, so that
// a restart is the same server coming back ----

const data = tempDir('chat-browser-');
let chat, base;
const startServer = async () => { chat = await startChat({ port: chat?.port, data }); base = chat.base; };
const stopServer = () => chat.stop();

// ---- the people ----

let browser, ann, bob;
const person = (name) => signIn(browser, base, name, { viewport: { width: 1100, height: 720 } });
const send = (page, text) => sendWith(page, text, { click: true, once: true });

// texts returns the text of every message on the page, in order.
const texts = (page) => page.getByTestId('message-list').locator('li[data-id] .text').allTextContents();

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  await startServer();
  browser = await launchBrowser();
  ann = await person('Ann');
  bob = await person('Bob');
});

after(async () => {
  await browser?.close();
  await stopServer();
  fs.rmSync(data, { recursive: true, force: true });
});

test('two people create and join a room and talk both ways', async () => {
  await ann.getByTestId('room-create-name').fill('design');
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'design' }).waitFor({ timeout: T });
  // The room list updates live for everyone.
  const bobsRoom = bob.getByTestId('room-list').locator('button[data-room-name="design"]');
  await bobsRoom.waitFor({ timeout: T });
  await bobsRoom.click();
  await bob.getByTestId('room-title').filter({ hasText: 'design' }).waitFor({ timeout: T });

  await send(ann, 'Hello Bob, welcome to design.');
  await messageWith(bob, 'Hello Bob, welcome to design.').waitFor({ timeout: T });
  await send(bob, 'Thanks Ann! Glad to be here.');
  await messageWith(ann, 'Thanks Ann! Glad to be here.').waitFor({ timeout: T });
  const annSees = await messageWith(ann, 'Thanks Ann!').locator('.author').textContent();
  assert.equal(annSees, 'Bob');
});

test('presence and typing show live', async () => {
  await ann.getByTestId('presence-list').locator('li', { hasText: 'Bob' }).waitFor({ timeout: T });
  await bob.getByTestId('presence-list').locator('li', { hasText: 'Ann' }).waitFor({ timeout: T });
  await ann.getByTestId('message-input').pressSequentially('I am typ', { delay: 20 });
  await bob.getByTestId('typing-indicator').filter({ hasText: 'Ann is typing' }).waitFor({ timeout: T });
  await ann.getByTestId('message-input').fill('');
  // Bob's second tab is the same person: one entry, not two.
  const tab2 = await bob.context().newPage();
  await tab2.goto(base);
  await connected(tab2);
  await tab2.locator('#room-list button[data-room-name="design"]').click();
  await tab2.getByTestId('room-title').filter({ hasText: 'design' }).waitFor({ timeout: T });
  await ann.waitForTimeout(300);
  assert.equal(await ann.getByTestId('presence-list').locator('li', { hasText: 'Bob' }).count(), 1);
  await tab2.close();
  await ann.waitForTimeout(300);
  assert.equal(await ann.getByTestId('presence-list').locator('li', { hasText: 'Bob' }).count(), 1,
    'Bob went offline though his first tab is open');
});

test('read receipts move with what the other has read', async () => {
  const first = messageWith(ann, 'Thanks Ann!');
  await first.getByTestId('read-receipt').filter({ hasText: 'Bob' }).waitFor({ timeout: T });
  await send(ann, 'Did you see the new mockups?');
  const latest = messageWith(ann, 'Did you see the new mockups?');
  await latest.getByTestId('read-receipt').filter({ hasText: 'Seen by Bob' }).waitFor({ timeout: T });
  assert.equal(await first.getByTestId('read-receipt').count(), 0, 'the old receipt did not move');
});

test('an image is shared with a preview; an HTML file only downloads', async () => {
  await ann.getByTestId('file-input').setInputFiles({ name: 'mockup.png', mimeType: 'image/png', buffer: png(240, 140) });
  const preview = bob.getByTestId('message-list').locator('img[data-testid="file-preview"][alt="mockup.png"]');
  await preview.waitFor({ timeout: T });
  await bob.waitForFunction((img) => img.complete && img.naturalWidth === 240, await preview.elementHandle(), { timeout: T });

  const html = '<!doctype html><script>document.title="pwned"</script>';
  await ann.getByTestId('file-input').setInputFiles({ name: 'notes.html', mimeType: 'text/html', buffer: Buffer.from(html) });
  const link = bob.getByTestId('file-link').filter({ hasText: 'notes.html' });
  await link.waitFor({ timeout: T });
  assert.equal(await bob.getByTestId('message-list').locator('img[alt="notes.html"]').count(), 0);
  const href = await link.getAttribute('href');
  const res = await bob.context().request.get(new URL(href, base).href);
  assert.equal(res.status(), 200);
  assert.equal(await res.text(), html);
  const h = res.headers();
  assert.equal(h['content-type'], 'application/octet-stream');
  assert.match(h['content-disposition'], /^attachment; filename=notes\.html$/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.match(h['content-security-policy'], /default-src 'none'.*sandbox/);

  await ann.screenshot({ path: path.join(shots, 'chat-ann.png') });
  await bob.screenshot({ path: path.join(shots, 'chat-bob.png') });
  await send(bob, 'Love the mockup, the colours work.');
  await ann.waitForTimeout(300);
  await ann.screenshot({ path: docShot('chat.png') });
});

test('user content is text, never markup', async () => {
  const evil = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
  await send(bob, evil);
  const m = messageWith(ann, 'bold?');
  await m.waitFor({ timeout: T });
  assert.equal(await m.locator('.text').textContent(), evil);
  assert.equal(await m.locator('img, b').count(), 0);
  assert.equal(await ann.evaluate(() => window.__pwned), undefined);
});

test('the page works at phone width', async () => {
  await ann.setViewportSize({ width: 390, height: 760 });
  const onScreen = async (id) => {
    const box = await ann.getByTestId(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 391, `${id} is off screen: ${JSON.stringify(box)}`);
  };
  for (const id of ['message-input', 'message-send', 'message-list']) await onScreen(id);
  // Rooms and people live in drawers, one tap away.
  for (const [toggle, id] of [['rooms-toggle', 'room-list'], ['people-toggle', 'presence-list']]) {
    await ann.getByTestId(toggle).click();
    await ann.waitForTimeout(250); // the slide
    await onScreen(id);
    await ann.keyboard.press('Escape');
  }
  await ann.screenshot({ path: path.join(shots, 'chat-phone.png') });
  await ann.setViewportSize({ width: 1100, height: 720 });
});

test('both pages reconnect by themselves after a server restart, missing and doubling nothing', async () => {
  await send(ann, 'before the restart');
  await messageWith(bob, 'before the restart').waitFor({ timeout: T });

  // Bob's page will stay away longer than Ann's: its negotiate requests
  // wait until released, so what Ann sends meanwhile must be fetched.
  let release;
  const held = new Promise((r) => { release = r; });
  await bob.context().route('**/hubs/chat/negotiate**', async (route) => { await held; await route.continue(); });

  await stopServer();
  await status(ann).and(ann.locator('[data-state="reconnecting"]')).waitFor({ timeout: T });
  await status(bob).and(bob.locator('[data-state="reconnecting"]')).waitFor({ timeout: T });
  // A message written while not connected waits in the outbox, shown
  // as pending, and goes out once the server is back.
  await ann.getByTestId('message-input').fill('written while the server was down');
  await ann.getByTestId('message-send').click();
  await ann.getByTestId('pending-message').filter({ hasText: 'written while the server was down' }).waitFor({ timeout: T });
  await ann.screenshot({ path: path.join(shots, 'chat-reconnecting.png') });

  await startServer();
  await connected(ann);
  await messageWith(ann, 'written while the server was down').waitFor({ timeout: T });
  await send(ann, 'while Bob is away 1');
  await send(ann, 'while Bob is away 2');
  // More than the page of messages a join returns: only fetching by id
  // from the last one seen brings them all.
  const missed = Array.from({ length: 55 }, (_, i) => `missed ${i}`);
  await ann.evaluate(async (texts) => {
    const { state } = await import('/static/state.js'); // the page's state module
    for (const t of texts) await state.conn.invoke('SendMessage', state.roomId, t, '');
  }, missed);
  assert.equal(await status(bob).getAttribute('data-state'), 'reconnecting', 'Bob came back too early for this test');

  release();
  await connected(bob);
  await bob.context().unroute('**/hubs/chat/negotiate**');
  await messageWith(bob, 'while Bob is away 2').waitFor({ timeout: T });
  await send(bob, 'after the restart');
  await messageWith(ann, 'after the restart').waitFor({ timeout: T });

  const want = ['before the restart', 'written while the server was down', 'while Bob is away 1', 'while Bob is away 2',
    ...missed, 'after the restart'];
  for (const page of [ann, bob]) {
    const all = await texts(page);
    const tail = all.slice(all.indexOf('before the restart'));
    assert.deepEqual(tail, want, `messages around the restart on ${page === ann ? 'Ann' : 'Bob'}'s page`);
    const ids = await messages(page).evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
    assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b), 'message ids doubled or out of order');
  }
  // Presence came back with the connections.
  await ann.getByTestId('presence-list').locator('li', { hasText: 'Bob' }).waitFor({ timeout: T });
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('history pages backwards on scroll', async () => {
  // Enough messages for more than one page (50).
  // The server limits how fast one person sends (a burst, then 10/s):
  // past it, wait as long as its error says and send again.
  await ann.evaluate(async () => {
    const { state } = await import('/static/state.js'); // the page's state module
    for (let i = 0; i < 60; i++) {
      for (;;) {
        try { await state.conn.invoke('SendMessage', state.roomId, `filler ${i}`, ''); break; } catch (e) {
          const wait = /Too many messages: try again in (\d+) s/.exec(String(e));
          if (!wait) throw e;
          await new Promise((r) => setTimeout(r, 1000 * Number(wait[1])));
        }
      }
    }
  });
  await messageWith(bob, 'filler 59').waitFor({ timeout: T });
  await bob.reload();
  await connected(bob);
  await messageWith(bob, 'filler 59').waitFor({ timeout: T });
  assert.equal(await messageWith(bob, 'Hello Bob, welcome').count(), 0, 'the first page holds everything');
  // Each scroll to the top loads one older page, until the first message.
  let before = await messages(bob).count();
  for (let pages = 0; (await messageWith(bob, 'Hello Bob, welcome').count()) === 0; pages++) {
    assert.ok(pages < 10, 'the first message never came');
    await bob.getByTestId('message-list').evaluate((l) => { l.scrollTop = 0; });
    await bob.waitForFunction((n) => document.querySelectorAll('#message-list li[data-id]').length > n, before, { timeout: T });
    const now = await messages(bob).count();
    assert.ok(now - before <= 50, `a page brought ${now - before} messages`);
    before = now;
  }
  const all = await texts(bob);
  assert.equal(all.filter((t) => t.startsWith('filler ')).length, 60, 'a filler message is missing or doubled');
  const ids = await messages(bob).evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b));
});
