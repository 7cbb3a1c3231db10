package hub

import (
	"slices"
	"testing"
)

func TestPresenceSeveralTabs(t *testing.T) {
	p := newPresence()
	ann, bob := Member{"a", "Ann"}, Member{"b", "bob"}
	if !p.add(1, ann, "c1") {
		t.Error("first tab: not reported online")
	}
	if p.add(1, ann, "c2") {
		t.Error("second tab reported as a new arrival")
	}
	p.add(1, bob, "c3")
	p.add(2, ann, "c1")
	if got := p.members(1); !slices.Equal(got, []Member{ann, bob}) {
		t.Errorf("members = %v", got)
	}
	if p.remove(1, "c1") {
		t.Error("closing one of two tabs took the user offline")
	}
	if !p.has(2, "c1") || p.has(1, "c1") {
		t.Error("has is wrong after remove")
	}
	if gone := p.drop("c2"); !slices.Equal(gone, []int64{1}) {
		t.Errorf("drop(last tab in room 1) = %v, want [1]", gone)
	}
	if gone := p.drop("c1"); !slices.Equal(gone, []int64{2}) {
		t.Errorf("drop(c1) = %v, want [2]", gone)
	}
	if got := p.members(1); !slices.Equal(got, []Member{bob}) {
		t.Errorf("members = %v, want bob only", got)
	}
	if p.remove(1, "unknown") || len(p.drop("unknown")) != 0 {
		t.Error("unknown connection changed something")
	}
	if len(p.members(2)) != 0 || len(p.rooms) != 1 || len(p.conns) != 1 {
		t.Errorf("state not cleaned up: %v %v", p.rooms, p.conns)
	}
}
