// The official JavaScript client's functional suite (HubConnectionTests),
// re-written as node:test cases against the Go test server's /testhub and
// friends (cmd/testserver/functional*.go). Every transport × protocol
// combination runs the hub tests; transport-level and standalone tests
// follow. Raw /echo tests are in functional-echo.test.mjs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import msgpack from '@microsoft/signalr-protocol-msgpack';
import { startServer, matrix, signalR, deferred } from './lib.mjs';

const transports = ['WebSockets', 'ServerSentEvents', 'LongPolling'];

// build returns a started-or-not HubConnection for one combination, with
// the suite's logMessageContent on (content logging must not break
// anything) and logging otherwise silent.
function build(url, { transport, protocol = 'json' }, options = {}, configure = (b) => b) {
  let b = new signalR.HubConnectionBuilder()
    .withUrl(url, { transport: transport && signalR.HttpTransportType[transport], logMessageContent: true, ...options })
    .configureLogging(signalR.LogLevel.None);
  if (protocol === 'messagepack') b = b.withHubProtocol(new msgpack.MessagePackHubProtocol());
  return configure(b).build();
}

// closed resolves with the error a connection closes with.
function closed(conn) {
  const d = deferred();
  conn.onclose((err) => d.resolve(err));
  return d.promise;
}

// collect subscribes to a stream and resolves with its items, or rejects
// with its error.
function collect(stream) {
  const items = [];
  return new Promise((resolve, reject) => {
    stream.subscribe({ next: (i) => items.push(i), complete: () => resolve(items), error: reject });
  });
}

// within rejects when p takes longer than ms.
function within(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

// randomCase returns s with each letter's case flipped at random, to show
// that client method names are matched case-insensitively.
function randomCase(s) {
  return [...s].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
}

let server;
let base;
before(async () => { server = await startServer(); base = server.url; });
after(async () => { await server?.stop(); });

for (const combo of matrix) {
  const { transport, protocol } = combo;
  describe(`TestHub over ${transport} with ${protocol}`, () => {
    const hub = () => `${base}/testhub`;

    it('invokes Echo with a unicode string, then closes cleanly', async () => {
      const conn = build(hub(), combo);
      const done = closed(conn);
      await conn.start();
      assert.equal(await conn.invoke('Echo', '你好，世界！'), '你好，世界！');
      await conn.stop();
      assert.equal(await done, undefined);
    });

    it('echoes null, control characters and a 30 000-character string', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        assert.equal(await conn.invoke('Echo', null), null);
        // The record separator must be escaped in JSON, or framing breaks.
        const tricky = 'a\u001eb\u0000c\r\n"\\\u2028\u{1F600}';
        assert.equal(await conn.invoke('Echo', tricky), tricky);
        const big = 'x'.repeat(30000);
        assert.equal(await conn.invoke('Echo', big), big);
      } finally { await conn.stop(); }
    });

    it('answers 50 concurrent invocations, each with its own result', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        const want = Array.from({ length: 50 }, (_, i) => `m${i}`);
        assert.deepEqual(await Promise.all(want.map((m) => conn.invoke('Echo', m))), want);
      } finally { await conn.stop(); }
    });

    it('sends without waiting for a result', async () => {
      const conn = build(hub(), combo);
      const done = closed(conn);
      await conn.start();
      assert.equal(await conn.send('Echo', '你好，世界！'), undefined);
      // A following invoke proves the server kept the connection healthy.
      assert.equal(await conn.invoke('Echo', 'after'), 'after');
      await conn.stop();
      assert.equal(await done, undefined);
    });

    it('round-trips a structural object with PascalCase names', async () => {
      const conn = build(hub(), combo);
      const got = deferred();
      conn.on('CustomObject', (o) => got.resolve(o));
      await conn.start();
      try {
        await conn.send('SendCustomObject', { Name: 'test', Value: 42 });
        assert.deepEqual(await within(got.promise, 5000, 'CustomObject'), { Name: 'test', Value: 42 });
      } finally { await conn.stop(); }
    });

    it('streams a, b, c', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        assert.deepEqual(await collect(conn.stream('Stream')), ['a', 'b', 'c']);
        assert.deepEqual(await collect(conn.stream('EmptyStream')), []);
      } finally { await conn.stop(); }
    });

    it('cancels an infinite stream and hears StreamCanceled', async () => {
      const conn = build(hub(), combo);
      const canceled = deferred();
      conn.on('StreamCanceled', (...args) => canceled.resolve(args));
      await conn.start();
      try {
        const sub = conn.stream('InfiniteStream').subscribe({ next() {}, complete() {}, error() {} });
        // Give the StreamInvocation a head start over the CancelInvocation.
        await new Promise((r) => setTimeout(r, 50));
        sub.dispose();
        assert.deepEqual(await within(canceled.promise, 5000, 'StreamCanceled'), []);
        // The connection survives the cancellation.
        assert.equal(await conn.invoke('Echo', 'still here'), 'still here');
      } finally { await conn.stop(); }
    });

    it('rethrows a hub exception with its .NET type name', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        await assert.rejects(conn.invoke('ThrowException', 'An error occurred.'), {
          message: "An unexpected error occurred invoking 'ThrowException' on the server. InvalidOperationException: An error occurred.",
        });
      } finally { await conn.stop(); }
    });

    it('refuses invoke of a streaming method and stream of a plain one', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        await assert.rejects(conn.invoke('EmptyStream'), {
          message: "The client attempted to invoke the streaming 'EmptyStream' method with a non-streaming invocation.",
        });
        await assert.rejects(conn.invoke('Stream'), {
          message: "The client attempted to invoke the streaming 'Stream' method with a non-streaming invocation.",
        });
        await assert.rejects(collect(conn.stream('Echo', '42')), {
          message: "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
        });
      } finally { await conn.stop(); }
    });

    it('rethrows an exception thrown by a streaming method', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        await assert.rejects(collect(conn.stream('StreamThrowException', 'An error occurred.')), {
          message: "An unexpected error occurred invoking 'StreamThrowException' on the server. InvalidOperationException: An error occurred.",
        });
      } finally { await conn.stop(); }
    });

    it('receives server calls on a randomly-cased handler, also after a restart', async () => {
      const conn = build(hub(), combo);
      const got = [];
      let next = deferred();
      conn.on(randomCase('message'), (m) => { got.push(m); next.resolve(); });
      const message = '你好 SignalR！';
      for (let round = 0; round < 2; round++) {
        await conn.start();
        await conn.invoke(randomCase('InvokeWithString'), message);
        await within(next.promise, 5000, 'Message');
        next = deferred();
        await conn.stop();
      }
      assert.deepEqual(got, [message, message]);
    });

    it('can be restarted', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      const first = conn.connectionId;
      assert.equal(await conn.invoke('Echo', 'one'), 'one');
      await conn.stop();
      assert.equal(conn.connectionId, null);
      await conn.start();
      assert.notEqual(conn.connectionId, first);
      assert.equal(await conn.invoke('Echo', 'two'), 'two');
      await conn.stop();
    });

    it('echoes a complex object', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        const sent = {
          ByteArray: protocol === 'json' ? 'aGVsbG8=' : new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]),
          DateTime: new Date(Date.UTC(2002, 3, 1, 10, 20, 15)),
          Guid: '00010203-0405-0607-0706-050403020100',
          IntArray: [1, 2, 3, 255],
          String: 'Hello, World!',
        };
        const got = await conn.invoke('EchoComplexObject', sent);
        assert.deepEqual(Object.keys(got).sort(), ['ByteArray', 'DateTime', 'Guid', 'IntArray', 'String']);
        assert.equal(got.Guid, sent.Guid);
        assert.deepEqual(got.IntArray, sent.IntArray);
        assert.equal(got.String, sent.String);
        if (protocol === 'json') {
          assert.equal(got.ByteArray, 'aGVsbG8=');
          assert.equal(got.DateTime, '2002-04-01T10:20:15Z');
        } else {
          assert.ok(got.ByteArray instanceof Uint8Array, 'ByteArray is bin');
          assert.deepEqual([...got.ByteArray], [0x68, 0x65, 0x6c, 0x6c, 0x6f]);
          assert.ok(got.DateTime instanceof Date, 'DateTime is a timestamp');
          assert.equal(got.DateTime.getTime(), sent.DateTime.getTime());
        }
      } finally { await conn.stop(); }
    });

    it('receives a complex object', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        const got = await conn.invoke('SendComplexObject');
        assert.equal(got.Guid, '00010203-0405-0607-0706-050403020100');
        assert.deepEqual(got.IntArray, [1, 2, 3]);
        assert.equal(got.String, 'hello world');
        if (protocol === 'json') {
          assert.deepEqual(got, {
            ByteArray: 'AQID', DateTime: '2000-01-01T00:00:00Z',
            Guid: '00010203-0405-0607-0706-050403020100', IntArray: [1, 2, 3], String: 'hello world',
          });
        } else {
          assert.ok(got.ByteArray instanceof Uint8Array);
          assert.deepEqual([...got.ByteArray], [1, 2, 3]);
          assert.ok(got.DateTime instanceof Date);
          assert.equal(got.DateTime.getTime(), Date.UTC(2000, 0, 1));
        }
      } finally { await conn.stop(); }
    });

    it('uploads a client stream to StreamingConcat', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        const subject = new signalR.Subject();
        const result = conn.invoke('StreamingConcat', subject);
        for (const s of ['Hello ', 'world', '!']) subject.next(s);
        subject.complete();
        assert.equal(await result, 'Hello world!');
      } finally { await conn.stop(); }
    });

    it('reports an upload completed with an error as a HubException', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      try {
        const subject = new signalR.Subject();
        const result = conn.invoke('StreamingConcat', subject);
        subject.next('Hello ');
        subject.error(new Error('Something bad'));
        await assert.rejects(result, {
          message: "An unexpected error occurred invoking 'StreamingConcat' on the server. HubException: Something bad",
        });
        assert.equal(await conn.invoke('Echo', 'ok'), 'ok');
      } finally { await conn.stop(); }
    });

    it('returns client results to the hub context', async () => {
      const conn = build(hub(), combo);
      await conn.start();
      const result = async () => (await fetch(`${base}/clientresult/${conn.connectionId}`)).text();
      try {
        assert.equal(await result(), "Client didn't provide a result.");
        conn.on('Result', () => 10);
        assert.equal(await result(), '10');
        conn.off('Result');
        conn.on('Result', () => { throw new Error('from callback'); });
        assert.equal(await result(), 'Error: from callback');
      } finally { await conn.stop(); }
    });
  });
}

for (const transport of transports) {
  describe(`TestHub transport features over ${transport}`, () => {
    const token = async () => (await fetch(`${base}/generateJwtToken`)).text();

    it('connects with a synchronous access token factory', async () => {
      const jwt = await token();
      const conn = build(`${base}/authorizedhub`, { transport }, { accessTokenFactory: () => jwt });
      await conn.start();
      try {
        assert.equal(await conn.invoke('Echo', 'secret'), 'secret');
      } finally { await conn.stop(); }
    });

    it('connects with an asynchronous access token factory', async () => {
      let calls = 0;
      const conn = build(`${base}/authorizedhub`, { transport }, { accessTokenFactory: () => { calls++; return token(); } });
      await conn.start();
      try {
        assert.equal(await conn.invoke('Echo', 'secret'), 'secret');
        assert.ok(calls >= 1);
      } finally { await conn.stop(); }
    });

    it('rejects start without a token with the 401 text', async () => {
      const conn = build(`${base}/authorizedhub`, { transport });
      await assert.rejects(conn.start(), {
        message: "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'",
      });
    });

    it('rejects a forged token', async () => {
      const jwt = await token();
      const [h, claims] = jwt.split('.');
      const forged = `${h}.${claims}.${Buffer.from('not the signature').toString('base64url')}`;
      const conn = build(`${base}/authorizedhub`, { transport }, { accessTokenFactory: () => forged });
      await assert.rejects(conn.start(), { message: /Status code '401'/ });
    });

    if (transport !== 'LongPolling') {
      it('closes on server timeout', async () => {
        const conn = build(`${base}/testhub`, { transport });
        const done = closed(conn);
        await conn.start();
        conn.serverTimeoutInMilliseconds = 1;
        conn.invoke('Echo', '').catch(() => {});
        const err = await within(done, 5000, 'close');
        assert.equal(err?.message, 'Server timeout elapsed without receiving a message from the server.');
      });
    }

    it('sends negotiate cookies back but not the expired one', async () => {
      const conn = build(`${base}/testhub`, { transport });
      await conn.start();
      try {
        assert.equal(await conn.invoke('GetCookie', 'expiredCookie'), null);
        // Not in the official suite over plain HTTP: the client's cookie
        // jar should still carry the live cookies to the transport request.
        assert.equal(await conn.invoke('GetCookie', 'testCookie'), 'testValue');
        assert.equal(await conn.invoke('GetCookie', 'testCookie2'), 'testValue2');
      } finally { await conn.stop(); }
    });

    it('reconnects automatically with a new connection id', async () => {
      const conn = build(`${base}/testhub`, { transport }, {}, (b) => b.withAutomaticReconnect([0]));
      await conn.start();
      try {
        const first = conn.connectionId;
        const reconnected = deferred();
        conn.onreconnected((id) => reconnected.resolve(id));
        conn.serverTimeout(); // the client-internal way the suite forces a reconnect
        const id = await within(reconnected.promise, 10000, 'reconnected');
        assert.equal(id, conn.connectionId);
        assert.notEqual(id, first);
        assert.equal(await conn.invoke('Echo', 'test'), 'test');
        assert.equal(await conn.invoke('GetCallerConnectionId'), id);
      } finally { await conn.stop(); }
    });

    it('reports its transport name', async () => {
      const conn = build(`${base}/testhub`, { transport });
      await conn.start();
      try {
        assert.equal(await conn.invoke('GetActiveTransportName'), transport);
      } finally { await conn.stop(); }
    });

    it('sends the Node user agent header', async () => {
      const conn = build(`${base}/testhub`, { transport });
      await conn.start();
      try {
        const ua = await conn.invoke('GetHeader', 'User-Agent');
        assert.match(ua, /^Microsoft SignalR\/\d+\.\d+ \(/);
        assert.equal(await conn.invoke('GetHeader', 'X-Not-Sent'), null);
      } finally { await conn.stop(); }
    });

    it('lets user headers override the library headers', async () => {
      const conn = build(`${base}/testhub`, { transport }, { headers: { 'User-Agent': 'Custom Agent', 'X-HEADER': 'VALUE' } });
      await conn.start();
      try {
        assert.equal(await conn.invoke('GetHeader', 'X-HEADER'), 'VALUE');
        assert.equal(await conn.invoke('GetHeader', 'User-Agent'), 'Custom Agent');
      } finally { await conn.stop(); }
    });
  });
}

describe('TestHub standalone', () => {
  it('reconnects after a negotiate redirect with a fresh redirect count', async () => {
    const url = `${base}/redirect?numRedirects=0&baseUrl=${encodeURIComponent(base)}`;
    const conn = build(url, {}, {}, (b) => b.withAutomaticReconnect([0]));
    await conn.start();
    const first = await conn.invoke('GetNumRedirects');
    assert.ok(first >= 1);
    assert.equal(conn.connectionId, await conn.invoke('GetCallerConnectionId'));
    const reconnected = deferred();
    conn.onreconnected((id) => reconnected.resolve(id));
    conn.serverTimeout();
    const id = await within(reconnected.promise, 10000, 'reconnected');
    assert.ok(await conn.invoke('GetNumRedirects') > first);
    assert.equal(id, await conn.invoke('GetCallerConnectionId'));
    assert.equal(conn.connectionId, id);
    await conn.stop();
    assert.equal(conn.connectionId, null);
  });

  it('connects and reconnects with skipNegotiation over WebSockets', async () => {
    const conn = build(`${base}/testhub`, { transport: 'WebSockets' }, { skipNegotiation: true },
      (b) => b.withAutomaticReconnect([0]));
    await conn.start();
    try {
      assert.equal(conn.connectionId, null);
      assert.equal(await conn.invoke('Echo', 'skip'), 'skip');
      const reconnected = deferred();
      conn.onreconnected((id) => reconnected.resolve(id));
      conn.serverTimeout();
      assert.equal(await within(reconnected.promise, 10000, 'reconnected'), undefined);
      assert.equal(conn.connectionId, null);
      assert.equal(await conn.invoke('Echo', 'again'), 'again');
    } finally { await conn.stop(); }
  });

  it('skips Server-Sent Events for MessagePack on /testhub-nowebsockets', async () => {
    const conn = build(`${base}/testhub-nowebsockets`, { protocol: 'messagepack' });
    await conn.start();
    try {
      assert.equal(await conn.invoke('GetActiveTransportName'), 'LongPolling');
    } finally { await conn.stop(); }
  });

  it('uses Server-Sent Events for JSON on /testhub-nowebsockets', async () => {
    // Node has no global EventSource: without a forced transport the
    // client still tries SSE through its polyfill; do both.
    for (const transport of [undefined, 'ServerSentEvents']) {
      const conn = build(`${base}/testhub-nowebsockets`, { transport });
      await conn.start();
      try {
        assert.equal(await conn.invoke('GetActiveTransportName'), 'ServerSentEvents');
      } finally { await conn.stop(); }
    }
  });

  it('refuses MessagePack over Server-Sent Events', async () => {
    const conn = build(`${base}/testhub`, { transport: 'ServerSentEvents', protocol: 'messagepack' });
    await assert.rejects(conn.start(), /'ServerSentEvents' does not support Binary|Unable to connect/);
  });

  it('refuses WebSockets on /testhub-nowebsockets', async () => {
    const conn = build(`${base}/testhub-nowebsockets`, { transport: 'WebSockets' });
    await assert.rejects(conn.start());
  });

  it('stops a Long Polling connection promptly during an outstanding poll', async () => {
    const conn = build(`${base}/testhub`, { transport: 'LongPolling' });
    await conn.start();
    assert.equal(await conn.invoke('Echo', 'x'), 'x');
    await new Promise((r) => setTimeout(r, 200)); // a poll is now pending
    const t0 = Date.now();
    await within(conn.stop(), 5000, 'stop');
    assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
  });

  it('matches hub paths case-insensitively', async () => {
    const conn = build(`${base}/TestHub`, { transport: 'WebSockets' });
    await conn.start();
    try {
      assert.equal(await conn.invoke('echo', 'case'), 'case');
    } finally { await conn.stop(); }
  });

  it('fails connections to the uncreatable hub with the activation error', async () => {
    const conn = build(`${base}/uncreatable`, { transport: 'WebSockets' });
    const done = closed(conn);
    const text = "Server returned an error on close: Connection closed with an error. InvalidOperationException: Unable to resolve service for type 'System.Object' while attempting to activate 'FunctionalTests.UncreatableHub'.";
    try {
      await conn.start();
    } catch (err) {
      assert.equal(err.message, text);
      return;
    }
    assert.equal((await within(done, 5000, 'close'))?.message, text);
  });

  it('reports the body of a failed negotiate', async () => {
    const conn = build(`${base}/bad-negotiate`, {});
    await assert.rejects(conn.start(), {
      message: "Failed to complete negotiation with the server: Error: Some response from server: Status code '400'",
    });
  });
});

// Error texts that must match ASP.NET Core's.
describe('error texts shared with ASP.NET Core', () => {
  it('reports an unknown method as a binding failure', async () => {
    // .NET's protocols ask the binder for the parameter types, which
    // throws HubException("Method does not exist.") for an unknown target.
    const conn = build(`${base}/testhub`, { transport: 'WebSockets' });
    await conn.start();
    try {
      await assert.rejects(conn.invoke('NoSuchMethod', 1), {
        message: "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.",
      });
      assert.equal(await conn.invoke('Echo', 'still alive'), 'still alive');
    } finally { await conn.stop(); }
  });

  for (const protocol of ['json', 'messagepack']) {
    it(`closes on an oversized ${protocol} message with an InvalidDataException text`, async () => {
      const conn = build(`${base}/testhub`, { transport: 'WebSockets', protocol });
      const done = closed(conn);
      await conn.start();
      conn.invoke('Echo', 'x'.repeat(40000)).catch(() => {});
      const err = await within(done, 5000, 'close');
      // ASP.NET Core names its own option (AddHubOptions); the rest is the same.
      assert.equal(err?.message, 'Server returned an error on close: Connection closed with an error. '
        + 'InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in Options.MaximumReceiveMessageSize.');
    });
  }
});

describe('functional server middleware', () => {
  it('answers preflights with 204 and echoes the origin', async () => {
    const res = await fetch(`${base}/testhub/negotiate`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-requested-with' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://example.test');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
    assert.equal(res.headers.get('access-control-allow-headers'), 'x-requested-with');
  });

  it('sets the test cookies on negotiate, one expired', async () => {
    const res = await fetch(`${base}/testhub/negotiate?negotiateVersion=1`, {
      method: 'POST', headers: { Origin: 'http://example.test' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://example.test');
    const cookies = res.headers.getSetCookie();
    assert.ok(cookies.some((c) => c.startsWith('testCookie=testValue')), cookies.join(' | '));
    assert.ok(cookies.some((c) => c.startsWith('testCookie2=testValue2')));
    const expired = cookies.find((c) => c.startsWith('expiredCookie='));
    assert.ok(expired && new Date(/Expires=([^;]+)/i.exec(expired)[1]) < new Date(), expired);
    const body = await res.json();
    assert.equal(body.negotiateVersion, 1);
    assert.deepEqual(body.availableTransports.map((t) => t.transport), ['WebSockets', 'ServerSentEvents', 'LongPolling']);
  });

  it('redirects /echoredirect to /echo with a 307, query kept', async () => {
    const res = await fetch(`${base}/echoredirect/negotiate?negotiateVersion=1&x=y`, { method: 'POST', redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(new URL(res.headers.get('location'), base).pathname + new URL(res.headers.get('location'), base).search,
      '/echo/negotiate?negotiateVersion=1&x=y');
  });

  it('issues tokens the authorized hub accepts in the Authorization header', async () => {
    const jwt = await (await fetch(`${base}/generateJwtToken`)).text();
    const ok = await fetch(`${base}/authorizedhub/negotiate?negotiateVersion=1`, {
      method: 'POST', headers: { Authorization: `Bearer ${jwt}` },
    });
    assert.equal(ok.status, 200);
    const none = await fetch(`${base}/authorizedhub/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(none.status, 401);
    assert.equal(none.statusText, 'Unauthorized');
  });

  it('reports an unknown connection on /clientresult', async () => {
    const res = await fetch(`${base}/clientresult/no-such-connection`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /not found/);
  });
});

