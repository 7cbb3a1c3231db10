package index

import "testing"

func TestIndex(t *testing.T) {
	x := Index[int]{}
	x.Add("g", "a", 1)
	x.Add("g", "b", 2)
	x.Add("h", "a", 3)
	if len(x) != 2 || len(x["g"]) != 2 || x["g"]["b"] != 2 || x["h"]["a"] != 3 {
		t.Fatalf("after adding: %v", x)
	}
	x.Remove("g", "a")
	x.Remove("nothing", "a") // a key never added is no error
	if _, ok := x["g"]["a"]; ok || len(x["g"]) != 1 {
		t.Fatalf("after removing g/a: %v", x)
	}
	x.Remove("g", "b")
	x.Remove("h", "a")
	if len(x) != 0 {
		t.Fatalf("keys left with empty sets: %v", x)
	}
}
