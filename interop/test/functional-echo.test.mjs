// The official client's ConnectionTests and WebSocketTests against the Go
// test server's raw /echo endpoint (cmd/testserver/functional_echo.go):
// the client's HttpConnection, without a hub protocol, on every transport,
// and a plain WebSocket without negotiate.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpConnection } from '@microsoft/signalr/dist/cjs/HttpConnection.js';
import WebSocket from 'ws';
import { startServer, signalR, deferred } from './lib.mjs';

let server;
let base;
before(async () => { server = await startServer(); base = server.url; });
after(async () => { await server?.stop(); });

// within rejects when p takes longer than ms, so that a missing echo
// fails the test instead of hanging the run.
function within(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

// memoryLogger records what the client logs, to check content logging.
function memoryLogger() {
  const lines = [];
  return { lines, log: (level, message) => { lines.push(message); } };
}

// echoOnce opens an HttpConnection to /echo, sends message and resolves
// with what comes back; the connection is stopped afterwards.
async function echoOnce(options, message) {
  const conn = new HttpConnection(`${base}/echo`, { logger: signalR.NullLogger.instance, ...options });
  const received = deferred();
  const closed = deferred();
  conn.onreceive = (data) => received.resolve(data);
  conn.onclose = (err) => closed.resolve(err);
  await conn.start(signalR.TransferFormat.Text);
  try {
    await conn.send(message);
    return await within(received.promise, 5000, 'echo');
  } finally {
    await conn.stop();
    assert.equal(await closed.promise, undefined, 'clean close');
  }
}

describe('raw /echo with HttpConnection', () => {
  it('echoes without an explicit transport', async () => {
    assert.equal(await echoOnce({}, 'Hello World!'), 'Hello World!');
  });

  for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
    it(`echoes over ${transport}`, async () => {
      const message = 'Hello World! 你好 ' + transport;
      assert.equal(await echoOnce({ transport: signalR.HttpTransportType[transport] }, message), message);
    });

    it(`does not log message content by default over ${transport}`, async () => {
      const logger = memoryLogger();
      const message = `secret-${transport}-${Math.random()}`;
      await echoOnce({ transport: signalR.HttpTransportType[transport], logger }, message);
      assert.equal(logger.lines.filter((l) => l.includes(message)).length, 0);
    });

    it(`logs message content when enabled over ${transport}`, async () => {
      const logger = memoryLogger();
      const message = `visible-${transport}-${Math.random()}`;
      await echoOnce({ transport: signalR.HttpTransportType[transport], logger, logMessageContent: true }, message);
      // One line for the send, one for the receive: the echo came back
      // whole, in one piece.
      assert.equal(logger.lines.filter((l) => l.includes(message)).length, 2, logger.lines.join('\n'));
    });
  }

  // Not over WebSockets: like ASP.NET Core's echo handler, the server
  // answers in text frames, which must hold UTF-8.
  for (const transport of ['LongPolling']) {
    it(`echoes every byte value in Binary format over ${transport}`, async () => {
      const conn = new HttpConnection(`${base}/echo`, { transport: signalR.HttpTransportType[transport], logger: signalR.NullLogger.instance });
      const received = deferred();
      conn.onreceive = (data) => received.resolve(data);
      await conn.start(signalR.TransferFormat.Binary);
      try {
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        await conn.send(bytes);
        const got = await within(received.promise, 5000, 'echo');
        assert.ok(got instanceof ArrayBuffer, `got ${Object.prototype.toString.call(got)}`);
        assert.deepEqual([...new Uint8Array(got)], [...bytes]);
      } finally { await conn.stop(); }
    });
  }

  it('refuses Binary format over Server-Sent Events', async () => {
    const conn = new HttpConnection(`${base}/echo`, { transport: signalR.HttpTransportType.ServerSentEvents, logger: signalR.NullLogger.instance });
    await assert.rejects(conn.start(signalR.TransferFormat.Binary));
  });

  it('keeps the order of many messages over Long Polling', async () => {
    const conn = new HttpConnection(`${base}/echo`, { transport: signalR.HttpTransportType.LongPolling, logger: signalR.NullLogger.instance });
    let got = '';
    const all = deferred();
    const want = Array.from({ length: 20 }, (_, i) => `m${i};`).join('');
    conn.onreceive = (data) => { got += data; if (got.length >= want.length) all.resolve(); };
    await conn.start(signalR.TransferFormat.Text);
    try {
      for (let i = 0; i < 20; i++) await conn.send(`m${i};`);
      await within(all.promise, 5000, 'all echoes');
      assert.equal(got, want);
    } finally { await conn.stop(); }
  });
});

describe('/echoredirect with HttpConnection', () => {
  // The 307 carries an absolute Location: the Node Server-Sent Events
  // transport cannot follow a path-only one.
  for (const transport of ['ServerSentEvents', 'LongPolling']) {
    it(`follows the redirect over ${transport}`, async () => {
      const conn = new HttpConnection(`${base}/echoredirect`, { transport: signalR.HttpTransportType[transport], logger: signalR.NullLogger.instance });
      const received = deferred();
      conn.onreceive = (data) => received.resolve(data);
      await conn.start(signalR.TransferFormat.Text);
      try {
        await conn.send('redirected');
        assert.equal(await within(received.promise, 5000, 'echo'), 'redirected');
      } finally { await conn.stop(); }
    });
  }
});

describe('raw /echo with a plain WebSocket', () => {
  it('echoes a text frame and answers the close with 1000', async () => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/echo`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const msg = deferred();
    ws.once('message', (data, isBinary) => msg.resolve({ text: data.toString(), isBinary }));
    ws.send('message');
    assert.deepEqual(await within(msg.promise, 5000, 'echo'), { text: 'message', isBinary: false });
    const closed = deferred();
    ws.once('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
    ws.close(1000);
    const { code } = await within(closed.promise, 5000, 'close');
    assert.equal(code, 1000);
  });

  it('answers a close frame without a status code with 1000', async () => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/echo`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const closed = deferred();
    ws.once('close', (code) => closed.resolve(code));
    ws.close(); // no code: an empty close frame
    assert.equal(await within(closed.promise, 5000, 'close'), 1000);
  });

  it('follows no redirect: /echoredirect answers the upgrade with a 307', async () => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/echoredirect`);
    const status = await new Promise((resolve) => {
      ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode); res.resume(); ws.terminate(); });
      ws.once('open', () => { resolve('open'); ws.close(); });
      ws.once('error', () => {});
    });
    assert.equal(status, 307);
  });
});
