// A load balancer for tests, in front of several servers of one SignalR
// application. By default it has no affinity at all: every HTTP request
// and every WebSocket upgrade goes to the next backend in turn, whatever
// connection it belongs to. With { readiness: true } it polls each
// backend's /readyz and gives new requests only to the ready ones (so a
// draining server gets no new client), as an operator's balancer would;
// with { sticky: true } the requests of one SignalR connection (?id=,
// WebSocket upgrades included) stick to the backend that negotiated it,
// learned from the negotiate response. Bodies and responses are streamed
// (SSE, long polls), upgrades are piped as raw TCP. The test can take a
// backend out of the rotation (as a health check would), pin the next
// request to one backend, cut the WebSockets underneath the clients, and
// ask which backend negotiated a connection.
import http from 'node:http';
import net from 'node:net';

export async function startBalancer(backendUrls, { readiness = false, sticky = false } = {}) {
  const backend = (u) => ({ url: new URL(u), base: u, alive: true, ready: !readiness, requests: 0, upgrades: 0 });
  const backends = backendUrls.map(backend);
  const seen = { eventStreams: 0, upgrades: 0 }; // over every backend
  const owner = new Map(); // connection id and token -> the backend that negotiated it
  let next = 0;
  let polling = readiness;
  const tunnels = new Set(); // {client, upstream} of upgraded connections
  // Pooled upstream sockets would outlive a backend the test restarts
  // (a request on one that just closed fails): no pool with readiness.
  const agent = readiness ? undefined : new http.Agent({ keepAlive: true, maxSockets: 64 });

  (async () => {
    while (polling) {
      await Promise.all(backends.map(async (b) => {
        try {
          const res = await fetch(`${b.base}/readyz`, { signal: AbortSignal.timeout(500) });
          b.ready = res.status === 200;
        } catch { b.ready = false; }
      }));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const pick = (url) => {
    const id = sticky && new URL(url, 'http://x').searchParams.get('id');
    if (id) return owner.get(id) ?? null;
    for (let k = 0; k < backends.length; k += 1) {
      const b = backends[next % backends.length];
      next += 1;
      if (b.alive && b.ready) return b;
    }
    return null;
  };

  // learn remembers which backend answered a negotiate request.
  const learn = (b, body) => {
    try {
      const n = JSON.parse(body);
      for (const tok of [n.connectionToken, n.connectionId]) if (tok) owner.set(tok, b);
    } catch { /* not a negotiate answer */ }
  };

  const server = http.createServer((req, res) => {
    const b = pick(req.url);
    if (!b) { res.writeHead(503, { 'Retry-After': '1' }).end('no server'); return; }
    b.requests += 1;
    if ((req.headers.accept || '').includes('text/event-stream')) seen.eventStreams += 1;
    const up = http.request({
      host: b.url.hostname, port: b.url.port, method: req.method, path: req.url, headers: req.headers, agent,
    }, (ur) => {
      if (/\/negotiate(\?|$)/.test(req.url) && ur.statusCode === 200) {
        const chunks = [];
        ur.on('data', (c) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          learn(b, body);
          res.writeHead(ur.statusCode, ur.headers).end(body);
        });
        return;
      }
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      // A backend that dies mid-response (an SSE stream, a long poll)
      // cuts the client's response too.
      ur.on('close', () => { if (!ur.complete) res.destroy(); });
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end('upstream failed'); else res.destroy(); });
    // A client that goes away (an SSE stream stopped, a poll aborted) ends
    // the upstream request too.
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });

  server.on('upgrade', (req, client, head) => {
    const b = pick(req.url);
    if (!b) { client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'); return; }
    b.upgrades += 1;
    seen.upgrades += 1;
    const upstream = net.connect(Number(b.url.port), b.url.hostname);
    const t = { client, upstream };
    tunnels.add(t);
    const drop = () => { client.destroy(); upstream.destroy(); tunnels.delete(t); };
    client.on('error', drop); upstream.on('error', drop);
    client.on('close', drop); upstream.on('close', drop);
    upstream.on('connect', () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${raw}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(client); client.pipe(upstream);
    });
  });
  server.keepAliveTimeout = 1000;

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    // seen counts the SSE GETs and WebSocket upgrades that went through.
    seen,
    // add puts a backend in the rotation and returns its index.
    add(url) { backends.push(backend(url)); return backends.length - 1; },
    // remove takes backend i out of the rotation.
    remove(i) { backends[i].alive = false; },
    // pin sends the next request to backend i.
    pin(i) { next = i; },
    // ready tells whether the backend at url answered its last /readyz with 200.
    ready: (url) => backends.some((b) => b.base === url && b.ready && readiness),
    // negotiatedBy returns the base URL of the backend that negotiated a
    // connection id (with sticky).
    negotiatedBy: (id) => owner.get(id)?.base,
    // cutWebSockets destroys every upgraded connection, without a close frame.
    cutWebSockets() { for (const t of [...tunnels]) { t.client.destroy(); t.upstream.destroy(); tunnels.delete(t); } },
    async close() {
      polling = false;
      this.cutWebSockets();
      server.closeAllConnections();
      agent?.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
