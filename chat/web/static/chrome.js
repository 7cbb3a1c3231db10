// The page's chrome: the colour theme, the skip link, the drawers of
// phone layouts, the keyboard room switcher (Ctrl+K) and dialogs.
import { $, el } from './base.js';
import { state } from './state.js';
import { chooseRoom } from './rooms.js';

// ---- theme: the system's, or the one chosen here ----

const THEMES = ['system', 'light', 'dark'];
function applyTheme(t) {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  const label = t === 'system' ? 'follows the system' : t;
  $('theme').setAttribute('aria-label', `Colour theme: ${label}. Change`);
  $('theme').title = `Colour theme: ${label}`;
}
applyTheme(localStorage.getItem('chat.theme') || 'system');
$('theme').addEventListener('click', () => {
  const now = localStorage.getItem('chat.theme') || 'system';
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  localStorage.setItem('chat.theme', next);
  applyTheme(next);
});

$('skip-link').addEventListener('click', (ev) => { ev.preventDefault(); closeDrawers(); $('message-input').focus(); });


// ---- drawers (phones) ----

function openDrawer(id) {
  closeDrawers();
  $(id).classList.add('open');
  $(id === 'rooms-panel' ? 'rooms-toggle' : 'people-toggle').setAttribute('aria-expanded', 'true');
  $('scrim').hidden = false;
  // What the drawer covers is out of reach until it closes.
  for (const e of document.querySelectorAll('.room, .top, .drawer')) e.inert = e.id !== id;
  $(id).querySelector('.drawer-close').focus();
}
// closeDrawers closes an open drawer; it reports whether one was open.
export function closeDrawers() {
  const wasOpen = document.querySelector('.drawer.open');
  for (const d of document.querySelectorAll('.drawer')) d.classList.remove('open');
  for (const id of ['rooms-toggle', 'people-toggle']) $(id).setAttribute('aria-expanded', 'false');
  $('scrim').hidden = true;
  for (const e of document.querySelectorAll('.room, .top, .drawer')) e.inert = false;
  return wasOpen;
}
$('rooms-toggle').addEventListener('click', () => openDrawer('rooms-panel'));
$('people-toggle').addEventListener('click', () => openDrawer('presence-panel'));
$('scrim').addEventListener('click', closeDrawers);
for (const b of document.querySelectorAll('[data-close]')) {
  b.addEventListener('click', () => {
    const id = b.dataset.close;
    closeDrawers();
    $(id === 'rooms-panel' ? 'rooms-toggle' : 'people-toggle').focus();
  });
}

// ---- keyboard room switcher (Ctrl+K) ----

function openSwitcher() {
  if (!$('switcher').open) $('switcher').showModal();
  $('switcher-input').value = '';
  renderSwitcher();
  $('switcher-input').focus();
}
function switcherMatches() {
  const q = $('switcher-input').value.trim().toLowerCase();
  return [...state.rooms.values()].filter((r) => r.name.toLowerCase().includes(q));
}
function renderSwitcher() {
  $('switcher-list').replaceChildren(...switcherMatches().map((r) => {
    const b = el('button', { type: 'button', dataset: { roomName: r.name } }, r.name);
    b.addEventListener('click', () => { $('switcher').close(); chooseRoom(r.id); });
    return el('li', {}, b);
  }));
}
document.addEventListener('keydown', (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === 'k' && !$('chat-view').hidden) {
    ev.preventDefault();
    openSwitcher();
  } else if (ev.key === 'Escape' && closeDrawers()) {
    $('message-input').focus();
  }
});
$('switcher-input').addEventListener('input', renderSwitcher);
$('switcher').addEventListener('keydown', (ev) => {
  const buttons = [...$('switcher-list').querySelectorAll('button')];
  const i = buttons.indexOf(document.activeElement);
  if (ev.key === 'Enter' && document.activeElement === $('switcher-input')) {
    ev.preventDefault();
    buttons[0]?.click();
  } else if (ev.key === 'ArrowDown') {
    ev.preventDefault();
    buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
  } else if (ev.key === 'ArrowUp') {
    ev.preventDefault();
    (i <= 0 ? $('switcher-input') : buttons[i - 1]).focus();
  }
});
$('switcher').addEventListener('close', () => { if (document.activeElement === document.body) $('message-input').focus(); });

for (const b of document.querySelectorAll('[data-close-dialog]')) b.addEventListener('click', () => b.closest('dialog').close());
for (const d of document.querySelectorAll('dialog')) {
  // A click on the backdrop (the dialog element itself) closes it.
  d.addEventListener('click', (ev) => { if (ev.target === d) d.close(); });
}
