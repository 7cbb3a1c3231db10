// The chat in real headless Chromium behind a round-robin balancer with
// no affinity (balancer.mjs) in front of three chat servers on one Redis
// (cmd/chat -redis forwards requests for connections of the other
// servers by default) and one PostgreSQL database: on each transport,
// forced with the page's ?transport= parameter, two people sign in, make
// a room and talk both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startRedis } from './redis.mjs';
import { startBalancer } from './balancer.mjs';
import {
  T, startChat, launchBrowser, tempDir, tempDatabase, person as signIn, status, messageWith, send as sendWith, openRoom,
} from './chat-lib.mjs';

const data = tempDir('chat-lb-');
let redis, db, lb, browser;
const nodes = [];

const person = (name, transport) => signIn(browser, `${lb.url}/?transport=${transport}`, name, { viewport: { width: 1100, height: 720 } });
const send = (page, text) => sendWith(page, text, { click: true, once: true });

before(async () => {
  db = tempDatabase('chat_lb');
  redis = await startRedis();
  // One after the other: the first migrates the database and makes the
  // signing key the others share.
  for (let i = 0; i < 3; i += 1) nodes.push(await startChat({ data, args: ['-db', db.url, '-redis', redis.url] }));
  lb = await startBalancer(nodes.map((n) => n.base));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await lb?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
  fs.rmSync(data, { recursive: true, force: true });
  db?.drop();
});

for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
  test(`two people talk through the balancer over ${transport}`, async () => {
    const before = { ...lb.seen };
    const ann = await person(`Ann${transport}`, transport);
    const bob = await person(`Bob${transport}`, transport);
    try {
      const room = `lb-${transport.toLowerCase()}`;
      await ann.getByTestId('room-create-name').fill(room);
      await ann.getByTestId('room-create-submit').click();
      await ann.getByTestId('room-title').filter({ hasText: room }).waitFor({ timeout: T });
      await openRoom(bob, room);
      for (let i = 0; i < 5; i += 1) {
        await send(ann, `Ann says ${i} over ${transport}`);
        await messageWith(bob, `Ann says ${i} over ${transport}`).waitFor({ timeout: T });
        await send(bob, `Bob says ${i} over ${transport}`);
        await messageWith(ann, `Bob says ${i} over ${transport}`).waitFor({ timeout: T });
      }
      // The forced transport is the one used.
      const upgrades = lb.seen.upgrades - before.upgrades;
      const streams = lb.seen.eventStreams - before.eventStreams;
      assert.equal(upgrades > 0, transport === 'WebSockets', `${upgrades} WebSocket upgrades`);
      assert.equal(streams > 0, transport === 'ServerSentEvents', `${streams} SSE streams`);
      for (const page of [ann, bob]) {
        assert.equal(await status(page).getAttribute('data-state'), 'connected');
        assert.deepEqual(page.errors, []);
      }
    } finally {
      await ann.context().close();
      await bob.context().close();
    }
  });
}
