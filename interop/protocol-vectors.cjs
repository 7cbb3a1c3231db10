// Cross-checks the Go protocol package against the official client's own
// hub protocol classes. Driven by protocol/interop_test.go:
//
//   node protocol-vectors.cjs gen          prints vectors encoded by the JS classes
//   node protocol-vectors.cjs check FILE   parses vectors encoded by Go and compares
//
// A vector is {name, protocol, bytes (base64), message (normalized)}. Values
// are normalized the same way on both sides: binary as {"$bin": base64},
// dates as {"$date": ISO string with milliseconds}, undefined dropped.
'use strict';

const fs = require('node:fs');
const signalR = require('@microsoft/signalr');
const msgpack = require('@microsoft/signalr-protocol-msgpack');

const protocols = {
  json: new signalR.JsonHubProtocol(),
  messagepack: new msgpack.MessagePackHubProtocol(),
};

function normalize(v) {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return { $date: v.toISOString() };
  if (v instanceof Uint8Array) return { $bin: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) out[k] = normalize(x);
    }
    return out;
  }
  return v;
}

// Messages the JS client writes, covering every type it can write. Binary
// and dates only on MessagePack: JSON has no such values on the wire.
function clientMessages(binaryValues) {
  const args = ['héllo, 世界 "quoted" \\ \n', 42, -7, 1.5, true, null, [1, 'two', [3]], { name: 'x', n: 2 }, 2 ** 40, -(2 ** 35)];
  if (binaryValues) {
    args.push(new Uint8Array([0, 1, 2, 254, 255]));
    args.push(new Date(Date.UTC(2000, 0, 1, 12, 30, 15, 250)));
    args.push(new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 0)));
  }
  return [
    ['invocation', { type: 1, invocationId: '0', target: 'SendMessage', arguments: args, headers: {} }],
    ['invocation-nonblocking', { type: 1, target: 'Fire', arguments: ['a'] }],
    ['invocation-headers', { type: 1, invocationId: '7', target: 'm', arguments: [], headers: { traceparent: 'abc', k: 'v' } }],
    ['invocation-streams', { type: 1, invocationId: '2', target: 'Upload', arguments: [5], streamIds: ['1', '3'] }],
    ['stream-invocation', { type: 4, invocationId: '3', target: 'Counter', arguments: [3, 'x'] }],
    ['stream-item', { type: 2, invocationId: '1', item: { deep: [1, 2, { z: null }] } }],
    ['stream-item-null', { type: 2, invocationId: '1', item: null }],
    ['completion-void', { type: 3, invocationId: '1' }],
    ['completion-result', { type: 3, invocationId: 's12', result: 41 }],
    ['completion-result-null', { type: 3, invocationId: 's13', result: null }],
    ['completion-error', { type: 3, invocationId: '1', error: 'boom' }],
    ['cancel', { type: 5, invocationId: '3' }],
    ['ping', { type: 6 }],
    ['close', { type: 7 }],
    ['close-error', { type: 7, error: 'bye', allowReconnect: true }],
    ['ack', { type: 8, sequenceId: 12 }],
    ['sequence', { type: 9, sequenceId: 5 }],
  ];
}

// What a parsed message looks like after normalization, field by field.
function normalizeMessage(m) {
  const out = { type: m.type };
  for (const k of ['invocationId', 'target', 'arguments', 'streamIds', 'item', 'result', 'error', 'allowReconnect', 'sequenceId', 'headers']) {
    if (m[k] === undefined || (k === 'error' && m[k] === null)) continue;
    if (k === 'headers' && Object.keys(m[k]).length === 0) continue;
    if (k === 'streamIds' && m[k].length === 0) continue;
    if (k === 'allowReconnect' && m[k] !== true) continue;
    out[k] = normalize(m[k]);
  }
  // The message itself says whether a result is present: keep that explicit.
  if (m.type === 3) out.hasResult = m.result !== undefined;
  return out;
}

function gen() {
  const vectors = [];
  for (const [name, proto] of Object.entries(protocols)) {
    for (const [label, msg] of clientMessages(name === 'messagepack')) {
      const encoded = proto.writeMessage(msg);
      const bytes = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
      // The expected form is what the client's own reader makes of the
      // bytes, except for types 4 and 5, which it skips (servers never send
      // them): for those it is the message as written.
      // The reader also drops stream ids, so those come from the message.
      const [parsed] = proto.parseMessages(encoded, signalR.NullLogger.instance);
      const expected = normalizeMessage(parsed || msg);
      if (msg.streamIds) expected.streamIds = msg.streamIds;
      vectors.push({ name: label, protocol: name, bytes: bytes.toString('base64'), message: expected });
    }
  }
  process.stdout.write(JSON.stringify(vectors));
}

function deepEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

function check(file) {
  const vectors = JSON.parse(fs.readFileSync(file, 'utf8'));
  const failures = [];
  for (const v of vectors) {
    const proto = protocols[v.protocol];
    const raw = Buffer.from(v.bytes, 'base64');
    const input = v.protocol === 'json' ? raw.toString('utf8') : raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    let parsed;
    try {
      parsed = proto.parseMessages(input, signalR.NullLogger.instance);
    } catch (e) {
      failures.push({ name: v.name, protocol: v.protocol, error: String(e) });
      continue;
    }
    if (parsed.length !== 1) {
      failures.push({ name: v.name, protocol: v.protocol, error: `parsed ${parsed.length} messages` });
      continue;
    }
    const got = normalizeMessage(parsed[0]);
    if (got.type !== 3) delete v.message.hasResult;
    if (!deepEqual(got, v.message)) {
      failures.push({ name: v.name, protocol: v.protocol, got, want: v.message });
    }
  }
  process.stdout.write(JSON.stringify({ checked: vectors.length, failures }));
  process.exitCode = failures.length === 0 ? 0 : 1;
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'gen') gen();
else if (cmd === 'check') check(arg);
else {
  process.stderr.write('usage: protocol-vectors.cjs gen | check FILE\n');
  process.exitCode = 2;
}
