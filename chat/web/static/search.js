// Search: the box in the top bar searches the messages of every room and
// conversation the person is in (Enter); a result opens its message in
// context. Snippets come as plain text pieces, the matches marked; the
// page shows them without their markdown markers (markdown.js).
import { $, el, chars, hubMessage } from './base.js';
import { state, connected } from './state.js';
import { plainSnippet } from './markdown.js';
import { jumpTo } from './jump.js';

// The server's limits of a search (chat/hub).
const MAX_QUERY = 200;   // characters
const SEARCH_PAGE = 50;  // results

$('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search($('search-input').value); });
$('search-close').addEventListener('click', closeSearch);
$('search-panel').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeSearch(); });
$('search-input').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeSearch(); });

function closeSearch() {
  $('search-panel').hidden = true;
}

async function search(query) {
  const q = query.trim();
  if (!q) return;
  const status = $('search-status');
  $('search-panel').hidden = false;
  $('search-results').replaceChildren();
  if (chars(q) > MAX_QUERY) {
    status.textContent = `A search has at most ${MAX_QUERY} characters; this one has ${chars(q)}.`;
    return;
  }
  if (!connected()) {
    status.textContent = 'Searching needs the connection; it is coming back by itself.';
    return;
  }
  status.textContent = 'Searching…';
  let hits;
  try {
    hits = await state.conn.invoke('Search', q);
  } catch (err) {
    status.textContent = hubMessage(err);
    return;
  }
  status.textContent = hits.length === 0 ? `No messages with “${q}”.`
    : `${hits.length === SEARCH_PAGE ? 'The newest ' : ''}${hits.length} ${hits.length === 1 ? 'message' : 'messages'} with “${q}”, newest first`;
  $('search-results').replaceChildren(...hits.map(renderHit));
}

function renderHit(h) {
  const time = new Date(h.at);
  const b = el('button', { type: 'button', class: 'search-hit' },
    el('span', { class: 'meta' },
      el('span', { class: 'hit-room', text: h.roomName }),
      el('span', { class: 'author', text: h.userName }),
      el('time', { datetime: time.toISOString(), text: time.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) })),
    el('span', { class: 'snippet' }, ...plainSnippet(h.snippet).map((f) => (f.match ? el('mark', { text: f.text }) : f.text))));
  b.addEventListener('click', async () => {
    closeSearch();
    try {
      await jumpTo(h.roomId, h.id);
    } catch (err) {
      $('send-error').textContent = hubMessage(err);
    }
  });
  return el('li', { dataset: { testid: 'search-result', roomId: h.roomId, messageId: h.id } }, b);
}
