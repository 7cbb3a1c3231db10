// Search snippets without markdown markers (plainSnippet in
// chat/web/static/markdown.js), in Node: the markers the page's parser
// reads as markup go, the matches stay exactly the words the server
// marked, and a marker the cut left unpaired stays as typed.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'chat', 'web', 'static', 'markdown.js');
// The page serves it as an ES module; a data: URL makes Node read it as one too.
const { plainSnippet } = await import(`data:text/javascript,${encodeURIComponent(fs.readFileSync(file, 'utf8'))}`);

// pieces writes a snippet as the Go test does: matches in brackets.
const pieces = (s) => s.split(/(\[[^\]]*\])/).filter(Boolean)
  .map((t) => (t.startsWith('[') ? { text: t.slice(1, -1), match: true } : { text: t, match: false }));
const show = (ps) => ps.map((p) => (p.match ? `[${p.text}]` : p.text)).join('');

test('markers go, matches stay', () => {
  for (const [snippet, want] of [
    ['I said **[seven]** times', 'I said [seven] times'],
    ['run `make [seven]` now', 'run make [seven] now'],
    ['an *[emphatic]* and _[quiet]_ [seven]', 'an [emphatic] and [quiet] [seven]'],
    ['**bold [seven] and *both* here**', 'bold [seven] and both here'],
    ['before\n```go\nx := [seven]\n```\nafter', 'before go x := [seven] after'],
    ['```[seven]\nx\n```', '[seven] x '], // a fence's language may be a match
    ['see https://example.com/*[seven]*_x_ ok', 'see https://example.com/*[seven]*_x_ ok'], // a link keeps its characters
    ['snake_case [seven] __init__', 'snake_case [seven] __init__'],
    // The server's cut left the opening marker out: the closing one is text.
    ['…[seven]** and more…', '…[seven]** and more…'],
    ['plain [seven] text', 'plain [seven] text'],
  ]) {
    assert.equal(show(plainSnippet(pieces(snippet))), want, snippet);
  }
});

test('a piece of markers only is dropped, and the pieces keep their order', () => {
  const got = plainSnippet([{ text: '**', match: false }, { text: 'seven', match: true }, { text: '**', match: false }]);
  assert.deepEqual(got, [{ text: 'seven', match: true }]);
});

test('a match is never lost: random markup around words', () => {
  const bits = ['*', '**', '_', '`', '```', '\n', ' ', 'a', 'b_c', 'http://x.y/'];
  for (let n = 0; n < 3000; n++) {
    const ps = [];
    for (let k = 0; k < 12; k++) {
      if (Math.random() < 0.3) ps.push({ text: `w${k}`, match: true });
      else ps.push({ text: Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => bits[Math.floor(Math.random() * bits.length)]).join(''), match: false });
    }
    const got = plainSnippet(ps);
    assert.deepEqual(got.filter((p) => p.match), ps.filter((p) => p.match), JSON.stringify(ps));
    for (const p of got) assert.ok(!/\s\s|\n/.test(p.text) && p.text !== '', JSON.stringify(p));
  }
});
