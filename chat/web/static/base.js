// The chat page's shared parts: DOM helpers, the server's limits, small
// formatters and the page's events. Everything a user wrote is put in
// the page with textContent or as an attribute value, never parsed as
// HTML. The page is made of ES modules (app.js starts it) that share
// only what they import from each other; the page's state is in
// state.js.

// $ finds an element by id; el makes one with attributes (text and
// dataset apart) and children.
export const $ = (id) => document.getElementById(id);
export const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

// The server's limits (chat/hub), checked here first so that nothing is
// cut or sent in vain.
export const MAX_TEXT = 4000;       // characters of a message
export const MAX_ROOM_NAME = 40;    // characters of a room name
export const COUNTER_FROM = 3500;   // the counter shows from this many characters
export const LISTED_ONLINE = 200;   // people online listed (MaxListedMembers): the first by name
export const PREVIEW_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const nf = new Intl.NumberFormat();
export const chars = (s) => [...s].length; // code points, as the server counts

// avatar shows a person's initials on a colour derived from their id.
export function avatar(userId, name) {
  let h = 0;
  for (const c of String(userId)) h = (h * 31 + c.codePointAt(0)) >>> 0;
  const initials = String(name).trim().split(/\s+/).slice(0, 2).map((w) => [...w][0] || '').join('').toUpperCase() || '?';
  const a = el('span', { class: 'avatar', 'aria-hidden': 'true', text: initials });
  // Lightness 30% keeps white initials readable on every hue.
  a.style.setProperty('--hue', `hsl(${h % 360} 50% 30%)`);
  return a;
}

// formatSize says a size in bytes the way people read it.
export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

// hubMessage is what the server said in a refused call, without the
// client's wrapping.
export function hubMessage(err) {
  const m = String(err && err.message || err);
  const i = m.indexOf('HubException: ');
  return i >= 0 ? m.slice(i + 14) : m;
}

// hook makes an event that several modules can follow: every listener
// added is kept, and emit calls them all in the order they were added.
// A listener that throws is reported and does not keep the others from
// their turn.
export function hook(name) {
  const listeners = [];
  return {
    on(fn) { listeners.push(fn); },
    emit(...args) {
      for (const fn of listeners) {
        try {
          fn(...args);
        } catch (err) {
          console.error(name, err);
        }
      }
    },
  };
}
