package hub

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/signalr-go/signalr/chat/names"
)

func TestMentionRule(t *testing.T) {
	members := map[string]string{}
	for _, n := range []string{"Ann", "Ann Lee", "Bob", "Zoë-2", "Иван"} {
		members[names.Key(n)] = "id-" + n
	}
	for _, tc := range []struct{ text, want string }{
		{"hi @Ann", "[{id-Ann Ann}]"},
		{"@ann lee, look", "[{id-Ann Lee ann lee}]"}, // the longest name wins
		{"@ANN  LEE!", "[{id-Ann Lee ANN  LEE}]"},
		{"@Anne", "[]"},                                  // a longer word is not the name
		{"mail ann@Bob.com", "[]"},                       // not after a letter
		{"@Ann and @ann again", "[{id-Ann Ann}]"},        // each member once
		{"@Bob, the author, and @Ann", "[{id-Ann Ann}]"}, // never the author
		{"@Zoë-2 and @Zoë", "[{id-Zoë-2 Zoë-2}]"},
		{"@иван", "[{id-Иван иван}]"},
		{"@ＡＮＮ", "[{id-Ann ＡＮＮ}]"},      // fullwidth
		{"@Ann\nLee", "[{id-Ann Ann}]"}, // a name never spans lines
		{"@nobody @", "[]"},
	} {
		if got := fmt.Sprint(pick(mentionSigns(tc.text), members, "id-Bob")); got != tc.want {
			t.Errorf("%q mentions %s, want %s", tc.text, got, tc.want)
		}
	}
}

// However many "@" a message holds, few are looked at, each with at most
// a name's length of candidates.
func TestMentionSignsBounded(t *testing.T) {
	signs := mentionSigns(strings.Repeat("@a b c d e f g h i j k l m n o p q r s t u v w x y z ", 200))
	if len(signs) != maxMentionSigns {
		t.Errorf("%d signs looked at, want %d", len(signs), maxMentionSigns)
	}
	for _, s := range signs {
		if len(s.cands) > names.MaxUser {
			t.Errorf("%d candidates after one @", len(s.cands))
		}
	}
}

// Whatever the text, the signs looked at are bounded, and each candidate
// is a prefix of the text after an "@", at most a name long, never ending
// in a space or spanning a line.
func FuzzMentionSigns(f *testing.F) {
	for _, s := range []string{"hi @Ann", "@ann lee, look", "@@@@", "a@b", "@Ann\nLee", "@\u2028x", "@ＡＮＮ  LEE!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		signs := mentionSigns(text)
		if len(signs) > maxMentionSigns {
			t.Fatalf("%d signs", len(signs))
		}
		for _, s := range signs {
			if len(s.cands) > names.MaxUser {
				t.Fatalf("%d candidates after one @", len(s.cands))
			}
			for i, c := range s.cands {
				if !strings.Contains(text, "@"+c.text) {
					t.Fatalf("candidate %q does not follow an @ in %q", c.text, text)
				}
				if n := utf8.RuneCountInString(c.text); n == 0 || n > names.MaxUser {
					t.Fatalf("candidate %q has %d characters", c.text, n)
				}
				if r, _ := utf8.DecodeLastRuneInString(c.text); unicode.IsSpace(r) || strings.ContainsAny(c.text, "\n\r\u2028\u2029") {
					t.Fatalf("candidate %q ends in a space or spans a line", c.text)
				}
				if i > 0 && len(c.text) >= len(s.cands[i-1].text) {
					t.Fatalf("candidates not longest first: %q after %q", c.text, s.cands[i-1].text)
				}
			}
		}
		_ = pick(signs, map[string]string{names.Key("Ann"): "a"}, "b")
	})
}
