// A load balancer with no affinity at all, for tests: every HTTP request
// and every WebSocket upgrade goes to the next backend in turn, whatever
// connection it belongs to. Bodies and responses are streamed (SSE, long
// polls), upgrades are piped as raw TCP. The test can take a backend out
// of the rotation (as a health check would), pin the next request to one
// backend, and cut the WebSockets underneath the clients.
import http from 'node:http';
import net from 'node:net';

export async function startBalancer(backendUrls) {
  const backends = backendUrls.map((u) => ({ url: new URL(u), alive: true, requests: 0, upgrades: 0 }));
  const seen = { eventStreams: 0, upgrades: 0 }; // over every backend
  let next = 0;
  const tunnels = new Set(); // {client, upstream} of upgraded connections
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const pick = () => {
    for (let k = 0; k < backends.length; k += 1) {
      const b = backends[next % backends.length];
      next += 1;
      if (b.alive) return b;
    }
    return null;
  };

  const server = http.createServer((req, res) => {
    const b = pick();
    if (!b) { res.writeHead(502).end(); return; }
    b.requests += 1;
    if ((req.headers.accept || '').includes('text/event-stream')) seen.eventStreams += 1;
    const up = http.request({
      host: b.url.hostname, port: b.url.port, method: req.method, path: req.url, headers: req.headers, agent,
    }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      // A backend that dies mid-response (an SSE stream, a long poll)
      // cuts the client's response too.
      ur.on('close', () => { if (!ur.complete) res.destroy(); });
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    // A client that goes away (an SSE stream stopped, a poll aborted) ends
    // the upstream request too.
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });

  server.on('upgrade', (req, client, head) => {
    const b = pick();
    if (!b) { client.destroy(); return; }
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

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    // seen counts the SSE GETs and WebSocket upgrades that went through.
    seen,
    // add puts a backend in the rotation and returns its index.
    add(url) { backends.push({ url: new URL(url), alive: true, requests: 0, upgrades: 0 }); return backends.length - 1; },
    // remove takes backend i out of the rotation.
    remove(i) { backends[i].alive = false; },
    // pin sends the next request to backend i.
    pin(i) { next = i; },
    // cutWebSockets destroys every upgraded connection, without a close frame.
    cutWebSockets() { for (const t of [...tunnels]) { t.client.destroy(); t.upstream.destroy(); tunnels.delete(t); } },
    async close() {
      this.cutWebSockets();
      server.closeAllConnections();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
