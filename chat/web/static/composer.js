// The message box and the outbox: Enter sends (never while an input
// method composes), a counter near the limit and a clear refusal past it,
// and sends queued while offline, kept across reloads, sent in order.
import { $, el, MAX_TEXT, COUNTER_FROM, nf, chars, avatar, hubMessage } from './base.js';
import { state, connected } from './state.js';
import { shareFiles } from './files.js';
import { takeReply } from './replies.js';
import { addMessages, scrollToEnd } from './messages.js';
import { openRoom } from './rooms.js';

// ---- sending: an outbox that survives lost connections and reloads ----

// The outbox is kept per person: loadOutbox reads it at sign-in.
function outboxKey() { return `chat.outbox.${state.userId}`; }
export function loadOutbox() { try { return JSON.parse(localStorage.getItem(outboxKey())) || []; } catch { return []; } }
function saveOutbox() { localStorage.setItem(outboxKey(), JSON.stringify(state.outbox)); }

// pendingLabel says where an unsent message stands.
export const pendingLabel = () => (state.status === 'connected' ? 'sending…' : 'waiting for the connection');

// renderPending shows a message not yet confirmed at the list's end.
export function renderPending(o) {
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
  const o = { clientId: crypto.randomUUID(), roomId: state.roomId, text, replyTo: takeReply() };
  if (state.hasNewer) openRoom(state.roomId); // back to the newest messages, where this one goes
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
export async function flush() {
  if (state.flushing) return;
  state.flushing = true;
  try {
    while (state.outbox.length && connected()) {
      const o = state.outbox[0];
      try {
        const m = await (o.replyTo ? state.conn.invoke('SendReply', o.roomId, o.text, o.clientId, o.replyTo)
          : state.conn.invoke('SendMessage', o.roomId, o.text, o.clientId));
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
