package hub

import (
	"fmt"
	"strings"
	"testing"

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
