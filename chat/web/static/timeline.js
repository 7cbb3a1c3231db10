// The timeline's look: timestamps that name the day when it is not
// today, a separator between days, and a person's consecutive messages
// grouped under one name. Separators are not li[data-id]: only messages
// are.
import { $, el } from './base.js';
import { state } from './state.js';

// GROUP_WITHIN is how close in time a person's messages must be to show
// under one name.
const GROUP_WITHIN = 5 * 60 * 1000;

const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

// stamp is a message's time: the clock today, the date and clock before
// (with the year when it is not this one); the full date on hover.
export function stamp(time) {
  const now = new Date();
  const clock = time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  let text = clock;
  if (dayKey(time) !== dayKey(now)) {
    const year = time.getFullYear() === now.getFullYear() ? undefined : 'numeric';
    text = `${time.toLocaleDateString([], { day: 'numeric', month: 'short', year })} ${clock}`;
  }
  return el('time', { datetime: time.toISOString(), title: time.toLocaleString([], { dateStyle: 'full', timeStyle: 'short' }), text });
}

// dayLabel names a day for its separator.
function dayLabel(d) {
  const yesterday = new Date();
  yesterday.setDate(yesterday.getDate() - 1);
  if (dayKey(d) === dayKey(new Date())) return 'Today';
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

// regroup puts the day separators between the shown messages and marks
// the messages that follow one of the same person closely ("grouped":
// their name and picture are hidden from the eye, not from screen
// readers or the page's structure).
export function regroup() {
  const list = $('message-list');
  for (const s of list.querySelectorAll('li.day-separator')) s.remove();
  let prev = null;
  for (const li of list.querySelectorAll('li[data-id]')) {
    const m = state.messages.get(Number(li.dataset.id));
    if (!m) continue;
    const day = new Date(m.at);
    const newDay = !prev || dayKey(day) !== dayKey(new Date(prev.at));
    if (newDay) {
      li.before(el('li', { class: 'day-separator', 'data-testid': 'day-separator' }, el('span', { text: dayLabel(day) })));
    }
    li.classList.toggle('grouped', !newDay && prev.userId === m.userId && m.at - prev.at < GROUP_WITHIN);
    prev = m;
  }
}
