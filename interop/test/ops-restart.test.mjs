// Restarting the chat while two people talk, with the official client in
// Node: SIGTERM drains the server (each client is told to reconnect), the
// server comes back on the same address and data, and the clients
// reconnect by themselves, catch up by message id and resend what failed
// with the same client id, as the page does. Nothing is lost or doubled:
// the room's history has every message exactly once, and each person's
// view (live messages plus the catch-up, merged by id) has all of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startChat, tempDir, nodePerson, catchUp, talk, sleep } from './chat-lib.mjs';

const data = tempDir('chat-restart-');
let chat;

after(async () => {
  await chat?.stop();
  fs.rmSync(data, { recursive: true, force: true });
});

test('a restart while two people talk loses and doubles nothing', async () => {
  const args = ['-drain', '500ms'];
  chat = await startChat({ data, args });
  const ann = await nodePerson(chat.base, 'Ann', { password: 'ann-password' });
  const bob = await nodePerson(chat.base, 'Bob', { password: 'bob-password' });
  const n = 40;
  const talking = Promise.all([talk(ann, n, 25), talk(bob, n, 25)]);
  await sleep(300);
  const code = await chat.stop();
  assert.equal(code, 0, 'the drained server exits cleanly');
  chat = await startChat({ port: chat.port, data, args });
  await talking;
  assert.equal(ann.reconnects, 1, 'Ann reconnected once');
  assert.equal(bob.reconnects, 1, 'Bob reconnected once');
  assert.deepEqual([...ann.closes, ...bob.closes], [], 'no connection closed for good');
  for (const p of [ann, bob]) await catchUp(p);

  const history = await ann.conn.invoke('MessagesSince', ann.room, 0);
  const ids = history.map((m) => m.clientId).sort();
  const want = [...Array(n).keys()].flatMap((i) => [`Ann-${i}`, `Bob-${i}`]).sort();
  assert.deepEqual(ids, want, 'every message stored exactly once');
  for (const p of [ann, bob]) {
    const view = [...p.seen.values()].map((m) => m.clientId).sort();
    assert.deepEqual(view, want, `${p.name} sees every message once`);
    assert.equal(new Set(p.liveIds).size, p.liveIds.length, `${p.name} got no live message twice`);
  }
  await ann.conn.stop();
  await bob.conn.stop();
});
