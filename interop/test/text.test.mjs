// Text that is not valid Unicode from the official client: a JavaScript
// string may hold an unpaired surrogate, which the client's JSON encoder
// writes as a \ud800 escape and its MessagePack encoder as the bytes
// ED A0 80 (not UTF-8). The server repairs both to one U+FFFD
// (protocol/text.go), so the same string comes back the same over every
// transport and protocol, and the connection stays up.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, matrix, connect } from './lib.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

for (const combo of matrix) {
  describe(`${combo.transport} ${combo.protocol}`, () => {
    it('repairs unpaired surrogates to U+FFFD', async () => {
      const conn = await connect(`${server.url}/testhub`, combo);
      try {
        assert.equal(await conn.invoke('Echo', 'a\ud800b\udc00'), 'a\ufffdb\ufffd');
        // Long strings go through TextEncoder in the MessagePack encoder.
        const long = 'x'.repeat(300);
        assert.equal(await conn.invoke('Echo', long + '\ud83d' + long), long + '\ufffd' + long);
        assert.equal(await conn.invoke('Echo', 'ok 😀'), 'ok 😀');
      } finally { await conn.stop(); }
    });
  });
}
