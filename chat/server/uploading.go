package server

import "sync"

// uploading bounds the uploads running at once, per person, per client
// address and on the whole server. An upload may take minutes (a slow
// client is given until the largest file would arrive at 32 KiB/s) and
// holds a connection, a temporary file and up to the size limit of disk
// meanwhile, whatever the quota: the rate limit alone lets the accounts
// of one address hold hundreds open.
type uploading struct {
	perUser, perAddr, total int

	mu     sync.Mutex
	users  map[string]int
	addrs  map[string]int
	active int
}

func newUploading(perUser, perAddr, total int) *uploading {
	return &uploading{perUser: perUser, perAddr: perAddr, total: total,
		users: make(map[string]int), addrs: make(map[string]int)}
}

// enter admits an upload of user from addr and returns the func to call
// when it ends, or nil and what is full ("for you", "from your address",
// "on this server").
func (u *uploading) enter(user, addr string) (func(), string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.users[user] >= u.perUser:
		return nil, "for you"
	case u.addrs[addr] >= u.perAddr:
		return nil, "from your address"
	case u.active >= u.total:
		return nil, "on this server"
	}
	u.users[user]++
	u.addrs[addr]++
	u.active++
	var once sync.Once
	return func() { once.Do(func() { u.leave(user, addr) }) }, ""
}

func (u *uploading) leave(user, addr string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	// Counts at zero are deleted, so the maps hold only running uploads.
	if u.users[user]--; u.users[user] == 0 {
		delete(u.users, user)
	}
	if u.addrs[addr]--; u.addrs[addr] == 0 {
		delete(u.addrs, addr)
	}
	u.active--
}
