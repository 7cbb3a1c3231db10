// The chat's message text parser (chat/web/static/markdown.js), fuzzed in
// Node: random and hostile texts must keep every character, make links of
// http, https and mailto only, make no other node types, and take time in
// proportion to their length.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'chat', 'web', 'static', 'markdown.js');
// The page serves it as an ES module; a data: URL makes Node read it as one too.
const { parse, source } = await import(`data:text/javascript,${encodeURIComponent(fs.readFileSync(file, 'utf8'))}`);

// Where the markers of each node type may come from.
const MARKERS = {
  strong: { open: /^\*\*$/, close: /^\*\*$/ },
  em: { open: /^[*_]$/, close: /^[*_]$/ },
  code: { open: /^`$/, close: /^`$/ },
  pre: { open: /^```[^\n]*\n$/, close: /^\n?```[ \t\r]*$/ },
};

// check asserts the tree's invariants for input s.
function check(s) {
  const tree = parse(s);
  assert.equal(tree.type, 'root');
  assert.equal(source(tree), s, 'the tree gives back the text');
  const walk = (n, depth) => {
    assert.ok(depth < 6, 'nesting is bounded');
    switch (n.type) {
      case 'text':
        assert.equal(typeof n.text, 'string');
        assert.ok(n.text.length > 0, 'no empty text nodes');
        break;
      case 'link':
        assert.match(n.href, /^(https?:\/\/|mailto:)[^\s<>"`]+$/i, `link ${n.href}`);
        assert.equal(n.text, n.href);
        break;
      case 'strong': case 'em': case 'code': case 'pre':
        assert.match(n.open, MARKERS[n.type].open, `${n.type} opens with ${JSON.stringify(n.open)}`);
        assert.match(n.close, MARKERS[n.type].close, `${n.type} closes with ${JSON.stringify(n.close)}`);
        if (n.type === 'strong' || n.type === 'em') {
          assert.ok(n.children.length > 0, 'no empty emphasis');
          for (const c of n.children) walk(c, depth + 1);
        } else {
          assert.equal(typeof n.text, 'string');
        }
        break;
      default:
        assert.fail(`node type ${n.type}`);
    }
  };
  for (const c of tree.children) walk(c, 0);
  return tree;
}

// links returns the hrefs of a tree.
function links(n, out = []) {
  if (n.type === 'link') out.push(n.href);
  for (const c of n.children || []) links(c, out);
  return out;
}

// A seeded generator, so that a failure can be replayed.
function rng(seed) {
  return () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
}

const PIECES = ['*', '**', '***', '_', '__', '`', '```', '```js', '\n', ' ', 'a', 'word', 'é', '日本', '👍🏽', '\u200b',
  '<script>alert(1)</script>', 'javascript:alert(1)', 'JaVaScRiPt:x', 'http://', 'https://x.y/z', 'HTTPS://A.B',
  'mailto:', 'mailto:a@b.c', 'data:text/html,<b>', 'vbscript:x', '(', ')', '.', ',', '"', "'", '<', '>', '&amp;',
  '[x](javascript:alert(1))', 'https://e.com/a_(b)_c', 'https://e.com/javascript:alert(1)', '\r', '\t', '\\'];

test('random texts keep every character and make only safe nodes', () => {
  const r = rng(20261207);
  for (let n = 0; n < 5000; n++) {
    let s = '';
    const len = Math.floor(r() * 40);
    for (let k = 0; k < len; k++) s += PIECES[Math.floor(r() * PIECES.length)];
    check(s);
  }
});

test('random characters', () => {
  const r = rng(7);
  for (let n = 0; n < 3000; n++) {
    let s = '';
    const len = Math.floor(r() * 60);
    for (let k = 0; k < len; k++) s += String.fromCharCode(r() < 0.8 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 0xffff));
    check(s);
  }
});

test('what it makes of known texts', () => {
  const kinds = (s) => parse(s).children.map((c) => c.type).join(' ');
  assert.equal(kinds('a **b** *c* _d_ `e`'), 'text strong text em text em text code');
  assert.equal(kinds('```\ncode\n```'), 'pre');
  assert.equal(kinds('see https://example.com/x.'), 'text link text');
  assert.equal(kinds('snake_case_name and 2 * 3 * 4, __init__, window.__x = 1 _y_'), 'text em');
  assert.equal(kinds('**unclosed and `unclosed'), 'text');
  assert.deepEqual(links(parse('(https://e.com/a_(b)) and mailto:x@y.z, not javascript:alert(1)')), ['https://e.com/a_(b)', 'mailto:x@y.z']);
  assert.deepEqual(links(parse('`https://in.code` ```\nhttps://in.pre\n```')), []);
});

test('javascript: and other schemes never make a link, wherever they are', () => {
  const schemes = ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'java\tscript:x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', ' javascript:x', 'xhttps://e.com'];
  const around = ['', '**', '*', '_', '`', '(', '<', '"', '\n', 'https://', 'http://x/', 'mailto:'];
  for (const sc of schemes) {
    for (const a of around) {
      for (const b of around) {
        const tree = check(a + sc + b);
        for (const href of links(tree)) assert.match(href, /^(https?:\/\/|mailto:)/i);
      }
    }
  }
});

test('long and hostile texts take linear time', () => {
  const hostile = [
    '*'.repeat(4000), '_'.repeat(4000), '`'.repeat(4000), '**'.repeat(2000), '*a'.repeat(2000), '_a '.repeat(1333),
    '```\n'.repeat(1000), 'https://'.repeat(500), `https://e.com/${')'.repeat(3980)}`, `https://e.com/${'('.repeat(3980)}`,
    '(https://e.com/'.repeat(250), '**_*`'.repeat(800), 'a'.repeat(4000), '\n'.repeat(4000), '👍'.repeat(2000),
    '`a'.repeat(2000), '*_**_*'.repeat(666), '```x\n'.repeat(500) + '```',
  ];
  const time = (s) => { const t = performance.now(); check(s); return performance.now() - t; };
  for (const s of hostile) {
    const small = s.slice(0, 400);
    time(small); time(s); // warm up
    const ts = Math.max(time(small), 0.05);
    const tl = time(s);
    // Ten times the text: a quadratic parser takes about a hundred times longer.
    assert.ok(tl < 50 || tl < ts * 40, `${JSON.stringify(s.slice(0, 12))}…: ${tl.toFixed(2)} ms for 4000 characters, ${ts.toFixed(2)} ms for 400`);
    assert.ok(tl < 200, `${JSON.stringify(s.slice(0, 12))}…: ${tl.toFixed(2)} ms`);
  }
});
