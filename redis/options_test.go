package redis

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Options
	}{
		{"localhost:6380", Options{Addrs: []string{"localhost:6380"}}},
		{"a:1, b:2,c:3", Options{Addrs: []string{"a:1", "b:2", "c:3"}, Cluster: true}},
		{"redis://127.0.0.1:7000", Options{Addrs: []string{"127.0.0.1:7000"}}},
		{"redis://secret@h:1/2", Options{Addrs: []string{"h:1"}, Password: "secret", DB: 2}},
		{"redis://u:p@h:1?cluster=true&prefix=MyApp&server=S&ackTimeout=5s&nodeTTL=3s",
			Options{Addrs: []string{"h:1"}, Username: "u", Password: "p", Cluster: true, ChannelPrefix: "MyApp", ServerName: "S", AckTimeout: 5 * time.Second, NodeTTL: 3 * time.Second}},
		{"redis://a:1,b:2", Options{Addrs: []string{"a:1", "b:2"}, Cluster: true}},
	} {
		got, err := ParseURL(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if !slices.Equal(got.Addrs, tc.want.Addrs) {
			t.Fatalf("%q: addrs %q", tc.in, got.Addrs)
		}
		got.Addrs, tc.want.Addrs = nil, nil
		if !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "nohost", "redis://", "http://h:1", "redis://h:1/x", "redis://h:1?ackTimeout=soon", "h:"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.AckTimeout != 10*time.Second || o.NodeTTL != 10*time.Second || len(o.Addrs) != 1 || o.Addrs[0] != "127.0.0.1:6379" {
		t.Fatalf("defaults %+v", o)
	}
	i := strings.LastIndexByte(o.ServerName, '_')
	if i < 1 || len(o.ServerName)-i-1 != 32 {
		t.Fatalf("server name %q is not host_<32 hex>", o.ServerName)
	}
}
