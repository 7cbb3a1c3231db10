package signalr

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/signalr-go/signalr/protocol"
)

// fpHub has a method of every fast-path signature; each uses its
// receiver, so that a receiver passed wrongly shows in the results.
type fpHub struct{ tag string }

func (h *fpHub) Touch()                       { _ = h.tag }
func (h *fpHub) Check() error                 { return NewHubError("%s checked", h.tag) }
func (h *fpHub) Tag() string                  { return h.tag }
func (h *fpHub) CtxTouch(c *Context)          { c.Items().Set("k", h.tag) }
func (h *fpHub) CtxCheck(c *Context) error    { return errors.New(h.tag + c.Protocol()) }
func (h *fpHub) CtxTag(c *Context) string     { return h.tag + c.Protocol() }
func (h *fpHub) Take(s string)                { _ = h.tag + s }
func (h *fpHub) Refuse(s string) error        { return NewHubError("%s refuses %s", h.tag, s) }
func (h *fpHub) Echo(s string) string         { return h.tag + s }
func (h *fpHub) Add(a, b int) int             { return a + b + len(h.tag) }
func (h *fpHub) CtxTake(c *Context, s string) { c.Items().Set("k", h.tag+s) }
func (h *fpHub) CtxSet(c *Context, s string) error {
	return NewHubError("%s %s %s", h.tag, c.Protocol(), s)
}
func (h *fpHub) CtxEcho(c *Context, s string) string { return h.tag + c.Protocol() + s }
func (h *fpHub) CtxMaybe(c *Context, s string) (string, error) {
	if s == "" {
		return "ignored", NewHubError("%s wants text", h.tag)
	}
	return h.tag + s, nil
}
func (h *fpHub) CtxPair(c *Context, a, b string) error { return NewHubError("%s %s %s", h.tag, a, b) }

// Receivers of other kinds reach the fast paths through the pointer
// method set.
type (
	fpValue struct {
		tag string
		n   int
	}
	fpEmpty struct{}
	fpInt   int
)

func (h fpValue) Echo(s string) string                  { return h.tag + s }
func (h fpValue) Add(a, b int) int                      { return a + b + h.n }
func (h fpValue) CtxPair(c *Context, a, b string) error { return NewHubError("%s %s %s", h.tag, a, b) }
func (fpEmpty) Echo(s string) string                    { return s }
func (n fpInt) Add(a, b int) int                        { return a + b + int(n) }

// fpCalls are invocations covering results, errors and binding failures.
var fpCalls = []struct {
	target string
	args   []any
}{
	{"Touch", nil}, {"Check", nil}, {"Tag", nil}, {"CtxTouch", nil}, {"CtxCheck", nil}, {"CtxTag", nil},
	{"Take", []any{"x"}}, {"Refuse", []any{"x"}}, {"Echo", []any{"x"}}, {"Echo", []any{"a \"quoted\" ü"}},
	{"Add", []any{40, 2}}, {"CtxTake", []any{"x"}}, {"CtxSet", []any{"x"}}, {"CtxEcho", []any{"x"}},
	{"CtxMaybe", []any{"x"}}, {"CtxMaybe", []any{""}}, {"CtxPair", []any{"x", "y"}},
	// Binding failures must read as they do by reflection.
	{"Echo", []any{42}}, {"Echo", []any{nil}}, {"Add", []any{1, "2"}}, {"Add", []any{1.5, 2}}, {"Add", []any{1}},
	{"CtxPair", []any{"x", 3}},
}

func TestFastPathsMatchReflection(t *testing.T) {
	hubs := []any{&fpHub{tag: "ptr"}, fpValue{tag: "val", n: 7}, fpEmpty{}, fpInt(5)}
	for _, hub := range hubs {
		t.Run(fmt.Sprintf("%T", hub), func(t *testing.T) {
			v := reflect.ValueOf(hub)
			for i := range v.NumMethod() {
				if name := v.Type().Method(i).Name; fastBinder(v.Method(i).Interface()) == nil {
					t.Errorf("%s has no fast path", name)
				}
			}
			bothProtocols(t, func(t *testing.T, proto string) {
				var mu sync.Mutex
				var args [2][]string
				record := func(k int) Filter {
					return Filter{Invocation: func(next InvocationHandler) InvocationHandler {
						return func(c *Context, inv *Invocation) (any, error) {
							mu.Lock()
							args[k] = append(args[k], fmt.Sprintf("%s %#v", inv.Method, inv.Args()))
							mu.Unlock()
							return next(c, inv)
						}
					}}
				}
				fast := newTestServer(t, nil, Options{Filters: []Filter{record(0)}})
				for i := range v.NumMethod() {
					if err := fast.Handle(v.Type().Method(i).Name, v.Method(i).Interface()); err != nil {
						t.Fatal(err)
					}
				}
				slow := newTestServer(t, hub, Options{Filters: []Filter{record(1)}})
				fc, sc := connect(t, fast, proto), connect(t, slow, proto)
				for i, call := range fpCalls {
					if _, ok := v.Type().MethodByName(call.target); !ok {
						continue
					}
					id := fmt.Sprint(i)
					got, _ := fc.invoke(id, call.target, call.args...)
					want, _ := sc.invoke(id, call.target, call.args...)
					if got.Error != want.Error || got.HasResult != want.HasResult || !sameRaw(got.Result, want.Result) {
						t.Errorf("%s%v: fast path gives %q %v %s, reflection %q %v %s", call.target, call.args,
							got.Error, got.HasResult, got.Result, want.Error, want.HasResult, want.Result)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				if fmt.Sprint(args[0]) != fmt.Sprint(args[1]) {
					t.Errorf("Invocation.Args differ:\nfast %v\nslow %v", args[0], args[1])
				}
			})
		})
	}
}

func sameRaw(a, b any) bool {
	ra, _ := a.(protocol.Raw)
	rb, _ := b.(protocol.Raw)
	return bytes.Equal(ra, rb) && (a == nil) == (b == nil)
}

// TestFastPathItems checks that the fast paths reach the per-connection
// state of the calling connection.
func TestFastPathItems(t *testing.T) {
	srv := newTestServer(t, &fpHub{tag: "t"}, Options{})
	c := connect(t, srv, "json")
	c.invoke("1", "CtxTake", "x")
	var got any
	srv.sessionsDo(func(s *session) { got, _ = s.items().Get("k") })
	if got != "tx" {
		t.Errorf("item %v", got)
	}
}

// sessionsDo runs f on every session of srv.
func (s *Server) sessionsDo(f func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		f(ss)
	}
}
