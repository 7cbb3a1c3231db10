// Command chat-authbench measures what a password brute force does to
// everyone else on a chat server (cmd/chat): the sign-in latency of a
// healthy person, and of a cheap authenticated request, first with the
// server quiet and then while attackers guess a victim's password as fast
// as they can.
//
//	chat-authbench -url http://127.0.0.1:8080 [-attackers 8] [-spread 1] [-phase 60s]
//
// -people healthy people sign in with their password every -every, each
// from their own address (127.0.1.1 and up), and check their session
// (a cheap authenticated request) every 100 ms in between. The attackers
// connect from 127.0.0.2 onwards, -spread addresses in turn (1: one
// address; more: an attacker rotating addresses to get past per-address
// limits). It prints one line of JSON per phase.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chat-authbench:", err)
		os.Exit(1)
	}
}

type phase struct {
	Phase        string         `json:"phase"`
	SignIns      int            `json:"healthy_sign_ins"`
	SignInMax    float64        `json:"sign_in_max_ms"`
	SignInP50    float64        `json:"sign_in_p50_ms"`
	SignInP99    float64        `json:"sign_in_p99_ms"`
	SessionP50   float64        `json:"session_p50_ms"`
	SessionP99   float64        `json:"session_p99_ms"`
	HealthyFails int            `json:"healthy_failures"`
	FailReasons  map[string]int `json:"healthy_failure_reasons,omitempty"`
	Attempts     map[string]int `json:"attacker_answers,omitempty"` // status -> count
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("chat-authbench", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "chat server `URL`")
	attackers := fs.Int("attackers", 8, "concurrent attacking requests")
	spread := fs.Int("spread", 1, "addresses the attackers rotate through")
	dur := fs.Duration("phase", 60*time.Second, "length of each phase")
	people := fs.Int("people", 10, "healthy people")
	every := fs.Duration("every", 15*time.Second, "how often each healthy person signs in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *spread < 1 || *spread > 250 {
		return fmt.Errorf("-spread %d: between 1 and 250 loopback addresses", *spread)
	}
	if *people < 1 || *people > 250 {
		return fmt.Errorf("-people %d: between 1 and 250", *people)
	}
	healthy := make([]*http.Client, *people)
	tokens := make([]string, *people)
	for i := range healthy {
		healthy[i] = clientFrom(net.IPv4(127, 0, 1, byte(1+i)))
		var err error
		if tokens[i], err = login(healthy[i], *base, fmt.Sprint("healthy-", i), "healthy-password"); err != nil {
			return err
		}
	}
	if _, err := login(healthy[0], *base, "victim", "victim-password"); err != nil {
		return err
	}
	atk := make([]*http.Client, max(1, *spread))
	for i := range atk {
		atk[i] = clientFrom(net.IPv4(127, 0, 0, byte(2+i)))
	}
	for _, attack := range []bool{false, true} {
		p := phase{Phase: "quiet"}
		ctx, cancel := context.WithTimeout(context.Background(), *dur)
		var wg sync.WaitGroup
		var answers sync.Map
		if attack {
			p.Phase = fmt.Sprintf("brute force: %d attackers from %d address(es)", *attackers, *spread)
			var n atomic.Int64
			for range *attackers {
				wg.Go(func() {
					for ctx.Err() == nil {
						i := n.Add(1)
						c := atk[int(i)%len(atk)]
						status := post(ctx, c, *base+"/api/login", "", fmt.Sprintf(`{"name":"victim","password":"guess-%d"}`, i))
						v, _ := answers.LoadOrStore(status, new(atomic.Int64))
						v.(*atomic.Int64).Add(1)
					}
				})
			}
		}
		var mu sync.Mutex
		var signIns, sessions []time.Duration
		var people sync.WaitGroup
		for i, c := range healthy {
			people.Go(func() {
				name := fmt.Sprint("healthy-", i)
				// Staggered, so that the healthy people do not all hash at once.
				for next := time.Now().Add(time.Duration(i) * *every / time.Duration(len(healthy))); ctx.Err() == nil; {
					if time.Now().After(next) {
						next = next.Add(*every)
						t := time.Now()
						_, err := login(c, *base, name, "healthy-password")
						mu.Lock()
						if err != nil {
							p.HealthyFails++
							if p.FailReasons == nil {
								p.FailReasons = map[string]int{}
							}
							p.FailReasons[err.Error()]++
						} else {
							signIns = append(signIns, time.Since(t))
						}
						mu.Unlock()
					}
					t := time.Now()
					status := post(ctx, c, *base+"/api/session", tokens[i], "")
					mu.Lock()
					if status == http.StatusOK {
						sessions = append(sessions, time.Since(t))
					} else if ctx.Err() == nil {
						p.HealthyFails++
					}
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		people.Wait()
		cancel()
		wg.Wait()
		p.SignIns = len(signIns)
		p.SignInP50, p.SignInP99, p.SignInMax = pct(signIns, 50), pct(signIns, 99), pct(signIns, 100)
		p.SessionP50, p.SessionP99 = pct(sessions, 50), pct(sessions, 99)
		answers.Range(func(k, v any) bool {
			if p.Attempts == nil {
				p.Attempts = map[string]int{}
			}
			p.Attempts[fmt.Sprint(k)] = int(v.(*atomic.Int64).Load())
			return true
		})
		b, _ := json.Marshal(p)
		fmt.Fprintln(out, string(b))
		time.Sleep(2 * time.Second) // let the queue drain between phases
	}
	return nil
}

// clientFrom returns an HTTP client whose connections come from ip.
func clientFrom(ip net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
}

func login(c *http.Client, base, name, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	res, err := c.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign in %s: status %d", name, res.StatusCode)
	}
	return out.Token, nil
}

func post(ctx context.Context, c *http.Client, url, token, body string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// pct returns the p-th percentile of ds in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return float64(s[i].Microseconds()) / 1000
}
