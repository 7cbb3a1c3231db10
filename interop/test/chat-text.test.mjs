// Message text, replies, search and jumping to a message, in Debian's
// headless Chromium with two people: a search finds a message older than
// the loaded history and opens it in context; formatting renders while
// markup and javascript: links stay inert; a reply's quote leads to the
// original.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { docShot } from './lib.mjs';
import { T, startChat, launchBrowser, person, send, messages, messageWith } from './chat-lib.mjs';

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

// visible waits until the message is scrolled into the message list's
// view.
async function visible(page, locator) {
  await locator.waitFor({ timeout: T });
  const deadline = Date.now() + T;
  for (;;) {
    const inside = await locator.evaluate((li) => {
      const r = li.getBoundingClientRect();
      const box = li.closest('ol').getBoundingClientRect();
      return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    });
    if (inside) return;
    if (Date.now() > deadline) assert.fail('the message is not scrolled into view');
    await page.waitForTimeout(50);
  }
}

const OLD = 'The zebracorn plan is on page **seven**';

test('search finds a message older than the loaded history and shows it in context', async () => {
  await ann.getByTestId('message-input').fill(OLD);
  await ann.getByTestId('message-input').press('Enter');
  await messageWith(ann, 'zebracorn plan').waitFor({ timeout: T });
  // More than a page of history after it, straight through the client.
  await ann.evaluate(async () => {
    const { state } = await import('/static/state.js'); // the page's state module
    for (let i = 0; i < 60; i++) await state.conn.invoke('SendMessage', state.roomId, `filler ${i}`, `filler-${i}`);
  });
  await messageWith(bob, 'filler 59').waitFor({ timeout: T });
  await bob.reload();
  await messageWith(bob, 'filler 59').waitFor({ timeout: T });
  assert.equal(await messageWith(bob, 'zebracorn').count(), 0, 'the old message is not loaded yet');

  await bob.getByTestId('search-input').fill('ZEBRACORN seven');
  await bob.getByTestId('search-input').press('Enter');
  const results = bob.getByTestId('search-results').getByTestId('search-result');
  await results.first().waitFor({ timeout: T });
  assert.equal(await results.count(), 1);
  const hit = results.first();
  // The snippet reads as the message does: without its markdown markers.
  assert.match(await hit.textContent(), /general.*Ann.*The zebracorn plan is on page seven$/);
  assert.deepEqual(await hit.locator('mark').allTextContents(), ['zebracorn', 'seven']);
  await bob.screenshot({ path: docShot('chat-search.png') });

  await hit.locator('button').click();
  assert.equal(await bob.getByTestId('search-results').isVisible(), false, 'the results close');
  const old = messageWith(bob, 'zebracorn');
  await visible(bob, old);
  assert.match(await old.getAttribute('class'), /\bflash\b/);
  // Its neighbours came with it, and scrolling down reaches the newest.
  await messageWith(bob, 'filler 0').waitFor({ timeout: T });
  assert.equal(await messageWith(bob, 'filler 59').count(), 0);
  await bob.getByTestId('message-list').evaluate((l) => { l.scrollTop = l.scrollHeight; });
  await messageWith(bob, 'filler 59').waitFor({ timeout: T });
  assert.deepEqual(bob.errors, []);
});

test('a reply quotes the original, and the quote leads to it', async () => {
  // Bob answers the old message from the search's window.
  const old = messageWith(bob, 'zebracorn');
  await old.scrollIntoViewIfNeeded();
  await old.getByTestId('message-reply').click();
  assert.match(await bob.getByTestId('reply-bar').textContent(), /Ann.*zebracorn plan/);
  await bob.getByTestId('reply-cancel').click();
  assert.equal(await bob.getByTestId('reply-bar').isVisible(), false);
  await old.getByTestId('message-reply').click();
  await send(bob, 'Found it, page seven it is');
  assert.equal(await bob.getByTestId('reply-bar').isVisible(), false);

  for (const page of [ann, bob]) {
    const reply = messageWith(page, 'Found it, page seven');
    await reply.waitFor({ timeout: T });
    const quote = reply.getByTestId('reply-quote');
    assert.match(await quote.textContent(), /Ann.*The zebracorn plan is on page \*\*seven\*\*/);
    await page.getByTestId('message-list').evaluate((l) => { l.scrollTop = l.scrollHeight; });
    await quote.click();
    // Ann has it loaded, scrolled away; Bob's page loads it again.
    const orig = messages(page).filter({ hasText: 'zebracorn' }).filter({ hasNotText: 'Found it' });
    await visible(page, orig);
    assert.match(await orig.getAttribute('class'), /\bflash\b/);
  }
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('formatting renders; markup and javascript: links stay inert', async () => {
  await ann.evaluate(() => { window.__ran = undefined; });
  const text = 'A **bold** move, `code()` and https://example.com/a_(b). '
    + '<script>window.__ran = 1</script><img src=x onerror="window.__ran = 2"> '
    + '[x](javascript:window.__ran=3) javascript:window.__ran=4 JaVaScRiPt:alert(5) *_nested_*\n```\nfenced <b>block</b>\n```';
  await ann.getByTestId('message-input').fill(text);
  await ann.getByTestId('message-input').press('Enter');
  for (const page of [ann, bob]) {
    const msg = messageWith(page, 'code()');
    await msg.waitFor({ timeout: T });
    const body = msg.locator('.text');
    assert.equal(await body.locator('strong').textContent(), 'bold');
    assert.equal(await body.locator(':scope > code').textContent(), 'code()');
    assert.equal(await body.locator('em em').textContent(), 'nested');
    assert.equal(await body.locator('pre code').textContent(), 'fenced <b>block</b>');
    const links = await body.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.rel, a.target]));
    assert.deepEqual(links, [['https://example.com/a_(b)', 'noopener noreferrer', '_blank']]);
    assert.equal(await page.locator('a[href^="javascript" i], [href*="javascript:" i]').count(), 0);
    assert.equal(await body.locator('script, img, b').count(), 0);
    assert.match(await body.textContent(), /<script>window.__ran = 1<\/script><img src=x onerror="window.__ran = 2">/);
    assert.match(await body.textContent(), /\[x\]\(javascript:window.__ran=3\) javascript:window.__ran=4/);
    assert.equal(await page.evaluate(() => window.__ran), undefined, 'no script of the message ran');
  }
  assert.deepEqual(ann.errors, []);
  assert.deepEqual(bob.errors, []);
});
