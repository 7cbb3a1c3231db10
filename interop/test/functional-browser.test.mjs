// The official suite's browser run, in spirit: the client's browser
// bundles, loaded by a page of another origin (as Karma's page is), talk
// to the Go test server's /testhub in headless Chromium (Debian's). This
// covers what Node cannot: CORS with credentials, the browser's own
// WebSocket and EventSource, the X-SignalR-User-Agent header, and the
// WebWorker bundle calling a lower-cased hub method.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './lib.mjs';

const modules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
const files = {
  '/signalr.js': path.join(modules, '@microsoft/signalr/dist/browser/signalr.js'),
  '/msgpack.js': path.join(modules, '@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.js'),
  '/webworker/signalr.js': path.join(modules, '@microsoft/signalr/dist/webworker/signalr.js'),
};

// The worker of the suite's WebWorker test: it connects, calls the hub
// method in lower case and reports what the hub sends back.
const workerSource = `
self.onmessage = async (e) => {
  importScripts(self.location.origin + '/webworker/signalr.js');
  const conn = new signalR.HubConnectionBuilder().withUrl(e.data.url).build();
  conn.on('message', (m) => { self.postMessage({ received: m }); conn.stop(); });
  try {
    await conn.start();
    await conn.invoke('invokeWithString', e.data.message);
  } catch (err) { self.postMessage({ error: String(err) }); }
};`;

// pageServer serves the page, the bundles and the worker from an origin
// other than the test server's.
function pageServer() {
  const srv = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (files[p]) {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      fs.createReadStream(files[p]).pipe(res);
    } else if (p === '/worker.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(workerSource);
    } else if (p === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><script src="/signalr.js"></script><script src="/msgpack.js"></script>');
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

let server, pages, browser, page, hubBase;

before(async () => {
  server = await startServer();
  // localhost versus 127.0.0.1: another origin (and site) than the page.
  hubBase = server.url.replace('127.0.0.1', 'localhost');
  pages = await pageServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`http://127.0.0.1:${pages.address().port}/`);
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (pages ? pages.close(r) : r()));
  await server?.stop();
});

// inPage runs one scenario in the page: connect with the given options,
// run the calls, stop; it returns results or the error text.
function inPage(args) {
  return page.evaluate(async ({ url, transport, protocol, calls, withToken }) => {
    const opts = { transport: signalR.HttpTransportType[transport] };
    if (withToken) {
      opts.accessTokenFactory = async () => (await fetch(withToken)).text();
    }
    let b = new signalR.HubConnectionBuilder().withUrl(url, opts).configureLogging(signalR.LogLevel.None);
    if (protocol === 'messagepack') b = b.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
    const conn = b.build();
    const out = [];
    try {
      await conn.start();
      for (const [kind, method, ...args] of calls) {
        try {
          if (kind === 'stream') {
            out.push(await new Promise((resolve, reject) => {
              const items = [];
              conn.stream(method, ...args).subscribe({ next: (i) => items.push(i), complete: () => resolve(items), error: reject });
            }));
          } else {
            out.push(await conn.invoke(method, ...args));
          }
        } catch (err) { out.push({ error: err.message }); }
      }
      await conn.stop();
      return out;
    } catch (err) {
      return { startError: err.message };
    }
  }, args);
}

const combos = [
  ['WebSockets', 'json'], ['WebSockets', 'messagepack'], ['ServerSentEvents', 'json'],
  ['LongPolling', 'json'], ['LongPolling', 'messagepack'],
];

describe('browser client, cross-origin', () => {
  for (const [transport, protocol] of combos) {
    it(`talks to /testhub over ${transport} with ${protocol}`, async () => {
      const got = await inPage({
        url: `${hubBase}/testhub`, transport, protocol,
        calls: [
          ['invoke', 'Echo', '你好，世界！'],
          ['invoke', 'ThrowException', 'An error occurred.'],
          ['stream', 'Stream'],
          ['invoke', 'GetActiveTransportName'],
          ['invoke', 'GetHeader', 'X-SignalR-User-Agent'],
        ],
      });
      assert.ok(Array.isArray(got), JSON.stringify(got));
      const [echo, thrown, stream, name, ua] = got;
      assert.equal(echo, '你好，世界！');
      assert.deepEqual(thrown, { error: "An unexpected error occurred invoking 'ThrowException' on the server. InvalidOperationException: An error occurred." });
      assert.deepEqual(stream, ['a', 'b', 'c']);
      assert.equal(name, transport);
      // Browsers cannot set headers on WebSocket and EventSource requests.
      if (transport === 'LongPolling') assert.match(ua, /^Microsoft SignalR\/\d+\.\d+ \(/);
      else assert.equal(ua, null);
    });
  }

  for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
    it(`connects to /authorizedhub with a token over ${transport}`, async () => {
      const got = await inPage({
        url: `${hubBase}/authorizedhub`, transport, protocol: 'json',
        withToken: `${hubBase}/generateJwtToken`,
        calls: [['invoke', 'Echo', 'secret']],
      });
      assert.deepEqual(got, ['secret']);
    });
  }

  it('reports 401 from /authorizedhub without a token', async () => {
    const got = await inPage({ url: `${hubBase}/authorizedhub`, transport: 'LongPolling', protocol: 'json', calls: [] });
    assert.deepEqual(got, { startError: "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'" });
  });

  it('calls a lower-cased hub method from a WebWorker', async () => {
    const got = await page.evaluate((url) => new Promise((resolve) => {
      const w = new Worker('/worker.js');
      w.onmessage = (e) => { resolve(e.data); w.terminate(); };
      w.onerror = (e) => resolve({ error: e.message });
      w.postMessage({ url, message: 'hello from a worker' });
    }), `${hubBase}/testhub`);
    assert.deepEqual(got, { received: 'hello from a worker' });
  });

  it('raised no page errors', () => {
    assert.deepEqual(page.errors, []);
  });
});
