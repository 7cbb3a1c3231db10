// Unread counts and mentions: the count of news on each room (and
// conversation) of the lists, the mentions apart, the total in the tab's
// title, notifications of mentions and direct messages while the tab is
// hidden, the "new messages" pill, "jump to first unread", and mentions
// highlighted in messages. The counts are the server's (Unread, ReadUpTo);
// between two answers the page adds the messages it receives.
import { $, el, nf } from './base.js';
import { state, connectionMade, roomOpened } from './state.js';
import { jumpTo } from './jump.js';
import { scrollToEnd } from './messages.js';
import { chooseRoom, openRoom } from './rooms.js';

const unread = {
  rooms: new Map(), // roomId -> {roomId, lastRead, unread, mentions, firstUnread, latest}
  // The last messages received, each with whether it was counted: the
  // server's counts may come from before some of them (see replayRecent).
  recent: [],
  jumpTo: 0,        // the first unread message of the open room, while "jump" is offered
};
const RECENT = 200;

// UNREAD_CAP is the server's cap on each count (chat/store.UnreadCap).
const UNREAD_CAP = 100;
const countText = (n) => (n >= UNREAD_CAP ? `${nf.format(UNREAD_CAP - 1)}+` : nf.format(n));
const wordChar = (c) => /[\p{L}\p{N}\p{M}]/u.test(c || '');

// Each connection follows what moves the counts.
connectionMade.on((conn) => {
  conn.on('MessageReceived', unreadMessage);
  conn.on('ReadUpTo', (u) => {
    unread.rooms.set(u.roomId, u);
    replayRecent();
    renderUnread();
  });
  // An edit can add or take away a mention, a deletion a message: the
  // server recounts when it touches what is unread.
  for (const ev of ['MessageEdited', 'MessageDeleted']) {
    conn.on(ev, (m) => {
      const u = unread.rooms.get(m.roomId);
      if (m.userId !== state.userId && u && u.unread && m.id > u.lastRead) loadUnread();
    });
  }
  conn.on('MembershipChanged', (roomId, joined) => {
    if (joined) { if (!unread.rooms.has(roomId)) loadUnread(); return; }
    unread.rooms.delete(roomId);
    renderUnread();
  });
});

// loadUnread replaces the counts with the server's.
export async function loadUnread() {
  try {
    const us = await state.conn.invoke('Unread');
    unread.rooms = new Map(us.map((u) => [u.roomId, u]));
    replayRecent();
    renderUnread();
  } catch (err) {
    console.warn('unread', err);
  }
}

const mentionsMe = (m) => (m.mentions || []).some((x) => x.userId === state.userId);
// roomOf finds a room, or a conversation (dms.js keeps those apart).
const roomOf = (roomId) => state.rooms.get(roomId) || state.dms.get(roomId);
const isDirect = (roomId) => roomOf(roomId)?.kind === 'dm';

// unreadMessage counts a message of someone else, unless it is on screen
// (markRead then moves the mark), and offers or notifies what it brings.
function unreadMessage(m) {
  if (m.userId === state.userId) return;
  const visible = document.visibilityState === 'visible';
  // A room showing an older window (jump.js) neither shows nor reads news.
  const shown = m.roomId === state.roomId && !state.hasNewer;
  if (m.roomId === state.roomId && (!state.atEnd || state.hasNewer)) $('new-messages').hidden = false;
  const counted = !shown || !visible;
  unread.recent.push({ m, counted });
  if (unread.recent.length > RECENT) unread.recent.shift();
  if (countMessage(m, counted) && !visible && (mentionsMe(m) || isDirect(m.roomId))) notifyMessage(m);
  renderUnread();
}

// countMessage adds a message to its room's counts (when counted) unless the
// counts include it already; it reports whether the message was new.
function countMessage(m, counted) {
  let u = unread.rooms.get(m.roomId);
  if (!u) {
    u = { roomId: m.roomId, lastRead: 0, unread: 0, mentions: 0, firstUnread: 0, latest: 0 };
    unread.rooms.set(m.roomId, u);
  }
  if (m.id <= u.latest) return false;
  u.latest = m.id;
  if (counted) {
    u.unread = Math.min(u.unread + 1, UNREAD_CAP);
    if (mentionsMe(m)) u.mentions = Math.min(u.mentions + 1, UNREAD_CAP);
    u.firstUnread ||= m.id;
  }
  return true;
}

// replayRecent adds to the server's counts the messages received after it
// counted (a message and the answer can cross).
function replayRecent() {
  for (const { m, counted } of unread.recent) if (unread.rooms.has(m.roomId)) countMessage(m, counted);
}

// renderUnread puts the counts on every room button of the page (the
// room list and the conversation list alike) and in the title.
function renderUnread() {
  for (const b of document.querySelectorAll('button[data-room-id]')) {
    const u = unread.rooms.get(Number(b.dataset.roomId));
    const n = u ? u.unread : 0;
    const at = u ? u.mentions : 0;
    let count = b.querySelector('.room-unread');
    let ment = b.querySelector('.mention-count');
    if (!count) {
      ment = el('span', { class: 'mention-count', 'data-testid': 'mention-count' });
      count = el('span', { class: 'room-unread', 'data-testid': 'room-unread' });
      b.append(ment, count);
    }
    setTextOnce(count, n ? countText(n) : '');
    setTextOnce(ment, at ? `@${countText(at)}` : '');
    const label = n ? `${countText(n)} unread${at ? `, ${countText(at)} mentioning you` : ''}` : '';
    if (b.dataset.unread !== label) {
      count.hidden = !n;
      ment.hidden = !at;
      count.title = n ? `${countText(n)} unread` : '';
      ment.title = at ? `${countText(at)} mentioning you` : '';
      b.classList.toggle('has-unread', n > 0);
      b.setAttribute('aria-description', label);
      b.dataset.unread = label;
    }
  }
  renderTitle();
}

function setTextOnce(e, t) { if (e.textContent !== t) e.textContent = t; }

// renderTitle puts the total count before whatever title the page set.
function renderTitle() {
  let total = 0;
  for (const u of unread.rooms.values()) total += u.unread;
  const base = document.title.replace(/^\(\d[\d,.\s]*\+?\) /, '');
  const want = total ? `(${countText(total)}) ${base}` : base;
  if (document.title !== want) document.title = want;
}

// ---- notifications ----

function notifyMessage(m) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const room = roomOf(m.roomId);
  const title = isDirect(m.roomId) ? m.userName : `${m.userName} in ${room ? room.name : 'a room'}`;
  const n = new Notification(title, { body: m.text || (m.file ? m.file.name : ''), tag: `chat-room-${m.roomId}` });
  n.addEventListener('click', () => { window.focus(); n.close(); chooseRoom(m.roomId); });
}

// The permission is asked only when the person presses the offer's
// button, never on load; "Not now" hides the offer for good.
function offerNotifications() {
  if (!('Notification' in window) || Notification.permission !== 'default' || localStorage.getItem('chat.notify.dismissed')) return;
  const offer = el('div', { class: 'notify-offer', 'data-testid': 'notify-offer' },
    el('p', { text: 'Get a notification when someone mentions you or writes to you while this tab is hidden.' }));
  const yes = el('button', { type: 'button', 'data-testid': 'notify-enable', text: 'Turn on' });
  const no = el('button', { type: 'button', class: 'link', 'data-testid': 'notify-dismiss', text: 'Not now' });
  yes.addEventListener('click', async () => { await Notification.requestPermission(); offer.remove(); });
  no.addEventListener('click', () => { localStorage.setItem('chat.notify.dismissed', '1'); offer.remove(); });
  offer.append(yes, ' ', no);
  $('room-list').before(offer);
}

// ---- the open room: the pill, the first unread, mentions ----

// A room opened shows its newest messages: its first unread is marked,
// and a way to jump to it offered when it is above the view. The counts
// are still those of before the room was read: the server's answer to
// markRead comes later.
roomOpened.on((room) => showUnreadOnOpen(room.id));

function showUnreadOnOpen(roomId) {
  $('new-messages').hidden = true;
  const u = unread.rooms.get(roomId);
  unread.jumpTo = u && u.unread ? u.firstUnread : 0;
  markFirstUnread();
  const li = unread.jumpTo && firstUnreadRow();
  const above = !li || li.getBoundingClientRect().top < $('message-list').getBoundingClientRect().top;
  $('jump-unread').hidden = !unread.jumpTo || !above;
  if (!$('jump-unread').hidden) setTextOnce($('jump-unread'), `↑ Jump to the first unread (${countText(u.unread)})`);
}

const firstUnreadRow = () => [...$('message-list').querySelectorAll('li[data-id]')]
  .find((li) => Number(li.dataset.id) >= unread.jumpTo);

function markFirstUnread() {
  for (const li of $('message-list').querySelectorAll('li.first-unread')) li.classList.remove('first-unread');
  if (!unread.jumpTo || Math.min(...state.messages.keys()) > unread.jumpTo) return;
  firstUnreadRow()?.classList.add('first-unread');
}

// jumpToUnread shows the first unread message, in a window of history
// around it when it is not loaded (jump.js).
async function jumpToUnread() {
  $('jump-unread').hidden = true;
  await jumpTo(state.roomId, unread.jumpTo);
  markFirstUnread();
}

// highlightMentions wraps each "@name" of a message's mentions in a span,
// walking the text of whatever its body is made of (plain text or
// rendered markup), and marks a message that mentions this person.
function highlightMentions(li) {
  const m = state.messages.get(Number(li.dataset.id));
  if (!m || !m.mentions || !m.mentions.length || li.dataset.mentionsDone) return;
  li.dataset.mentionsDone = '1';
  li.classList.toggle('mentions-me', mentionsMe(m));
  const targets = m.mentions.map((x) => ({ text: `@${x.text}`, userId: x.userId }))
    .sort((a, b) => b.text.length - a.text.length);
  const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest('.head, .receipts, .mention, time, button, a, code, pre')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (let node of nodes) {
    for (;;) {
      const hit = nextMention(node.data, targets);
      if (!hit) break;
      const name = node.splitText(hit.at);
      node = name.splitText(hit.target.text.length);
      const span = el('span', { class: 'mention', dataset: { userId: hit.target.userId, testid: 'mention' } });
      if (hit.target.userId === state.userId) span.classList.add('mention-me');
      name.replaceWith(span);
      span.append(name);
    }
  }
}

// nextMention finds the first "@name" of text standing alone: not after a
// letter or digit, not followed by one (the server's rule, chat/hub).
function nextMention(text, targets) {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (wordChar([...text.slice(Math.max(0, at - 2), at)].pop())) continue;
    for (const target of targets) {
      const end = at + target.text.length;
      if (text.startsWith(target.text, at) && !wordChar([...text.slice(end, end + 2)][0])) return { at, target };
    }
  }
  return null;
}

// ---- wiring ----

(() => {
  const log = document.querySelector('.log');
  const pill = el('button', { type: 'button', id: 'new-messages', class: 'new-messages', 'data-testid': 'new-messages', text: 'New messages ↓' });
  const jump = el('button', { type: 'button', id: 'jump-unread', class: 'jump-unread', 'data-testid': 'jump-unread' });
  pill.hidden = jump.hidden = true;
  pill.addEventListener('click', () => {
    pill.hidden = true;
    if (state.hasNewer) openRoom(state.roomId); // back from a window of older messages
    else scrollToEnd();
  });
  jump.addEventListener('click', () => jumpToUnread().catch((err) => console.warn('jump', err)));
  log.append(pill, jump);
  $('message-list').addEventListener('scroll', () => { if (state.atEnd) pill.hidden = true; });

  // Messages get their highlights as they are put in the list, whoever
  // renders them; the room buttons their counts whenever a list is redrawn.
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n.matches?.('li[data-id]')) highlightMentions(n);
  }).observe($('message-list'), { childList: true });
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; renderUnread(); });
  }).observe($('chat-view'), { childList: true, subtree: true });
  new MutationObserver(renderTitle).observe(document.querySelector('title'), { childList: true, characterData: true, subtree: true });
  offerNotifications();
})();
