package redis

import goredis "github.com/redis/go-redis/v9"

// Presence keys of one hub, all under one Redis Cluster hash tag so that
// a script may touch them together. K is {prefix}{"{"}{hub}{"}"}:p: and
// N(s) is K, len(s), ":", s for server s:
//
//	K nodes          SET   servers that wrote presence
//	N(s):alive       STRING heartbeat, expires after NodeTTL
//	N(s):conns       HASH  connection id -> user id
//	N(s):g:<group>   SET   connection ids of a group
//	N(s):u:<user>    SET   connection ids of a user
//	N(s):cg:<conn>   SET   groups of a connection
//	N(s):keys        SET   the g, u and cg keys above, for cleanup
//
// Readers count only servers whose alive key exists; any server deletes
// the keys of a server whose alive key expired.

// luaNode is the Lua of N(s); ARGV[1] is always K.
const luaNode = `local function nk(s) return ARGV[1] .. string.len(s) .. ':' .. s end
local function wipe(n)
  local keys = redis.call('SMEMBERS', n .. ':keys')
  for i = 1, #keys, 500 do
    redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
  end
  redis.call('DEL', n .. ':keys', n .. ':conns', n .. ':alive')
end
`

// scriptAdd adds ARGV[1] to set KEYS[1] and the set to index KEYS[2].
var scriptAdd = goredis.NewScript(`redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], KEYS[1])
return 1`)

// scriptRem removes ARGV[1] from set KEYS[1], and the set from index
// KEYS[2] once it is empty.
var scriptRem = goredis.NewScript(`redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], KEYS[1]) end
return 1`)

// scriptHeartbeat refreshes this server's alive key if it still exists
// (returns 0 if not: Redis lost our presence, rewrite it) and deletes the
// presence of every server whose alive key expired.
// KEYS[1] nodes; ARGV: K, server, ttl ms.
var scriptHeartbeat = goredis.NewScript(luaNode + `local alive = redis.call('SET', nk(ARGV[2]) .. ':alive', '1', 'PX', ARGV[3], 'XX')
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if s ~= ARGV[2] and redis.call('EXISTS', nk(s) .. ':alive') == 0 then
    wipe(nk(s))
    redis.call('SREM', KEYS[1], s)
  end
end
if alive then return 1 end
return 0`)

// scriptWipe deletes this server's presence; ARGV[3] "leave" also takes
// it out of the nodes set, else it sets the alive key (ttl ARGV[4]) for a
// rewrite. KEYS[1] nodes; ARGV: K, server, mode, ttl ms.
var scriptWipe = goredis.NewScript(luaNode + `wipe(nk(ARGV[2]))
if ARGV[3] == 'leave' then
  redis.call('SREM', KEYS[1], ARGV[2])
else
  redis.call('SADD', KEYS[1], ARGV[2])
  redis.call('SET', nk(ARGV[2]) .. ':alive', '1', 'PX', ARGV[4])
end
return 1`)

// scriptQuery answers a presence query over the live servers.
// KEYS[1] nodes; ARGV: K, kind, name. kind "count": the number of
// connections; "g"/"u": the members of a group / connections of a user;
// "cg": {found, groups} for a connection.
var scriptQuery = goredis.NewScript(luaNode + `local kind, name = ARGV[2], ARGV[3]
local total, found, out, seen = 0, 0, {}, {}
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local n = nk(s)
  if redis.call('EXISTS', n .. ':alive') == 1 then
    if kind == 'count' then
      total = total + redis.call('HLEN', n .. ':conns')
    elseif kind ~= 'cg' or redis.call('HEXISTS', n .. ':conns', name) == 1 then
      found = 1
      for _, m in ipairs(redis.call('SMEMBERS', n .. ':' .. kind .. ':' .. name)) do
        if not seen[m] then seen[m] = true; out[#out + 1] = m end
      end
    end
  end
end
if kind == 'count' then return total end
if kind == 'cg' then return {found, out} end
return out`)
