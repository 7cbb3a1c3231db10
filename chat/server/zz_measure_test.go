package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/hub"
	"github.com/signalr-go/signalr/chat/store"
)

func TestMeasureRoomMembers(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	ctx := context.Background()
	st := b.app.Store()
	for i := range 5000 {
		u, err := st.CreateUser(ctx, store.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("user", i)})
		if err != nil {
			t.Fatal(err)
		}
		st.Join(ctx, 1, u.ID)
	}
	ca, _ := b.dial("/hubs/chat", ann.Token)
	ca.must(nil, "JoinRoom", 1)
	start := time.Now()
	var ms []hub.MemberInfo
	ca.must(&ms, "RoomMembers", 1)
	raw, _ := json.Marshal(ms)
	t.Logf("RoomMembers: %d members, %d bytes, %v", len(ms), len(raw), time.Since(start))
	start = time.Now()
	ca.must(nil, "JoinRoom", 1)
	t.Logf("JoinRoom: %v", time.Since(start))
}
