// Jumping to a message in context (a search result, a quoted message):
// the room opens on a window of history around the message, which loads
// further in both directions as the list scrolls.
import { $ } from './base.js';
import { state, connected } from './state.js';
import { renderPending } from './composer.js';
import { addMessages, lastId } from './messages.js';
import { openRoom } from './rooms.js';

// MAX_CATCH_UP is how many messages MessagesSince returns at most (chat/hub).
const MAX_CATCH_UP = 500;

// jumpTo shows message id of room roomId, loading it and its neighbours
// if the page does not have it, and highlights it briefly.
export async function jumpTo(roomId, id) {
  if (!connected()) {
    $('send-error').textContent = 'Going to a message needs the connection; it is coming back by itself.';
    return;
  }
  if (roomId !== state.roomId) await openRoom(roomId);
  if (!state.messages.has(id)) {
    const w = await state.conn.invoke('MessagesAround', roomId, id);
    if (roomId !== state.roomId) return;
    state.messages.clear();
    $('message-list').replaceChildren();
    state.hasMore = w.hasOlder;
    state.hasNewer = w.hasNewer;
    addMessages(w.messages);
    if (!state.hasNewer) showOutbox(roomId);
  }
  const li = $('message-list').querySelector(`li[data-id="${id}"]`);
  if (!li) return;
  li.scrollIntoView({ block: 'center' });
  li.tabIndex = -1;
  li.focus({ preventScroll: true });
  li.classList.remove('flash');
  void li.offsetWidth; // restarts the animation when jumping to it again
  li.classList.add('flash');
  setTimeout(() => li.classList.remove('flash'), 2500);
}

// showOutbox shows the room's unsent messages, after its newest ones.
function showOutbox(roomId) {
  for (const o of state.outbox) if (o.roomId === roomId) renderPending(o);
}

// Newer messages load when a window of older ones is scrolled to its end.
$('message-list').addEventListener('scroll', async () => {
  const list = $('message-list');
  if (!state.hasNewer || state.loadingNewer || !connected()) return;
  if (list.scrollHeight - list.scrollTop - list.clientHeight > 40) return;
  state.loadingNewer = true;
  const roomId = state.roomId;
  try {
    const page = await state.conn.invoke('MessagesSince', roomId, lastId());
    if (roomId !== state.roomId) return;
    const top = list.scrollTop;
    addMessages(page);
    list.scrollTop = top; // what was on screen stays there
    if (page.length < MAX_CATCH_UP) {
      state.hasNewer = false;
      showOutbox(roomId);
    }
  } catch (err) {
    console.warn('newer messages', err);
  } finally {
    state.loadingNewer = false;
  }
});
