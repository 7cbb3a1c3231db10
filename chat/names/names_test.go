package names

import (
	"errors"
	"testing"
)

func TestUser(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"Ann", "Ann", nil},
		{"  Ann   Lee ", "Ann Lee", nil},
		{"ＡＮＮ", "ANN", nil},         // fullwidth: NFKC
		{"Иван", "Иван", nil},       // one other script
		{"日本語ひらがな", "日本語ひらがな", nil}, // an allowed mix
		{"Zoë-2", "Zoë-2", nil},
		{"general\u200b", "", ErrInvalid}, // zero-width space
		{"ann\u202egpj", "", ErrInvalid},  // right-to-left override
		{"a\x00b", "", ErrInvalid},        // NUL
		{"a\nb", "", ErrInvalid},          // newline
		{"\u3164", "", ErrInvalid},        // HANGUL FILLER, blank-looking
		{"\u3164Ann", "", ErrInvalid},
		{"\u0410nn", "", ErrMixScripts}, // Cyrillic capital A among Latin
		{"p\u0430ypal", "", ErrMixScripts},
		{"", "", ErrLength},
		{"   ", "", ErrLength},
		{"abcdefghijklmnopqrstuvwxyz0123456", "", ErrLength},
	} {
		got, err := User(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) && (tc.err != nil) == (err != nil) {
			t.Errorf("User(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := Room("a room name of forty characters, exactly"); err != nil {
		t.Errorf("40-character room name: %v", err)
	}
}

func TestKey(t *testing.T) {
	same := [][2]string{
		{"Ann", "ann"},
		{"Ann", "ＡＮＮ"},
		{"ann", "\u0430nn"}, // whole-script Cyrillic look-alike
		{"ANN", "\u0410NN"}, // capitals too
		{"tom", "torn"},
		{"o0", "oo"},
		{"general", "general\u200b"}, // invisible characters do not count
		{"general", "gen\u202eeral"},
		{"ann lee", "Ann  Lee"},
	}
	for _, p := range same {
		if Key(p[0]) != Key(p[1]) {
			t.Errorf("Key(%q) = %q, Key(%q) = %q; want equal", p[0], Key(p[0]), p[1], Key(p[1]))
		}
	}
	for _, p := range [][2]string{{"ann", "anne"}, {"Иван", "Ivan"}, {"bob", "rob"}} {
		if Key(p[0]) == Key(p[1]) {
			t.Errorf("Key(%q) == Key(%q) = %q", p[0], p[1], Key(p[0]))
		}
	}
}

func TestStripInvisible(t *testing.T) {
	if got := StripInvisible("evil\u202Etxt.exe\u200b\x00\u3164\n"); got != "eviltxt.exe" {
		t.Errorf("StripInvisible = %q", got)
	}
}

func FuzzKey(f *testing.F) {
	f.Add("Ann")
	f.Add("g\u200beneral")
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if Key(k) != Key(Key(k)) {
			t.Errorf("Key is not stable on %q", s)
		}
		if n, err := User(s); err == nil {
			if m, err := User(n); err != nil || m != n {
				t.Errorf("User(%q) = %q, but User(%q) = %q, %v", s, n, n, m, err)
			}
		}
	})
}
