// Three test servers on one Redis backplane (a redis-server of the test's
// own, on a free port), with the official client spread over them on
// every transport and protocol: every Clients target across servers,
// group changes and client results across servers, cluster-wide
// presence; then a Redis crash and restart on the same port, and a server
// killed with SIGKILL. The Go side is cmd/testserver -redis.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connect, matrix, inbox, withQuery, uniqueKey, waitFor } from './lib.mjs';
import { startRedis } from './redis.mjs';

// The backplane's node TTL for this test: a killed server's connections
// must leave every answer within it (plus the slack of the last check).
const NODE_TTL_MS = 3000;

let redis;
let nodes = [];
before(async () => {
  redis = await startRedis();
  const url = `${redis.url}?nodeTTL=${NODE_TTL_MS}ms&ackTimeout=5s`;
  nodes = await Promise.all([0, 1, 2].map(() => startServer(['-redis', url])));
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

const hub = (node, params = {}) => withQuery(`${nodes[node].url}/interop/hub`, params);
const name = (m) => `${m.transport} ${m.protocol}`;

async function http(node, method, path, params) {
  const res = await fetch(withQuery(`${nodes[node].url}${path}`, params), { method });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// peers connects named clients to the servers, each receiving
// Receive(target, msg) into an inbox and answering Ask(q) with q's length.
async function peers(specs) {
  const conns = {};
  for (const [label, { node, m, user }] of Object.entries(specs)) {
    const conn = await connect(hub(node, user ? { user } : {}), m);
    conn.on('Ask', (q) => q.length);
    const p = { conn, node, box: inbox(conn, 'Receive'), id: conn.connectionId, closed: false };
    conn.onclose(() => { p.closed = true; });
    conns[label] = p;
  }
  const labels = Object.keys(conns);
  return {
    ...conns,
    labels,
    // round runs act, whose sends leave from server `from`, then sends a
    // fence to everyone from that same server: one server's publications
    // reach each connection in order, so once every connection has the
    // fence, whatever act sent has arrived. It returns, per label, the
    // messages before the fence.
    async round(from, act) {
      for (const p of Object.values(conns)) p.box.items.length = 0;
      await act();
      const fence = uniqueKey('fence');
      await http(from, 'POST', '/interop/ctx/send', { to: 'all', msg: fence });
      const got = {};
      for (const [label, p] of Object.entries(conns)) {
        await waitFor(() => p.box.items.some(([, msg]) => msg === fence), 10000, `the fence at ${label}`);
        got[label] = p.box.items.slice(0, p.box.items.findIndex(([, msg]) => msg === fence));
      }
      return got;
    },
    async stop() { await Promise.all(Object.values(conns).map((p) => p.conn.stop())); },
  };
}

// expectRound checks that exactly the labels in want got [target, 'm'].
async function expectRound(p, from, act, target, want) {
  const got = await p.round(from, act);
  for (const label of p.labels) {
    assert.deepEqual(got[label], want.includes(label) ? [[target, 'm']] : [], `${target}: ${label}`);
  }
}

const sorted = (xs) => [...xs].sort();

// count waits until the hub has n connections, as server `node` sees it.
async function count(node, conn, n, timeoutMs = 10000) {
  await waitFor(async () => (await conn.invoke('ConnectionCount')) === n, timeoutMs, `${n} connections seen from server ${node}`);
}

describe('three servers on one Redis', () => {
  for (const m of matrix) {
    it(`every target, groups, users, client results and presence across servers over ${name(m)}`, async () => {
      const userA = uniqueKey('ua');
      const userC = uniqueKey('uc');
      // a and b are one user on servers 0 and 1; c is on server 2; d
      // shares server 0 with a, in another protocol.
      const p = await peers({
        a: { node: 0, m, user: userA },
        b: { node: 1, m: { transport: 'LongPolling', protocol: 'messagepack' }, user: userA },
        c: { node: 2, m: { transport: 'WebSockets', protocol: 'json' }, user: userC },
        d: { node: 0, m: { transport: 'ServerSentEvents', protocol: 'json' } },
      });
      try {
        const { a, b, c, d } = p;
        await count(2, c.conn, 4);

        await expectRound(p, 0, () => a.conn.invoke('SendAll', 'm'), 'All', ['a', 'b', 'c', 'd']);
        await expectRound(p, 0, () => a.conn.invoke('SendOthers', 'm'), 'Others', ['b', 'c', 'd']);
        await expectRound(p, 0, () => a.conn.invoke('SendClient', c.id, 'm'), 'Client', ['c']);
        await expectRound(p, 1, () => b.conn.invoke('SendClients', [a.id, c.id], 'm'), 'Clients', ['a', 'c']);
        await expectRound(p, 2, () => c.conn.invoke('SendAllExcept', [b.id, d.id], 'm'), 'AllExcept', ['a', 'c']);
        await expectRound(p, 2, () => c.conn.invoke('SendClient', 'no-such-connection', 'm'), 'Client', []);

        // Groups, joined on three servers.
        const g1 = uniqueKey('g1');
        const g2 = uniqueKey('g2');
        await a.conn.invoke('JoinGroup', g1);
        await b.conn.invoke('JoinGroup', g1);
        await b.conn.invoke('JoinGroup', g2);
        await c.conn.invoke('JoinGroup', g2);
        assert.deepEqual(await c.conn.invoke('GroupMembers', g1), sorted([a.id, b.id]));
        assert.deepEqual(await a.conn.invoke('GroupMembers', g2), sorted([b.id, c.id]));
        assert.deepEqual(await a.conn.invoke('GroupsOf', b.id), sorted([g1, g2]));
        await expectRound(p, 2, () => c.conn.invoke('SendGroup', g1, 'm'), 'Group', ['a', 'b']);
        await expectRound(p, 0, () => d.conn.invoke('SendGroups', [g1, g2], 'm'), 'Groups', ['a', 'b', 'c']);
        await expectRound(p, 2, () => c.conn.invoke('SendGroupExcept', g1, [a.id], 'm'), 'GroupExcept', ['b']);
        await expectRound(p, 1, () => b.conn.invoke('SendOthersInGroup', g2, 'm'), 'OthersInGroup', ['c']);

        // A connection of another server joins and leaves a group (the
        // group command and its ack cross Redis).
        await a.conn.invoke('AddToGroup', c.id, g1);
        assert.deepEqual(await b.conn.invoke('GroupMembers', g1), sorted([a.id, b.id, c.id]));
        assert.deepEqual(await c.conn.invoke('MyGroups'), sorted([g1, g2]));
        await expectRound(p, 0, () => d.conn.invoke('SendGroup', g1, 'm'), 'Group', ['a', 'b', 'c']);
        await b.conn.invoke('RemoveFromGroup', c.id, g1);
        await http(2, 'POST', '/interop/ctx/groups/remove', { id: a.id, group: g1 });
        assert.deepEqual(await d.conn.invoke('GroupMembers', g1), [b.id]);
        await expectRound(p, 0, () => d.conn.invoke('SendGroup', g1, 'm'), 'Group', ['b']);

        // A user with connections on two servers.
        assert.deepEqual(await c.conn.invoke('UserConnections', userA), sorted([a.id, b.id]));
        await expectRound(p, 2, () => c.conn.invoke('SendUser', userA, 'm'), 'User', ['a', 'b']);
        await expectRound(p, 0, () => d.conn.invoke('SendUsers', [userA, userC], 'm'), 'Users', ['a', 'b', 'c']);

        // Client results across servers, from a hub method and from the
        // hub context.
        assert.equal(await a.conn.invoke('AskClient', c.id, 'hello'), 5);
        assert.equal(await http(1, 'GET', '/interop/ctx/ask', { id: d.id, q: 'abc' }), 3);
        await assert.rejects(a.conn.invoke('AskClient', 'no-such-connection', 'x'));

        // The hub context of one server sends to another's connections.
        await expectRound(p, 1, () => http(1, 'POST', '/interop/ctx/send', { to: 'client', name: c.id, msg: 'm' }), 'ctx:client', ['c']);
        assert.deepEqual(Object.values(p).filter((x) => x?.closed), []);
      } finally {
        await p.stop();
      }
      // Presence follows the departures everywhere.
      const probe = await connect(hub(1), { transport: 'WebSockets', protocol: 'json' });
      try {
        await count(1, probe, 1);
        assert.deepEqual(await probe.invoke('UserConnections', userA), []);
      } finally {
        await probe.stop();
      }
    });
  }

  it('Redis crashes and restarts: local delivery goes on, the rest resumes, nobody is dropped', async () => {
    const u = uniqueKey('u');
    const p = await peers({
      a: { node: 0, m: { transport: 'WebSockets', protocol: 'json' }, user: u },
      b: { node: 0, m: { transport: 'LongPolling', protocol: 'messagepack' } },
      c: { node: 1, m: { transport: 'ServerSentEvents', protocol: 'json' }, user: u },
      d: { node: 2, m: { transport: 'WebSockets', protocol: 'messagepack' } },
    });
    try {
      const { a, b, c, d } = p;
      const g = uniqueKey('g');
      for (const x of [a, b, c, d]) await x.conn.invoke('JoinGroup', g);
      await count(2, d.conn, 4);

      await redis.kill();
      // Two clients of one server still reach each other (a send that
      // also needs Redis may report it could not publish).
      const local = uniqueKey('local');
      await a.conn.invoke('SendGroup', g, local).catch(() => {});
      for (const x of [a, b]) {
        await waitFor(() => x.box.items.some(([, msg]) => msg === local), 5000, 'local delivery during the outage');
      }

      await redis.restart();
      // Cross-server delivery resumes: server 2 sends until server 0's
      // client hears it.
      await waitFor(async () => {
        await d.conn.invoke('SendAll', uniqueKey('back')).catch(() => {});
        return a.box.items.some(([, msg]) => msg.startsWith('back-'));
      }, 20000, 'delivery from server 2 to server 0 after the restart');
      // Let whatever is still on its way (those probes, and what the
      // outage held back) arrive before the next checks.
      for (const n of [0, 1, 2]) await p.round(n, async () => {});
      await expectRound(p, 2, () => d.conn.invoke('SendGroup', g, 'm'), 'Group', ['a', 'b', 'c', 'd']);
      await expectRound(p, 0, () => b.conn.invoke('SendUser', u, 'm'), 'User', ['a', 'c']);
      // Presence is rebuilt in the new, empty Redis.
      await count(2, d.conn, 4, 20000);
      await waitFor(async () => (await d.conn.invoke('GroupMembers', g)).length === 4, 20000, 'the group rebuilt');
      assert.deepEqual(await d.conn.invoke('GroupMembers', g), sorted([a.id, b.id, c.id, d.id]));
      assert.deepEqual(await d.conn.invoke('UserConnections', u), sorted([a.id, c.id]));
      // Nobody was dropped or moved.
      for (const label of p.labels) {
        const x = p[label];
        assert.equal(x.closed, false, `${label} closed`);
        assert.equal(x.conn.connectionId, x.id, `${label} reconnected`);
      }
    } finally {
      await p.stop();
    }
  });

  it('a server killed with SIGKILL leaves presence within the node TTL', async () => {
    const u = uniqueKey('u');
    const g = uniqueKey('g');
    const p = await peers({
      a: { node: 0, m: { transport: 'WebSockets', protocol: 'json' } },
      b: { node: 2, m: { transport: 'WebSockets', protocol: 'messagepack' }, user: u },
      c: { node: 2, m: { transport: 'LongPolling', protocol: 'json' }, user: u },
    });
    const { a, b, c } = p;
    for (const x of [a, b, c]) await x.conn.invoke('JoinGroup', g);
    await count(0, a.conn, 3);
    assert.deepEqual(await a.conn.invoke('UserConnections', u), sorted([b.id, c.id]));

    const killed = Date.now();
    await new Promise((resolve) => { nodes[2].proc.once('exit', resolve); nodes[2].proc.kill('SIGKILL'); });
    nodes[2].stop = async () => {}; // gone: nothing to stop after the tests
    await waitFor(async () => (await a.conn.invoke('ConnectionCount')) === 1
      && (await a.conn.invoke('UserConnections', u)).length === 0
      && (await a.conn.invoke('GroupMembers', g)).length === 1,
    NODE_TTL_MS + 1500, 'the killed server\'s connections to leave presence');
    const took = Date.now() - killed;
    assert.deepEqual(await a.conn.invoke('GroupMembers', g), [a.id]);
    assert.ok(took <= NODE_TTL_MS + 1500, `took ${took} ms`);
    await a.conn.stop();
    await Promise.all([b.conn.stop(), c.conn.stop()]);
  });
});
