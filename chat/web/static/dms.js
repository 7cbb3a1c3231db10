// Direct messages: the list of the person's conversations (rooms of kind
// "dm", each named by the server after its other members) and the form
// that starts one. Entries are room buttons like the room list's
// (roomItem in rooms.js), so that anything marking rooms marks them too.
import { $, hubMessage } from './base.js';
import { state, connected, connectionMade, roomOpened } from './state.js';
import { roomItem, chooseRoom } from './rooms.js';

// A conversation started by someone else appears at once.
connectionMade.on((conn) => { conn.on('ConversationStarted', (c) => addDm(c)); });

// Opening a conversation lists it (one started elsewhere may be new here)
// and marks it as the open one.
roomOpened.on((room) => {
  if (room.kind === 'dm' && !state.dms.has(room.id)) addDm(room);
  renderDms();
});

// loadConversations fetches the person's conversations.
export async function loadConversations() {
  const cs = await state.conn.invoke('Conversations');
  state.dms.clear();
  for (const c of cs) state.dms.set(c.id, c);
  renderDms();
}

function addDm(c) { state.dms.set(c.id, c); renderDms(); }

// renderDms draws the conversation list.
export function renderDms() {
  const up = state.status === 'connected';
  $('dm-list').replaceChildren(...[...state.dms.values()].map((c) => roomItem({ ...c, joined: false }, up)));
}

$('dm-start').addEventListener('click', () => {
  const form = $('dm-form');
  form.hidden = !form.hidden;
  $('dm-start').setAttribute('aria-expanded', String(!form.hidden));
  if (!form.hidden) $('dm-person').focus();
});

$('dm-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('dm-error').textContent = '';
  const people = $('dm-person').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!people.length) {
    $('dm-error').textContent = 'Name someone: several names, separated by commas, start a group.';
    $('dm-person').focus();
    return;
  }
  if (!connected()) {
    $('dm-error').textContent = 'Starting a conversation needs the connection; it is coming back by itself.';
    return;
  }
  try {
    const c = await state.conn.invoke('StartConversation', people);
    $('dm-person').value = '';
    $('dm-form').hidden = true;
    $('dm-start').setAttribute('aria-expanded', 'false');
    addDm(c);
    await chooseRoom(c.id);
  } catch (err) {
    $('dm-error').textContent = hubMessage(err);
  }
});
