// Rooms: the room list, opening a room (the one on screen), creating
// and leaving one.
import { $, el, MAX_ROOM_NAME, chars, hubMessage } from './base.js';
import { state, connected, roomOpened } from './state.js';
import { closeDrawers } from './chrome.js';
import { renderPending } from './composer.js';
import { addMessages, renderPresence, setReads, renderTyping, scrollToEnd, markRead } from './messages.js';

// addRoom adds or replaces a room of the list; renderRooms draws it.
export function addRoom(r) { state.rooms.set(r.id, r); renderRooms(); }

export function renderRooms() {
  const list = $('room-list');
  const up = state.status === 'connected';
  list.replaceChildren(...[...state.rooms.values()].map((r) => roomItem(r, up)));
}

// roomItem is the entry of a room (or a conversation, dms.js) in a list:
// a button carrying data-room-id and data-room-name.
export function roomItem(r, up) {
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
export async function chooseRoom(roomId) {
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

// openRoom shows a room: joins it, shows its newest messages, marks
// them read, then tells the roomOpened listeners (state.js).
export async function openRoom(roomId) {
  if (!connected()) return;
  const st = await state.conn.invoke('JoinRoom', roomId);
  state.roomId = roomId;
  localStorage.setItem('chat.room', String(roomId));
  state.messages.clear();
  state.typing.clear();
  state.lastMarked = 0;
  state.hasMore = st.hasMore;
  state.hasNewer = false; // the newest messages, not a window of older ones (jump.js)
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
  markRead();
  if (state.focusComposer) { state.focusComposer = false; $('message-input').focus(); }
  // The unread mark, the member list, the conversation list, the upload
  // limit (unread.js, members.js, dms.js, files.js).
  roomOpened.emit(st.room);
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
