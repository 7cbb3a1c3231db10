// Membership: private rooms and conversations appearing and disappearing
// live, and the open room's member list (everyone who is a member, who of
// them is online now, and for a private room's owner a way to remove
// someone), with the form that invites people.
import { $, el, avatar, hubMessage } from './base.js';
import { state, connected, connectionMade, roomOpened } from './state.js';
import { renderDms } from './dms.js';
import { addRoom, renderRooms, openRoom } from './rooms.js';

// Each connection follows the events about memberships.
connectionMade.on((conn) => {
  conn.on('RoomAdded', (r) => addRoom(r)); // invited to a room
  conn.on('RoomRemoved', (roomId) => dropRoom(roomId));
  conn.on('MembersChanged', (roomId, change) => { if (roomId === state.roomId) applyMembers(change); });
  conn.on('PresenceDelta', (roomId, joined, left) => {
    if (roomId !== state.roomId) return;
    for (const m of state.members) {
      if (joined.some((j) => j.userId === m.userId)) m.online = true;
      if (left.includes(m.userId)) m.online = false;
    }
    renderMembers();
  });
});

// Opening a room shows its members and what one can do with them.
roomOpened.on((room) => {
  state.room = room;
  const dm = room.kind === 'dm';
  $('leave').textContent = dm ? 'Leave conversation' : 'Leave room';
  $('invite-form').hidden = dm;
  $('invite-error').textContent = '';
  state.members = [];
  renderMembers();
  loadMembers(room.id).catch((err) => console.warn('members', err));
});

// dropRoom forgets a room the person is no longer allowed in, and leaves
// it if it is open.
function dropRoom(roomId) {
  state.rooms.delete(roomId);
  state.dms.delete(roomId);
  renderRooms();
  renderDms();
  if (roomId !== state.roomId) return;
  state.roomId = null;
  const next = [...state.rooms.values()].find((r) => r.joined) || [...state.rooms.values()][0];
  if (next) openRoom(next.id).catch(() => {});
}

async function loadMembers(roomId) {
  const ms = await state.conn.invoke('RoomMembers', roomId);
  if (roomId !== state.roomId) return;
  state.members = ms;
  renderMembers();
}

// applyMembers applies a change of the open room's members as the server
// sends it (who joined, who left), rather than fetching them all again,
// which every member's page would do at every change of a big room.
function applyMembers(change) {
  const gone = new Set([...(change.left || []), ...(change.joined || []).map((m) => m.userId)]);
  const kept = state.members.filter((m) => !gone.has(m.userId));
  state.members = [...kept, ...(change.joined || [])]
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.userId.localeCompare(b.userId));
  renderMembers();
}

function renderMembers() {
  const room = state.room;
  const owner = room && room.kind === 'private' && room.createdBy === state.userId;
  $('member-list').replaceChildren(...state.members.map((m) => {
    const li = el('li', { dataset: { userId: m.userId, testid: 'member' } }, avatar(m.userId, m.name),
      el('span', { class: 'name', text: m.userId === state.userId ? `${m.name} (you)` : m.name }));
    if (m.owner) li.append(el('span', { class: 'tag', text: 'owner' }));
    li.append(el('span', { class: m.online ? 'online' : 'offline', text: m.online ? 'online' : 'away' }));
    if (owner && m.userId !== state.userId) {
      const b = el('button', { type: 'button', class: 'link', 'data-testid': 'member-remove', 'aria-label': `Remove ${m.name} from the room`, text: 'Remove' });
      b.addEventListener('click', () => removeMember(m));
      li.append(b);
    }
    return li;
  }));
}

async function removeMember(m) {
  try {
    await state.conn.invoke('RemoveFromRoom', state.roomId, m.userId);
  } catch (err) {
    $('invite-error').textContent = hubMessage(err);
  }
}

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('invite-error').textContent = '';
  const name = $('room-invite-name').value.trim();
  if (!name) {
    $('invite-error').textContent = 'Give the name of the person to invite.';
    $('room-invite-name').focus();
    return;
  }
  if (!connected() || state.roomId === null) {
    $('invite-error').textContent = 'Inviting needs the connection; it is coming back by itself.';
    return;
  }
  try {
    await state.conn.invoke('InviteToRoom', state.roomId, name);
    $('room-invite-name').value = '';
  } catch (err) {
    $('invite-error').textContent = hubMessage(err);
  }
});
