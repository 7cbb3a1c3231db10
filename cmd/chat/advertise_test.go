package main

import (
	"net"
	"os"
	"testing"
)

func TestAdvertised(t *testing.T) {
	host, _ := os.Hostname()
	for _, tt := range []struct {
		addr string
		want string
	}{
		{"127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"[::1]:8081", "http://[::1]:8081"},
		{"10.1.2.3:80", "http://10.1.2.3:80"},
		{"0.0.0.0:8080", "http://" + net.JoinHostPort(host, "8080")},
		{"[::]:8080", "http://" + net.JoinHostPort(host, "8080")},
	} {
		a, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := advertised(a); got != tt.want {
			t.Errorf("advertised(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
