// The chat page: sign-in and the connection. This is the page's one
// entry module: it imports the others (each adds its part of the page
// when it loads), then starts the page.
import { $, el } from './base.js';
import { state, connected, connectionMade } from './state.js';
import './chrome.js';
import './search.js';
import { loadOutbox, pendingLabel, flush } from './composer.js';
import { loadConversations } from './dms.js';
import { loadUnread } from './unread.js';
import './members.js';
import { addMessages, lastId, renderPresence, renderTyping, renderReceipts, setReads, markRead } from './messages.js';
import { addRoom, renderRooms, openRoom } from './rooms.js';

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
  // Unread counts, message changes, memberships and conversations
  // (unread.js, actions.js, members.js, dms.js).
  connectionMade.emit(conn);
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
