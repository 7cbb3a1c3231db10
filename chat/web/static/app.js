// The chat page. Everything a user wrote is put in the page with
// textContent or as an attribute value, never parsed as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

const state = {
  token: null, userId: null, name: null,
  conn: null,
  rooms: new Map(),       // id -> {id, name, joined}
  roomId: null,           // the room on screen
  messages: new Map(),    // id -> message of the room on screen
  hasMore: false, loadingOlder: false,
  reads: new Map(),       // userId -> {userName, messageId} of the room on screen
  lastMarked: 0,
  typing: new Map(),      // userId -> {name, until}
  online: new Map(),      // userId -> {userId, name}: who is online in the room on screen
  lastTypingSent: 0,
  outbox: [],             // {clientId, roomId, text}: sends not yet confirmed
  flushing: false,
};

// ---- sign-in ----

async function signIn(name, password) {
  const res = await fetch('/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
  return res.json();
}

function saveSession(s) { localStorage.setItem('chat.session', JSON.stringify(s)); }
function loadSession() {
  try { return JSON.parse(localStorage.getItem('chat.session')); } catch { return null; }
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  try {
    const s = await signIn($('login-name').value.trim(), $('login-password').value);
    saveSession(s);
    enter(s);
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});

$('logout').addEventListener('click', async () => {
  localStorage.removeItem('chat.session');
  await fetch('/api/logout', { method: 'POST' });
  location.reload();
});

function showLogin(message = '') {
  $('chat-view').hidden = true;
  $('login-view').hidden = false;
  $('logout').hidden = true;
  $('me').textContent = '';
  $('login-error').textContent = message;
  $('login-name').focus();
}

function enter(s) {
  Object.assign(state, { token: s.token, userId: s.userId, name: s.name });
  state.outbox = loadOutbox();
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  $('logout').hidden = false;
  $('me').textContent = s.name;
  connect();
}

// ---- connection ----

function setStatus(s) {
  $('status').dataset.state = s;
  $('status').textContent = s;
  const connected = s === 'connected';
  for (const id of ['send', 'file-input', 'room-create-submit']) $(id).disabled = !connected;
}

const connected = () => state.conn && state.conn.state === signalR.HubConnectionState.Connected;

function connect() {
  const conn = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/chat', { accessTokenFactory: () => state.token })
    // Never give up: a server restart or a long network outage ends with
    // the page connected again, without a reload.
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(250 * 2 ** ctx.previousRetryCount, 5000) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  state.conn = conn;
  conn.on('RoomCreated', (room) => { addRoom({ ...room, joined: state.rooms.get(room.id)?.joined || false }); });
  conn.on('MembershipChanged', (roomId, joined) => {
    const r = state.rooms.get(roomId);
    if (r) { r.joined = joined; renderRooms(); }
  });
  conn.on('MessageReceived', (m) => {
    if (m.roomId !== state.roomId) return;
    addMessages([m]);
    markRead();
    if (state.typing.delete(m.userId)) renderTyping(); // they are done typing
  });
  // JoinRoom gives the full list; then only changes come (repeats are harmless).
  conn.on('PresenceDelta', (roomId, joined, left) => {
    if (roomId !== state.roomId) return;
    for (const m of joined) state.online.set(m.userId, m);
    for (const id of left) state.online.delete(id);
    renderPresence();
  });
  conn.on('UserTyping', (roomId, userId, name) => {
    if (roomId !== state.roomId || userId === state.userId) return;
    state.typing.set(userId, { name, until: Date.now() + 3000 });
    renderTyping();
  });
  conn.on('ReadReceipt', (r) => {
    if (r.roomId !== state.roomId) return;
    state.reads.set(r.userId, r);
    renderReceipts();
  });
  conn.on('Resync', () => resync()); // the server's backplane was away: fetch what was missed
  conn.onreconnecting(() => setStatus('reconnecting'));
  conn.onreconnected(() => { setStatus('connected'); resync(); });
  conn.onclose(() => { setStatus('disconnected'); setTimeout(start, 1000); });
  start();
}

// start starts the connection, retrying until it works; a refused token
// sends the user back to the sign-in form.
async function start() {
  const conn = state.conn;
  if (conn.state !== signalR.HubConnectionState.Disconnected) return;
  try {
    await conn.start();
  } catch (err) {
    if (/\b401\b/.test(String(err && err.message))) {
      localStorage.removeItem('chat.session');
      showLogin('Your sign-in has expired: please sign in again.');
      return;
    }
    setStatus('disconnected');
    setTimeout(start, 2000);
    return;
  }
  setStatus('connected');
  resync();
}

// resync brings the page up to date after (re)connecting: the room list,
// then what the open room missed, fetched by message id so that nothing
// is lost or shown twice; then the sends that never got an answer.
async function resync() {
  try {
    const rooms = await state.conn.invoke('Rooms');
    state.rooms.clear();
    for (const r of rooms) state.rooms.set(r.id, r);
    renderRooms();
    const wanted = state.roomId ?? Number(localStorage.getItem('chat.room'));
    const room = state.rooms.get(wanted) || rooms.find((r) => r.joined) || rooms[0];
    if (room && room.id === state.roomId) await catchUp(room.id);
    else if (room) await openRoom(room.id);
  } catch (err) {
    console.warn('resync', err);
  }
  flush();
}

async function catchUp(roomId) {
  let after = lastId();
  for (;;) {
    const missed = await state.conn.invoke('MessagesSince', roomId, after);
    if (roomId !== state.roomId) return;
    addMessages(missed);
    if (missed.length < 500) break;
    after = missed[missed.length - 1].id;
  }
  const st = await state.conn.invoke('JoinRoom', roomId);
  if (roomId !== state.roomId) return;
  addMessages(st.messages);
  renderPresence(st.members);
  setReads(st.reads);
  markRead();
}

// ---- rooms ----

function addRoom(r) { state.rooms.set(r.id, r); renderRooms(); }

function renderRooms() {
  const list = $('room-list');
  list.replaceChildren(...[...state.rooms.values()].map((r) => {
    const b = el('button', { type: 'button', dataset: { roomId: r.id, roomName: r.name } }, r.name);
    if (r.id === state.roomId) b.setAttribute('aria-current', 'true');
    if (r.joined) b.append(el('span', { class: 'joined', text: 'joined' }));
    b.addEventListener('click', () => openRoom(r.id));
    return el('li', {}, b);
  }));
}

async function openRoom(roomId) {
  if (!connected()) return;
  const st = await state.conn.invoke('JoinRoom', roomId);
  state.roomId = roomId;
  localStorage.setItem('chat.room', String(roomId));
  state.messages.clear();
  state.typing.clear();
  state.lastMarked = 0;
  state.hasMore = st.hasMore;
  $('message-list').replaceChildren();
  $('room-title').textContent = st.room.name;
  const r = state.rooms.get(roomId);
  if (r) r.joined = true;
  renderRooms();
  addMessages(st.messages);
  for (const o of state.outbox) if (o.roomId === roomId) renderPending(o);
  renderPresence(st.members);
  setReads(st.reads);
  renderTyping();
  scrollToEnd();
  markRead();
}

$('room-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('room-error').textContent = '';
  try {
    const room = await state.conn.invoke('CreateRoom', $('room-create-name').value.trim());
    $('room-create-name').value = '';
    addRoom({ ...room, joined: true });
    await openRoom(room.id);
  } catch (err) {
    $('room-error').textContent = hubMessage(err);
  }
});

$('leave').addEventListener('click', async () => {
  if (!connected() || state.roomId === null) return;
  await state.conn.invoke('LeaveRoom', state.roomId);
  const other = [...state.rooms.values()].find((r) => r.joined && r.id !== state.roomId);
  const first = [...state.rooms.values()][0];
  state.roomId = null;
  await openRoom((other || first).id);
});

// ---- messages ----

const lastId = () => Math.max(0, ...state.messages.keys());

// addMessages puts messages in id order, each once.
function addMessages(ms) {
  const list = $('message-list');
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  for (const m of ms) {
    if (m.roomId !== state.roomId || state.messages.has(m.id)) continue;
    state.messages.set(m.id, m);
    if (m.clientId) list.querySelector(`li[data-client-id="${CSS.escape(m.clientId)}"]`)?.remove();
    const li = renderMessage(m);
    const next = [...list.querySelectorAll('li[data-id]')].find((x) => Number(x.dataset.id) > m.id)
      || list.querySelector('li.pending');
    list.insertBefore(li, next || null);
  }
  renderReceipts();
  if (stick) scrollToEnd();
}

function renderMessage(m) {
  const time = new Date(m.at);
  const li = el('li', { dataset: { id: m.id, testid: 'message', userId: m.userId } },
    el('span', { class: 'author', text: m.userName }),
    el('time', { datetime: time.toISOString(), text: time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }));
  if (m.text) li.append(el('p', { class: 'text', text: m.text }));
  if (m.file) li.append(renderFile(m.file));
  return li;
}

function renderFile(f) {
  const url = `/api/files/${encodeURIComponent(f.id)}/${encodeURIComponent(f.name)}`;
  const link = el('a', { href: url, download: f.name, 'data-testid': 'file-link' }, `${f.name} (${formatSize(f.size)})`);
  if (!/^image\/(png|jpeg|gif|webp)$/.test(f.contentType)) return el('p', { class: 'text' }, link);
  const img = el('img', { class: 'preview', src: url, alt: f.name, loading: 'lazy', 'data-testid': 'file-preview' });
  img.addEventListener('load', () => { const l = $('message-list'); if (l.scrollHeight - l.scrollTop - l.clientHeight < 300) scrollToEnd(); });
  return el('div', {}, img, link);
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function scrollToEnd() { const l = $('message-list'); l.scrollTop = l.scrollHeight; }

// Older messages load when the list is scrolled to its top.
$('message-list').addEventListener('scroll', async () => {
  const list = $('message-list');
  if (list.scrollTop > 40 || !state.hasMore || state.loadingOlder || !connected()) return;
  state.loadingOlder = true;
  const roomId = state.roomId;
  try {
    const oldest = Math.min(...state.messages.keys());
    const page = await state.conn.invoke('History', roomId, oldest);
    if (roomId !== state.roomId) return;
    state.hasMore = page.length === 50;
    const before = list.scrollHeight;
    addMessages(page);
    list.scrollTop += list.scrollHeight - before; // keep what was on screen in place
  } catch (err) {
    console.warn('history', err);
  } finally {
    state.loadingOlder = false;
  }
});

// ---- sending: an outbox that survives lost connections and reloads ----

function outboxKey() { return `chat.outbox.${state.userId}`; }
function loadOutbox() { try { return JSON.parse(localStorage.getItem(outboxKey())) || []; } catch { return []; } }
function saveOutbox() { localStorage.setItem(outboxKey(), JSON.stringify(state.outbox)); }

function renderPending(o) {
  const li = el('li', { class: 'pending', dataset: { clientId: o.clientId } },
    el('span', { class: 'author', text: state.name }), el('time', { text: 'sending…' }),
    el('p', { class: 'text', text: o.text }));
  $('message-list').append(li);
  scrollToEnd();
}

function submit() {
  const text = $('message-input').value.trim();
  if (!text || !connected() || state.roomId === null) return;
  const o = { clientId: crypto.randomUUID(), roomId: state.roomId, text };
  state.outbox.push(o);
  saveOutbox();
  renderPending(o);
  $('message-input').value = '';
  state.lastTypingSent = 0; // others stop showing us typing on this message: say so again next time
  flush();
}

// flush sends the outbox in order. A send cut by a lost connection stays
// queued and goes again after reconnecting, under the same client id, so
// the server stores it once.
async function flush() {
  if (state.flushing) return;
  state.flushing = true;
  try {
    while (state.outbox.length && connected()) {
      const o = state.outbox[0];
      try {
        const m = await state.conn.invoke('SendMessage', o.roomId, o.text, o.clientId);
        addMessages([m]);
      } catch (err) {
        if (!connected()) break; // retried by resync
        $('send-error').textContent = hubMessage(err);
        document.querySelector(`li[data-client-id="${CSS.escape(o.clientId)}"]`)?.classList.add('failed');
      }
      state.outbox.shift();
      saveOutbox();
    }
  } finally {
    state.flushing = false;
  }
}

$('send-form').addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
$('message-input').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); submit(); }
});
$('message-input').addEventListener('input', () => {
  $('send-error').textContent = '';
  if (!connected() || state.roomId === null || Date.now() - state.lastTypingSent < 2000) return;
  state.lastTypingSent = Date.now();
  state.conn.invoke('Typing', state.roomId).catch(() => {});
});

$('file-input').addEventListener('change', async () => {
  const file = $('file-input').files[0];
  if (!file || state.roomId === null) return;
  const form = new FormData();
  form.append('file', file);
  $('send-error').textContent = '';
  try {
    const res = await fetch(`/api/rooms/${state.roomId}/files`, {
      method: 'POST', body: form, headers: { Authorization: `Bearer ${state.token}` },
    });
    if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
    addMessages([await res.json()]);
  } catch (err) {
    $('send-error').textContent = `Upload failed: ${err.message}`;
  } finally {
    $('file-input').value = '';
  }
});

function hubMessage(err) {
  const m = String(err && err.message || err);
  const i = m.indexOf('HubException: ');
  return i >= 0 ? m.slice(i + 14) : m;
}

// ---- presence, typing, read receipts ----

// renderPresence shows who is online, after replacing the list with
// members when given (a room's full list).
function renderPresence(members) {
  if (members) state.online = new Map(members.map((m) => [m.userId, m]));
  const byName = (a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || (a.userId < b.userId ? -1 : 1);
  $('presence-list').replaceChildren(...[...state.online.values()].sort(byName).map((m) =>
    el('li', { dataset: { userId: m.userId }, text: m.userId === state.userId ? `${m.name} (you)` : m.name })));
}

function renderTyping() {
  const now = Date.now();
  for (const [id, t] of state.typing) if (t.until <= now) state.typing.delete(id);
  const names = [...state.typing.values()].map((t) => t.name);
  $('typing').textContent = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}
setInterval(renderTyping, 1000);

function setReads(reads) {
  state.reads.clear();
  for (const r of reads) state.reads.set(r.userId, r);
  renderReceipts();
}

// renderReceipts shows, under the last message each other user has
// read, "Seen by" their names.
function renderReceipts() {
  const list = $('message-list');
  for (const e of list.querySelectorAll('.receipts')) e.remove();
  const ids = [...state.messages.keys()].sort((a, b) => a - b);
  const at = new Map();
  for (const r of state.reads.values()) {
    if (r.userId === state.userId) continue;
    let target = 0;
    for (const id of ids) if (id <= r.messageId) target = id;
    if (!target) continue;
    if (!at.has(target)) at.set(target, []);
    at.get(target).push(r.userName);
  }
  for (const [id, names] of at) {
    list.querySelector(`li[data-id="${id}"]`)?.append(
      el('span', { class: 'receipts', 'data-testid': 'read-receipt', text: `Seen by ${names.sort().join(', ')}` }));
  }
}

// markRead tells the server how far this user has read, while the page
// is visible.
function markRead() {
  const id = lastId();
  if (!id || id <= state.lastMarked || document.visibilityState !== 'visible' || !connected()) return;
  state.lastMarked = id;
  state.conn.invoke('MarkRead', state.roomId, id).catch(() => { state.lastMarked = 0; });
}
document.addEventListener('visibilitychange', markRead);
window.addEventListener('focus', markRead);

// ---- start ----

setStatus('disconnected');
(async () => {
  const s = loadSession();
  if (!s) return showLogin();
  // Checks the stored token and renews the cookie images are loaded with.
  try {
    const res = await fetch('/api/session', { method: 'POST', headers: { Authorization: `Bearer ${s.token}` } });
    if (res.status === 401) { localStorage.removeItem('chat.session'); return showLogin(); }
  } catch { /* the server is away: connect() keeps trying */ }
  enter(s);
})();
