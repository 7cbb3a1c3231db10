package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/signalr-go/signalr"
	"github.com/signalr-go/signalr/client"
	"github.com/signalr-go/signalr/protocol"
	"github.com/signalr-go/signalr/transport"
)

// errBadToken is what the test authenticator says of the token "bad".
var errBadToken = errors.New("bad token")

// TestServerAuthorization connects to a hub whose Transport.Authenticate
// reads the bearer token and whose Authorize requires a user: anonymous
// clients and bad tokens get 401 on negotiate, a good token gets through
// on every transport and is the caller's user id.
func TestServerAuthorization(t *testing.T) {
	opts := signalr.Options{
		Transport: transport.Options{Authenticate: func(r *http.Request) (transport.Principal, error) {
			switch tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); tok {
			case "":
				return transport.Principal{}, nil // anonymous
			case "bad":
				return transport.Principal{}, errBadToken
			default:
				return transport.Principal{ID: tok}, nil
			}
		}},
		Authorize: func(p transport.Principal) bool { return p.ID != "" },
	}
	_, url := startHub(t, newServerHub(), opts)
	token := func(s string) client.Option {
		return client.WithAccessToken(func(context.Context) (string, error) { return s, nil })
	}
	for _, c := range []struct {
		name string
		opts []client.Option
	}{
		{"anonymous", nil},
		{"bad token", []client.Option{token("bad")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newClient(t, url, c.opts...)
			err := cl.Start(t.Context())
			if !errors.Is(err, client.ErrNegotiate) || !strings.Contains(err.Error(), "401") {
				t.Fatalf("Start = %v, want a negotiate failure with status 401", err)
			}
		})
	}
	for _, combo := range combos {
		t.Run("alice/"+combo.name, func(t *testing.T) {
			cl := startClient(t, url, token("alice"), client.WithTransports(combo.tt), client.WithProtocol(combo.hp))
			if got, err := client.Invoke[string](t.Context(), cl, "WhoAmI"); err != nil || got != "alice" {
				t.Fatalf("WhoAmI = %q, %v", got, err)
			}
		})
	}
}

// TestServerSkipNegotiation connects straight to the WebSocket endpoint.
func TestServerSkipNegotiation(t *testing.T) {
	_, url := startHub(t, newServerHub(), signalr.Options{})
	for _, hp := range []protocol.HubProtocol{protocol.NewJSON(), protocol.NewMessagePack()} {
		t.Run(hp.Name(), func(t *testing.T) {
			c := startClient(t, url, client.WithSkipNegotiation(), client.WithTransports(client.WebSockets), client.WithProtocol(hp))
			if id := c.ConnectionID(); id != "" {
				t.Errorf("connection id %q without negotiation", id)
			}
			if got, err := client.Invoke[int](t.Context(), c, "Add", 2, 3); err != nil || got != 5 {
				t.Fatalf("Add = %d, %v", got, err)
			}
			var n int
			for v, err := range client.Stream[int](t.Context(), c, "Count", 3) {
				if err != nil {
					t.Fatalf("Count: %v", err)
				}
				n += v
			}
			if n != 3 {
				t.Errorf("Count summed to %d", n)
			}
		})
	}
}
