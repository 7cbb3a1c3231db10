// A throwaway redis-server for tests: on a free loopback port (never the
// machine's own 6379), keeping nothing on disk, killed with SIGKILL and
// restarted on the same port to play an outage.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { waitFor } from './lib.mjs';

const running = new Set();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

// freePort returns a loopback port that was free a moment ago.
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// ping resolves true when a Redis answers PING on the port.
function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) { s.destroy(); resolve(got.startsWith('+PONG')); }
    });
  });
}

// command sends one command to the Redis on port and resolves with its
// reply: a string, a number, or an array of strings (errors reject).
export function command(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('connect', () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parse(buf, 0);
      if (r) { s.destroy(); r.value instanceof Error ? reject(r.value) : resolve(r.value); }
    });
  });
}

// parse reads one RESP value at i, or returns null when more is needed.
function parse(buf, i) {
  const end = buf.indexOf('\r\n', i);
  if (end < 0) return null;
  const line = buf.toString('utf8', i + 1, end);
  const next = end + 2;
  switch (String.fromCharCode(buf[i])) {
    case '+': return { value: line, next };
    case '-': return { value: new Error(line), next };
    case ':': return { value: Number(line), next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, next };
      if (buf.length < next + n + 2) return null;
      return { value: buf.toString('utf8', next, next + n), next: next + n + 2 };
    }
    case '*': {
      const items = [];
      let at = next;
      for (let k = 0; k < Number(line); k++) {
        const r = parse(buf, at);
        if (!r) return null;
        items.push(r.value);
        at = r.next;
      }
      return { value: items, next: at };
    }
  }
  return { value: new Error(`unexpected reply ${line}`), next };
}

// startRedis starts redis-server (REDIS_SERVER_BIN, default from PATH) and
// resolves with {port, url, kill, restart, stop}.
export async function startRedis() {
  const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const port = await freePort();
  let proc = null;
  let stderr = '';
  const run = async () => {
    proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(proc);
    proc.stderr.on('data', (d) => { stderr += d; });
    const p = proc;
    p.on('exit', () => running.delete(p));
    await waitFor(() => ping(port), 10000, `redis-server on port ${port} (${stderr})`);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGKILL'); });
  };
  await run();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    // restart starts it again, empty, on the same port.
    restart: run,
    stop: kill,
  };
}
