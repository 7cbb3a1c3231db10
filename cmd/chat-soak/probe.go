package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample is the server's state at one moment.
// anonKiB is the resident anonymous memory (heap, stacks, SQLite's
// allocations), which a leak grows; rssKiB adds the pages of files, which
// grow too as more of the binary's code runs for the first time.
type sample struct {
	rssKiB, anonKiB, goroutines, fds int
}

func (s sample) String() string {
	return fmt.Sprintf("rss %d KiB (anonymous %d KiB), %d goroutines, %d fds", s.rssKiB, s.anonKiB, s.goroutines, s.fds)
}

// probe reads a server process's memory and descriptors from /proc and
// its goroutines from its debug endpoint.
type probe struct {
	pid   int
	debug string
}

func (p probe) sample() (sample, error) {
	var s sample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return s, fmt.Errorf("server process: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.rssKiB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			s.anonKiB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.pid))
	if err != nil {
		return s, fmt.Errorf("server descriptors: %w", err)
	}
	s.fds = len(fds)
	s.goroutines, err = p.goroutines()
	return s, err
}

// goroutines reads "goroutine profile: total N" from the debug endpoint.
func (p probe) goroutines() (int, error) {
	res, err := http.Get(p.debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, fmt.Errorf("debug endpoint: %w", err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	if sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "goroutine profile: total "); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("debug endpoint: no goroutine total in %q", sc.Text())
}

// settle waits, up to a minute, for goroutines and descriptors to come
// back near the baseline, and returns the last sample.
func (p probe) settle(base sample) (sample, error) {
	var s sample
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if s, err = p.sample(); err != nil {
			return s, err
		}
		if s.goroutines <= base.goroutines+goroutineSlack && s.fds <= base.fds+fdSlack {
			break
		}
	}
	return s, nil
}

// What the server may keep after the load: a few pooled connections to
// the database and idle HTTP keep-alives, and Go's allocator keeping
// memory it once used.
const (
	goroutineSlack = 20
	fdSlack        = 10
	anonGrowth     = 1.25 // last third's median over the middle third's
)

// judge fails a soak whose goroutines or descriptors did not return near
// the baseline, or whose figures rose through the run: the median of the
// last third of the samples above that of the middle third (the first
// third is the warm-up) by more than a margin.
func judge(base, after sample, samples []sample) []error {
	var errs []error
	if after.goroutines > base.goroutines+goroutineSlack {
		errs = append(errs, fmt.Errorf("goroutines stayed at %d after the load, from %d before", after.goroutines, base.goroutines))
	}
	if after.fds > base.fds+fdSlack {
		errs = append(errs, fmt.Errorf("file descriptors stayed at %d after the load, from %d before", after.fds, base.fds))
	}
	if len(samples) < 6 {
		return append(errs, fmt.Errorf("only %d samples: run longer or sample more often to judge growth", len(samples)))
	}
	third := len(samples) / 3
	mid, last := samples[third:2*third], samples[2*third:]
	for _, f := range []struct {
		name   string
		get    func(sample) int
		factor float64
		slack  int
	}{
		{"anonymous resident memory (KiB)", func(s sample) int { return s.anonKiB }, anonGrowth, 4096},
		{"goroutines", func(s sample) int { return s.goroutines }, 1.10, goroutineSlack},
		{"file descriptors", func(s sample) int { return s.fds }, 1.10, fdSlack},
	} {
		m, l := median(mid, f.get), median(last, f.get)
		if float64(l) > float64(m)*f.factor+float64(f.slack) {
			errs = append(errs, fmt.Errorf("%s kept growing: median %d in the middle third, %d in the last", f.name, m, l))
		}
	}
	return errs
}

func median(ss []sample, get func(sample) int) int {
	v := make([]int, len(ss))
	for i, s := range ss {
		v[i] = get(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}
