package server

import (
	"errors"
	"net/http"
	"strconv"

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
	return a.verify(r, tok)
}

// verify checks a token's signature, expiry and generation.
func (a *App) verify(r *http.Request, tok string) (identity.Claims, error) {
	c, err := a.signer.Verify(tok)
	if err != nil {
		return identity.Claims{}, err
	}
	if err := a.revoker.check(r.Context(), c); err != nil {
		return identity.Claims{}, err
	}
	return c, nil
}

// cookieUser authenticates by bearer token or, for images, downloads and
// the page's sign-out, the cookie.
func (a *App) cookieUser(r *http.Request) (identity.Claims, error) {
	c, err := a.user(r)
	if errors.Is(err, errNoToken) {
		if ck, cerr := r.Cookie(tokenCookie); cerr == nil {
			c, err = a.verify(r, ck.Value)
		}
	}
	return c, err
}

func principal(c identity.Claims) transport.Principal {
	return transport.Principal{ID: c.UserID, Name: c.Name, Claims: map[string]string{"gen": strconv.FormatInt(c.Gen, 10)}}
}

// requiredUser authenticates the application hub: no valid token, no
// connection.
func (a *App) requiredUser(r *http.Request) (transport.Principal, error) {
	c, err := a.user(r)
	if err != nil {
		return transport.Principal{}, err
	}
	return principal(c), nil
}

// optionalUser authenticates the seed hub, which anonymous clients use:
// a valid token names the user, anything else is anonymous.
func (a *App) optionalUser(r *http.Request) (transport.Principal, error) {
	c, err := a.user(r)
	if err != nil {
		return transport.Principal{}, nil
	}
	return principal(c), nil
}

// fileUser authenticates file requests.
func (a *App) fileUser(r *http.Request) (string, string, error) {
	c, err := a.cookieUser(r)
	if err != nil {
		return "", "", err
	}
	return c.UserID, c.Name, nil
}
