// A small HTTP load balancer for tests, in front of several servers of one
// SignalR application, as an operator would put one: new requests go
// round-robin to the servers whose /readyz answers 200 (so a draining
// server gets no new client), and the requests of one SignalR connection
// (?id=<token>, WebSocket upgrades included) stick to the server that
// negotiated it, learned from the negotiate response.
import http from 'node:http';
import net from 'node:net';

export async function startBalancer(targets) {
  // targets: array of base URLs (http://127.0.0.1:PORT), changeable later.
  const ready = new Map();
  const sticky = new Map(); // connection token -> target
  let next = 0;
  let polling = true;

  const poll = async () => {
    while (polling) {
      await Promise.all(targets.map(async (t) => {
        try {
          const res = await fetch(`${t}/readyz`, { signal: AbortSignal.timeout(500) });
          ready.set(t, res.status === 200);
        } catch { ready.set(t, false); }
      }));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  poll();

  const pick = (url) => {
    const id = new URL(url, 'http://x').searchParams.get('id');
    if (id) return sticky.get(id);
    const live = targets.filter((t) => ready.get(t));
    if (live.length === 0) return undefined;
    return live[next++ % live.length];
  };

  const server = http.createServer((req, res) => {
    const target = pick(req.url);
    if (!target) { res.writeHead(503, { 'Retry-After': '1' }).end('no server'); return; }
    const u = new URL(target);
    const up = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      if (/\/negotiate(\?|$)/.test(req.url) && ur.statusCode === 200) {
        const chunks = [];
        ur.on('data', (c) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          try {
            const n = JSON.parse(body);
            for (const tok of [n.connectionToken, n.connectionId]) if (tok) sticky.set(tok, target);
          } catch { /* not a negotiate answer */ }
          res.writeHead(ur.statusCode, ur.headers).end(body);
        });
        return;
      }
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end('upstream failed'); else res.destroy(); });
    req.pipe(up);
  });

  server.on('upgrade', (req, socket, head) => {
    const target = pick(req.url);
    if (!target) { socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'); return; }
    const u = new URL(target);
    const up = net.connect(Number(u.port), u.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const end = () => { up.destroy(); socket.destroy(); };
    up.on('error', end);
    socket.on('error', end);
    up.on('close', end);
    socket.on('close', end);
  });
  server.keepAliveTimeout = 1000;

  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    ready: (t) => ready.get(t) === true,
    close: () => new Promise((r) => { polling = false; server.closeAllConnections(); server.close(r); }),
  };
}
