// The page's shared state, owned by this module alone: who is signed in,
// the connection, the room on screen and what is shown of it. Other
// modules read and change it through the state object they import from
// here; none keeps a copy. Two events that several modules follow are
// here too, beside the state they are about.
import { hook } from './base.js';

export const state = {
  token: null, userId: null, name: null,
  conn: null,
  status: 'disconnected',
  rooms: new Map(),       // id -> {id, name, joined}
  dms: new Map(),         // id -> conversation {id, name, kind, members} (dms.js)
  roomId: null,           // the room on screen
  room: null,             // the room on screen, as JoinRoom returned it (members.js)
  members: [],            // its members: {userId, name, online, owner} (members.js)
  messages: new Map(),    // id -> message of the room on screen
  hasMore: false, loadingOlder: false,
  hasNewer: false, loadingNewer: false, // a window of older messages is shown (jump.js)
  reads: new Map(),       // userId -> {userName, messageId} of the room on screen
  lastMarked: 0,
  typing: new Map(),      // userId -> {name, until}
  online: new Map(),      // userId -> {userId, name}: who is online in the room on screen
  onlineCount: null,     // how many are online there, by the server; null: the list's size
  lastTypingSent: 0,
  replyTo: null,          // {id, roomId, userName, excerpt}: the message the next send answers (replies.js)
  outbox: [],             // {clientId, roomId, text}: sends not yet confirmed
  flushing: false,
  composing: false,       // an input method is composing in the message box
  atEnd: true,            // the message list is scrolled to its end
  socketStopped: false,   // the client closed its open WebSocket: it is stopping (see TrackedSocket)
  focusComposer: true,    // the next room opened takes the focus to the message box
  maxUpload: 10 << 20,    // bytes; the server's value replaces it (GET /api/rooms/{id}/files)
};

// connected reports whether the hub connection is up.
export function connected() {
  return state.conn !== null && state.conn.state === signalR.HubConnectionState.Connected;
}

// connectionMade is emitted (by app.js) with each new hub connection,
// before it starts: its listeners add their handlers to it.
export const connectionMade = hook('connectionMade');

// roomOpened is emitted (by rooms.js) with the room JoinRoom returned,
// once that room's messages are on screen.
export const roomOpened = hook('roomOpened');
