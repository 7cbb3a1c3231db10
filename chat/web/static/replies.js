// Replies: each message has a Reply button; the message box then shows
// what it answers, with a way out; a reply shows its quote, which goes to
// the original when clicked.
import { $, el, hubMessage } from './base.js';
import { state, roomOpened } from './state.js';
import { actionButton } from './actions.js';
import { jumpTo } from './jump.js';

// quoteOf is the start of a message's text on one line, as the server
// quotes it (store.MaxExcerpt).
function quoteOf(text) {
  const s = String(text || '').replace(/\s+/g, ' ').trim();
  const cps = [...s];
  return cps.length > 120 ? `${cps.slice(0, 120).join('').trim()}…` : s;
}

// renderQuote shows the message a reply answers.
export function renderQuote(r) {
  const a = el('a', { class: 'quote', href: `#message-${r.id}`, dataset: { testid: 'reply-quote', replyTo: r.id } },
    el('span', { class: 'quote-author', text: r.userName }),
    el('span', { class: 'quote-text', text: r.excerpt || '(no text)' }));
  a.setAttribute('aria-label', `In reply to ${r.userName}: ${r.excerpt || 'a message without text'}. Go to it.`);
  a.addEventListener('click', (ev) => {
    ev.preventDefault();
    jumpTo(state.roomId, r.id).catch((err) => { $('send-error').textContent = hubMessage(err); });
  });
  return a;
}

// replyButton starts a reply to m; it sits in the message's toolbar
// (actions.js).
export function replyButton(m) {
  const b = actionButton('message-reply', `Reply to ${m.userName}`, '↩');
  b.addEventListener('click', () => startReply(m));
  return b;
}

function startReply(m) {
  state.replyTo = { id: m.id, roomId: m.roomId, userName: m.userName, excerpt: quoteOf(m.text || m.file?.name) };
  $('reply-author').textContent = m.userName;
  $('reply-text').textContent = state.replyTo.excerpt;
  $('reply-bar').hidden = false;
  $('message-input').focus();
}

function cancelReply() {
  state.replyTo = null;
  $('reply-bar').hidden = true;
}

// A reply is to a message of the room on screen: opening another ends it.
roomOpened.on((room) => { if (state.replyTo && state.replyTo.roomId !== room.id) cancelReply(); });

// takeReply returns the id of the message the next send answers, and
// ends the reply.
export function takeReply() {
  const r = state.replyTo;
  cancelReply();
  return r && r.roomId === state.roomId ? r.id : undefined;
}

$('reply-cancel').addEventListener('click', () => { cancelReply(); $('message-input').focus(); });
$('message-input').addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && state.replyTo) { ev.preventDefault(); cancelReply(); }
});
