package server

import "sync"

// atOnce bounds what runs at the same time per key (a person, a client
// address; "" for the whole server): connections, uploads.
type atOnce struct {
	max int

	mu sync.Mutex
	n  map[string]int // only keys with something running
}

func newAtOnce(max int) *atOnce { return &atOnce{max: max, n: make(map[string]int)} }

// enter counts one more for key, unless key has max running already.
func (a *atOnce) enter(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[key] >= a.max {
		return false
	}
	a.n[key]++
	return true
}

// leave counts one less for key.
func (a *atOnce) leave(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[key]--; a.n[key] <= 0 {
		delete(a.n, key)
	}
}

// running returns how many run for key.
func (a *atOnce) running(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[key]
}

// uploading bounds the uploads running at once, per person, per client
// address and on the whole server. An upload may take minutes (a slow
// client is given until the largest file would arrive at 32 KiB/s) and
// holds a connection, a temporary file and up to the size limit of disk
// meanwhile, whatever the quota: the rate limit alone lets the accounts
// of one address hold hundreds open.
type uploading struct {
	users, addrs, total *atOnce
}

func newUploading(perUser, perAddr, total int) *uploading {
	return &uploading{users: newAtOnce(perUser), addrs: newAtOnce(perAddr), total: newAtOnce(total)}
}

// enter admits an upload of user from addr and returns the func to call
// when it ends, or nil and what is full ("for you", "from your address",
// "on this server").
func (u *uploading) enter(user, addr string) (func(), string) {
	if !u.users.enter(user) {
		return nil, "for you"
	}
	if !u.addrs.enter(addr) {
		u.users.leave(user)
		return nil, "from your address"
	}
	if !u.total.enter("") {
		u.users.leave(user)
		u.addrs.leave(addr)
		return nil, "on this server"
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			u.users.leave(user)
			u.addrs.leave(addr)
			u.total.leave("")
		})
	}, ""
}
