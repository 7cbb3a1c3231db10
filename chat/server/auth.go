package server

import (
	"errors"
	"net/http"

	"github.com/signalr-go/signalr/chat/identity"
	"github.com/signalr-go/signalr/transport"
)

// tokenCookie carries the token for requests a page cannot add a header
// to: images and downloads.
const tokenCookie = "chat_token"

var errNoToken = errors.New("chat: no token")

// user returns the verified claims of a request's bearer token.
func (a *App) user(r *http.Request) (identity.Claims, error) {
	tok := transport.BearerToken(r)
	if tok == "" {
		return identity.Claims{}, errNoToken
	}
	return a.signer.Verify(tok)
}

// requiredUser authenticates the application hub: no valid token, no
// connection.
func (a *App) requiredUser(r *http.Request) (transport.Principal, error) {
	c, err := a.user(r)
	if err != nil {
		return transport.Principal{}, err
	}
	return transport.Principal{ID: c.UserID, Name: c.Name}, nil
}

// optionalUser authenticates the seed hub, which anonymous clients use:
// a valid token names the user, anything else is anonymous.
func (a *App) optionalUser(r *http.Request) (transport.Principal, error) {
	c, err := a.user(r)
	if err != nil {
		return transport.Principal{}, nil
	}
	return transport.Principal{ID: c.UserID, Name: c.Name}, nil
}

// fileUser authenticates file requests by bearer token or, for images
// and downloads, the cookie.
func (a *App) fileUser(r *http.Request) (string, string, error) {
	c, err := a.user(r)
	if errors.Is(err, errNoToken) {
		if ck, cerr := r.Cookie(tokenCookie); cerr == nil {
			c, err = a.signer.Verify(ck.Value)
		}
	}
	if err != nil {
		return "", "", err
	}
	return c.UserID, c.Name, nil
}
