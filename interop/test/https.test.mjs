// The official client over HTTPS: cmd/testserver -tls serves the suite's
// endpoints with a self-signed certificate made at start, which this file
// (a process of its own under node --test) tells Node not to verify.
// Invocations, the negotiate cookies and the /echoredirect redirect are
// checked on every transport, as the suite's HTTPS tests do.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpConnection } from '@microsoft/signalr/dist/cjs/HttpConnection.js';
import { startServer, matrix, connect, signalR, deferred } from './lib.mjs';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
process.removeAllListeners('warning'); // Node warns once about the line above

let server;
let base;
before(async () => { server = await startServer(['-tls']); base = server.url; });
after(async () => { await server?.stop(); });

function within(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

describe('over HTTPS', () => {
  it('serves https', () => {
    assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  for (const combo of matrix) {
    describe(`${combo.transport} ${combo.protocol}`, () => {
      it('invokes and gets the negotiate cookies back, but not the expired one', async () => {
        const conn = await connect(`${base}/testhub`, combo);
        try {
          assert.equal(conn.connection.transport.constructor.name, {
            WebSockets: 'WebSocketTransport', ServerSentEvents: 'ServerSentEventsTransport', LongPolling: 'LongPollingTransport',
          }[combo.transport]);
          assert.equal(await conn.invoke('Echo', 'over TLS ✓'), 'over TLS ✓');
          assert.equal(await conn.invoke('GetCookie', 'testCookie'), 'testValue');
          assert.equal(await conn.invoke('GetCookie', 'testCookie2'), 'testValue2');
          assert.equal(await conn.invoke('GetCookie', 'expiredCookie'), null);
        } finally { await conn.stop(); }
      });
    });
  }

  // The 307 of /echoredirect carries an absolute https Location, which
  // the Node Server-Sent Events transport needs.
  for (const transport of ['ServerSentEvents', 'LongPolling']) {
    it(`follows /echoredirect over ${transport}`, async () => {
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
