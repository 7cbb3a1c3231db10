// Shared helpers for the tests that drive the official SignalR client
// against the Go test server (cmd/testserver).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import signalR from '@microsoft/signalr';
import msgpack from '@microsoft/signalr-protocol-msgpack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export { signalR };

// docShot is the path of a screenshot that the README shows: in docs/ when
// UPDATE_DOCS=1, else beside the other test results, so that a test run
// leaves the tracked files as they were.
export function docShot(name) {
  const dir = process.env.UPDATE_DOCS === '1' ? path.join(root, 'docs') : path.join(root, 'interop', 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

// The transport × protocol combinations the official client allows
// (Server-Sent Events carry text only).
export const matrix = [
  { transport: 'WebSockets', protocol: 'json' },
  { transport: 'WebSockets', protocol: 'messagepack' },
  { transport: 'ServerSentEvents', protocol: 'json' },
  { transport: 'LongPolling', protocol: 'json' },
  { transport: 'LongPolling', protocol: 'messagepack' },
];

// startServer runs the Go test server on a free loopback port and resolves
// with {url, proc, stop}. The binary is built by scripts/test.sh into bin/.
export async function startServer(args = []) {
  const bin = process.env.TESTSERVER_BIN || path.join(root, 'bin', 'testserver');
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`test server did not start: ${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`test server exited ${code}: ${stderr}`)); });
  });
  const stop = () => new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
  return { url, proc, stop, stderr: () => stderr };
}

// connect builds and starts a HubConnection for one matrix entry.
export async function connect(url, { transport, protocol }, configure = (b) => b) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(url, { transport: signalR.HttpTransportType[transport] })
    .configureLogging(signalR.LogLevel.None);
  if (protocol === 'messagepack') builder = builder.withHubProtocol(new msgpack.MessagePackHubProtocol());
  const conn = configure(builder).build();
  await conn.start();
  return conn;
}

// A TCP proxy on a free loopback port whose connections the test can sever,
// to cut a WebSocket underneath the client without a close frame.
export async function startProxy(targetUrl) {
  const target = new URL(targetUrl);
  const sockets = new Set();
  const pairs = new Set();
  let websockets = 0; // WebSocket upgrades seen
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client); sockets.add(upstream);
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    client.once('data', (chunk) => {
      pair.websocket = /\r\nupgrade:\s*websocket/i.test(chunk.toString('latin1'));
      if (pair.websocket) websockets += 1;
    });
    client.pipe(upstream); upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop); upstream.on('error', drop);
    client.on('close', drop); upstream.on('close', drop);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    // websockets counts the WebSocket connections opened through the proxy.
    get websockets() { return websockets; },
    sever() { for (const s of sockets) s.destroy(); sockets.clear(); pairs.clear(); },
    // blackhole stops forwarding on the open connections (only the
    // WebSocket ones with websocketsOnly, so that pooled HTTP keep-alive
    // connections still work), in both directions, and discards what
    // arrives, but keeps the sockets open: to each side the other just
    // goes silent, as a dead peer behind a live network path would.
    blackhole({ websocketsOnly = false } = {}) {
      for (const { client, upstream, websocket } of pairs) {
        if (websocketsOnly && !websocket) continue;
        client.unpipe(upstream); upstream.unpipe(client);
        client.resume(); upstream.resume();
      }
    },
    close() { this.sever(); return new Promise((resolve) => server.close(resolve)); },
  };
}

// waitFor polls cond until it is true or the timeout passes.
export async function waitFor(cond, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// deferred returns a promise with its resolve and reject exposed.
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

// withQuery appends query parameters to a hub URL.
export function withQuery(url, params) {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

// inbox records the invocations of one client method on a connection and
// lets a test wait for a number of them.
export function inbox(conn, method) {
  const items = [];
  conn.on(method, (...args) => { items.push(args); });
  return {
    items,
    async waitCount(n, timeoutMs = 10000) {
      await waitFor(() => items.length >= n, timeoutMs, `${n} ${method} message(s), got ${items.length}`);
      return items;
    },
  };
}

// sleep resolves after ms milliseconds.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// uniqueKey returns a name no other test uses, for groups, users and
// server-side records.
export function uniqueKey(prefix = 'k') {
  return `${prefix}-${randomUUID()}`;
}
