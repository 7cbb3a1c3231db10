// Who receives what: every Clients target, groups, users, the hub context
// driven over HTTP, and typed client calls, through the official client on
// every transport and protocol. The Go hub is cmd/testserver/interop*.go.
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connect, matrix, inbox, withQuery, uniqueKey } from './lib.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const hub = (params = {}) => withQuery(`${server.url}/interop/hub`, params);
const name = (m) => `${m.transport} ${m.protocol}`;

async function http(method, path, params) {
  const res = await fetch(withQuery(`${server.url}${path}`, params), { method });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// peers connects named clients, each receiving Receive(target, msg) into
// an inbox, and fences rounds of sends so that a test can tell who got a
// message and who did not.
async function peers(specs) {
  const conns = {};
  for (const [label, { m, user }] of Object.entries(specs)) {
    const conn = await connect(hub(user ? { user } : {}), m);
    conns[label] = { conn, box: inbox(conn, 'Receive'), id: conn.connectionId };
  }
  return {
    ...conns,
    // round runs act, then broadcasts a fence from the hub context; every
    // connection gets its messages in the order they were queued, so once
    // each has the fence, anything act sent has arrived. It returns, per
    // label, the messages before the fence.
    async round(act) {
      for (const p of Object.values(conns)) p.box.items.length = 0;
      await act();
      const fence = uniqueKey('fence');
      await http('POST', '/interop/ctx/send', { to: 'all', msg: fence });
      const got = {};
      for (const [label, p] of Object.entries(conns)) {
        await p.box.waitCount(1);
        await waitForFence(p.box, fence);
        got[label] = p.box.items.slice(0, p.box.items.findIndex(([, msg]) => msg === fence));
      }
      return got;
    },
    async stop() { await Promise.all(Object.values(conns).map((p) => p.conn.stop())); },
  };
}

async function waitForFence(box, fence) {
  const deadline = Date.now() + 10000;
  while (!box.items.some(([, msg]) => msg === fence)) {
    if (Date.now() > deadline) throw new Error(`no fence; got ${JSON.stringify(box.items)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const m of matrix) {
  describe(`Clients targets over ${name(m)}`, () => {
    // a and b belong to one user; c to another. b and c use other
    // transports and protocols than a, so that one send is encoded for
    // several protocols.
    let p;
    let userA;
    let userC;
    beforeEach(async () => {
      userA = uniqueKey('ua');
      userC = uniqueKey('uc');
      p = await peers({
        a: { m, user: userA },
        b: { m: { transport: 'LongPolling', protocol: 'messagepack' }, user: userA },
        c: { m: { transport: 'WebSockets', protocol: 'json' }, user: userC },
      });
    });
    afterEach(async () => { await p?.stop(); });

    it('All, Caller, Others, Client, Clients, AllExcept', async () => {
      const { a, b, c } = p;
      const cases = [
        [() => a.conn.invoke('SendAll', 'm'), 'All', ['a', 'b', 'c']],
        [() => a.conn.invoke('SendCaller', 'm'), 'Caller', ['a']],
        [() => a.conn.invoke('SendOthers', 'm'), 'Others', ['b', 'c']],
        [() => a.conn.invoke('SendClient', b.id, 'm'), 'Client', ['b']],
        [() => a.conn.invoke('SendClients', [a.id, c.id], 'm'), 'Clients', ['a', 'c']],
        [() => a.conn.invoke('SendAllExcept', [b.id], 'm'), 'AllExcept', ['a', 'c']],
        [() => a.conn.invoke('SendAllExcept', [a.id, b.id, c.id], 'm'), 'AllExcept', []],
        [() => a.conn.invoke('SendClient', 'no-such-connection', 'm'), 'Client', []],
      ];
      for (const [act, target, want] of cases) {
        const got = await p.round(act);
        for (const label of ['a', 'b', 'c']) {
          const expected = want.includes(label) ? [[target, 'm']] : [];
          assert.deepEqual(got[label], expected, `${target}: ${label}`);
        }
      }
    });

    it('groups: join, leave, Group, Groups, GroupExcept, OthersInGroup, presence', async () => {
      const { a, b, c } = p;
      const g1 = uniqueKey('g1');
      const g2 = uniqueKey('g2');
      await a.conn.invoke('JoinGroup', g1);
      await b.conn.invoke('JoinGroup', g1);
      await b.conn.invoke('JoinGroup', g2);
      await b.conn.invoke('JoinGroup', g2); // joining twice changes nothing
      await c.conn.invoke('JoinGroup', g2);
      assert.deepEqual(await c.conn.invoke('GroupMembers', g1), [a.id, b.id].sort());
      assert.deepEqual(await a.conn.invoke('GroupMembers', g2), [b.id, c.id].sort());
      assert.deepEqual(await b.conn.invoke('MyGroups'), [g1, g2].sort());

      const check = async (act, target, want) => {
        const got = await p.round(act);
        for (const label of ['a', 'b', 'c']) {
          assert.deepEqual(got[label], want.includes(label) ? [[target, 'm']] : [], `${target}: ${label}`);
        }
      };
      await check(() => c.conn.invoke('SendGroup', g1, 'm'), 'Group', ['a', 'b']);
      // b is in both groups and still gets the message once.
      await check(() => c.conn.invoke('SendGroups', [g1, g2], 'm'), 'Groups', ['a', 'b', 'c']);
      await check(() => c.conn.invoke('SendGroupExcept', g1, [a.id], 'm'), 'GroupExcept', ['b']);
      await check(() => b.conn.invoke('SendOthersInGroup', g2, 'm'), 'OthersInGroup', ['c']);
      await check(() => c.conn.invoke('SendOthersInGroup', g1, 'm'), 'OthersInGroup', ['a', 'b']);

      await b.conn.invoke('LeaveGroup', g1);
      await b.conn.invoke('LeaveGroup', g1); // leaving twice changes nothing
      assert.deepEqual(await b.conn.invoke('MyGroups'), [g2]);
      await check(() => c.conn.invoke('SendGroup', g1, 'm'), 'Group', ['a']);

      // Memberships end with the connection.
      await a.conn.stop();
      const deadline = Date.now() + 5000;
      while ((await c.conn.invoke('GroupMembers', g1)).length !== 0) {
        assert.ok(Date.now() < deadline, 'a is still a member of g1 after stopping');
        await new Promise((r) => setTimeout(r, 20));
      }
    });

    it('users: User reaches every connection of a user, Users several users', async () => {
      const { a, b, c } = p;
      assert.deepEqual(await c.conn.invoke('UserConnections', userA), [a.id, b.id].sort());
      assert.deepEqual(await c.conn.invoke('UserConnections', userC), [c.id]);
      assert.deepEqual(await c.conn.invoke('UserConnections', 'nobody-at-all'), []);
      const check = async (act, target, want) => {
        const got = await p.round(act);
        for (const label of ['a', 'b', 'c']) {
          assert.deepEqual(got[label], want.includes(label) ? [[target, 'm']] : [], `${target}: ${label}`);
        }
      };
      await check(() => c.conn.invoke('SendUser', userA, 'm'), 'User', ['a', 'b']);
      await check(() => a.conn.invoke('SendUser', userC, 'm'), 'User', ['c']);
      await check(() => a.conn.invoke('SendUsers', [userA, userC], 'm'), 'Users', ['a', 'b', 'c']);
      await check(() => a.conn.invoke('SendUser', 'nobody-at-all', 'm'), 'User', []);
    });

    it('the hub context sends, manages groups and answers presence from outside the hub', async () => {
      const { a, b, c } = p;
      const g = uniqueKey('ctx');
      await http('POST', '/interop/ctx/groups/add', { id: a.id, group: g });
      await http('POST', '/interop/ctx/groups/add', { id: c.id, group: g });
      assert.deepEqual(await http('GET', '/interop/ctx/members', { group: g }), [a.id, c.id].sort());
      assert.deepEqual(await http('GET', '/interop/ctx/user', { user: userA }), [a.id, b.id].sort());
      const check = async (params, target, want) => {
        const got = await p.round(() => http('POST', '/interop/ctx/send', { ...params, msg: 'm' }));
        for (const label of ['a', 'b', 'c']) {
          assert.deepEqual(got[label], want.includes(label) ? [[`ctx:${target}`, 'm']] : [], `${target}: ${label}`);
        }
      };
      await check({ to: 'all' }, 'all', ['a', 'b', 'c']);
      await check({ to: 'allExcept', except: `${a.id},${c.id}` }, 'allExcept', ['b']);
      await check({ to: 'client', name: c.id }, 'client', ['c']);
      await check({ to: 'clients', name: `${a.id},${b.id}` }, 'clients', ['a', 'b']);
      await check({ to: 'group', name: g }, 'group', ['a', 'c']);
      await check({ to: 'groups', name: `${g},${uniqueKey('empty')}` }, 'groups', ['a', 'c']);
      await check({ to: 'groupExcept', name: g, except: c.id }, 'groupExcept', ['a']);
      await check({ to: 'user', name: userA }, 'user', ['a', 'b']);
      await check({ to: 'users', name: `${userA},${userC}` }, 'users', ['a', 'b', 'c']);
      await http('POST', '/interop/ctx/groups/remove', { id: a.id, group: g });
      await check({ to: 'group', name: g }, 'group', ['c']);
      assert.deepEqual(await a.conn.invoke('MyGroups'), []);
    });
  });

  describe(`typed client calls over ${name(m)}`, () => {
    it('arrive with their argument types, in order, before the completion', async () => {
      const conn = await connect(hub(), m);
      try {
        const calls = [];
        conn.on('Typed0', (...args) => calls.push(['Typed0', ...args]));
        conn.on('Typed1', (...args) => calls.push(['Typed1', ...args]));
        conn.on('Typed2', (...args) => calls.push(['Typed2', ...args]));
        conn.on('Typed3', (...args) => calls.push(['Typed3', ...args]));
        conn.on('Typed4', (...args) => calls.push(['Typed4', ...args]));
        await conn.invoke('SendTyped', 7);
        assert.deepEqual(calls, [
          ['Typed0'],
          ['Typed1', 7],
          ['Typed2', 'two', true],
          ['Typed3', 'three', 7, [1, 2, 3]],
          ['Typed4', 'four', 7, false, { x: 7, y: -7, name: 'p' }],
        ]);
      } finally {
        await conn.stop();
      }
    });
  });
}
