// The status page: the admin hub pushes a status every second; the chart
// is plain SVG. Sign in on the chat page first, with a name the server
// lists as an administrator (and a password); this page reuses that
// session. The server checks every call: this page only shows.
import { $ } from './base.js';

const svgNS = 'http://www.w3.org/2000/svg';

function session() {
  try { return JSON.parse(localStorage.getItem('chat.session')); } catch { return null; }
}

function setState(s) { $('state').dataset.state = s; $('state').textContent = s; }

function cell(text, numeric) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (numeric) td.className = 'n';
  return td;
}

function rows(tbody, items, toCells) {
  tbody.replaceChildren(...items.map((it) => {
    const tr = document.createElement('tr');
    tr.append(...toCells(it));
    return tr;
  }));
}

function chart(history) {
  const svg = $('chart');
  const w = 600, h = 160, pad = 14;
  const max = Math.max(1, ...history.map((p) => Math.max(p.in, p.out)));
  const now = history.length ? history[history.length - 1].at : Date.now();
  // One minute at first, growing to the five minutes kept.
  const span = Math.min(5 * 60 * 1000, Math.max(60 * 1000, history.length ? now - history[0].at : 0));
  const x = (at) => w - ((now - at) / span) * w;
  const y = (v) => h - pad - (v / max) * (h - 2 * pad);
  const line = (key) => history.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  const el = (name, attrs, text) => {
    const e = document.createElementNS(svgNS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  svg.replaceChildren(
    el('line', { class: 'grid', x1: 0, x2: w, y1: y(max), y2: y(max) }),
    el('line', { class: 'grid', x1: 0, x2: w, y1: y(0), y2: y(0) }),
    el('text', { x: 2, y: y(max) - 2 }, `${max.toFixed(max < 10 ? 1 : 0)}/s`),
    el('path', { class: 'in', d: line('in') }),
    el('path', { class: 'out', d: line('out') }),
  );
}

function show(st) {
  $('panels').hidden = false;
  $('updated').textContent = `updated ${new Date(st.at).toLocaleTimeString()}`;
  $('total').textContent = String(st.connections.reduce((n, c) => n + c.count, 0));
  rows($('connections'), st.connections, (c) => [cell(c.hub), cell(c.transport), cell(c.protocol), cell(c.count, true)]);
  for (const tr of $('connections').children) {
    const [hub, transport, protocol] = [...tr.children].map((td) => td.textContent);
    tr.dataset.key = `${hub}/${transport}/${protocol}`;
  }
  const last = st.history[st.history.length - 1] || { in: 0, out: 0 };
  $('rate-in').textContent = last.in.toFixed(1);
  $('rate-out').textContent = last.out.toFixed(1);
  $('received').textContent = String(st.received);
  $('sent').textContent = String(st.sent);
  chart(st.history);
  rows($('rooms'), st.rooms, (r) => [cell(r.name), cell(r.kind), cell(r.online, true)]);
  for (const [i, tr] of [...$('rooms').children].entries()) tr.dataset.room = st.rooms[i].name;
  $('room-counts').textContent = roomCounts(st.roomCounts, st.rooms.length);
  $('people').replaceChildren(...st.people.map((p) => {
    const li = document.createElement('li');
    li.dataset.user = p.name;
    const name = document.createElement('span');
    name.textContent = p.name;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Disconnect';
    b.addEventListener('click', () => disconnect(p));
    li.append(name, b);
    return li;
  }));
  $('nodes').replaceChildren(...(st.nodes.length ? st.nodes : ['this server only']).map((n) => {
    const li = document.createElement('li');
    li.textContent = n;
    return li;
  }));
}

// roomCounts sums up the rooms: conversations are counted only, never
// listed (who talks to whom is not the administrator's to see).
function roomCounts(c, listed) {
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  const shown = listed < c.roomsOnline ? `the ${listed} with the most people online are listed`
    : `${n(c.roomsOnline, 'has', 'have')} people online`;
  return `${n(c.public, 'public room', 'public rooms')}, ${c.private} private (${shown}); ` +
    `${n(c.conversations, 'conversation', 'conversations')}, ${c.conversationsOnline} with people online`;
}

let conn;

async function disconnect(p) {
  if (!confirm(`Disconnect ${p.name}?`)) return;
  try {
    await conn.invoke('DisconnectUser', p.id);
  } catch (e) {
    $('error').textContent = `Could not disconnect ${p.name}: ${e.message}`;
  }
}

async function start() {
  const s = session();
  if (!s || !s.token) {
    $('error').textContent = 'Sign in on the chat page first, with an administrator name and its password.';
    return;
  }
  conn = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/admin', { accessTokenFactory: () => s.token })
    .withAutomaticReconnect()
    .build();
  conn.on('status', show);
  conn.onreconnecting(() => setState('reconnecting'));
  conn.onreconnected(() => setState('connected'));
  conn.onclose(() => setState('disconnected'));
  try {
    await conn.start();
  } catch (e) {
    $('error').textContent = 'Not allowed: this page is for administrators (a name listed in -admins, signed in with its password).';
    return;
  }
  setState('connected');
  show(await conn.invoke('Status'));
}

start();
