// What one can do with a message: edit one's own (inline), delete one's
// own or any in a room one owns (after the page's own confirmation), and
// react with an emoji of a fixed set. The server checks every rule again;
// the page only hides what would be refused. Changes from anyone arrive
// as MessageEdited, MessageDeleted and ReactionsChanged, each carrying
// the message as it now is.
import { $, el, MAX_TEXT, nf, chars, hubMessage } from './base.js';
import { state, connectionMade } from './state.js';
import { regroup } from './timeline.js';
import { replyButton } from './replies.js';
import { renderMessage, renderReceipts } from './messages.js';

// REACTIONS are the emoji the server accepts (chat/hub.Reactions), with
// the names screen readers say.
const REACTIONS = [['👍', 'thumbs up'], ['👎', 'thumbs down'], ['❤️', 'heart'], ['😂', 'laughing'], ['🎉', 'party'],
  ['😮', 'surprised'], ['😢', 'sad'], ['🙏', 'thanks'], ['👀', 'looking'], ['✅', 'done']];
const reactionName = (emoji) => (REACTIONS.find(([e]) => e === emoji) || [emoji, emoji])[1];

// Each connection shows the changes of the open room's messages.
connectionMade.on((conn) => {
  for (const ev of ['MessageEdited', 'MessageDeleted', 'ReactionsChanged']) conn.on(ev, applyMessage);
});

// applyMessage replaces a shown message by its new state. A message
// being edited here keeps its editor: it shows the new state when the
// editor closes.
function applyMessage(m) {
  if (m.roomId !== state.roomId || !state.messages.has(m.id)) return;
  state.messages.set(m.id, m);
  const old = $('message-list').querySelector(`li[data-id="${m.id}"]`);
  if (!old || old.querySelector('.editor')) return;
  const focus = document.activeElement && old.contains(document.activeElement) ? document.activeElement : null;
  const li = renderMessage(m);
  old.replaceWith(li);
  regroup();
  renderReceipts();
  // Keep the keyboard where it was: the same control of the new row.
  if (focus) {
    const same = focus.dataset.emoji ? li.querySelector(`[data-emoji="${CSS.escape(focus.dataset.emoji)}"]`) : null;
    (same || li.querySelector(`[data-testid="${focus.dataset.testid}"]`) || $('message-list')).focus();
  }
}

// refreshMessage applies a message fetched again (a resync) if it changed.
export function refreshMessage(m) {
  const had = state.messages.get(m.id);
  const key = (x) => JSON.stringify([x.text, x.editedAt, x.deleted, x.file && x.file.id, x.reactions]);
  if (had && key(had) !== key(m)) applyMessage(m);
}

const ownsRoom = () => {
  const r = state.rooms.get(state.roomId);
  // A conversation has no owner: its starter is no more than the others.
  return Boolean(r && r.kind !== 'dm' && r.createdBy && r.createdBy === state.userId);
};

// decorate adds a rendered message's marks and controls.
export function decorate(li, m) {
  if (m.deleted) {
    li.classList.add('deleted');
    li.append(el('p', { class: 'tombstone', 'data-testid': 'message-deleted', text: 'message deleted' }));
    return;
  }
  if (m.editedAt) {
    li.querySelector('.head').append(el('span', { class: 'edited', 'data-testid': 'message-edited',
      title: `Edited ${new Date(m.editedAt).toLocaleString([], { dateStyle: 'full', timeStyle: 'short' })}`, text: '(edited)' }));
  }
  if (m.reactions && m.reactions.length) li.append(reactionRow(m));
  li.append(toolbar(m));
}

function toolbar(m) {
  const bar = el('div', { class: 'actions', role: 'group', 'aria-label': 'Message actions' });
  bar.append(replyButton(m));
  const add = actionButton('reaction-add', 'Add a reaction', '☺+');
  add.setAttribute('aria-haspopup', 'true');
  add.setAttribute('aria-expanded', 'false');
  add.addEventListener('click', () => togglePicker(add, m.id));
  bar.append(add);
  const mine = m.userId === state.userId;
  if (mine) {
    const edit = actionButton('message-edit', 'Edit message', '✎');
    edit.addEventListener('click', () => openEditor(m.id));
    bar.append(edit);
  }
  if (mine || ownsRoom()) {
    const del = actionButton('message-delete', mine ? 'Delete message' : `Delete ${m.userName}'s message`, '🗑');
    del.addEventListener('click', () => deleteMessage(m.id));
    bar.append(del);
  }
  return bar;
}

// actionButton is one button of a message's toolbar (replies.js adds one).
export function actionButton(testid, label, glyph) {
  return el('button', { type: 'button', class: 'action', 'data-testid': testid, 'aria-label': label, title: label },
    el('span', { 'aria-hidden': 'true', text: glyph }));
}

// ---- reactions ----

function reactionRow(m) {
  const row = el('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' });
  for (const r of m.reactions) {
    // The server lists the first few people of a reaction and counts them all.
    const more = r.count - r.users.length;
    const names = [...r.users.map((u) => (u.userId === state.userId ? 'you' : u.name)), ...(more > 0 ? [`${more} more`] : [])];
    const mine = r.users.some((u) => u.userId === state.userId);
    const b = el('button', { type: 'button', class: 'reaction', 'data-testid': 'reaction', 'data-emoji': r.emoji,
      'aria-pressed': String(mine), title: `${reactionName(r.emoji)}: ${names.join(', ')}`,
      'aria-label': `${reactionName(r.emoji)}, ${r.count}: ${names.join(', ')}` },
    el('span', { 'aria-hidden': 'true', text: r.emoji }), el('span', { class: 'count', 'aria-hidden': 'true', text: String(r.count) }));
    b.addEventListener('click', () => react(m.id, r.emoji, mine ? 'Unreact' : 'React', !mine && more > 0 ? r.count : -1));
    row.append(b);
  }
  return row;
}

// react adds or takes off a reaction. had is the reaction's count when it
// is not known whether the person is among its unlisted people: if adding
// changes nothing, they were, and the click takes it off.
async function react(messageId, emoji, method, had = -1) {
  try {
    let m = await state.conn.invoke(method, messageId, emoji);
    if (had >= 0 && m.reactions?.find((r) => r.emoji === emoji)?.count === had) {
      m = await state.conn.invoke('Unreact', messageId, emoji);
    }
    applyMessage(m);
  } catch (err) {
    $('send-error').textContent = hubMessage(err);
  }
}

// togglePicker opens (or closes) the reaction choices under a message.
function togglePicker(button, messageId) {
  const open = document.querySelector('.reaction-picker');
  if (open) closePicker(open);
  if (open && open.dataset.messageId === String(messageId)) return;
  const picker = el('div', { class: 'reaction-picker', role: 'group', 'aria-label': 'Choose a reaction', dataset: { messageId } });
  for (const [emoji, name] of REACTIONS) {
    const c = el('button', { type: 'button', class: 'reaction-choice', 'data-testid': 'reaction-choice', 'aria-label': name, title: name, text: emoji });
    c.addEventListener('click', () => { closePicker(picker, false); react(messageId, emoji, 'React'); });
    picker.append(c);
  }
  picker.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { ev.stopPropagation(); closePicker(picker); return; }
    const choices = [...picker.querySelectorAll('button')];
    const i = choices.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
    if (step && i >= 0) { ev.preventDefault(); choices[(i + step + choices.length) % choices.length].focus(); }
  });
  button.setAttribute('aria-expanded', 'true');
  button.closest('li').append(picker);
  picker.querySelector('button').focus();
}

// closePicker removes the open picker, taking the focus back to its
// button unless a choice was made.
function closePicker(picker, refocus = true) {
  const button = picker.closest('li')?.querySelector('[data-testid="reaction-add"]');
  picker.remove();
  if (button) {
    button.setAttribute('aria-expanded', 'false');
    if (refocus) button.focus();
  }
}
document.addEventListener('click', (ev) => {
  const open = document.querySelector('.reaction-picker');
  if (open && !open.contains(ev.target) && !ev.target.closest('[data-testid="reaction-add"]')) closePicker(open, false);
});

// ---- editing ----

// openEditor swaps a message's text for a field: Enter saves, Shift+Enter
// is a new line, Escape cancels.
function openEditor(messageId) {
  const m = state.messages.get(messageId);
  const li = $('message-list').querySelector(`li[data-id="${messageId}"]`);
  if (!m || !li || li.querySelector('.editor')) return;
  const input = el('textarea', { class: 'edit-input', 'data-testid': 'message-edit-input', 'aria-label': 'Edit message', rows: '2' });
  input.value = m.text;
  const error = el('p', { class: 'error', role: 'alert' });
  const editor = el('div', { class: 'editor' }, input,
    el('p', { class: 'hint', text: 'Enter saves · Shift+Enter new line · Esc cancels' }), error);
  const text = li.querySelector('.text');
  if (text) text.hidden = true;
  li.querySelector('.head').after(editor);
  input.addEventListener('keydown', async (ev) => {
    if (ev.key === 'Escape') { ev.preventDefault(); closeEditor(messageId); return; }
    if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing) return;
    ev.preventDefault();
    const value = input.value.trim();
    const n = chars(value);
    if (!n || n > MAX_TEXT) {
      error.textContent = n ? `Not saved: ${nf.format(n)} characters, the limit is ${nf.format(MAX_TEXT)}.` : 'A message cannot be empty: delete it instead.';
      return;
    }
    if (value === m.text) { closeEditor(messageId); return; }
    try {
      const saved = await state.conn.invoke('EditMessage', messageId, value);
      state.messages.set(messageId, saved);
      closeEditor(messageId);
    } catch (err) {
      error.textContent = hubMessage(err);
    }
  });
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

// closeEditor shows the message as it now is, the focus on its edit button.
function closeEditor(messageId) {
  const li = $('message-list').querySelector(`li[data-id="${messageId}"]`);
  li?.querySelector('.editor')?.remove();
  applyMessage(state.messages.get(messageId));
  $('message-list').querySelector(`li[data-id="${messageId}"] [data-testid="message-edit"]`)?.focus();
}

// ---- deleting ----

async function deleteMessage(messageId) {
  const m = state.messages.get(messageId);
  if (!m) return;
  const whose = m.userId === state.userId ? 'your message' : `${m.userName}'s message`;
  if (!(await confirmAction(`Delete ${whose}? Everyone in the room will see “message deleted” instead.`, 'Delete'))) return;
  try {
    applyMessage(await state.conn.invoke('DeleteMessage', messageId));
  } catch (err) {
    $('send-error').textContent = hubMessage(err);
  }
}

// confirmAction asks a yes/no question in the page's own dialog and
// resolves with the answer; Escape and Cancel say no.
function confirmAction(question, okLabel) {
  let dialog = $('confirm-dialog');
  if (!dialog) {
    dialog = el('dialog', { id: 'confirm-dialog', class: 'confirm-dialog', 'data-testid': 'confirm-dialog', 'aria-labelledby': 'confirm-text' },
      el('form', { method: 'dialog' },
        el('p', { id: 'confirm-text' }),
        el('div', { class: 'buttons' },
          el('button', { type: 'submit', value: 'cancel', class: 'link', 'data-testid': 'confirm-cancel', text: 'Cancel' }),
          el('button', { type: 'submit', value: 'ok', class: 'danger', 'data-testid': 'confirm-ok' }))));
    document.body.append(dialog);
  }
  $('confirm-text').textContent = question;
  dialog.querySelector('[data-testid="confirm-ok"]').textContent = okLabel;
  dialog.returnValue = '';
  const back = document.activeElement;
  dialog.showModal();
  dialog.querySelector('[data-testid="confirm-cancel"]').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (back && back.isConnected) back.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
  });
}
