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

// The server's limits (chat/hub), checked here first so that nothing is
// cut or sent in vain.
const MAX_TEXT = 4000;       // characters of a message
const MAX_ROOM_NAME = 40;    // characters of a room name
const COUNTER_FROM = 3500;   // the counter shows from this many characters
const PREVIEW_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const nf = new Intl.NumberFormat();
const chars = (s) => [...s].length; // code points, as the server counts

const state = {
  token: null, userId: null, name: null,
  conn: null,
  status: 'disconnected',
  rooms: new Map(),       // id -> {id, name, joined}
  roomId: null,           // the room on screen
  messages: new Map(),    // id -> message of the room on screen
  hasMore: false, loadingOlder: false,
  reads: new Map(),       // userId -> {userName, messageId} of the room on screen
  lastMarked: 0,
  typing: new Map(),      // userId -> {name, until}
  lastTypingSent: 0,
  outbox: [],             // {clientId, roomId, text}: sends not yet confirmed
  flushing: false,
  composing: false,       // an input method is composing in the message box
  atEnd: true,            // the message list is scrolled to its end
  focusComposer: true,    // the next room opened takes the focus to the message box
  maxUpload: 10 << 20,    // bytes; the server's value replaces it (GET /api/rooms/{id}/files)
};

// ---- theme: the system's, or the one chosen here ----

const THEMES = ['system', 'light', 'dark'];
function applyTheme(t) {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  const label = t === 'system' ? 'follows the system' : t;
  $('theme').setAttribute('aria-label', `Colour theme: ${label}. Change`);
  $('theme').title = `Colour theme: ${label}`;
}
applyTheme(localStorage.getItem('chat.theme') || 'system');
$('theme').addEventListener('click', () => {
  const now = localStorage.getItem('chat.theme') || 'system';
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  localStorage.setItem('chat.theme', next);
  applyTheme(next);
});

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
  for (const id of ['logout', 'status', 'banner', 'rooms-toggle', 'people-toggle']) $(id).hidden = true;
  $('me').textContent = '';
  $('login-error').textContent = message;
  $('login-name').focus();
}

function enter(s) {
  Object.assign(state, { token: s.token, userId: s.userId, name: s.name });
  state.outbox = loadOutbox();
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  for (const id of ['logout', 'status', 'rooms-toggle', 'people-toggle']) $(id).hidden = false;
  $('me').textContent = s.name;
  setStatus('connecting');
  connect();
}

// ---- connection ----

// setStatus shows the connection's state: the badge, a banner saying
// what still works, and the actions that need the server disabled.
function setStatus(s) {
  state.status = s;
  const badge = $('status');
  badge.dataset.state = s === 'connecting' ? 'disconnected' : s;
  badge.textContent = s;
  const up = s === 'connected';
  const banner = $('banner');
  banner.hidden = up || s === 'connecting';
  if (!up) {
    banner.replaceChildren(el('strong', { text: s === 'reconnecting' ? 'Reconnecting… ' : 'Not connected. ' }),
      'You can read and write: messages wait here and go out when the connection is back.',
      el('span', { class: 'detail', text: ' Switching rooms, creating rooms and sharing files need the connection.' }));
  }
  const reason = up ? '' : 'Needs the connection to the server';
  for (const id of ['file-input', 'room-create-submit', 'leave', 'files-open']) {
    $(id).disabled = !up;
    $(id).title = reason;
  }
  $('file-button').title = up ? 'Share a file' : `Share a file: ${reason.toLowerCase()}`;
  for (const b of $('room-list').querySelectorAll('button')) { b.disabled = !up; b.title = reason; }
  // What others do is unknown while away: presence and receipts are dimmed.
  $('presence-panel').classList.toggle('stale', !up && s !== 'connecting');
  $('presence-stale').hidden = up || s === 'connecting';
  $('message-list').classList.toggle('stale', !up);
  for (const li of $('message-list').querySelectorAll('li.pending:not(.upload-row) .state')) li.textContent = pendingLabel();
}

const connected = () => state.conn && state.conn.state === signalR.HubConnectionState.Connected;

// SOCKET_OPEN_TIMEOUT bounds how long a WebSocket may take to open; a
// server that accepts the connection but never answers would otherwise
// keep the page waiting forever.
const SOCKET_OPEN_TIMEOUT = 10000;

// TrackedSocket is the WebSocket the client uses, watched. Stateful
// reconnect bridges a lost socket below the hub connection, which stays
// "Connected" meanwhile: a new socket while connected means the old one
// was lost (a frozen server, a network drop), and the page says so until
// the new one opens.
class TrackedSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    if (connected() && state.status === 'connected') setStatus('reconnecting');
    const timer = setTimeout(() => { if (this.readyState === WebSocket.CONNECTING) this.close(); }, SOCKET_OPEN_TIMEOUT);
    this.addEventListener('open', () => {
      clearTimeout(timer);
      // Either a bridged reconnect finished, or start/onreconnected will say so.
      if (connected() && state.status === 'reconnecting') setStatus('connected');
    });
    this.addEventListener('close', () => clearTimeout(timer));
  }
}

function connect() {
  const conn = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/chat', { accessTokenFactory: () => state.token, WebSocket: TrackedSocket })
    // A brief network drop is bridged by the protocol: nothing is lost
    // and no catch-up is needed. Longer outages end in a new connection
    // and the catch-up by message id in resync.
    .withStatefulReconnect()
    // A server that stops answering is noticed within 10 s (the server
    // pings every 5 s: chat/server.KeepAliveInterval).
    .withServerTimeout(10000)
    .withKeepAliveInterval(5000)
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
  conn.on('PresenceChanged', (roomId, members) => { if (roomId === state.roomId) renderPresence(members); });
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
  const up = state.status === 'connected';
  list.replaceChildren(...[...state.rooms.values()].map((r) => {
    const b = el('button', { type: 'button', dataset: { roomId: r.id, roomName: r.name } }, el('span', { class: 'name', text: r.name }));
    if (r.id === state.roomId) b.setAttribute('aria-current', 'true');
    // The hidden comma keeps the name and the mark apart for screen readers.
    if (r.joined) b.append(el('span', { class: 'joined' }, el('span', { class: 'visually-hidden', text: ', ' }), 'joined'));
    b.disabled = !up;
    b.title = up ? '' : 'Needs the connection to the server';
    b.addEventListener('click', () => chooseRoom(r.id));
    return el('li', {}, b);
  }));
}

// chooseRoom opens a room the person picked and puts them in its message
// box.
async function chooseRoom(roomId) {
  closeDrawers();
  if (!connected()) {
    $('send-error').textContent = 'Switching rooms needs the connection; it is coming back by itself.';
    return;
  }
  state.focusComposer = true;
  try {
    await openRoom(roomId);
  } catch (err) {
    $('send-error').textContent = hubMessage(err);
  }
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
  document.title = `${st.room.name} · Chat`;
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
  if (state.focusComposer) { state.focusComposer = false; $('message-input').focus(); }
  loadFiles(roomId).catch(() => {}); // learns the upload limit
}

$('room-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('room-create-name');
  const name = input.value.trim();
  $('room-error').textContent = '';
  input.removeAttribute('aria-invalid');
  const n = chars(name);
  if (!n || n > MAX_ROOM_NAME) {
    $('room-error').textContent = n ? `A room name has at most ${MAX_ROOM_NAME} characters; this one has ${n}.` : 'Give the room a name.';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  try {
    const room = await state.conn.invoke('CreateRoom', name);
    input.value = '';
    addRoom({ ...room, joined: true });
    await chooseRoom(room.id);
  } catch (err) {
    $('room-error').textContent = hubMessage(err);
  }
});
$('room-create-name').addEventListener('input', () => {
  const n = chars($('room-create-name').value.trim());
  const over = n > MAX_ROOM_NAME;
  $('room-create-name').toggleAttribute('aria-invalid', over);
  $('room-error').textContent = over ? `${n} of ${MAX_ROOM_NAME} characters: shorten the name by ${n - MAX_ROOM_NAME}.` : '';
});

$('leave').addEventListener('click', async () => {
  if (!connected() || state.roomId === null) return;
  await state.conn.invoke('LeaveRoom', state.roomId);
  const other = [...state.rooms.values()].find((r) => r.joined && r.id !== state.roomId);
  const first = [...state.rooms.values()][0];
  state.roomId = null;
  await chooseRoom((other || first).id);
});

$('skip-link').addEventListener('click', (ev) => { ev.preventDefault(); closeDrawers(); $('message-input').focus(); });

// ---- drawers (phones) ----

function openDrawer(id) {
  closeDrawers();
  $(id).classList.add('open');
  $(id === 'rooms-panel' ? 'rooms-toggle' : 'people-toggle').setAttribute('aria-expanded', 'true');
  $('scrim').hidden = false;
  // What the drawer covers is out of reach until it closes.
  for (const e of document.querySelectorAll('.room, .top, .drawer')) e.inert = e.id !== id;
  $(id).querySelector('.drawer-close').focus();
}
function closeDrawers() {
  const wasOpen = document.querySelector('.drawer.open');
  for (const d of document.querySelectorAll('.drawer')) d.classList.remove('open');
  for (const id of ['rooms-toggle', 'people-toggle']) $(id).setAttribute('aria-expanded', 'false');
  $('scrim').hidden = true;
  for (const e of document.querySelectorAll('.room, .top, .drawer')) e.inert = false;
  return wasOpen;
}
$('rooms-toggle').addEventListener('click', () => openDrawer('rooms-panel'));
$('people-toggle').addEventListener('click', () => openDrawer('presence-panel'));
$('scrim').addEventListener('click', closeDrawers);
for (const b of document.querySelectorAll('[data-close]')) {
  b.addEventListener('click', () => {
    const id = b.dataset.close;
    closeDrawers();
    $(id === 'rooms-panel' ? 'rooms-toggle' : 'people-toggle').focus();
  });
}

// ---- keyboard room switcher (Ctrl+K) ----

function openSwitcher() {
  if (!$('switcher').open) $('switcher').showModal();
  $('switcher-input').value = '';
  renderSwitcher();
  $('switcher-input').focus();
}
function switcherMatches() {
  const q = $('switcher-input').value.trim().toLowerCase();
  return [...state.rooms.values()].filter((r) => r.name.toLowerCase().includes(q));
}
function renderSwitcher() {
  $('switcher-list').replaceChildren(...switcherMatches().map((r) => {
    const b = el('button', { type: 'button', dataset: { roomName: r.name } }, r.name);
    b.addEventListener('click', () => { $('switcher').close(); chooseRoom(r.id); });
    return el('li', {}, b);
  }));
}
document.addEventListener('keydown', (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === 'k' && !$('chat-view').hidden) {
    ev.preventDefault();
    openSwitcher();
  } else if (ev.key === 'Escape' && closeDrawers()) {
    $('message-input').focus();
  }
});
$('switcher-input').addEventListener('input', renderSwitcher);
$('switcher').addEventListener('keydown', (ev) => {
  const buttons = [...$('switcher-list').querySelectorAll('button')];
  const i = buttons.indexOf(document.activeElement);
  if (ev.key === 'Enter' && document.activeElement === $('switcher-input')) {
    ev.preventDefault();
    buttons[0]?.click();
  } else if (ev.key === 'ArrowDown') {
    ev.preventDefault();
    buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
  } else if (ev.key === 'ArrowUp') {
    ev.preventDefault();
    (i <= 0 ? $('switcher-input') : buttons[i - 1]).focus();
  }
});
$('switcher').addEventListener('close', () => { if (document.activeElement === document.body) $('message-input').focus(); });

for (const b of document.querySelectorAll('[data-close-dialog]')) b.addEventListener('click', () => b.closest('dialog').close());
for (const d of document.querySelectorAll('dialog')) {
  // A click on the backdrop (the dialog element itself) closes it.
  d.addEventListener('click', (ev) => { if (ev.target === d) d.close(); });
}

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

// avatar shows a person's initials on a colour derived from their id.
function avatar(userId, name) {
  let h = 0;
  for (const c of String(userId)) h = (h * 31 + c.codePointAt(0)) >>> 0;
  const initials = String(name).trim().split(/\s+/).slice(0, 2).map((w) => [...w][0] || '').join('').toUpperCase() || '?';
  const a = el('span', { class: 'avatar', 'aria-hidden': 'true', text: initials });
  // Lightness 30% keeps white initials readable on every hue.
  a.style.setProperty('--hue', `hsl(${h % 360} 50% 30%)`);
  return a;
}

function renderMessage(m) {
  const time = new Date(m.at);
  const li = el('li', { dataset: { id: m.id, testid: 'message', userId: m.userId } },
    avatar(m.userId, m.userName),
    el('div', { class: 'head' },
      el('span', { class: 'author', text: m.userName }),
      el('time', { datetime: time.toISOString(), text: time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) })));
  if (m.text) li.append(el('p', { class: 'text', text: m.text }));
  if (m.file) li.append(renderFile(m.file));
  return li;
}

const fileURL = (f) => `/api/files/${encodeURIComponent(f.id)}/${encodeURIComponent(f.name)}`;

function renderFile(f) {
  const url = fileURL(f);
  const link = el('a', { href: url, download: f.name, 'data-testid': 'file-link' }, `${f.name} (${formatSize(f.size)})`);
  if (!PREVIEW_TYPES.includes(f.contentType)) return el('p', { class: 'text' }, link);
  const img = el('img', { class: 'preview', src: url, alt: f.name, loading: 'lazy', 'data-testid': 'file-preview' });
  // An image that loads grows the list: who was at its end stays there.
  img.addEventListener('load', () => { if (state.atEnd) scrollToEnd(); });
  const open = el('button', { type: 'button', class: 'preview-button', 'aria-label': `View ${f.name} full size`, 'data-testid': 'preview-open' }, img);
  open.addEventListener('click', () => openLightbox(f));
  return el('div', {}, open, link);
}

function openLightbox(f) {
  $('lightbox-title').textContent = f.name;
  $('lightbox-image').src = fileURL(f);
  $('lightbox-image').alt = f.name;
  $('lightbox-download').href = fileURL(f);
  $('lightbox-download').download = f.name;
  $('lightbox').showModal();
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function scrollToEnd() { const l = $('message-list'); l.scrollTop = l.scrollHeight; state.atEnd = true; }

// Older messages load when the list is scrolled to its top.
$('message-list').addEventListener('scroll', async () => {
  const list = $('message-list');
  state.atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
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

const pendingLabel = () => (state.status === 'connected' ? 'sending…' : 'waiting for the connection');

function renderPending(o) {
  const li = el('li', { class: 'pending', dataset: { clientId: o.clientId, testid: 'pending-message' } },
    avatar(state.userId, state.name),
    el('div', { class: 'head' }, el('span', { class: 'author', text: state.name }), el('span', { class: 'state', text: pendingLabel() })),
    el('p', { class: 'text', text: o.text }));
  $('message-list').append(li);
  scrollToEnd();
}

// submit queues the message box's text: it goes out now if connected,
// else as soon as the connection is back. Too long a text is refused,
// never cut.
function submit() {
  const input = $('message-input');
  const text = input.value.trim();
  if (!text || state.roomId === null) return;
  const n = chars(text);
  if (n > MAX_TEXT) {
    $('send-error').textContent = `Not sent: this message has ${nf.format(n)} characters and the limit is ${nf.format(MAX_TEXT)}. Shorten it by ${nf.format(n - MAX_TEXT)} or split it in two.`;
    input.focus();
    return;
  }
  const o = { clientId: crypto.randomUUID(), roomId: state.roomId, text };
  state.outbox.push(o);
  saveOutbox();
  renderPending(o);
  input.value = '';
  updateCounter();
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

// updateCounter shows the length near and over the limit.
function updateCounter() {
  const n = chars($('message-input').value.trim());
  const c = $('message-counter');
  const over = n > MAX_TEXT;
  c.hidden = n < COUNTER_FROM;
  c.textContent = over ? `${nf.format(n)} / ${nf.format(MAX_TEXT)}: ${nf.format(n - MAX_TEXT)} too many` : `${nf.format(n)} / ${nf.format(MAX_TEXT)}`;
  c.classList.toggle('over', over);
  $('message-input').toggleAttribute('aria-invalid', over);
  $('send').setAttribute('aria-disabled', String(over));
  if (over) {
    $('send-error').textContent = `Too long to send: ${nf.format(n)} characters, the limit is ${nf.format(MAX_TEXT)}. Nothing was cut; shorten it by ${nf.format(n - MAX_TEXT)}.`;
  } else if ($('send-error').textContent.startsWith('Too long') || $('send-error').textContent.startsWith('Not sent: this message has')) {
    $('send-error').textContent = '';
  }
}

$('send-form').addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
const input = $('message-input');
// While an input method composes (Korean, Japanese, Chinese...), Enter
// confirms the composition: it must not send half a word. keyCode 229 is
// what some browsers report for that Enter after compositionend.
input.addEventListener('compositionstart', () => { state.composing = true; });
input.addEventListener('compositionend', () => { state.composing = false; });
input.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter' || ev.shiftKey) return;
  if (ev.isComposing || state.composing || ev.keyCode === 229) return;
  ev.preventDefault();
  submit();
});
input.addEventListener('input', () => {
  if (!$('send-error').textContent.startsWith('Too long')) $('send-error').textContent = '';
  updateCounter();
  if (!connected() || state.roomId === null || Date.now() - state.lastTypingSent < 2000) return;
  state.lastTypingSent = Date.now();
  state.conn.invoke('Typing', state.roomId).catch(() => {});
});
// Pasting an image shares it; text pastes as usual.
input.addEventListener('paste', (ev) => {
  const files = [...(ev.clipboardData?.files || [])];
  if (!files.length) return;
  ev.preventDefault();
  shareFiles(files);
});

// ---- files ----

$('file-input').addEventListener('change', () => {
  shareFiles([...$('file-input').files]);
  $('file-input').value = '';
});

// checkFile returns why a file cannot be shared, or ''.
function checkFile(f) {
  if (f.size > state.maxUpload) return `${f.name} is ${formatSize(f.size)}; files are at most ${formatSize(state.maxUpload)}. Nothing was sent.`;
  if (f.size === 0) return `${f.name} is empty (or a folder): nothing to share.`;
  return '';
}

function shareFiles(files) {
  $('send-error').textContent = '';
  if (!connected() || state.roomId === null) {
    $('send-error').textContent = 'Sharing files needs the connection; try again when it is back.';
    return;
  }
  const refused = [];
  for (const f of files) {
    const why = checkFile(f);
    if (why) refused.push(why);
    else upload(f);
  }
  $('send-error').textContent = refused.join(' ');
}

// upload sends one file with XMLHttpRequest, which reports progress, in
// a pending row that can cancel it.
function upload(file) {
  const roomId = state.roomId;
  const bar = el('progress', { max: String(file.size), value: '0', 'aria-label': `Uploading ${file.name}`, 'data-testid': 'upload-progress' });
  const note = el('span', { class: 'state', text: 'uploading…' });
  const cancel = el('button', { type: 'button', class: 'link', 'data-testid': 'upload-cancel', 'aria-label': `Cancel uploading ${file.name}` }, 'Cancel');
  const kind = file.type.startsWith('image/') && !PREVIEW_TYPES.includes(file.type)
    ? ' (shared as a download: only PNG, JPEG, GIF and WebP images show a preview)' : '';
  const li = el('li', { class: 'pending upload-row', 'data-testid': 'upload-row' },
    avatar(state.userId, state.name),
    el('div', { class: 'head' }, el('span', { class: 'author', text: state.name }), note),
    el('p', { class: 'text', text: `${file.name} (${formatSize(file.size)})${kind}` }),
    el('div', { class: 'controls' }, bar, cancel));
  $('message-list').append(li);
  scrollToEnd();
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/rooms/${roomId}/files`);
  xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
  xhr.responseType = 'json';
  xhr.upload.addEventListener('progress', (ev) => {
    bar.value = ev.loaded;
    note.textContent = `uploading… ${Math.floor((100 * ev.loaded) / (ev.total || file.size))}%`;
  });
  const fail = (text) => {
    li.classList.add('failed');
    note.textContent = text;
    cancel.textContent = 'Dismiss';
    cancel.setAttribute('aria-label', `Dismiss ${file.name}`);
    cancel.onclick = () => li.remove();
  };
  xhr.addEventListener('load', () => {
    if (xhr.status === 200 && xhr.response) {
      li.remove();
      if (roomId === state.roomId) addMessages([xhr.response]);
      return;
    }
    fail(`upload failed (${xhr.status})`);
    $('send-error').textContent = `Upload of ${file.name} failed: ${xhr.status === 413 ? 'too large' : xhr.statusText || 'refused'}.`;
  });
  xhr.addEventListener('error', () => fail('upload failed: connection lost'));
  xhr.addEventListener('abort', () => li.remove());
  cancel.onclick = () => { xhr.abort(); $('message-input').focus(); };
  const form = new FormData();
  form.append('file', file);
  xhr.send(form);
}

// Files dropped anywhere on the room are shared in it.
const room = document.querySelector('.room');
const dragsFiles = (ev) => [...(ev.dataTransfer?.types || [])].includes('Files');
let dragDepth = 0;
room.addEventListener('dragenter', (ev) => {
  if (!dragsFiles(ev)) return;
  ev.preventDefault();
  dragDepth++;
  $('drop-zone').hidden = false;
});
room.addEventListener('dragover', (ev) => { if (dragsFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'copy'; } });
room.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop-zone').hidden = true; } });
room.addEventListener('drop', (ev) => {
  dragDepth = 0;
  $('drop-zone').hidden = true;
  const files = [...(ev.dataTransfer?.files || [])];
  if (!files.length) return;
  ev.preventDefault();
  shareFiles(files);
});

// loadFiles fetches a room's file list (and the upload limit).
async function loadFiles(roomId) {
  const res = await fetch(`/api/rooms/${roomId}/files`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
  const l = await res.json();
  state.maxUpload = l.maxBytes;
  return l.files;
}

$('files-open').addEventListener('click', async () => {
  const roomId = state.roomId;
  if (roomId === null) return;
  $('files-title').textContent = `Files in ${$('room-title').textContent}`;
  $('files-list').replaceChildren();
  $('files-empty').hidden = true;
  $('files-dialog').showModal();
  try {
    const files = await loadFiles(roomId);
    $('files-empty').hidden = files.length > 0;
    $('files-list').replaceChildren(...files.map((f) => {
      const link = el('a', { href: fileURL(f), download: f.name }, f.name);
      const when = new Date(f.at).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
      const li = el('li', { 'data-testid': 'files-item' }, link, el('span', { class: 'meta', text: `${formatSize(f.size)} · ${when}` }));
      if (PREVIEW_TYPES.includes(f.contentType)) {
        const view = el('button', { type: 'button', class: 'link', 'aria-label': `View ${f.name}` }, 'View');
        view.addEventListener('click', () => { $('files-dialog').close(); openLightbox(f); });
        li.append(view);
      }
      return li;
    }));
  } catch (err) {
    $('files-empty').hidden = false;
    $('files-empty').textContent = `The list could not be loaded: ${err.message}`;
  }
});

function hubMessage(err) {
  const m = String(err && err.message || err);
  const i = m.indexOf('HubException: ');
  return i >= 0 ? m.slice(i + 14) : m;
}

// ---- presence, typing, read receipts ----

function renderPresence(members) {
  $('presence-list').replaceChildren(...members.map((m) =>
    el('li', { dataset: { userId: m.userId } }, avatar(m.userId, m.name), m.userId === state.userId ? `${m.name} (you)` : m.name)));
}

function renderTyping() {
  const now = Date.now();
  for (const [id, t] of state.typing) if (t.until <= now) state.typing.delete(id);
  const names = [...state.typing.values()].map((t) => t.name);
  const text = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  if ($('typing').textContent !== text) $('typing').textContent = text;
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
