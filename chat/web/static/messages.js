// The open room's timeline: messages put in order (each once), older
// ones loaded on scrolling up, and what others do there: who is online,
// who is typing, how far each has read.
import { $, el, LISTED_ONLINE, nf, avatar } from './base.js';
import { state, connected } from './state.js';
import { renderText } from './markdown.js';
import { stamp, regroup } from './timeline.js';
import { renderQuote } from './replies.js';
import { renderFile } from './files.js';
import { refreshMessage, decorate } from './actions.js';

// ---- messages ----

// lastId is the newest message id shown (0: none).
export const lastId = () => Math.max(0, ...state.messages.keys());

// addMessages puts messages in id order, each once.
export function addMessages(ms) {
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
  regroup();
  renderReceipts();
  if (stick) scrollToEnd();
}

// renderMessage is the list entry of a message.
export function renderMessage(m) {
  const time = new Date(m.at);
  const li = el('li', { dataset: { id: m.id, testid: 'message', userId: m.userId } },
    avatar(m.userId, m.userName),
    el('div', { class: 'head' },
      el('span', { class: 'author', text: m.userName }),
      stamp(time)));
  if (m.replyTo) li.append(renderQuote(m.replyTo));
  if (m.text) li.append(el('div', { class: 'text' }, renderText(m.text)));
  if (m.file) li.append(renderFile(m.file));
  decorate(li, m);
  return li;
}

// scrollToEnd shows the newest messages.
export function scrollToEnd() { const l = $('message-list'); l.scrollTop = l.scrollHeight; state.atEnd = true; }

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
export function renderPresence(members, online) {
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

// renderTyping says who is typing, forgetting who stopped.
export function renderTyping() {
  const now = Date.now();
  for (const [id, t] of state.typing) if (t.until <= now) state.typing.delete(id);
  const names = [...state.typing.values()].map((t) => t.name);
  const text = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  if ($('typing').textContent !== text) $('typing').textContent = text;
}
setInterval(renderTyping, 1000);

// setReads replaces how far each person has read (JoinRoom's list).
export function setReads(reads) {
  state.reads.clear();
  for (const r of reads) state.reads.set(r.userId, r);
  renderReceipts();
}

// renderReceipts shows, under the last message each other user has
// read, "Seen by" their names.
export function renderReceipts() {
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
export function markRead() {
  const id = lastId();
  if (!id || id <= state.lastMarked || document.visibilityState !== 'visible' || !connected()) return;
  state.lastMarked = id;
  state.conn.invoke('MarkRead', state.roomId, id).catch(() => { state.lastMarked = 0; });
}
document.addEventListener('visibilitychange', markRead);
window.addEventListener('focus', markRead);
