// The seed chat hub at /chatHub, message by message, with the official
// client: clients written for the ASP.NET Core sample must work unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signalR, connect, waitFor } from './lib.mjs';
import { startChat, login } from './chat-lib.mjs';

// recorder collects what a connection receives, per client method.
function recorder(conn, methods) {
  const got = [];
  for (const m of methods) conn.on(m, (...args) => got.push([m, ...args]));
  return got;
}

const methods = ['UserConnected', 'UserDisconnected', 'ReceiveMessage', 'Send', 'ReceiveConnectionInfo'];
let chat;
before(async () => { chat = await startChat(); });
after(async () => { await chat.stop(); });

for (const protocol of ['json', 'messagepack']) {
  test(`seed /chatHub contract (${protocol})`, async () => {
    const hubUrl = `${chat.base}/chatHub`;
    const opts = { transport: 'WebSockets', protocol };
    const b = await connect(hubUrl, opts);
    const gotB = recorder(b, methods);
    const a = await connect(hubUrl, opts, (builder) => builder);
    const gotA = recorder(a, methods);
    const idA = a.connectionId, idB = b.connectionId;
    const has = (got, entry) => got.some((e) => JSON.stringify(e) === JSON.stringify(entry));
    const expect = async (got, entry) => waitFor(() => has(got, entry), 5000, JSON.stringify(entry));

    // on connect: UserConnected(connectionId) to all.
    await expect(gotB, ['UserConnected', idA]);

    // SendMessage(user, message): ReceiveMessage(user, message) to all.
    await a.invoke('SendMessage', 'ann', 'hello');
    await expect(gotA, ['ReceiveMessage', 'ann', 'hello']);
    await expect(gotB, ['ReceiveMessage', 'ann', 'hello']);

    // JoinRoom: to the room only.
    await a.invoke('JoinRoom', 'r1');
    await expect(gotA, ['ReceiveMessage', 'System', `${idA} has joined the room r1`]);
    await b.invoke('JoinRoom', 'r1');
    await expect(gotA, ['ReceiveMessage', 'System', `${idB} has joined the room r1`]);
    await expect(gotB, ['ReceiveMessage', 'System', `${idB} has joined the room r1`]);
    assert.ok(!has(gotB, ['ReceiveMessage', 'System', `${idA} has joined the room r1`]), 'b got a room message before joining');

    // LeaveRoom: removed first, so only those left hear it.
    await a.invoke('LeaveRoom', 'r1');
    await expect(gotB, ['ReceiveMessage', 'System', `${idA} has left the room r1`]);

    // AddToGroup / RemoveFromGroup: Send(text) to the group.
    await a.invoke('AddToGroup', 'g');
    await b.invoke('AddToGroup', 'g');
    await expect(gotA, ['Send', `${idA} has joined the group g.`]);
    await expect(gotA, ['Send', `${idB} has joined the group g.`]);
    await expect(gotB, ['Send', `${idB} has joined the group g.`]);

    // SendMessageToGroup: ReceiveMessage(caller's connection id, message).
    await b.invoke('SendMessageToGroup', 'g', 'to the group');
    await expect(gotA, ['ReceiveMessage', idB, 'to the group']);
    await expect(gotB, ['ReceiveMessage', idB, 'to the group']);

    await b.invoke('RemoveFromGroup', 'g');
    await expect(gotA, ['Send', `${idB} has left the group g.`]);
    await a.invoke('SendMessageToGroup', 'g', 'only a');
    await expect(gotA, ['ReceiveMessage', idA, 'only a']);
    assert.ok(!has(gotB, ['ReceiveMessage', idA, 'only a']), 'b still in the group after RemoveFromGroup');

    // GetConnectionInfo: to the caller only, user name null when anonymous.
    await a.invoke('GetConnectionInfo');
    await expect(gotA, ['ReceiveConnectionInfo', idA, null]);
    assert.ok(!gotB.some((e) => e[0] === 'ReceiveConnectionInfo'), 'connection info went to another client');

    // on disconnect: UserDisconnected(connectionId) to all.
    await a.stop();
    await expect(gotB, ['UserDisconnected', idA]);
    await b.stop();
  });
}

test('seed /chatHub names a signed-in user in GetConnectionInfo', async () => {
  const { token } = await login(chat.base, 'Seeder');
  const conn = new signalR.HubConnectionBuilder()
    .withUrl(`${chat.base}/chatHub`, { accessTokenFactory: () => token })
    .configureLogging(signalR.LogLevel.None).build();
  const info = new Promise((resolve) => conn.on('ReceiveConnectionInfo', (id, name) => resolve([id, name])));
  await conn.start();
  await conn.invoke('GetConnectionInfo');
  assert.deepEqual(await info, [conn.connectionId, 'Seeder']);
  await conn.stop();
});
