package redis

import (
	"slices"
	"testing"

	"github.com/signalr-go/signalr/internal/redistest"
)

func TestServers(t *testing.T) {
	srv := redistest.Start(t)
	s1 := newNode(t, []string{srv.Addr}, func(o *Options) { o.ServerName = "one" })
	s2 := newNode(t, []string{srv.Addr}, func(o *Options) { o.ServerName = "two" })
	s1.add(t, newConn("a", ""))
	s2.add(t, newConn("b", ""))
	var got []string
	waitUntil(t, "both servers listed", func() bool {
		var err error
		got, err = s1.h.Servers(ctx5(t))
		return err == nil && slices.Equal(got, []string{"one", "two"})
	})
	if err := s2.b.Close(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the closed server gone", func() bool {
		got, _ = s1.h.Servers(ctx5(t))
		return slices.Equal(got, []string{"one"})
	})
}
