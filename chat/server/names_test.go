package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signalr-go/signalr/chat/store"
)

func TestUserNameRules(t *testing.T) {
	b := newBench(t, Config{})
	ace := b.login("ace", "pw")
	for _, tc := range []struct {
		desc, name string
		status     int
		reason     string
	}{
		{"zero-width space", "ann\u200b", http.StatusBadRequest, "only visible characters"},
		{"right-to-left override", "ann\u202e", http.StatusBadRequest, "only visible characters"},
		{"NUL", "a\x00b", http.StatusBadRequest, "only visible characters"},
		{"newline", "a\nb", http.StatusBadRequest, "only visible characters"},
		{"HANGUL FILLER", "\u3164", http.StatusBadRequest, "only visible characters"},
		{"Cyrillic look-alike among Latin", "\u0430nn", http.StatusBadRequest, "one script"},
		{"too long", strings.Repeat("x", 33), http.StatusBadRequest, "1 to 32 characters"},
		{"blank", "   ", http.StatusBadRequest, "1 to 32 characters"},
		// A whole-script Cyrillic look-alike of "ace" is the same name:
		// it signs in to ace's account (so needs ace's password).
		{"whole-script look-alike", "\u0430\u0441\u0435", http.StatusUnauthorized, "wrong password"},
		{"fullwidth look-alike", "ａｃｅ", http.StatusUnauthorized, "wrong password"},
		{"other case", "ACE", http.StatusUnauthorized, "wrong password"},
	} {
		res, body := b.loginWith(http.DefaultClient, tc.name, "not ace's")
		if res.StatusCode != tc.status || !strings.Contains(body, tc.reason) {
			t.Errorf("%s %q: %d %q; want %d mentioning %q", tc.desc, tc.name, res.StatusCode, body, tc.status, tc.reason)
		}
	}
	if again := b.login("\u0430\u0441\u0435", "pw"); again.UserID != ace.UserID || again.Name != "ace" {
		t.Errorf("look-alike with ace's password = %+v, want ace", again)
	}
	// Spaces are collapsed, widths folded, and the normalized name kept.
	if lee := b.login("  Ann   Lee ", ""); lee.Name != "Ann Lee" {
		t.Errorf("stored name %q, want %q", lee.Name, "Ann Lee")
	}
	if ivan := b.login("Иван", ""); ivan.Name != "Иван" {
		t.Errorf("a name in one other script: %+v", ivan)
	}
}

func TestRoomNameRules(t *testing.T) {
	b := newBench(t, Config{Limits: Limits{RoomsPerUser: Rate{Burst: -1}, RoomsPerAddress: Rate{Burst: -1}}})
	c, _ := b.dial("/hubs/chat", b.login("Ann", "").Token)
	for _, tc := range []struct{ desc, name, reason string }{
		{"zero-width space beside general", "general\u200b", "only visible characters"},
		{"right-to-left override", "gen\u202eeral", "only visible characters"},
		{"NUL", "a\x00b", "only visible characters"},
		{"newline", "a\nb", "only visible characters"},
		{"HANGUL FILLER", "\u3164", "only visible characters"},
		{"Cyrillic e in general", "g\u0435neral", "one script"},
		{"other case", "GENERAL", "already exists"},
		{"fullwidth", "ｇｅｎｅｒａｌ", "already exists"},
		{"whole-script look-alike", "\u0430\u0441\u0435", "already exists"}, // after "ace" below
		{"too long", strings.Repeat("r", 41), "1 to 40 characters"},
	} {
		if tc.desc == "whole-script look-alike" {
			c.must(nil, "CreateRoom", "ace")
		}
		if e := c.call(nil, "CreateRoom", tc.name); !strings.Contains(e, tc.reason) {
			t.Errorf("%s %q: %q, want an error mentioning %q", tc.desc, tc.name, e, tc.reason)
		}
	}
	var r store.Room
	c.must(&r, "CreateRoom", "  dev   ops ")
	if r.Name != "dev ops" {
		t.Errorf("room name %q, want %q", r.Name, "dev ops")
	}
}

func TestFileNamesLoseInvisibleCharacters(t *testing.T) {
	b := newBench(t, Config{})
	ann := b.login("Ann", "")
	status, m := b.upload(ann.Token, 1, "evil\u202etxt.exe\u200b", []byte("x"))
	if status != http.StatusOK || m.File == nil || m.File.Name != "eviltxt.exe" {
		t.Errorf("upload: %d %+v, want the name eviltxt.exe", status, m.File)
	}
}
