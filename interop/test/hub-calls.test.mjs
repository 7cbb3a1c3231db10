// Hub method calls through the official client on every transport and
// protocol: streams both ways with cancellation, client results, error
// texts (generic, detailed, HubError), binding failures, unknown methods,
// authorization, filters and the order of 1000 invocations. The Go hub is
// cmd/testserver/interop*.go.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, connect, matrix, deferred, waitFor, withQuery, uniqueKey, sleep, signalR,
} from './lib.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const hub = (path = '/interop/hub', params = {}) => withQuery(`${server.url}${path}`, params);
const name = (m) => `${m.transport} ${m.protocol}`;
const range = (n) => Array.from({ length: n }, (_, i) => i);

// collect subscribes to a stream and resolves with its items when it
// completes; an error rejects with the items attached.
function collect(stream) {
  const items = [];
  const done = deferred();
  const subscription = stream.subscribe({
    next: (i) => items.push(i),
    complete: () => done.resolve(items),
    error: (err) => { err.items = items; done.reject(err); },
  });
  return { items, done: done.promise, subscription };
}

// rejectsWith asserts that p rejects with exactly the message text.
async function rejectsWith(p, text) {
  await assert.rejects(p, (err) => {
    assert.equal(err.message, text);
    return true;
  });
}

// withConn runs fn with a connection to path, then stops it.
async function withConn(m, fn, path = '/interop/hub', params = {}) {
  const conn = await connect(hub(path, params), m);
  try {
    return await fn(conn);
  } finally {
    await conn.stop();
  }
}

// streamState asks the server how the stream recorded under key ended.
async function streamState(key) {
  return withConn(matrix[0], (probe) => probe.invoke('StreamState', key));
}

const invokeError = (method) => `An unexpected error occurred invoking '${method}' on the server.`;
const bindError = (method) => `Failed to invoke '${method}' due to an error on the server.`;

for (const m of matrix) {
  describe(`values over ${name(m)}`, () => {
    it('round-trip through Go types with the protocol\'s encoding', async () => {
      await withConn(m, async (conn) => {
        const nested = {
          nil: null, yes: true, no: false, list: [1, -2, 3.5, 'x', null, [], {}],
          text: { s: 'ü☃𝄞' }, big: 2 ** 40, neg: -(2 ** 40), frac: 0.1,
          max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, u32: 4294967295, i32: -2147483648,
        };
        assert.deepEqual(await conn.invoke('EchoAny', nested), nested);
        const scalars = [null, true, false, 0, -1, 1.5, '', 'x', 127, 128, 255, 256, 65536, -33, -129, -32769, 1e300];
        assert.deepEqual(await Promise.all(scalars.map((v) => conn.invoke('EchoAny', v))), scalars);
        assert.deepEqual(await conn.invoke('EchoMap', { a: 1, b: -2 }), { a: 1, b: -2 });
        assert.equal(await conn.invoke('EchoNullable', null), null);
        assert.equal(await conn.invoke('EchoNullable', 'v'), 'v');
        // Unknown fields are ignored, missing ones left zero.
        assert.deepEqual(await conn.invoke('EchoPoint', { x: 1, y: 2, name: 'n', extra: 5 }), { x: 1, y: 2, name: 'n' });
        assert.deepEqual(await conn.invoke('EchoPoint', { x: 1 }), { x: 1, y: 0, name: '' });
        const when = new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789));
        const back = await conn.invoke('EchoTime', when);
        if (m.protocol === 'messagepack') {
          // The MessagePack timestamp extension, as .NET's DateTime.
          assert.ok(back instanceof Date, `got ${back}`);
          assert.equal(back.getTime(), when.getTime());
        } else {
          assert.equal(back, when.toISOString());
        }
        if (m.protocol === 'messagepack') {
          assert.deepEqual(await conn.invoke('EchoBytes', new Uint8Array([1, 2, 3])), new Uint8Array([1, 2, 3]));
        } else {
          // JSON carries bytes as base64, as .NET does.
          assert.equal(await conn.invoke('EchoBytes', 'AQID'), 'AQID');
        }
      });
    });
  });

  describe(`streams over ${name(m)}`, () => {
    it('server-to-client streams complete with every item in order', async () => {
      await withConn(m, async (conn) => {
        assert.deepEqual(await collect(conn.stream('Range', 500)).done, range(500));
        assert.deepEqual(await collect(conn.stream('Range', 0)).done, []);
        const key = uniqueKey('count');
        assert.deepEqual(await collect(conn.stream('Count', key, 20, 0)).done, range(20));
        assert.equal(await conn.invoke('StreamState', key), 'completed');
      });
    });

    it('cancelling a server-to-client stream stops it on the server', async () => {
      await withConn(m, async (conn) => {
        const key = uniqueKey('cancel');
        const s = collect(conn.stream('Count', key, 100000, 10));
        await waitFor(() => s.items.length >= 3, 10000, 'three stream items');
        s.subscription.dispose();
        await waitFor(async () => (await conn.invoke('StreamState', key)) === 'cancelled', 5000, 'server-side cancellation');
        assert.deepEqual(s.items, range(s.items.length));
        // The connection goes on.
        assert.equal(await conn.invoke('Echo', 'after'), 'after');
      });
    });

    it('a failing stream ends with the generic or HubError text', async () => {
      await withConn(m, async (conn) => {
        const plain = collect(conn.stream('FailAfter', 2, false));
        await assert.rejects(plain.done, (err) => {
          assert.equal(err.message, 'An error occurred on the server while streaming results.');
          assert.deepEqual(err.items, [0, 1]);
          return true;
        });
        const hubErr = collect(conn.stream('FailAfter', 1, true));
        await assert.rejects(hubErr.done, (err) => {
          assert.equal(err.message, 'An error occurred on the server while streaming results. HubException: stream broke');
          assert.deepEqual(err.items, [0]);
          return true;
        });
      });
    });

    it('client-to-server streams deliver every item, several at once', async () => {
      await withConn(m, async (conn) => {
        const key = uniqueKey('sum');
        const nums = new signalR.Subject();
        const words = new signalR.Subject();
        const sum = conn.invoke('Sum', key, nums);
        const joined = conn.invoke('Collect', words);
        for (let i = 1; i <= 100; i += 1) {
          nums.next(i);
          words.next(`w${i}`);
        }
        nums.complete();
        words.complete();
        assert.equal(await sum, 5050);
        assert.deepEqual(await joined, range(100).map((i) => `w${i + 1}`));
        assert.equal(await conn.invoke('StreamState', key), 'completed');
        // An empty upload.
        const none = new signalR.Subject();
        const empty = conn.invoke('Collect', none);
        none.complete();
        assert.deepEqual(await empty, []);
      });
    });

    it('a client stream ended with an error fails the call with its text', async () => {
      await withConn(m, async (conn) => {
        const nums = new signalR.Subject();
        const sum = conn.invoke('Sum', uniqueKey('err'), nums);
        nums.next(1);
        nums.error(new Error('client broke'));
        await rejectsWith(sum, `${invokeError('Sum')} HubException: client broke`);
        assert.equal(await conn.invoke('Echo', 'after'), 'after');
      });
    });

    it('stopping the connection cancels a running client-to-server stream', async () => {
      const key = uniqueKey('upload');
      const conn = await connect(hub(), m);
      const nums = new signalR.Subject();
      const sum = conn.invoke('Sum', key, nums);
      sum.catch(() => {});
      nums.next(1);
      await waitFor(async () => (await streamState(key)) === 'running', 5000, 'upload running');
      await conn.stop();
      await waitFor(async () => (await streamState(key)) === 'cancelled', 5000, 'server-side cancellation');
    });

    it('duplex streams: items in, items out, and cancellation', async () => {
      await withConn(m, async (conn) => {
        const key = uniqueKey('duplex');
        const input = new signalR.Subject();
        const out = collect(conn.stream('Double', key, input));
        for (const n of [1, 2, 3]) input.next(n);
        input.complete();
        assert.deepEqual(await out.done, [2, 4, 6]);
        assert.equal(await conn.invoke('StreamState', key), 'completed');

        const key2 = uniqueKey('duplex-cancel');
        const input2 = new signalR.Subject();
        const out2 = collect(conn.stream('Double', key2, input2));
        input2.next(21);
        await waitFor(() => out2.items.length === 1, 5000, 'the first doubled item');
        assert.deepEqual(out2.items, [42]);
        out2.subscription.dispose();
        await waitFor(async () => (await conn.invoke('StreamState', key2)) === 'cancelled', 5000, 'server-side cancellation');
      });
    });

    it('calling a stream as a plain method, or the reverse, fails with the exact text', async () => {
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('Range', 3),
          "The client attempted to invoke the streaming 'Range' method with a non-streaming invocation.");
        await rejectsWith(collect(conn.stream('Echo', 'x')).done,
          "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.");
      });
    });
  });

  describe(`client results over ${name(m)}`, () => {
    it('a hub method gets its caller\'s result: value, async value, error, no handler', async () => {
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('AskCaller', 'q'), `${invokeError('AskCaller')} HubException: Client didn't provide a result.`);
        conn.on('Ask', (q) => q.length);
        assert.equal(await conn.invoke('AskCaller', 'four'), 4);
        conn.off('Ask');
        conn.on('Ask', async (q) => { await sleep(50); return q.length * 10; });
        assert.equal(await conn.invoke('AskCaller', 'abc'), 30);
        conn.off('Ask');
        conn.on('Ask', () => { throw new Error('nope'); });
        await rejectsWith(conn.invoke('AskCaller', 'q'), `${invokeError('AskCaller')} HubException: Error: nope`);
        conn.off('Ask');
        // A result of the wrong type does not decode into the Go int.
        conn.on('Ask', () => 'not a number');
        await assert.rejects(conn.invoke('AskCaller', 'q'), (err) => err.message.startsWith(invokeError('AskCaller')));
        assert.equal(await conn.invoke('Echo', 'after'), 'after');
      });
    });

    it('one client asks another, and the hub context asks from outside', async () => {
      await withConn(m, async (asker) => {
        await withConn(matrix[(matrix.indexOf(m) + 1) % matrix.length], async (answerer) => {
          answerer.on('Ask', (q) => Number(q) + 1);
          assert.equal(await asker.invoke('AskClient', answerer.connectionId, '41'), 42);
          const res = await fetch(withQuery(`${server.url}/interop/ctx/ask`, { id: answerer.connectionId, q: '99' }));
          assert.equal(res.status, 200);
          assert.equal(await res.json(), 100);
          answerer.off('Ask');
          answerer.on('Ask', () => { throw new Error('refused'); });
          const bad = await fetch(withQuery(`${server.url}/interop/ctx/ask`, { id: answerer.connectionId, q: '1' }));
          assert.equal(bad.status, 502);
          assert.equal((await bad.text()).trim(), 'Error: refused');
        });
      });
    });
  });

  describe(`errors over ${name(m)}`, () => {
    it('generic texts hide the error; HubError texts are always shown', async () => {
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('Fail', 'secret'), invokeError('Fail'));
        await rejectsWith(conn.invoke('FailNamed', 'secret'), invokeError('FailNamed'));
        await rejectsWith(conn.invoke('Panic', 'boom'), invokeError('Panic'));
        await rejectsWith(conn.invoke('FailHub', 'shown'), `${invokeError('FailHub')} HubException: shown`);
        await rejectsWith(conn.invoke('FailHubTyped', 'shown'), `${invokeError('FailHubTyped')} ArgumentException: shown`);
        assert.equal(await conn.invoke('Echo', 'still here'), 'still here');
      });
    });

    it('detailed errors add the type and message', async () => {
      await withConn(m, async (conn) => {
        await assert.rejects(conn.invoke('Fail', 'secret'), (err) => {
          assert.ok(err.message.startsWith(`${invokeError('Fail')} `), err.message);
          assert.ok(err.message.endsWith(': secret'), err.message);
          return true;
        });
        await rejectsWith(conn.invoke('FailNamed', 'secret'), `${invokeError('FailNamed')} InvalidOperationException: secret`);
        await rejectsWith(conn.invoke('Panic', 'boom'), `${invokeError('Panic')} panic: boom`);
        await rejectsWith(conn.invoke('FailHub', 'shown'), `${invokeError('FailHub')} HubException: shown`);
        await rejectsWith(conn.invoke('Echo'),
          `${bindError('Echo')} InvalidDataException: Invocation provides 0 argument(s) but target expects 1.`);
      }, '/interop/detailed');
    });

    it('wrong argument count or type fails the call and the connection goes on', async () => {
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('Echo'), bindError('Echo'));
        await rejectsWith(conn.invoke('Echo', 'a', 'b'), bindError('Echo'));
        await rejectsWith(conn.invoke('Echo', 5), bindError('Echo'));
        await rejectsWith(conn.invoke('Add', 'x', 1), bindError('Add'));
        await rejectsWith(conn.invoke('EchoPoint', 'not a point'), bindError('EchoPoint'));
        // Fire-and-forget calls fail silently.
        await conn.send('Echo', 1, 2, 3);
        await conn.send('Fail', 'quiet');
        assert.equal(await conn.invoke('Add', 1, 2), 3);
      });
    });

    it('unknown methods fail with their name; names match case-insensitively', async () => {
      // ASP.NET Core's current text (older servers sent "Unknown hub method 'X'").
      const unknown = (method) => `${bindError(method)} HubException: Method does not exist.`;
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('NoSuchMethod', 1), unknown('NoSuchMethod'));
        await rejectsWith(collect(conn.stream('NoSuchStream')).done, unknown('NoSuchStream'));
        assert.equal(await conn.invoke('eCHO', 'case'), 'case');
      });
    });
  });

  describe(`authorization and filters over ${name(m)}`, () => {
    it('a method policy refuses other users with the exact text', async () => {
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('AdminOnly'), "Failed to invoke 'AdminOnly' because user is unauthorized");
        assert.equal(await conn.invoke('Echo', 'ok'), 'ok');
      }, '/interop/hub', { user: 'mallory' });
      await withConn(m, async (conn) => {
        await rejectsWith(conn.invoke('AdminOnly'), "Failed to invoke 'AdminOnly' because user is unauthorized");
      });
      await withConn(m, async (conn) => {
        assert.equal(await conn.invoke('AdminOnly'), 'hello admin');
      }, '/interop/hub', { user: 'admin' });
    });

    it('an invocation filter records, refuses and rewrites calls', async () => {
      await withConn(m, async (conn) => {
        assert.equal(await conn.invoke('Guarded', 'fine'), 'fine');
        await rejectsWith(conn.invoke('Guarded', 'deny'), `${invokeError('Guarded')} HubException: denied by filter`);
        assert.equal(await conn.invoke('Decorated', 'x'), 'x (filtered)');
        // Refused calls (unknown, unauthorized, unbindable) never reach filters.
        await assert.rejects(conn.invoke('NoSuchMethod'));
        await assert.rejects(conn.invoke('Echo'));
        assert.deepEqual(await conn.invoke('Calls'), ['Guarded', 'Guarded', 'Decorated', 'Calls']);
      });
    });

    it('a connect filter refusing a user closes the connection with its HubError text', async () => {
      const conn = new signalR.HubConnectionBuilder()
        .withUrl(hub('/interop/hub', { user: 'blocked' }), { transport: signalR.HttpTransportType[m.transport] })
        .withHubProtocol(m.protocol === 'messagepack'
          ? new (await import('@microsoft/signalr-protocol-msgpack')).default.MessagePackHubProtocol()
          : new signalR.JsonHubProtocol())
        .configureLogging(signalR.LogLevel.None)
        .build();
      const onclose = deferred();
      conn.onclose((err) => onclose.resolve(err));
      const text = 'Server returned an error on close: Connection closed with an error. HubException: blocked user';
      // The Close may arrive before or after start() resolves.
      try {
        await conn.start();
        assert.equal((await onclose.promise)?.message, text);
      } catch (err) {
        assert.equal(err.message, text);
      }
      assert.equal(conn.state, signalR.HubConnectionState.Disconnected);
    });
  });

  describe(`invocation order over ${name(m)}`, () => {
    it('1000 invocations sent at once complete in order', async () => {
      await withConn(m, async (conn) => {
        const calls = range(1000).map((i) => conn.invoke('Next', i));
        assert.deepEqual(await Promise.all(calls), range(1000));
      });
    });
  });
}
