// A room with more people online than the page lists (the server sends
// the first 200 by name and counts them all): the page lists 200, says
// how many more there are, and keeps the count right as people come and
// go (the server sends arrivals among the first 200 only). The crowd is
// the official client in Node; the page is Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signalR, waitFor } from './lib.mjs';
import { T, startChat, launchBrowser, person } from './chat-lib.mjs';

const LISTED = 200; // chat/hub.MaxListedMembers
const CROWD = LISTED + 4;

let chat, browser;
const crowd = [];

// signIn signs name in as if from an address of its own, which the
// server (started with -trust-forwarded-for) takes from X-Forwarded-For:
// sign-ins and new accounts are limited per address, 20 at once.
async function signIn(name, n) {
  const res = await fetch(`${chat.base}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `192.0.2.${2 + Math.floor(n / 15)}` },
    body: JSON.stringify({ name, password: '' }),
  });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function online(name, n) {
  const { token } = await signIn(name, n);
  const conn = new signalR.HubConnectionBuilder()
    .withUrl(`${chat.base}/hubs/chat`, { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.None)
    .build();
  await conn.start(); // online in "general", where sign-up put them
  return conn;
}

before(async () => {
  chat = await startChat({ args: ['-trust-forwarded-for'] });
  for (let i = 0; i < CROWD; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(CROWD, i + 25); j++) batch.push(online(`crowd ${String(j).padStart(3, '0')}`, j));
    crowd.push(...await Promise.all(batch));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all(crowd.map((c) => c.stop()));
  await chat?.stop();
});

test('a crowded room lists the first 200 online and counts the rest', { timeout: 120000 }, async () => {
  const page = await person(browser, chat.base, 'Zoe'); // sorts last: not listed
  const list = page.getByTestId('presence-list').locator('li');
  const count = page.getByTestId('presence-count');
  const more = page.getByTestId('presence-more');
  let total = CROWD + 1;
  await count.filter({ hasText: `(${total})` }).waitFor({ timeout: T });
  assert.equal(await list.count(), LISTED);
  assert.equal(await more.textContent(), `and ${total - LISTED} more`);
  assert.match(await list.first().textContent(), /crowd 000$/); // after the avatar's initials

  // Someone listed leaves, someone unlisted comes: the count follows.
  await crowd.shift().stop();
  total--;
  await count.filter({ hasText: `(${total})` }).waitFor({ timeout: T });
  crowd.push(await online('zz late', CROWD));
  total++;
  await count.filter({ hasText: `(${total})` }).waitFor({ timeout: T });
  // The one who left is not replaced (only arrivals among the first 200
  // are sent): listed and more add up to the count.
  await waitFor(async () => (await more.textContent()) === `and ${total - await list.count()} more`, T, 'the rest counted');
  assert.equal(await list.count(), LISTED - 1);
  assert.deepEqual(page.errors, []);
});
