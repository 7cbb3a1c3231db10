// The sample hub at /chatHub under a flood, with the official client: a
// connection's calls are rate limited (100 at once, then 10 a second)
// and its messages bounded in length; over a limit the caller gets a hub
// error and the connection stays usable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, waitFor, sleep } from './lib.mjs';
import { startChat } from './chat-lib.mjs';

const BURST = 100, PER_SECOND = 10; // server.Limits.SeedCallsPerConnection's default
let chat;
before(async () => { chat = await startChat(); });
after(async () => { await chat.stop(); });

for (const protocol of ['json', 'messagepack']) {
  test(`a flood of SendMessage is cut at the connection's limit (${protocol})`, async () => {
    const url = `${chat.base}/chatHub`;
    const opts = { transport: 'WebSockets', protocol };
    const other = await connect(url, opts);
    const flooder = await connect(url, opts);
    const got = [];
    other.on('ReceiveMessage', (user, text) => { if (user === 'flood') got.push(text); });

    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 3 * BURST }, (_, i) => flooder.invoke('SendMessage', 'flood', `m${i}`)));
    const elapsed = (Date.now() - started) / 1000;
    const refused = results.filter((r) => r.status === 'rejected');
    const allowed = BURST + Math.ceil(elapsed * PER_SECOND);
    assert.ok(refused.length >= 3 * BURST - allowed, `${refused.length} of ${3 * BURST} refused in ${elapsed} s`);
    for (const r of refused) assert.match(r.reason.message, /Too many calls on this connection: try again in \d+ s\./);
    const accepted = results.length - refused.length;
    await waitFor(() => got.length >= accepted, 5000, `the other connection receiving ${accepted}`);
    await sleep(200);
    assert.ok(got.length <= allowed, `the other connection received ${got.length}, allowed ${allowed}`);

    // Too long: refused with the limit, nothing sent.
    await sleep(1000);
    await assert.rejects(flooder.invoke('SendMessage', 'flood', 'x'.repeat(4001)), /message is 4001 characters long; the limit is 4000/);
    await assert.rejects(flooder.invoke('SendMessage', 'u'.repeat(101), 'hi'), /user name is 101 characters long; the limit is 100/);

    // After waiting, the same connection sends again.
    await sleep(1000);
    await flooder.invoke('SendMessage', 'flood', 'after the wait');
    await waitFor(() => got.includes('after the wait'), 5000, 'the message after the wait');
    assert.ok(!got.some((t) => t.length > 4000), 'a message over the limit was delivered');
    await Promise.all([other.stop(), flooder.stop()]);
  });
}

test('one connection cannot join groups without end', async () => {
  const c = await connect(`${chat.base}/chatHub`, { transport: 'WebSockets', protocol: 'json' });
  for (let i = 0; i < 100; i++) await c.invoke('AddToGroup', `g${i}`);
  await sleep(1000); // the calls' limit refills: the groups' is what is tested
  await assert.rejects(c.invoke('JoinRoom', 'one more'), /in 100 groups already, the limit/);
  await c.invoke('AddToGroup', 'g5'); // already in: fine
  await c.invoke('RemoveFromGroup', 'g0');
  await c.invoke('JoinRoom', 'one more');
  await assert.rejects(c.invoke('SendMessageToGroup', 'g'.repeat(101), 'hi'), /group name is 101 characters long; the limit is 100/);
  await assert.rejects(c.invoke('JoinRoom', 'r'.repeat(101)), /room name is 101 characters long; the limit is 100/);
  await c.stop();
});

test('one address cannot open connections without end', async () => {
  const url = `${chat.base}/chatHub`;
  const opts = { transport: 'WebSockets', protocol: 'json' };
  const conns = await Promise.all(Array.from({ length: 100 }, () => connect(url, opts))); // server.Limits.SeedConnectionsPerAddress
  const refusal = async () => {
    const closed = new Promise((resolve) => {
      const c = connect(url, opts, (b) => b);
      c.then((conn) => conn.onclose(resolve), resolve);
    });
    return String(await Promise.race([closed, sleep(5000).then(() => 'still open')]));
  };
  assert.match(await refusal(), /Too many connections from your address: close one first/);
  await conns.pop().stop();
  const again = await connect(url, opts);
  await again.invoke('SendMessage', 'one', 'still works');
  await Promise.all([again, ...conns].map((c) => c.stop()));
});
