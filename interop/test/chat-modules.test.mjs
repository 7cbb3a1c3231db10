// The chat page's scripts are ES modules, in real headless Chromium
// (Debian's): none of their names is a global any more, so two files can
// no longer clash on one (as two once did on roomOpened, and the member
// list stayed empty). Only the official client's signalR is shared
// through the window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { T, startChat, launchBrowser, person } from './chat-lib.mjs';

// The top-level names the page's classic scripts used to declare, each
// then a global of the page (function declarations even properties of
// window; const, let and class in the global lexical scope).
const PAGE_NAMES = [
  '$', 'COUNTER_FROM', 'GROUP_WITHIN', 'LISTED_ONLINE', 'MAX_CATCH_UP', 'MAX_QUERY', 'MAX_ROOM_NAME', 'MAX_TEXT',
  'PREVIEW_TYPES', 'REACTIONS', 'RECENT', 'SEARCH_PAGE', 'SOCKET_OPEN_TIMEOUT', 'THEMES', 'TrackedSocket', 'UNREAD_CAP',
  'actionButton', 'addDm', 'addMessages', 'addRoom', 'applyMembers', 'applyMessage', 'applyTheme', 'avatar',
  'cancelReply', 'catchUp', 'chars', 'checkFile', 'chooseRoom', 'closeDrawers', 'closeEditor', 'closePicker',
  'closeSearch', 'confirmAction', 'connect', 'connected', 'countMessage', 'countText', 'dayKey', 'dayLabel', 'decorate',
  'deleteMessage', 'dragDepth', 'dragsFiles', 'dropRoom', 'el', 'enter', 'fileURL', 'firstUnreadRow', 'flush',
  'forcedTransport', 'formatSize', 'highlightMentions', 'hubMessage', 'input', 'isDirect', 'jumpTo', 'jumpToUnread',
  'lastId', 'loadConversations', 'loadFiles', 'loadMembers', 'loadOutbox', 'loadSession', 'loadUnread',
  'markFirstUnread', 'markRead', 'mentionsMe', 'nextMention', 'nf', 'notifyMessage', 'offerNotifications', 'openDrawer',
  'openEditor', 'openLightbox', 'openRoom', 'openSwitcher', 'outboxKey', 'ownsRoom', 'pendingLabel', 'plainSnippet',
  'quoteOf', 'react', 'reactionName', 'reactionRow', 'refreshMessage', 'regroup', 'removeMember', 'renderDms',
  'renderFile', 'renderHit', 'renderMembers', 'renderMessage', 'renderPending', 'renderPresence', 'renderQuote',
  'renderReceipts', 'renderRooms', 'renderSwitcher', 'renderText', 'renderTitle', 'renderTyping', 'renderUnread',
  'replayRecent', 'replyButton', 'resetJump', 'resync', 'room', 'roomItem', 'roomOf', 'roomOpened', 'saveOutbox',
  'saveSession', 'scrollToEnd', 'search', 'setReads', 'setStatus', 'setTextOnce', 'shareFiles', 'showLogin',
  'showOutbox', 'showUnreadOnOpen', 'signIn', 'stamp', 'start', 'startReply', 'state', 'submit', 'switcherMatches',
  'takeReply', 'togglePicker', 'toolbar', 'unread', 'unreadMessage', 'updateCounter', 'upload', 'watchMembership',
  'watchMessageChanges', 'watchUnread', 'wordChar',
];

// The status page's (admin.js) names, likewise.
const ADMIN_NAMES = ['$', 'svgNS', 'session', 'setState', 'cell', 'rows', 'chart', 'show', 'roomCounts', 'conn',
  'disconnect', 'start'];

// globalsOf returns which of names the page's global scope resolves,
// asked the way a classic script of the page would, in the page's main
// world, which sees global lexical bindings as well as window's
// properties. What the browser itself defines (window.toolbar, an element
// by its id, as window.chart is admin.html's chart) is not the page's.
async function globalsOf(page, names) {
  const blank = await page.context().newPage();
  const found = [];
  for (const n of names) {
    const own = await page.evaluate(`(() => {
      try { const v = ${n}; return !(v instanceof Element && v.id === ${JSON.stringify(n)}); } catch { return false; }
    })()`);
    if (own && await blank.evaluate(`typeof ${n}`) === 'undefined') found.push(n);
  }
  await blank.close();
  return found;
}

let chat, browser;

before(async () => {
  chat = await startChat();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await chat?.stop();
});

test('the chat page declares no globals: only the official client is shared through the window', async () => {
  const ann = await person(browser, chat.base, 'Ann');
  const bob = await person(browser, chat.base, 'Bob');
  // The probe sees a global when there is one.
  assert.deepEqual(await globalsOf(ann, ['signalR']), ['signalR']);
  assert.deepEqual(await globalsOf(ann, PAGE_NAMES), [], 'names of the page that are globals');
  // Several modules follow "a room was opened": the member list (members.js)
  // and the open room's mark in the conversation list (dms.js) both fill.
  await ann.getByTestId('member-list').locator('li', { hasText: 'Ann (you)' }).waitFor({ timeout: T });
  await ann.getByTestId('dm-start').click();
  await ann.getByTestId('dm-person').fill('Bob');
  await ann.getByTestId('dm-submit').click();
  await ann.getByTestId('room-title').filter({ hasText: 'Bob' }).waitFor({ timeout: T });
  await ann.getByTestId('dm-list').locator('button[aria-current="true"]', { hasText: 'Bob' }).waitFor({ timeout: T });
  await ann.getByTestId('member-list').locator('li', { hasText: 'Bob' }).waitFor({ timeout: T });
  assert.equal(await ann.getByTestId('room-leave').textContent(), 'Leave conversation');
  assert.deepEqual([...ann.errors, ...bob.errors], [], 'page errors');
});

test('the status page declares no globals either', async () => {
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${chat.base}/static/admin.html`);
  // Without a session it says so: the module ran.
  await page.getByTestId('admin-error').filter({ hasText: 'Sign in on the chat page first' }).waitFor({ timeout: T });
  assert.deepEqual(await globalsOf(page, ['signalR']), ['signalR']);
  assert.deepEqual(await globalsOf(page, ADMIN_NAMES), [], 'names of the status page that are globals');
  assert.deepEqual(errors, []);
});
