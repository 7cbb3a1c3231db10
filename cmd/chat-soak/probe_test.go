package main

import "testing"

func TestJudge(t *testing.T) {
	base := sample{anonKiB: 20000, goroutines: 10, fds: 15}
	flat := make([]sample, 12)
	growing := make([]sample, 12)
	for i := range flat {
		flat[i] = sample{anonKiB: 25000 + 100*(i%2), goroutines: 60 + i%3, fds: 60}
		growing[i] = sample{anonKiB: 25000 + 8000*i, goroutines: 60 + 10*i, fds: 60 + 5*i}
	}
	if errs := judge(base, base, flat); len(errs) != 0 {
		t.Errorf("a flat run failed: %v", errs)
	}
	if errs := judge(base, base, growing); len(errs) != 3 {
		t.Errorf("a growing run: %v, want memory, goroutines and descriptors flagged", errs)
	}
	if errs := judge(base, sample{anonKiB: 30000, goroutines: 50, fds: 40}, flat); len(errs) != 2 {
		t.Errorf("goroutines and descriptors left after the load: %v, want both flagged", errs)
	}
	if errs := judge(base, base, flat[:3]); len(errs) != 1 {
		t.Errorf("too few samples: %v", errs)
	}
}
