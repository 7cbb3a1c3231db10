// The chat page: sign-in, the connection, rooms, messages, the outbox,
// presence, typing and read receipts. It runs last of the page's scripts
// (see base.js) and starts the page.
'use strict';

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
  for (const id of ['logout', 'status', 'banner', 'rooms-toggle', 'people-toggle', 'search-form']) $(id).hidden = true;
  $('me').textContent = '';
  $('login-error').textContent = message;
  $('login-name').focus();
}

function enter(s) {
  Object.assign(state, { token: s.token, userId: s.userId, name: s.name });
  state.outbox = loadOutbox();
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  for (const id of ['logout', 'status', 'rooms-toggle', 'people-toggle', 'search-form']) $(id).hidden = false;
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
  badge.dataset.state = s;
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
  for (const b of document.querySelectorAll('#room-list button, #dm-list button')) { b.disabled = !up; b.title = reason; }
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
// was lost (a network drop), and the page says so until the new one opens.
//
// The client also tries that bridge after it stopped the connection itself
// (a server timeout, a close message from the server). Such a bridge can
// only fail, and if the server answers it late, its messages reach the next
// connection's handshake ("Expected a handshake response"). It is failed at
// once instead, so the hub's own reconnect takes over.
class TrackedSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    if (!connected()) {
      state.socketStopped = false; // a new connection (start or reconnect)
    } else if (state.socketStopped) {
      setTimeout(() => this.close(), 0);
      return;
    } else if (state.status === 'connected') {
      setStatus('reconnecting');
    }
    const timer = setTimeout(() => { if (this.readyState === WebSocket.CONNECTING) this.close(); }, SOCKET_OPEN_TIMEOUT);
    this.addEventListener('open', () => {
      clearTimeout(timer);
      // Either a bridged reconnect finished, or start/onreconnected will say so.
      if (connected() && state.status === 'reconnecting') setStatus('connected');
    });
    this.addEventListener('close', () => clearTimeout(timer));
  }

  close(code, reason) {
    // The client closes an open socket only when it stops the connection:
    // a lost socket is already closed when the client closes it.
    if (this.readyState === WebSocket.OPEN) state.socketStopped = true;
    super.close(code, reason);
  }
}

// forcedTransport is the transport named by the page's ?transport=
// parameter (WebSockets, ServerSentEvents or LongPolling, for tests and
// for networks that break one of them); undefined lets the client choose.
function forcedTransport() {
  const name = new URLSearchParams(location.search).get('transport');
  return name ? signalR.HttpTransportType[name] : undefined;
}

function connect() {
  const conn = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/chat', { accessTokenFactory: () => state.token, WebSocket: TrackedSocket, transport: forcedTransport() })
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
  watchUnread(conn); // unread.js
  conn.on('RoomCreated', (room) => { addRoom({ ...room, joined: state.rooms.get(room.id)?.joined || false }); });
  conn.on('MembershipChanged', (roomId, joined) => {
    const r = state.rooms.get(roomId);
    if (r) { r.joined = joined; renderRooms(); }
  });
  conn.on('MessageReceived', (m) => {
    if (m.roomId !== state.roomId || state.hasNewer) return; // a window of older messages: it loads on scrolling down
    addMessages([m]);
    markRead();
    if (state.typing.delete(m.userId)) renderTyping(); // they are done typing
  });
  // JoinRoom gives the full list; then only changes come (repeats are harmless).
  conn.on('PresenceDelta', (roomId, joined, left, online) => {
    if (roomId !== state.roomId) return;
    for (const m of joined) state.online.set(m.userId, m);
    for (const id of left) state.online.delete(id);
    renderPresence(undefined, online);
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
  watchMessageChanges(conn); // actions.js
  watchMembership(conn); // private rooms, conversations, member lists (dms.js, members.js)
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
    await loadConversations();
    await loadUnread();
    const wanted = state.roomId ?? Number(localStorage.getItem('chat.room'));
    const room = state.rooms.get(wanted) || state.dms.get(wanted) || rooms.find((r) => r.joined) || rooms[0];
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
  state.hasNewer = false; // a window of older messages now reaches the newest
  const st = await state.conn.invoke('JoinRoom', roomId);
  if (roomId !== state.roomId) return;
  addMessages(st.messages);
  renderPresence(st.members, st.online);
  setReads(st.reads);
  markRead();
}

// ---- rooms ----

function addRoom(r) { state.rooms.set(r.id, r); renderRooms(); }

function renderRooms() {
  const list = $('room-list');
  const up = state.status === 'connected';
  list.replaceChildren(...[...state.rooms.values()].map((r) => roomItem(r, up)));
}

// roomItem is the entry of a room (or a conversation, dms.js) in a list:
// a button carrying data-room-id and data-room-name.
function roomItem(r, up) {
  const b = el('button', { type: 'button', dataset: { roomId: r.id, roomName: r.name } }, el('span', { class: 'name', text: r.name }));
  if (r.id === state.roomId) b.setAttribute('aria-current', 'true');
  // The hidden comma keeps the name and the mark apart for screen readers.
  if (r.joined) b.append(el('span', { class: 'joined' }, el('span', { class: 'visually-hidden', text: ', ' }), 'joined'));
  b.disabled = !up;
  b.title = up ? '' : 'Needs the connection to the server';
  b.addEventListener('click', () => chooseRoom(r.id));
  return el('li', {}, b);
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
  resetJump(roomId); // jump.js
  $('message-list').replaceChildren();
  $('room-title').textContent = st.room.name;
  document.title = `${st.room.name} · Chat`;
  const r = state.rooms.get(roomId);
  if (r) r.joined = true;
  renderRooms();
  addMessages(st.messages);
  for (const o of state.outbox) if (o.roomId === roomId) renderPending(o);
  renderPresence(st.members, st.online);
  setReads(st.reads);
  renderTyping();
  scrollToEnd();
  showUnreadOnOpen(roomId);
  markRead();
  if (state.focusComposer) { state.focusComposer = false; $('message-input').focus(); }
  roomOpened(st.room); // member list, conversation list (members.js, dms.js)
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
    const room = await state.conn.invoke('CreateRoomWith', name, { private: $('room-create-private').checked });
    input.value = '';
    $('room-create-private').checked = false;
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

// ---- messages ----

const lastId = () => Math.max(0, ...state.messages.keys());

// addMessages puts messages in id order, each once.
function addMessages(ms) {
  const list = $('message-list');
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  for (const m of ms) {
    if (m.roomId !== state.roomId) continue;
    if (state.messages.has(m.id)) { refreshMessage(m); continue; }
    state.messages.set(m.id, m);
    if (m.clientId) list.querySelector(`li[data-client-id="${CSS.escape(m.clientId)}"]`)?.remove();
    const li = renderMessage(m);
    const next = [...list.querySelectorAll('li[data-id]')].find((x) => Number(x.dataset.id) > m.id)
      || list.querySelector('li.pending');
    list.insertBefore(li, next || null);
  }
  regroup(); // timeline.js
  renderReceipts();
  if (stick) scrollToEnd();
}

function renderMessage(m) {
  const time = new Date(m.at);
  const li = el('li', { dataset: { id: m.id, testid: 'message', userId: m.userId } },
    avatar(m.userId, m.userName),
    el('div', { class: 'head' },
      el('span', { class: 'author', text: m.userName }),
      stamp(time)));
  if (m.replyTo) li.append(renderQuote(m.replyTo));
  if (m.text) li.append(el('div', { class: 'text' }, renderText(m.text)));
  if (m.file) li.append(renderFile(m.file));
  decorate(li, m); // actions.js
  return li;
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

// ---- presence, typing, read receipts ----

// renderPresence shows who is online, after replacing the list with
// members when given (JoinRoom's: the first LISTED_ONLINE by name), and
// how many, after taking online when given (the server's count: the list
// may be cut, and deltas about people beyond it are not sent).
function renderPresence(members, online) {
  if (members) {
    state.online = new Map(members.map((m) => [m.userId, m]));
    state.onlineCount = null;
  }
  if (typeof online === 'number') state.onlineCount = online;
  const byName = (a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || (a.userId < b.userId ? -1 : 1);
  const shown = [...state.online.values()].sort(byName).slice(0, LISTED_ONLINE);
  const count = Math.max(state.onlineCount ?? state.online.size, shown.length);
  $('presence-list').replaceChildren(...shown.map((m) =>
    el('li', { dataset: { userId: m.userId } }, avatar(m.userId, m.name), m.userId === state.userId ? `${m.name} (you)` : m.name)));
  $('presence-count').textContent = `(${nf.format(count)})`;
  $('presence-more').textContent = count > shown.length ? `and ${nf.format(count - shown.length)} more` : '';
  $('presence-more').hidden = count <= shown.length;
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
