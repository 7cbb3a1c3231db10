package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// scriptServers returns the servers of a hub whose alive key exists.
// KEYS[1] nodes; ARGV: K.
var scriptServers = goredis.NewScript(luaNode + `local out = {}
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', nk(s) .. ':alive') == 1 then table.insert(out, s) end
end
return out`)

// Servers returns the names of the servers alive on the backplane for this
// hub (those whose presence heartbeat has not expired), sorted: the
// cluster as a status page shows it. A server appears once it has written
// its presence, which it does within a heartbeat of opening the hub.
func (h *HubManager) Servers(ctx context.Context) ([]string, error) {
	b := h.b
	if !b.isUp() {
		return nil, ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.OpTimeout)
	defer cancel()
	v, err := scriptServers.Run(ctx, b.rdb, []string{h.pres.nodes}, h.pres.k).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: servers: %w", ErrUnavailable, err)
	}
	return strs(v), nil
}
