// The chat page's shared parts: DOM helpers, the server's limits, the
// page's state, and small formatters. Everything a user wrote is put in
// the page with textContent or as an attribute value, never parsed as
// HTML. The page's scripts are classic scripts sharing these globals,
// loaded in order: base.js, chrome.js, files.js, composer.js, app.js
// (which starts the page).
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
const LISTED_ONLINE = 200;   // people online listed (MaxListedMembers): the first by name
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
  online: new Map(),      // userId -> {userId, name}: who is online in the room on screen
  onlineCount: null,     // how many are online there, by the server; null: the list's size
  lastTypingSent: 0,
  outbox: [],             // {clientId, roomId, text}: sends not yet confirmed
  flushing: false,
  composing: false,       // an input method is composing in the message box
  atEnd: true,            // the message list is scrolled to its end
  socketStopped: false,   // the client closed its open WebSocket: it is stopping (see TrackedSocket)
  focusComposer: true,    // the next room opened takes the focus to the message box
  maxUpload: 10 << 20,    // bytes; the server's value replaces it (GET /api/rooms/{id}/files)
};

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

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function hubMessage(err) {
  const m = String(err && err.message || err);
  const i = m.indexOf('HubException: ');
  return i >= 0 ? m.slice(i + 14) : m;
}
