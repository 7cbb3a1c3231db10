// Three test servers on one Redis backplane behind a round-robin balancer
// with no affinity at all (balancer.mjs): every request and every upgrade
// goes to the next server, so negotiate, the upgrade, each poll and each
// send of one connection land on different servers, and the servers
// forward them to the one that holds the connection (transport.Cluster,
// on by default with -redis). The official client, unchanged, on every
// transport and protocol: invocations with results, broadcasts from
// clients on other servers, 200 messages in order both ways, stateful
// reconnect after the socket is cut, automatic reconnect after the owning
// server is killed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connect, matrix, inbox, uniqueKey, waitFor, signalR } from './lib.mjs';
import { startRedis } from './redis.mjs';
import { startBalancer } from './balancer.mjs';

let redis;
let nodes = [];
let lb;
before(async () => {
  redis = await startRedis();
  nodes = await Promise.all([0, 1, 2].map(() => startServer(['-redis', redis.url])));
  lb = await startBalancer(nodes.map((n) => n.url));
});
after(async () => {
  await lb?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

const range = (n) => Array.from({ length: n }, (_, i) => i);
const entries = [
  ...matrix.map((m) => ({ ...m, name: `${m.transport} ${m.protocol}` })),
  { transport: 'WebSockets', protocol: 'json', skipNegotiation: true, name: 'WebSockets json skipNegotiation' },
  { transport: 'WebSockets', protocol: 'messagepack', skipNegotiation: true, name: 'WebSockets messagepack skipNegotiation' },
];
const viaLB = (m, configure = (b) => b) => connect(`${lb.url}/interop/hub`, m, (b) => {
  if (m.skipNegotiation) {
    // skipNegotiation needs the options object, which connect's withUrl set.
    b.withUrl(`${lb.url}/interop/hub`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true });
  }
  return configure(b);
});

for (const m of entries) {
  describe(`behind a round-robin balancer: ${m.name}`, () => {
    it('invokes with results and exchanges broadcasts with clients on other servers', async () => {
      const before = lb.backends.map((b) => b.requests + b.upgrades);
      const conn = await viaLB(m);
      // A client on each server directly.
      const others = await Promise.all(nodes.map((n) => connect(`${n.url}/interop/hub`, matrix[0])));
      for (const o of others) o.on('Ask', (q) => q.length);
      try {
        const mine = inbox(conn, 'Receive');
        const theirs = others.map((o) => inbox(o, 'Receive'));
        assert.equal(await conn.invoke('Add', 2, 3), 5);
        assert.equal((await conn.invoke('WhoAmI')).transport, m.transport);
        for (const [i, o] of others.entries()) {
          const key = uniqueKey(`from-${i}`);
          await o.invoke('SendAll', key);
          await waitFor(() => mine.items.some(([, msg]) => msg === key), 10000, `${key} at the balanced client`);
        }
        const key = uniqueKey('from-balanced');
        await conn.invoke('SendAll', key);
        for (const box of theirs) await waitFor(() => box.items.some(([, msg]) => msg === key), 10000, `${key} at a direct client`);
        assert.equal(await conn.invoke('AskClient', others[1].connectionId, 'four'), 4);
        // The connection's requests were spread: negotiate and the upgrade
        // on two servers, the polls and sends over all three.
        const spread = lb.backends.filter((b, i) => b.requests + b.upgrades > before[i]).length;
        assert.equal(spread, m.skipNegotiation ? 1 : m.transport === 'WebSockets' ? 2 : 3);
      } finally {
        await Promise.all([conn.stop(), ...others.map((o) => o.stop())]);
      }
    });

    it('carries 200 messages in order both ways', async () => {
      const conn = await viaLB(m);
      try {
        const seqs = inbox(conn, 'Seq');
        await Promise.all(range(200).map((i) => conn.send('Record', i)));
        assert.deepEqual(await conn.invoke('Recorded'), range(200));
        assert.equal(await conn.invoke('Burst', 200), 200);
        assert.deepEqual(seqs.items.map(([i]) => i), range(200));
        const calls = await Promise.all(range(200).map((i) => conn.invoke('Next', i)));
        assert.deepEqual(calls, range(200));
      } finally {
        await conn.stop();
      }
    });

    if (m.transport === 'WebSockets' && !m.skipNegotiation) {
      it('resumes a stateful connection after the socket is cut', async () => {
        const conn = await viaLB(m, (b) => b.withStatefulReconnect());
        try {
          const id = conn.connectionId;
          const events = [];
          conn.onreconnecting((err) => events.push(`reconnecting ${err}`));
          conn.onclose((err) => events.push(`close ${err}`));
          const seqs = inbox(conn, 'Seq');
          let next = 0;
          const sends = [];
          const sendSome = (n) => { for (let k = 0; k < n; k += 1) sends.push(conn.send('Record', next++)); };
          for (let cut = 0; cut < 3; cut += 1) {
            sendSome(50);
            lb.cutWebSockets();
            sendSome(50);
            await conn.invoke('Burst', 10);
          }
          await Promise.all(sends);
          assert.deepEqual(await conn.invoke('Recorded'), range(next));
          assert.deepEqual(seqs.items.map(([i]) => i), [...range(10), ...range(10), ...range(10)]);
          assert.equal(conn.connectionId, id);
          assert.deepEqual(events, []);
        } finally {
          await conn.stop();
        }
      });
    }

    it('reconnects at once when the server holding the connection is killed', async () => {
      const extra = await startServer(['-redis', redis.url]);
      const i = lb.add(extra.url);
      try {
        lb.pin(i); // the connection's first request, so it lives on the extra server
        const conn = await viaLB(m, (b) => b.withAutomaticReconnect([0, 0, 0, 1000]));
        try {
          const id = conn.connectionId;
          let reconnected = null;
          conn.onreconnected((newId) => { reconnected = newId; });
          assert.equal(await conn.invoke('Add', 1, 1), 2);
          await new Promise((resolve) => { extra.proc.once('exit', resolve); extra.proc.kill('SIGKILL'); });
          lb.remove(i); // as the balancer's health check would
          await waitFor(() => reconnected !== null, 10000, 'the automatic reconnect');
          assert.notEqual(reconnected, id);
          assert.equal(await conn.invoke('Add', 2, 2), 4);
          assert.equal(conn.state, signalR.HubConnectionState.Connected);
        } finally {
          await conn.stop();
        }
      } finally {
        lb.remove(i);
        if (extra.proc.exitCode === null && extra.proc.signalCode === null) await extra.stop();
      }
    });
  });
}

describe('behind a round-robin balancer: users', () => {
  for (const transport of ['ServerSentEvents', 'LongPolling']) {
    it(`keeps the user of a connection on every server over ${transport}`, async () => {
      const conn = await connect(`${lb.url}/interop/authorized?user=ann`, { transport, protocol: 'json' });
      try {
        for (let k = 0; k < 3; k += 1) assert.equal((await conn.invoke('WhoAmI')).user, 'ann');
      } finally {
        await conn.stop();
      }
      await assert.rejects(connect(`${lb.url}/interop/authorized`, { transport, protocol: 'json' }), /401|Unauthorized/);
    });
  }
});

describe('behind a round-robin balancer: refusals', () => {
  it('answers 404 for a token no server of the cluster minted', async () => {
    for (const token of ['AAAAAAAAAAAAAAAAAAAAAA', 'a.b.c', `${'x'.repeat(22)}.${Buffer.from('nobody').toString('base64url')}.${'y'.repeat(22)}`]) {
      for (let k = 0; k < 3; k += 1) { // each server in turn
        const res = await fetch(`${lb.url}/interop/hub?id=${token}`, { method: 'POST', body: 'x\x1e' });
        assert.equal(res.status, 404, token);
        await res.text();
      }
    }
  });
});
