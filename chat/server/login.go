package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/signalr-go/signalr/chat/identity"
	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/transport"
)

// MaxNameLength bounds a display name, in characters.
const MaxNameLength = 32

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
// or the password matches.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if !validName(req.Name) {
		http.Error(w, "a name has 1 to 32 printable characters", http.StatusBadRequest)
		return
	}
	u, err := a.signIn(r, req)
	if errors.Is(err, errWrongPassword) {
		http.Error(w, "wrong password for this name", http.StatusUnauthorized)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	tok, err := a.signer.Issue(u.ID, u.Name)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a.setCookie(w, r, tok)
	writeJSON(w, loginResponse{Token: tok, UserID: u.ID, Name: u.Name})
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

var errWrongPassword = errors.New("chat: wrong password")

// signIn finds or creates the user and puts them in the default room.
func (a *App) signIn(r *http.Request, req loginRequest) (store.User, error) {
	ctx := r.Context()
	u, err := a.store.UserByName(ctx, req.Name)
	if errors.Is(err, store.ErrNotFound) {
		u, err = a.createUser(r, req)
		if errors.Is(err, store.ErrExists) { // created meanwhile by another request
			u, err = a.store.UserByName(ctx, req.Name)
		} else if err == nil {
			return u, a.joinDefault(r, u)
		}
	}
	if err != nil {
		return store.User{}, err
	}
	if u.PasswordHash != "" && !identity.CheckPassword(u.PasswordHash, req.Password) {
		return store.User{}, errWrongPassword
	}
	return u, nil
}

func (a *App) createUser(r *http.Request, req loginRequest) (store.User, error) {
	u := store.User{ID: rand.Text(), Name: req.Name}
	if req.Password != "" {
		h, err := identity.HashPassword(req.Password)
		if err != nil {
			return store.User{}, err
		}
		u.PasswordHash = h
	}
	return a.store.CreateUser(r.Context(), u)
}

func (a *App) joinDefault(r *http.Request, u store.User) error {
	room, err := a.store.DefaultRoom(r.Context())
	if err != nil {
		return err
	}
	return a.store.Join(r.Context(), room.ID, u.ID)
}

// logout forgets the cookie; the page forgets its copy of the token.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Path: "/api/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// validName accepts 1 to MaxNameLength printable characters.
func validName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxNameLength {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
