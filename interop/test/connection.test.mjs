// The connection layer seen through the official client: every transport
// with every protocol it allows, large and many messages, ordering, stop,
// automatic and stateful reconnects, timeouts on both sides, and
// negotiate refusals. The Go hub is cmd/testserver/interop*.go.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, connect, matrix, startProxy, waitFor, deferred, inbox, withQuery, uniqueKey, sleep, signalR,
} from './lib.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const hub = (path = '/interop/hub') => `${server.url}${path}`;
const name = (m) => `${m.transport} ${m.protocol}`;
// The transports that keep a connection open and so carry pings.
const streaming = matrix.filter((m) => m.transport !== 'LongPolling');

// closed resolves with the error a connection's onclose reports.
function closed(conn) {
  const d = deferred();
  conn.onclose((err) => d.resolve(err));
  return d.promise;
}

// disconnected asks the server (through a separate connection) how the
// connection id ended; {ended:false} while it lives.
async function disconnected(id) {
  const probe = await connect(hub(), matrix[0]);
  try {
    return await probe.invoke('Disconnected', id);
  } finally {
    await probe.stop();
  }
}

// post sends a request to the test server's plain HTTP endpoints.
async function post(path, params) {
  const res = await fetch(withQuery(`${server.url}${path}`, params), { method: 'POST' });
  assert.ok(res.ok, `POST ${path}: ${res.status} ${await res.text()}`);
}

const range = (n) => Array.from({ length: n }, (_, i) => i);

for (const m of matrix) {
  describe(`connection over ${name(m)}`, () => {
    it('connects and carries messages both ways', async () => {
      const conn = await connect(withQuery(hub(), { user: 'conn-user' }), m);
      try {
        assert.equal(conn.state, signalR.HubConnectionState.Connected);
        const who = await conn.invoke('WhoAmI');
        assert.equal(who.connectionId, conn.connectionId);
        assert.equal(who.transport, m.transport);
        assert.equal(who.protocol, m.protocol);
        assert.equal(who.user, 'conn-user');
        assert.equal(await conn.invoke('Echo', 'héllo wörld ☃'), 'héllo wörld ☃');
        assert.equal(await conn.invoke('Add', 2, 40), 42);
        assert.deepEqual(await conn.invoke('EchoPoint', { x: 1, y: -2, name: 'p' }), { x: 1, y: -2, name: 'p' });
        const box = inbox(conn, 'Receive');
        await conn.send('SendCaller', 'pushed');
        assert.deepEqual((await box.waitCount(1))[0], ['Caller', 'pushed']);
      } finally {
        await conn.stop();
      }
    });

    it('carries messages larger than a frame or a poll, both ways', async () => {
      const conn = await connect(hub(), m);
      try {
        const big = 'x'.repeat(100 * 1024) + 'é';
        assert.equal(await conn.invoke('Echo', big), big);
        assert.equal(await conn.invoke('Length', 'y'.repeat(300 * 1024)), 300 * 1024);
        const payload = await conn.invoke('Payload', 200 * 1024);
        assert.equal(payload.length, 200 * 1024);
        assert.equal(payload.slice(0, 3), 'abc');
        assert.equal(payload[200 * 1024 - 1], String.fromCharCode(97 + ((200 * 1024 - 1) % 26)));
        if (m.protocol === 'messagepack') {
          const bytes = new Uint8Array(100 * 1024).map((_, i) => i % 251);
          const back = await conn.invoke('EchoBytes', bytes);
          assert.ok(back instanceof Uint8Array, `bytes came back as ${back?.constructor?.name}`);
          assert.deepEqual(Buffer.from(back), Buffer.from(bytes));
        }
      } finally {
        await conn.stop();
      }
    });

    it('batches many queued messages without losing or reordering any', async () => {
      const conn = await connect(hub(), m);
      try {
        const box = inbox(conn, 'Receive');
        // Multi-byte characters, so that a batch boundary that split one
        // would show.
        const chunk = 'zé☃𝄞'.repeat(1024);
        // 60 messages of 10 KB queued at once: several frames, events or
        // polls' worth, sent without waiting for each other.
        const sends = range(60).map((i) => conn.send('SendCaller', `${i}:${chunk}`));
        await Promise.all(sends);
        const got = await box.waitCount(60);
        assert.deepEqual(got.map(([, msg]) => Number(msg.split(':')[0])), range(60));
        assert.ok(got.every(([, msg]) => msg.endsWith(chunk)));
      } finally {
        await conn.stop();
      }
    });

    it('delivers 1000 server messages in order, before the completion', async () => {
      const conn = await connect(hub(), m);
      try {
        const box = inbox(conn, 'Seq');
        assert.equal(await conn.invoke('Burst', 1000), 1000);
        // The caller's messages precede the completion.
        assert.equal(box.items.length, 1000);
        assert.deepEqual(box.items.map(([i]) => i), range(1000));
      } finally {
        await conn.stop();
      }
    });

    it('delivers 1000 client messages in order', async () => {
      const conn = await connect(hub(), m);
      try {
        const sends = range(1000).map((i) => conn.send('Record', i));
        await Promise.all(sends);
        assert.deepEqual(await conn.invoke('Recorded'), range(1000));
      } finally {
        await conn.stop();
      }
    });

    it('stops cleanly; the server sees a normal close', async () => {
      const conn = await connect(hub(), m);
      const id = conn.connectionId;
      const onclose = closed(conn);
      await conn.stop();
      assert.equal(await onclose, undefined);
      assert.equal(conn.state, signalR.HubConnectionState.Disconnected);
      await waitFor(async () => (await disconnected(id)).ended, 5000, 'server-side disconnect');
      assert.deepEqual(await disconnected(id), { ended: true, error: '' });
    });

    it('reconnects automatically after a server restart (Close with allowReconnect)', async () => {
      const conn = await connect(hub('/interop/restartable'), m,
        (b) => b.withAutomaticReconnect([0, 200, 500, 1000, 1000, 2000, 2000]));
      try {
        const oldId = conn.connectionId;
        const reconnecting = deferred();
        const reconnected = deferred();
        conn.onreconnecting((err) => reconnecting.resolve(err));
        conn.onreconnected((id) => reconnected.resolve(id));
        await post('/interop/restart', {});
        const err = await reconnecting.promise;
        assert.ok(err === undefined || err instanceof Error, `onreconnecting(${err})`);
        const newId = await reconnected.promise;
        assert.equal(newId, conn.connectionId);
        assert.notEqual(newId, oldId);
        assert.equal(conn.state, signalR.HubConnectionState.Connected);
        assert.equal(await conn.invoke('Echo', 'again'), 'again');
      } finally {
        await conn.stop();
      }
    });

    it('closes without reconnecting when the hub aborts the connection', async () => {
      const conn = await connect(hub(), m, (b) => b.withAutomaticReconnect([0, 0, 0]));
      let reconnecting = false;
      conn.onreconnecting(() => { reconnecting = true; });
      const onclose = closed(conn);
      conn.invoke('Abort').catch(() => {});
      assert.equal(await onclose, undefined);
      assert.equal(reconnecting, false);
      assert.equal(conn.state, signalR.HubConnectionState.Disconnected);
    });

    it('closes without reconnecting when the hub context disconnects it', async () => {
      const conn = await connect(hub(), m, (b) => b.withAutomaticReconnect([0, 0, 0]));
      let reconnecting = false;
      conn.onreconnecting(() => { reconnecting = true; });
      const onclose = closed(conn);
      await post('/interop/ctx/disconnect', { id: conn.connectionId });
      assert.equal(await onclose, undefined);
      assert.equal(reconnecting, false);
    });

    it('is closed with allowReconnect when a message exceeds the size limit, and reconnects', async () => {
      const conn = await connect(hub('/interop/small'), m, (b) => b.withAutomaticReconnect([0, 100, 500]));
      try {
        const oldId = conn.connectionId;
        const reconnecting = deferred();
        const reconnected = deferred();
        conn.onreconnecting((err) => reconnecting.resolve(err));
        conn.onreconnected((id) => reconnected.resolve(id));
        const call = conn.invoke('Echo', 'q'.repeat(40 * 1024));
        await assert.rejects(call);
        const err = await reconnecting.promise;
        assert.match(String(err), /Server returned an error on close: Connection closed with an error\./);
        assert.notEqual(await reconnected.promise, oldId);
        assert.equal(await conn.invoke('Echo', 'small'), 'small');
      } finally {
        await conn.stop();
      }
    });

    it('applies the size limit per message, not per frame, event or POST', async () => {
      // The client's send queue joins messages queued together into one
      // WebSocket frame or POST body: 100 x 1 KB, far over 32 KiB in all.
      const conn = await connect(hub('/interop/small'), m);
      try {
        const calls = range(100).map(() => conn.invoke('Length', 'k'.repeat(1024)));
        assert.deepEqual(await Promise.all(calls), range(100).map(() => 1024));
      } finally {
        await conn.stop();
      }
    });

    it('works with withStatefulReconnect (stateful on WebSockets only)', async () => {
      const conn = await connect(hub(), m, (b) => b.withStatefulReconnect());
      try {
        assert.equal(await conn.invoke('Echo', 'one'), 'one');
        const box = inbox(conn, 'Seq');
        assert.equal(await conn.invoke('Burst', 50), 50);
        assert.deepEqual(box.items.map(([i]) => i), range(50));
        // Long enough for Acks (every second) to flow both ways.
        await sleep(1500);
        assert.equal(await conn.invoke('Echo', 'two'), 'two');
      } finally {
        await conn.stop();
      }
    });

    it('is refused at negotiate (401) without a user on an authorized hub', async () => {
      const anon = new signalR.HubConnectionBuilder()
        .withUrl(hub('/interop/authorized'), { transport: signalR.HttpTransportType[m.transport] })
        .configureLogging(signalR.LogLevel.None)
        .build();
      await assert.rejects(anon.start(), (err) => {
        assert.match(err.message, /Status code '401'/);
        return true;
      });
      const conn = await connect(withQuery(hub('/interop/authorized'), { user: 'someone' }), m);
      try {
        assert.equal((await conn.invoke('WhoAmI')).user, 'someone');
      } finally {
        await conn.stop();
      }
    });
  });
}

for (const m of streaming) {
  describe(`timeouts over ${name(m)}`, () => {
    it('the client gives up on a server that sends nothing (serverTimeout)', async () => {
      // /interop/quiet pings once a minute; the client expects data every second.
      const conn = await connect(hub('/interop/quiet'), m, (b) => b.withServerTimeout(1000).withKeepAliveInterval(500));
      const err = await closed(conn);
      assert.match(String(err), /Server timeout elapsed without receiving a message from the server\./);
    });

    it('server pings keep an idle connection alive past the client serverTimeout', async () => {
      // /interop/hub pings every second; the client wants data every 2.5 s.
      const conn = await connect(hub(), m, (b) => b.withServerTimeout(2500).withKeepAliveInterval(1000));
      try {
        let closedWith = null;
        conn.onclose((err) => { closedWith = err ?? 'closed'; });
        await sleep(4000);
        assert.equal(closedWith, null);
        assert.equal(await conn.invoke('Echo', 'alive'), 'alive');
      } finally {
        await conn.stop();
      }
    });

    it('the server closes a client that stops pinging, allowing a reconnect', async () => {
      // /interop/strict times clients out after 1 s; this client only
      // sends its first ping and then nothing for a minute.
      const conn = await connect(hub('/interop/strict'), m,
        (b) => b.withKeepAliveInterval(60000).withAutomaticReconnect([0]));
      try {
        const reconnecting = deferred();
        conn.onreconnecting((err) => reconnecting.resolve(err));
        const err = await reconnecting.promise;
        assert.match(String(err), /Server returned an error on close: Connection closed with an error\./);
      } finally {
        await conn.stop();
      }
    });
  });
}

for (const m of matrix.filter((x) => x.transport === 'LongPolling')) {
  describe(`long polling idle over ${m.protocol}`, () => {
    it('survives polls timing out empty (PollTimeout 2 s) and still delivers', async () => {
      const conn = await connect(hub(), m);
      try {
        const box = inbox(conn, 'Receive');
        await sleep(5000);
        assert.equal(conn.state, signalR.HubConnectionState.Connected);
        await post('/interop/ctx/send', { to: 'client', name: conn.connectionId, msg: 'late' });
        assert.deepEqual((await box.waitCount(1))[0], ['ctx:client', 'late']);
      } finally {
        await conn.stop();
      }
    });
  });
}

describe('WebSockets without negotiate', () => {
  it('skipNegotiation connects straight to the WebSocket', async () => {
    const conn = new signalR.HubConnectionBuilder()
      .withUrl(hub(), { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
      .configureLogging(signalR.LogLevel.None)
      .build();
    await conn.start();
    try {
      const who = await conn.invoke('WhoAmI');
      assert.equal(who.transport, 'WebSockets');
      assert.ok(who.connectionId.length > 0);
      assert.equal(await conn.invoke('Echo', 'direct'), 'direct');
    } finally {
      await conn.stop();
    }
  });
});

describe('a dead server behind a live TCP path', () => {
  it('is noticed by the client serverTimeout, which then reconnects', async () => {
    const proxy = await startProxy(server.url);
    try {
      const conn = await connect(`${proxy.url}/interop/hub`, matrix[0],
        // /interop/hub pings every 1 to 1.5 s: 3 s without data means dead.
        (b) => b.withServerTimeout(3000).withKeepAliveInterval(500).withAutomaticReconnect([0, 200, 500]));
      try {
        const oldId = conn.connectionId;
        const reconnecting = deferred();
        const reconnected = deferred();
        conn.onreconnecting((err) => reconnecting.resolve(err));
        conn.onreconnected((id) => reconnected.resolve(id));
        // Only the WebSocket goes silent: a silenced pooled keep-alive
        // connection would stall the reconnect's negotiate for the
        // client's 100 s HTTP timeout.
        proxy.blackhole({ websocketsOnly: true });
        assert.match(String(await reconnecting.promise), /Server timeout elapsed/);
        assert.notEqual(await reconnected.promise, oldId);
        assert.equal(await conn.invoke('Echo', 'back'), 'back');
      } finally {
        await conn.stop();
      }
    } finally {
      await proxy.close();
    }
  });
});

for (const m of matrix.filter((x) => x.transport === 'WebSockets')) {
  describe(`stateful reconnect over ${name(m)}`, () => {
    it('survives WebSocket cuts without losing or repeating a message either way', async () => {
      const proxy = await startProxy(server.url);
      try {
        const conn = await connect(`${proxy.url}/interop/hub`, m, (b) => b.withStatefulReconnect());
        try {
          const id = conn.connectionId;
          let events = [];
          conn.onclose((err) => events.push(`close ${err}`));
          conn.onreconnecting((err) => events.push(`reconnecting ${err}`));
          const seqs = inbox(conn, 'Seq');
          const pushed = inbox(conn, 'Receive');
          const key = uniqueKey('stream');
          const streamed = [];
          const streamDone = deferred();
          conn.stream('Count', key, 300, 5).subscribe({
            next: (i) => streamed.push(i),
            complete: () => streamDone.resolve(),
            error: (err) => streamDone.reject(err),
          });
          await conn.invoke('Burst', 100);

          const sends = [];
          let next = 0;
          const sendSome = (n) => { for (let k = 0; k < n; k += 1) sends.push(conn.send('Record', next++)); };
          for (let cut = 0; cut < 3; cut += 1) {
            sendSome(100);
            proxy.sever();
            // Sent while the client is reconnecting: buffered, then replayed.
            sendSome(100);
            // Sent by the server while this client may be away.
            await post('/interop/ctx/send', { to: 'client', name: id, msg: `cut${cut}` });
            await sleep(300);
          }
          sendSome(100);
          await Promise.all(sends);
          await conn.invoke('Burst', 100);
          await streamDone.promise;

          // One WebSocket per cut plus the first: the client did resume.
          assert.equal(proxy.websockets, 4);
          assert.equal(conn.connectionId, id);
          assert.equal(conn.state, signalR.HubConnectionState.Connected);
          assert.deepEqual(events, []);
          assert.deepEqual(await conn.invoke('Recorded'), range(next));
          assert.deepEqual(seqs.items.map(([i]) => i), [...range(100), ...range(100)]);
          assert.deepEqual(streamed, range(300));
          await pushed.waitCount(3);
          assert.deepEqual(pushed.items, [['ctx:client', 'cut0'], ['ctx:client', 'cut1'], ['ctx:client', 'cut2']]);
          assert.equal(await conn.invoke('StreamState', key), 'completed');
          assert.deepEqual(await disconnected(id), { ended: false, error: '' });
        } finally {
          await conn.stop();
        }
      } finally {
        await proxy.close();
      }
    });

    it('does not resume a connection the hub aborted', async () => {
      const proxy = await startProxy(server.url);
      try {
        const conn = await connect(`${proxy.url}/interop/hub`, m,
          (b) => b.withStatefulReconnect().withAutomaticReconnect([0]));
        const id = conn.connectionId;
        let reconnecting = false;
        conn.onreconnecting(() => { reconnecting = true; });
        const onclose = closed(conn);
        conn.invoke('Abort').catch(() => {});
        assert.equal(await onclose, undefined);
        // The client may try its socket once more (a known client quirk);
        // the server must not take the connection back.
        await sleep(1000);
        assert.equal(reconnecting, false);
        assert.equal(conn.state, signalR.HubConnectionState.Disconnected);
        assert.deepEqual(await disconnected(id), { ended: true, error: '' });
      } finally {
        await proxy.close();
      }
    });

    it('the server times out a client that went silent, even though it could resume', async () => {
      const proxy = await startProxy(server.url);
      try {
        // /interop/strict-stateful: 2 s ClientTimeoutInterval.
        const conn = await connect(`${proxy.url}/interop/strict-stateful`, m,
          (b) => b.withStatefulReconnect().withServerTimeout(60000).withKeepAliveInterval(500));
        const id = conn.connectionId;
        // Let the client's first pings arrive: they arm the server's timer.
        await sleep(1000);
        proxy.blackhole();
        await waitFor(async () => (await disconnected(id)).ended, 15000, 'server-side client timeout');
        assert.deepEqual(await disconnected(id), {
          ended: true, error: "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.",
        });
        conn.stop().catch(() => {});
      } finally {
        await proxy.close();
      }
    });

    it('ends the server connection when the client cannot come back within DisconnectTimeout', async () => {
      const proxy = await startProxy(server.url);
      const conn = await connect(`${proxy.url}/interop/hub`, m, (b) => b.withStatefulReconnect());
      const id = conn.connectionId;
      const onclose = closed(conn);
      // Closing the proxy cuts the WebSocket and refuses the reconnect.
      await proxy.close();
      assert.ok((await onclose) instanceof Error);
      assert.deepEqual(await disconnected(id), { ended: false, error: '' });
      // DisconnectTimeout is 5 s on /interop/hub.
      await waitFor(async () => (await disconnected(id)).ended, 12000, 'server-side end of the connection');
      const d = await disconnected(id);
      assert.notEqual(d.error, '', 'the connection should end with an error');
    });
  });
}
