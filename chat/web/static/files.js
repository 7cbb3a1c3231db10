// Files: previews and the lightbox, uploads with progress (the button,
// drag and drop, pasted images), checked before a byte is sent, and a
// room's file list.
import { $, el, PREVIEW_TYPES, avatar, formatSize } from './base.js';
import { state, connected, roomOpened } from './state.js';
import { addMessages, scrollToEnd } from './messages.js';

const fileURL = (f) => `/api/files/${encodeURIComponent(f.id)}/${encodeURIComponent(f.name)}`;

// renderFile is a shared file in a message: a preview (images the page
// can show) and a download link.
export function renderFile(f) {
  const url = fileURL(f);
  const link = el('a', { href: url, download: f.name, 'data-testid': 'file-link' }, `${f.name} (${formatSize(f.size)})`);
  if (!PREVIEW_TYPES.includes(f.contentType)) return el('p', { class: 'text' }, link);
  const img = el('img', { class: 'preview', src: url, alt: f.name, loading: 'lazy', 'data-testid': 'file-preview' });
  // An image that loads grows the list: who was at its end stays there.
  img.addEventListener('load', () => { if (state.atEnd) scrollToEnd(); });
  const open = el('button', { type: 'button', class: 'preview-button', 'aria-label': `View ${f.name} full size`, 'data-testid': 'preview-open' }, img);
  open.addEventListener('click', () => openLightbox(f));
  return el('div', {}, open, link);
}

function openLightbox(f) {
  $('lightbox-title').textContent = f.name;
  $('lightbox-image').src = fileURL(f);
  $('lightbox-image').alt = f.name;
  $('lightbox-download').href = fileURL(f);
  $('lightbox-download').download = f.name;
  $('lightbox').showModal();
}

// ---- files ----

$('file-input').addEventListener('change', () => {
  shareFiles([...$('file-input').files]);
  $('file-input').value = '';
});

// checkFile returns why a file cannot be shared, or ''.
function checkFile(f) {
  if (f.size > state.maxUpload) return `${f.name} is ${formatSize(f.size)}; files are at most ${formatSize(state.maxUpload)}. Nothing was sent.`;
  if (f.size === 0) return `${f.name} is empty (or a folder): nothing to share.`;
  return '';
}

// shareFiles uploads the files that can be shared, saying why the
// others cannot.
export function shareFiles(files) {
  $('send-error').textContent = '';
  if (!connected() || state.roomId === null) {
    $('send-error').textContent = 'Sharing files needs the connection; try again when it is back.';
    return;
  }
  const refused = [];
  for (const f of files) {
    const why = checkFile(f);
    if (why) refused.push(why);
    else upload(f);
  }
  $('send-error').textContent = refused.join(' ');
}

// upload sends one file with XMLHttpRequest, which reports progress, in
// a pending row that can cancel it.
function upload(file) {
  const roomId = state.roomId;
  const bar = el('progress', { max: String(file.size), value: '0', 'aria-label': `Uploading ${file.name}`, 'data-testid': 'upload-progress' });
  const note = el('span', { class: 'state', text: 'uploading…' });
  const cancel = el('button', { type: 'button', class: 'link', 'data-testid': 'upload-cancel', 'aria-label': `Cancel uploading ${file.name}` }, 'Cancel');
  const kind = file.type.startsWith('image/') && !PREVIEW_TYPES.includes(file.type)
    ? ' (shared as a download: only PNG, JPEG, GIF and WebP images show a preview)' : '';
  const li = el('li', { class: 'pending upload-row', 'data-testid': 'upload-row' },
    avatar(state.userId, state.name),
    el('div', { class: 'head' }, el('span', { class: 'author', text: state.name }), note),
    el('p', { class: 'text', text: `${file.name} (${formatSize(file.size)})${kind}` }),
    el('div', { class: 'controls' }, bar, cancel));
  $('message-list').append(li);
  scrollToEnd();
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/rooms/${roomId}/files`);
  xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
  xhr.responseType = 'json';
  xhr.upload.addEventListener('progress', (ev) => {
    bar.value = ev.loaded;
    note.textContent = `uploading… ${Math.floor((100 * ev.loaded) / (ev.total || file.size))}%`;
  });
  const fail = (text) => {
    li.classList.add('failed');
    note.textContent = text;
    cancel.textContent = 'Dismiss';
    cancel.setAttribute('aria-label', `Dismiss ${file.name}`);
    cancel.onclick = () => li.remove();
  };
  xhr.addEventListener('load', () => {
    if (xhr.status === 200 && xhr.response) {
      li.remove();
      if (roomId === state.roomId) addMessages([xhr.response]);
      return;
    }
    fail(`upload failed (${xhr.status})`);
    $('send-error').textContent = `Upload of ${file.name} failed: ${xhr.status === 413 ? 'too large' : xhr.statusText || 'refused'}.`;
  });
  xhr.addEventListener('error', () => fail('upload failed: connection lost'));
  xhr.addEventListener('abort', () => li.remove());
  cancel.onclick = () => { xhr.abort(); $('message-input').focus(); };
  const form = new FormData();
  form.append('file', file);
  xhr.send(form);
}

// Files dropped anywhere on the room are shared in it.
const room = document.querySelector('.room');
const dragsFiles = (ev) => [...(ev.dataTransfer?.types || [])].includes('Files');
let dragDepth = 0;
room.addEventListener('dragenter', (ev) => {
  if (!dragsFiles(ev)) return;
  ev.preventDefault();
  dragDepth++;
  $('drop-zone').hidden = false;
});
room.addEventListener('dragover', (ev) => { if (dragsFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'copy'; } });
room.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop-zone').hidden = true; } });
room.addEventListener('drop', (ev) => {
  dragDepth = 0;
  $('drop-zone').hidden = true;
  const files = [...(ev.dataTransfer?.files || [])];
  if (!files.length) return;
  ev.preventDefault();
  shareFiles(files);
});

// Opening a room learns its upload limit.
roomOpened.on((room) => { loadFiles(room.id).catch(() => {}); });

// loadFiles fetches a room's file list (and the upload limit).
async function loadFiles(roomId) {
  const res = await fetch(`/api/rooms/${roomId}/files`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!res.ok) throw new Error((await res.text()).trim() || res.statusText);
  const l = await res.json();
  state.maxUpload = l.maxBytes;
  return l.files;
}

$('files-open').addEventListener('click', async () => {
  const roomId = state.roomId;
  if (roomId === null) return;
  $('files-title').textContent = `Files in ${$('room-title').textContent}`;
  $('files-list').replaceChildren();
  $('files-empty').hidden = true;
  $('files-dialog').showModal();
  try {
    const files = await loadFiles(roomId);
    $('files-empty').hidden = files.length > 0;
    $('files-list').replaceChildren(...files.map((f) => {
      const link = el('a', { href: fileURL(f), download: f.name }, f.name);
      const when = new Date(f.at).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
      const li = el('li', { 'data-testid': 'files-item' }, link, el('span', { class: 'meta', text: `${formatSize(f.size)} · ${when}` }));
      if (PREVIEW_TYPES.includes(f.contentType)) {
        const view = el('button', { type: 'button', class: 'link', 'aria-label': `View ${f.name}` }, 'View');
        view.addEventListener('click', () => { $('files-dialog').close(); openLightbox(f); });
        li.append(view);
      }
      return li;
    }));
  } catch (err) {
    $('files-empty').hidden = false;
    $('files-empty').textContent = `The list could not be loaded: ${err.message}`;
  }
});
