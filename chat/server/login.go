package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/signalr-go/signalr/chat/identity"
	"github.com/signalr-go/signalr/chat/names"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/transport"
)

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token  string `json:"token"`
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// login signs a person in with a display name and, optionally, a
// password. A new name creates the user (protected by the password if one
// is given); an existing name signs in as that user if it has no password
// or the password matches. A name is existing if it is the same as a
// stored one but for case or look-alike characters (package names).
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	addr := a.limits.clientAddr(r)
	if d := a.limits.signIn.take(addr); d > 0 {
		tooMany(w, "sign-in attempts from your address", d)
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	u, err := a.store.UserByName(r.Context(), req.Name)
	if errors.Is(err, store.ErrNotFound) {
		a.signUp(w, r, addr, req)
		return
	}
	if err != nil {
		a.internal(w, err)
		return
	}
	if u.PasswordHash != "" && !a.checkPassword(w, r, u, req.Password) {
		return
	}
	a.issue(w, r, u)
}

// checkPassword answers the request unless password is u's: 401 for a
// wrong one, 429 while the account has had too many password checks, 503
// when the server has too many to check. Every check counts, right or
// wrong: counted before the hash, concurrent guesses cannot overrun the
// allowance, and x/time/rate cannot give back an event already spent.
func (a *App) checkPassword(w http.ResponseWriter, r *http.Request, u store.User, password string) bool {
	if d := a.limits.checks.take(u.ID); d > 0 {
		tooMany(w, "sign-in attempts for this name", d)
		return false
	}
	var ok bool
	if err := a.limits.hashing(r.Context(), func() { ok = identity.CheckPassword(u.PasswordHash, password) }); err != nil {
		a.hashFailed(w, err)
		return false
	}
	if !ok {
		http.Error(w, "wrong password for this name", http.StatusUnauthorized)
	}
	return ok
}

// signUp creates the user of a name nobody has, puts them in the default
// room and signs them in.
func (a *App) signUp(w http.ResponseWriter, r *http.Request, addr string, req loginRequest) {
	name, err := names.User(req.Name)
	if err != nil {
		http.Error(w, names.Explain(err), http.StatusBadRequest)
		return
	}
	if d := a.limits.accounts.take(addr); d > 0 {
		tooMany(w, "new accounts from your address", d)
		return
	}
	u := store.User{ID: rand.Text(), Name: name}
	if req.Password != "" {
		if u.PasswordHash, err = a.hash(r, req.Password); err != nil {
			a.hashFailed(w, err)
			return
		}
	}
	u, err = a.store.CreateUser(r.Context(), u)
	if errors.Is(err, store.ErrExists) { // created meanwhile by another request
		if u, err = a.store.UserByName(r.Context(), name); err == nil {
			if u.PasswordHash != "" && !a.checkPassword(w, r, u, req.Password) {
				return
			}
			a.issue(w, r, u)
			return
		}
	} else if err == nil {
		err = a.joinDefault(r, u)
	}
	if err != nil {
		a.internal(w, err)
		return
	}
	a.issue(w, r, u)
}

// hash hashes a new password once a hasher is free.
func (a *App) hash(r *http.Request, password string) (string, error) {
	var h string
	var herr error
	if err := a.limits.hashing(r.Context(), func() { h, herr = identity.HashPassword(password) }); err != nil {
		return "", err
	}
	return h, herr
}

func (a *App) hashFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, errBusy) {
		busy(w)
		return
	}
	if errors.Is(err, context.Canceled) { // the client went away while queued
		return
	}
	a.internal(w, err)
}

// issue answers a sign-in with a token of the user's current generation.
func (a *App) issue(w http.ResponseWriter, r *http.Request, u store.User) {
	tok, err := a.signer.Issue(u.ID, u.Name, u.TokenGen)
	if err != nil {
		a.internal(w, err)
		return
	}
	a.setCookie(w, r, tok)
	writeJSON(w, loginResponse{Token: tok, UserID: u.ID, Name: u.Name})
}

func (a *App) internal(w http.ResponseWriter, err error) {
	a.log.Error("chat: sign-in", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// session checks a stored token (Authorization: Bearer) and renews the
// cookie that images and downloads are fetched with.
func (a *App) session(w http.ResponseWriter, r *http.Request) {
	c, err := a.user(r)
	if err != nil {
		http.Error(w, "sign in again", http.StatusUnauthorized)
		return
	}
	a.setCookie(w, r, transport.BearerToken(r))
	writeJSON(w, loginResponse{UserID: c.UserID, Name: c.Name})
}

func (a *App) setCookie(w http.ResponseWriter, r *http.Request, tok string) {
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: tok, Path: "/api/", HttpOnly: true,
		MaxAge: int(a.ttl.Seconds()), SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

func (a *App) joinDefault(r *http.Request, u store.User) error {
	room, err := a.store.DefaultRoom(r.Context())
	if err != nil {
		return err
	}
	return a.store.Join(r.Context(), room.ID, u.ID)
}

// logout signs the person out everywhere: every token of theirs stops
// working, on every server, and their open connections are closed. The
// cookie is forgotten, and the page forgets its copy of the token.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Path: "/api/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c, err := a.cookieUser(r)
	if err != nil { // nothing to revoke
		w.WriteHeader(http.StatusNoContent)
		return
	}
	gen, err := a.store.RevokeTokens(r.Context(), c.UserID)
	if err != nil {
		a.internal(w, err)
		return
	}
	a.revoker.revoked(r.Context(), c.UserID, gen)
	w.WriteHeader(http.StatusNoContent)
}

type passwordRequest struct {
	Old string `json:"old"`
	New string `json:"new"` // "" removes the password
}

// changePassword sets a new password (the old one is required if there
// is one), revokes every token of the person, closes their connections
// and answers with a new token for the caller.
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) {
	c, err := a.cookieUser(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	if d := a.limits.password.take(c.UserID); d > 0 {
		tooMany(w, "password changes", d)
		return
	}
	var req passwordRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	u, err := a.store.UserByID(r.Context(), c.UserID)
	if err != nil {
		a.internal(w, err)
		return
	}
	if u.PasswordHash != "" && !a.checkPassword(w, r, u, req.Old) {
		return
	}
	hash := ""
	if req.New != "" {
		if hash, err = a.hash(r, req.New); err != nil {
			a.hashFailed(w, err)
			return
		}
	}
	if u.TokenGen, err = a.store.SetPassword(r.Context(), u.ID, hash); err != nil {
		a.internal(w, err)
		return
	}
	a.revoker.revoked(r.Context(), u.ID, u.TokenGen)
	a.issue(w, r, u)
}
