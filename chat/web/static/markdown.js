// Message text as people write it in chats: links, **bold**, *italic*
// or _italic_, `code` and ``` fenced blocks ```. parse turns the text
// into a tree and nothing else (it runs in Node for the fuzz test);
// renderText builds the tree's DOM with createElement and textContent
// only, so no part of a message is ever read as HTML.
//
// The tree keeps every character of the text: markers in the open and
// close fields of their node, the rest in text fields, so that
// source(parse(s)) === s for every s. Node types: root, text, strong, em,
// code, pre, link.

// LINK finds a link's start: only these schemes ever make a link.
const LINK = /^(?:https?:\/\/|mailto:)/i;
// A link runs to white space or a character that cannot be in a URL.
const URL_CHAR = /[^\s<>"`]/;
// Trailing punctuation ends the sentence, not the link.
const TRAILING = /[.,;:!?'*_]/;

const isWord = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
const isSpace = (c) => c === undefined || /\s/.test(c);

// parse returns the tree of text.
export function parse(text) {
  const root = { type: 'root', children: [] };
  const lines = text.split('\n');
  let plain = [];
  const flush = () => {
    if (plain.length) root.children.push(...inline(plain.join('\n')));
    plain = [];
  };
  // A fence opens on a line starting with ``` and closes on a line of
  // just ```; an opening without a close is text. Once one has no close,
  // none after it can have one: each line is looked at a bounded number
  // of times.
  let closable = true;
  for (let i = 0; i < lines.length; i++) {
    const close = closable && lines[i].startsWith('```') ? fenceEnd(lines, i) : -1;
    if (close < 0) {
      if (lines[i].startsWith('```')) closable = false;
      plain.push(lines[i]);
      continue;
    }
    // The newline before the fence belongs to the text before it.
    if (plain.length) plain.push('');
    flush();
    const body = lines.slice(i + 1, close);
    root.children.push({
      type: 'pre',
      open: `${lines[i]}\n`,
      text: body.join('\n'),
      close: body.length ? `\n${lines[close]}` : lines[close],
    });
    i = close;
    // The newline after the fence belongs to the text after it.
    if (i < lines.length - 1) { plain.push(''); }
  }
  if (plain.length) flush();
  return merge(root);
}

// fenceEnd returns the index of the line closing the fence opened at
// line i, or -1.
function fenceEnd(lines, i) {
  for (let j = i + 1; j < lines.length; j++) if (/^```[ \t\r]*$/.test(lines[j])) return j;
  return -1;
}

// inline parses a stretch of text without fences.
function inline(s) {
  const top = { type: 'root', children: [] };
  // Open emphasis, innermost last: at most one of each marker, so a
  // marker's search of it is bounded.
  const stack = [top];
  const cur = () => stack[stack.length - 1];
  const addText = (t) => cur().children.push({ type: 'text', text: t });
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        cur().children.push({ type: 'code', open: '`', text: s.slice(i + 1, end), close: '`' });
        i = end + 1;
      } else {
        // Unclosed (no backtick follows at all) or empty: text.
        const n = end < 0 ? s.length - i : 2;
        addText(s.slice(i, i + n));
        i += n;
      }
      continue;
    }
    if ((c === 'h' || c === 'H' || c === 'm' || c === 'M') && !isWord(s[i - 1]) && LINK.test(s.slice(i, i + 8))) {
      const len = linkLength(s, i);
      if (len > 0) {
        const url = s.slice(i, i + len);
        cur().children.push({ type: 'link', href: url, text: url });
        i += len;
        continue;
      }
    }
    if (c === '_' && s[i + 1] === '_') {
      // A run of underscores (__init__, a line to fill in) is text.
      let j = i;
      while (s[j] === '_') j++;
      addText(s.slice(i, j));
      i = j;
      continue;
    }
    if (c === '*' || c === '_') {
      const marker = c === '*' && s[i + 1] === '*' ? '**' : c;
      i = emphasis(s, i, marker, stack);
      continue;
    }
    // Plain text up to the next character that may start something.
    let j = i + 1;
    while (j < s.length && !'`*_hHmM'.includes(s[j])) j++;
    addText(s.slice(i, j));
    i = j;
  }
  while (stack.length > 1) unwind(stack);
  return top.children;
}

// linkLength returns the length of the link starting at s[i], or 0 if
// there is only a scheme.
function linkLength(s, i) {
  const scheme = s.slice(i).match(LINK)[0].length;
  let j = i + scheme;
  while (j < s.length && URL_CHAR.test(s[j])) j++;
  // Strip sentence punctuation, and closing brackets the link did not open.
  let unopened = count(s, i, j, ')') - count(s, i, j, '(');
  for (;;) {
    const last = s[j - 1];
    if (TRAILING.test(last) || (last === ')' && unopened > 0)) {
      if (last === ')') unopened--;
      j--;
      continue;
    }
    break;
  }
  return j - i > scheme ? j - i : 0;
}

function count(s, from, to, c) {
  let n = 0;
  for (let k = from; k < to; k++) if (s[k] === c) n++;
  return n;
}

// emphasis handles the marker at s[i]: it closes the open node of that
// marker, opens one, or is text. It returns where parsing goes on.
function emphasis(s, i, marker, stack) {
  const before = s[i - 1];
  const after = s[i + marker.length];
  const type = marker === '**' ? 'strong' : 'em';
  const at = stack.findIndex((n) => n.open === marker);
  // Underscores inside words (snake_case) are never markers.
  const under = marker === '_';
  if (at > 0 && !isSpace(before) && !(under && isWord(after)) && stack[at].children.length) {
    while (stack.length - 1 > at) unwind(stack);
    const node = stack.pop();
    node.close = marker;
    stack[stack.length - 1].children.push(node);
    return i + marker.length;
  }
  if (at < 0 && !isSpace(after) && !(under && isWord(before))) {
    stack.push({ type, open: marker, children: [], close: '' });
    return i + marker.length;
  }
  stack[stack.length - 1].children.push({ type: 'text', text: marker });
  return i + marker.length;
}

// unwind turns the innermost open node, never closed, back into text in
// its parent.
function unwind(stack) {
  const node = stack.pop();
  const parent = stack[stack.length - 1].children;
  parent.push({ type: 'text', text: node.open });
  for (const c of node.children) parent.push(c);
}

// merge joins neighbouring text nodes, throughout the tree.
function merge(node) {
  if (!node.children) return node;
  const out = [];
  for (const child of node.children) {
    const last = out[out.length - 1];
    if (child.type === 'text' && last && last.type === 'text') last.text += child.text;
    else if (child.type !== 'text' || child.text) out.push(merge(child));
  }
  node.children = out;
  return node;
}

// source gives back the text a tree was parsed from.
export function source(node) {
  switch (node.type) {
    case 'root': return node.children.map(source).join('');
    case 'strong': case 'em': return node.open + node.children.map(source).join('') + node.close;
    case 'code': case 'pre': return node.open + node.text + node.close;
    default: return node.text;
  }
}

// plainSnippet takes a search result's snippet (the server's pieces of a
// message, {text, match}, cut out of it as typed, line breaks kept) and
// returns the same pieces without the characters parse takes for
// markers, on one line, so that a snippet reads like the message the
// page shows. The markers are found
// in the joined pieces, so one that spans pieces is still seen, and each
// character keeps its piece: a match is never lost or shifted. A piece
// left empty is dropped. Plain text in, plain text out.
export function plainSnippet(pieces) {
  const kept = [];
  const walk = (n) => {
    const text = (t) => { for (let k = 0; k < t.length; k++) kept.push(true); };
    // Of an open or close, the marker characters go; the rest (a fence's
    // language, its line breaks) is text, and may hold a match.
    const marker = (t) => { for (const c of t) kept.push(!'*_`'.includes(c)); };
    switch (n.type) {
      case 'root': n.children.forEach(walk); break;
      case 'strong': case 'em': marker(n.open); n.children.forEach(walk); marker(n.close); break;
      case 'code': case 'pre': marker(n.open); text(n.text); marker(n.close); break;
      default: text(n.text);
    }
  };
  walk(parse(pieces.map((p) => p.text).join('')));
  let at = 0;
  const out = [];
  for (const p of pieces) {
    let text = '';
    for (let k = 0; k < p.text.length; k++) if (kept[at + k]) text += p.text[k];
    at += p.text.length;
    text = text.replace(/\s+/g, ' ');
    if (text) out.push({ text, match: p.match });
  }
  return out;
}

// renderText returns the DOM of a message's text.
export function renderText(text) {
  const frag = document.createDocumentFragment();
  for (const n of parse(text).children) frag.append(build(n));
  return frag;
}

const SAFE_PROTOCOLS = ['http:', 'https:', 'mailto:'];

function build(n) {
  switch (n.type) {
    case 'strong': case 'em': {
      const e = document.createElement(n.type);
      for (const c of n.children) e.append(build(c));
      return e;
    }
    case 'code': {
      const e = document.createElement('code');
      e.textContent = n.text;
      return e;
    }
    case 'pre': {
      const e = document.createElement('pre');
      e.append(document.createElement('code'));
      e.firstChild.textContent = n.text;
      return e;
    }
    case 'link': {
      const a = document.createElement('a');
      a.href = n.href;
      // The parser only makes links of these; the browser's reading of
      // the URL is checked too.
      if (!SAFE_PROTOCOLS.includes(a.protocol)) return document.createTextNode(n.text);
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      a.textContent = n.text;
      return a;
    }
    default:
      return document.createTextNode(n.text);
  }
}
