// The chat page as people use it, in real headless Chromium (Debian's)
// with the official browser client: input methods, focus, limits,
// writing while offline, a frozen server, uploads, drag and drop,
// accessibility (axe-core) at phone and desktop size, light and dark.
//
// The browser talks to the chat server through a small TCP relay that
// records every HTTP request line, so the test knows what the server was
// sent (an oversized file must not reach it at all).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import { docShot } from './lib.mjs';
import {
  T, startChat, launchBrowser, tempDir, person as signIn, status, connected, messages, messageWith, send as sendWith, png,
} from './chat-lib.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const MAX_UPLOAD = 300_000;

// ---- the server, behind a relay that records request lines ----

const data = tempDir('chat-page-');
let chat, relay, base;
const requests = []; // "METHOD /path" as the server was sent them
const startServer = async () => { chat = await startChat({ port: chat?.port, data, args: ['-max-upload', String(MAX_UPLOAD)] }); };
const stopServer = () => chat.stop();

// The relay can drop every connection and hold new ones for a while: a
// brief network outage, as a phone walking between access points sees.
const links = new Set();
let outage = null; // a promise that settles when the network is back

// While holdUploads is set, the relay keeps to itself every upload that
// starts (its connection kept in heldLinks): the page sees an upload that
// never finishes, however fast or loaded the machine is.
let holdUploads = false;
const heldLinks = new Set();

async function networkDrop(ms) {
  let back;
  outage = new Promise((r) => { back = r; });
  for (const s of links) s.destroy();
  await new Promise((r) => setTimeout(r, ms));
  outage = null;
  back();
}

function startRelay() {
  relay = net.createServer(async (c) => {
    links.add(c);
    c.on('close', () => links.delete(c));
    c.on('error', () => {});
    if (outage) { c.pause(); await outage; c.resume(); }
    if (c.destroyed) return;
    const s = net.connect(chat.port, '127.0.0.1');
    links.add(s);
    s.on('close', () => links.delete(s));
    let held = false;
    c.on('data', (d) => {
      // Browsers send each request's head in one write; WebSocket frames
      // from a browser are masked and never look like a request line.
      for (const m of d.toString('latin1').matchAll(/^([A-Z]+) (\/\S*) HTTP\/1\.1\r$/gm)) {
        requests.push(`${m[1]} ${m[2]}`);
        if (holdUploads && m[1] === 'POST' && /^\/api\/rooms\/\d+\/files$/.test(m[2])) {
          held = true;
          heldLinks.add(c);
        }
      }
      if (held) return; // nothing of a held upload reaches the server
      if (!s.write(d)) { c.pause(); s.once('drain', () => c.resume()); }
    });
    c.on('end', () => s.end());
    s.pipe(c);
    for (const [a, b] of [[c, s], [s, c]]) { a.on('error', () => b.destroy()); a.on('close', () => b.destroy()); }
  });
  return new Promise((resolve) => relay.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${relay.address().port}`)));
}

// ---- the people ----

let browser, ann, bob;

const person = (name, opts = {}, url = base) => signIn(browser, url, name, opts);
const send = (page, text) => sendWith(page, text, { once: true });
const focused = (page) => page.evaluate(() => document.activeElement?.id);

// stored returns how many messages of the open room, as the server keeps
// them, have exactly this text.
const stored = (page, text) => page.evaluate(async (text) => {
  const { state } = await import('/static/state.js'); // the page's state module
  return (await state.conn.invoke('MessagesSince', state.roomId, 0)).filter((m) => m.text === text).length;
}, text);

before(async () => {
  await startServer();
  base = await startRelay();
  browser = await launchBrowser();
  ann = await person('Ann Lee');
  // Bob talks to the server directly: the relay's outages are Ann's alone.
  bob = await person('Bob', {}, chat.base);
});

after(async () => {
  await browser?.close();
  if (chat.proc.signalCode === null && chat.proc.exitCode === null) chat.proc.kill('SIGCONT');
  await stopServer();
  relay?.close();
  fs.rmSync(data, { recursive: true, force: true });
});

test('Enter while an input method composes never sends', async () => {
  const box = ann.getByTestId('message-input');
  await box.focus();
  const before = await messages(ann).count();
  // What Chromium sends while a Korean IME builds "안녕": composition
  // events, and Enter keydowns flagged isComposing (keyCode 229).
  await box.evaluate((t) => {
    const key = (init) => t.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true, ...init }));
    t.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true, data: '' }));
    t.value = '안녕';
    t.dispatchEvent(new InputEvent('input', { bubbles: true, isComposing: true, data: '안녕', inputType: 'insertCompositionText' }));
    key({ isComposing: true, keyCode: 229 });
    key({ isComposing: true });
    t.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '안녕' }));
    key({ keyCode: 229 }); // some browsers' Enter that confirmed the composition
  });
  await ann.waitForTimeout(300);
  assert.equal(await box.inputValue(), '안녕', 'the text left the box during composition');
  assert.equal(await messages(ann).count(), before);
  assert.equal(await ann.getByTestId('pending-message').count(), 0);
  // Composition over: Enter sends, once.
  await box.press('Enter');
  await messageWith(ann, '안녕').waitFor({ timeout: T });
  assert.equal(await box.inputValue(), '');
  assert.equal(await stored(ann, '안녕'), 1);
});

test('focus lands in the message box after signing in and after choosing a room', async () => {
  assert.equal(await focused(bob), 'message-input', 'after signing in');
  await ann.evaluate(async () => (await import('/static/state.js')).state.conn.invoke('CreateRoom', 'design'));
  const design = bob.getByTestId('room-list').locator('button[data-room-name="design"]');
  await design.click();
  await bob.getByTestId('room-title').filter({ hasText: 'design' }).waitFor({ timeout: T });
  assert.equal(await focused(bob), 'message-input', 'after clicking a room');
  // The keyboard switcher gets there too.
  await bob.keyboard.press('Control+K');
  await bob.getByTestId('room-switcher-input').waitFor({ timeout: T });
  await bob.keyboard.type('gen');
  await bob.keyboard.press('Enter');
  await bob.getByTestId('room-title').filter({ hasText: 'general' }).waitFor({ timeout: T });
  assert.equal(await focused(bob), 'message-input', 'after Ctrl+K');
  // The skip link is the first stop and leads to the message box.
  const first = await bob.evaluate(() => [...document.querySelectorAll('a[href], button, input, textarea, [tabindex]')]
    .find((e) => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length)?.dataset.testid);
  assert.equal(first, 'skip-link', 'the skip link is not the first stop');
  await bob.getByTestId('skip-link').focus();
  assert.ok(await bob.getByTestId('skip-link').isVisible(), 'the focused skip link is not shown');
  await bob.keyboard.press('Enter');
  assert.equal(await focused(bob), 'message-input', 'after the skip link');
});

test('no badge before signing in; names that read well; a theme switch; small windows keep the messages', async () => {
  const context = await browser.newContext({ viewport: { width: 640, height: 400 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(base);
  await page.getByTestId('login-name').waitFor({ timeout: T });
  assert.equal(await status(page).isVisible(), false, 'a connection badge before signing in');
  await page.getByTestId('login-name').fill('Cy');
  await page.getByTestId('login-submit').click();
  await connected(page);
  await page.getByTestId('room-title').filter({ hasText: /\S/ }).waitFor({ timeout: T });
  // The room button's name keeps the room and its mark apart.
  await page.getByTestId('rooms-toggle').click();
  assert.equal(await page.getByRole('button', { name: /^general\s*,\s*joined$/ }).count(), 1);
  await page.keyboard.press('Escape');
  assert.equal(await focused(page), 'message-input', 'Escape from the drawer');

  // The messages own most of a small window and of a phone screen.
  for (const [width, height] of [[640, 400], [412, 915]]) {
    await page.setViewportSize({ width, height });
    const box = await page.getByTestId('message-list').boundingBox();
    assert.ok(box.height >= 0.55 * height, `${width}x${height}: the message list is ${box.height}px high`);
  }

  // The switch overrides the system's theme, and is remembered.
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await bg(), 'rgb(246, 247, 249)');
  await page.getByTestId('theme-toggle').click(); // system -> light
  await page.getByTestId('theme-toggle').click(); // light -> dark
  assert.equal(await bg(), 'rgb(20, 23, 29)');
  assert.match(await page.getByTestId('theme-toggle').getAttribute('aria-label'), /dark/);
  await page.reload();
  await connected(page);
  assert.equal(await bg(), 'rgb(20, 23, 29)');
  await context.close();
});

test('a long paste is kept whole, counted and clearly refused', async () => {
  await ann.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const long = 'x'.repeat(4990) + ' the end';
  await ann.evaluate((t) => navigator.clipboard.writeText(t), long);
  const box = ann.getByTestId('message-input');
  await box.focus();
  await ann.keyboard.press('Control+V');
  assert.equal(await box.inputValue(), long, 'the paste was cut');
  const counter = ann.getByTestId('message-counter');
  await counter.waitFor({ timeout: T });
  assert.match(await counter.textContent(), /4,998 \/ 4,000/);
  assert.match(await ann.getByTestId('send-error').textContent(), /Too long.*4,998.*4,000/);
  const before = await messages(ann).count();
  await box.press('Enter');
  await ann.waitForTimeout(300);
  assert.equal(await messages(ann).count(), before, 'an over-long message was sent');
  assert.equal(await ann.getByTestId('pending-message').count(), 0);
  assert.equal(await box.inputValue(), long);
  assert.match(await ann.getByTestId('send-error').textContent(), /shorten it by 998/i);
  // Cut to the limit, it goes.
  await box.fill('y'.repeat(4000));
  assert.equal(await ann.getByTestId('send-error').textContent(), '');
  assert.equal(await counter.getAttribute('class'), 'counter');
  await box.press('Enter');
  await messageWith(ann, 'y'.repeat(4000)).waitFor({ timeout: T });

  // A long room name is refused with its length, not truncated.
  const name = 'a room name that is much longer than forty characters';
  await ann.getByTestId('room-create-name').fill(name);
  await ann.getByTestId('room-create-submit').click();
  assert.match(await ann.getByTestId('room-error').textContent(), /at most 40 characters; this one has 53/);
  assert.equal(await ann.getByTestId('room-create-name').inputValue(), name);
  await ann.getByTestId('room-create-name').fill('');
});

test('a message written while the server is down is sent once when it returns', async () => {
  await stopServer();
  try {
    await offline();
  } finally {
    if (chat.proc.exitCode !== null || chat.proc.signalCode !== null) await startServer();
  }
  await connected(ann);
  await messageWith(ann, 'and a second one').waitFor({ timeout: T });
  assert.equal(await ann.getByTestId('pending-message').count(), 0);
  assert.equal(await ann.getByTestId('connection-banner').isVisible(), false);
  await ann.waitForTimeout(500); // a second send would have arrived by now
  assert.equal(await messageWith(ann, 'written while the server was down').count(), 1);
  assert.equal(await stored(ann, 'written while the server was down'), 1);
  assert.equal(await stored(ann, 'and a second one'), 1);
  const all = await messages(ann).locator('.text').allTextContents();
  assert.ok(all.indexOf('written while the server was down') < all.indexOf('and a second one'), 'out of order');
  await connected(bob);
});

async function offline() {
  await status(ann).and(ann.locator('[data-state="reconnecting"]')).waitFor({ timeout: T });
  const banner = ann.getByTestId('connection-banner');
  await banner.waitFor({ timeout: T });
  assert.match(await banner.textContent(), /Reconnecting.*messages wait here/);
  // What needs the server says so; what does not keeps working.
  assert.equal(await ann.getByTestId('file-input').isDisabled(), true);
  assert.equal(await ann.getByTestId('room-list').locator('button').first().isDisabled(), true);
  assert.match(await ann.getByTestId('room-list').locator('button').first().getAttribute('title'), /needs the connection/i);
  assert.match(await ann.locator('#presence-panel').getAttribute('class'), /\bstale\b/);
  assert.equal(await ann.getByTestId('message-send').isDisabled(), false);

  const box = ann.getByTestId('message-input');
  await box.fill('written while the server was down');
  await box.press('Enter');
  const pending = ann.getByTestId('pending-message').filter({ hasText: 'written while the server was down' });
  await pending.waitFor({ timeout: T });
  assert.match(await pending.textContent(), /waiting for the connection/);
  assert.equal(await box.inputValue(), '');
  await box.fill('and a second one');
  await box.press('Enter');
  await ann.getByTestId('pending-message').filter({ hasText: 'and a second one' }).waitFor({ timeout: T });
}

test('a brief network drop is bridged by stateful reconnect: nothing lost, no catch-up', async () => {
  await ann.evaluate(async () => {
    const { state } = await import('/static/state.js'); // the page's state module
    window.calls = [];
    window.firstConnection = state.conn.connectionId;
    const invoke = state.conn.invoke.bind(state.conn);
    state.conn.invoke = (method, ...args) => { calls.push(method); return invoke(method, ...args); };
  });
  const drop = networkDrop(1500);
  await status(ann).and(ann.locator('[data-state="reconnecting"]')).waitFor({ timeout: T });
  await bob.evaluate(async () => {
    const { state } = await import('/static/state.js'); // the page's state module
    await state.conn.invoke('SendMessage', state.roomId, 'sent during the drop', '');
  });
  await ann.getByTestId('message-input').fill('written during the drop');
  await ann.getByTestId('message-input').press('Enter');
  await drop;
  await connected(ann);
  await messageWith(ann, 'sent during the drop').waitFor({ timeout: T });
  await messageWith(bob, 'written during the drop').waitFor({ timeout: T });
  const { calls, same } = await ann.evaluate(async () => {
    const { state } = await import('/static/state.js'); // the page's state module
    return { calls: window.calls, same: state.conn.connectionId === window.firstConnection };
  });
  assert.ok(same, 'the hub connection was replaced, not resumed');
  assert.ok(!calls.includes('MessagesSince') && !calls.includes('Rooms'), `a catch-up ran: ${calls}`);
  assert.equal(await stored(ann, 'written during the drop'), 1);
});

test('a frozen server is shown as reconnecting within 15 s', async () => {
  const started = Date.now();
  chat.proc.kill('SIGSTOP');
  try {
    await status(ann).and(ann.locator('[data-state="reconnecting"]')).waitFor({ timeout: 15000 });
  } finally {
    chat.proc.kill('SIGCONT');
  }
  const took = Date.now() - started;
  assert.ok(took < 15000, `noticed after ${took} ms`);
  await connected(ann);
  await connected(bob);
});

test('an upload shows progress; an oversized file never leaves the browser', async () => {
  // 64 KiB/s upstream: a 200 kB file takes about three seconds.
  const cdp = await ann.context().newCDPSession(ann);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  const big = Buffer.alloc(200_000, 7);
  await ann.getByTestId('file-input').setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: big });
  const row = ann.getByTestId('upload-row');
  await row.waitFor({ timeout: T });
  await ann.waitForFunction(() => {
    const p = document.querySelector('[data-testid="upload-progress"]');
    return p && p.value > 0 && p.value < p.max;
  }, null, { timeout: T });
  assert.match(await row.textContent(), /uploading… \d+%.*report\.bin/);
  await ann.getByTestId('file-link').filter({ hasText: 'report.bin' }).waitFor({ timeout: T });
  assert.equal(await row.count(), 0);

  // Cancelled while under way (the relay holds it back): the row goes, and
  // the file is never posted in the room.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  holdUploads = true;
  await ann.getByTestId('file-input').setInputFiles({ name: 'cancelled.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD - 20_000, 7) });
  await row.waitFor({ timeout: T });
  await ann.waitForFunction(() => document.querySelector('[data-testid="upload-progress"]')?.value > 0, null, { timeout: T });
  await ann.getByTestId('upload-cancel').click();
  await row.waitFor({ state: 'detached', timeout: T });
  assert.equal(heldLinks.size, 1, 'the relay did not hold the cancelled upload');
  // Cancelling aborts the request, which closes its connection. Closing it
  // from this side instead would make Chromium send the upload again.
  const [held] = heldLinks;
  await new Promise((resolve, reject) => {
    if (held.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error('the cancelled upload still holds its connection')), T);
    held.once('close', () => { clearTimeout(timer); resolve(); });
  });
  holdUploads = false;
  heldLinks.clear();

  const mark = requests.length;
  await ann.getByTestId('file-input').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD + 1) });
  await ann.getByTestId('send-error').filter({ hasText: 'huge.bin' }).waitFor({ timeout: T });
  assert.match(await ann.getByTestId('send-error').textContent(), /huge\.bin is 293\.0 KiB; files are at most 293\.0 KiB\. Nothing was sent/);
  assert.equal(await row.count(), 0);
  await ann.waitForTimeout(300);
  const uploads = requests.slice(mark).filter((r) => r.startsWith('POST /api/rooms/'));
  assert.deepEqual(uploads, [], 'the server was sent an upload');
  assert.equal(await ann.getByTestId('file-link').filter({ hasText: 'cancelled.bin' }).count(), 0, 'a cancelled upload was posted');
  assert.ok(requests.some((r) => /^POST \/api\/rooms\/\d+\/files$/.test(r)), 'the relay saw no upload at all: it does not record');
});

test('an image dropped or pasted is shared, opens in a lightbox and is listed', async () => {
  const image = png(320, 180).toString('base64');
  // Dropped on the message list, as from a file manager.
  const dt = await ann.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const d = new DataTransfer();
    d.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    return d;
  }, image);
  const list = ann.getByTestId('message-list');
  await list.dispatchEvent('dragenter', { dataTransfer: dt });
  assert.equal(await ann.getByTestId('drop-zone').isVisible(), true);
  await list.dispatchEvent('drop', { dataTransfer: dt });
  assert.equal(await ann.getByTestId('drop-zone').isVisible(), false);
  const preview = bob.getByTestId('message-list').locator('img[data-testid="file-preview"][alt="dropped.png"]');
  await preview.waitFor({ timeout: T });
  await bob.waitForFunction((img) => img.complete && img.naturalWidth === 320, await preview.elementHandle(), { timeout: T });

  // Pasted into the message box, as a screenshot from the clipboard.
  await ann.getByTestId('message-input').evaluate((t, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const d = new DataTransfer();
    d.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
    t.dispatchEvent(new ClipboardEvent('paste', { clipboardData: d, bubbles: true, cancelable: true }));
  }, image);
  await ann.getByTestId('message-list').locator('img[alt="pasted.png"]').waitFor({ timeout: T });

  // The preview opens full size, and Escape closes it.
  await bob.getByTestId('preview-open').filter({ has: bob.locator('img[alt="dropped.png"]') }).click();
  const box = bob.getByTestId('lightbox');
  await box.waitFor({ timeout: T });
  assert.match(await box.locator('img').getAttribute('src'), /dropped\.png$/);
  await bob.waitForFunction(() => document.querySelector('#lightbox img').naturalWidth === 320, null, { timeout: T });
  await bob.keyboard.press('Escape');
  await box.waitFor({ state: 'hidden', timeout: T });

  // The room's files, newest first.
  await bob.getByTestId('files-open').click();
  const items = bob.getByTestId('files-item');
  await items.first().waitFor({ timeout: T });
  const names = await items.locator('a').allTextContents();
  assert.deepEqual(names.slice(0, 3), ['pasted.png', 'dropped.png', 'report.bin']);
  await bob.keyboard.press('Escape');
});

test('a room for the screenshots', async () => {
  await ann.getByTestId('room-create-name').fill('launch');
  await ann.getByTestId('room-create-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'launch' }).waitFor({ timeout: T });
  await bob.getByTestId('room-list').locator('button[data-room-name="launch"]').click();
  await bob.getByTestId('room-title').filter({ hasText: 'launch' }).waitFor({ timeout: T });
  await send(bob, 'Morning! Is the new build on staging yet?');
  await send(ann, 'Since eight. Here is the new header, in both themes:');
  await ann.getByTestId('file-input').setInputFiles({ name: 'header.png', mimeType: 'image/png', buffer: png(480, 200) });
  await messageWith(bob, 'header.png').waitFor({ timeout: T });
  await send(bob, 'Looks great on my phone, dark theme too. Shipping it after lunch.');
});

// axe-core on the signed-in page: no serious or critical violation, in
// every layout and theme; the screenshots for the docs come from here.
for (const [size, viewport] of [['phone', { width: 412, height: 915 }], ['desktop', { width: 1280, height: 800 }]]) {
  for (const scheme of ['light', 'dark']) {
    test(`axe finds nothing serious: ${size}, ${scheme}`, async () => {
      const page = await person(`Dee ${size} ${scheme}`, { viewport, colorScheme: scheme, bypassCSP: true, isMobile: size === 'phone', hasTouch: size === 'phone' });
      if (size === 'phone') await page.getByTestId('rooms-toggle').click();
      await page.getByTestId('room-list').locator('button[data-room-name="launch"]').click();
      await messageWith(page, 'Shipping it after lunch').waitFor({ timeout: T });
      await page.waitForFunction(() => [...document.querySelectorAll('#message-list img')].every((i) => i.complete), null, { timeout: T });
      await page.addScriptTag({ path: axePath });
      const check = async (what) => {
        const r = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
        const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        assert.deepEqual(bad, [], `${what}: ${bad.join('\n')}`);
      };
      await page.waitForTimeout(300);
      await page.screenshot({ path: docShot(`chat-${size}-${scheme}.png`) });
      await check('the room');
      if (size === 'phone') {
        await page.getByTestId('rooms-toggle').click();
        await page.waitForTimeout(250);
        await check('the rooms drawer');
        await page.screenshot({ path: docShot(`chat-${size}-${scheme}-rooms.png`) });
        await page.keyboard.press('Escape');
      }
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }
}

test('no page error anywhere', () => {
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
