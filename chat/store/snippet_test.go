package store

import (
	"fmt"
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	// The snippet is a window of the text around the first match, on one
	// line, matched words marked.
	long := strings.Repeat("filler ", 30) + "the Needle here " + strings.Repeat("tail ", 40)
	for _, c := range []struct {
		body  string
		terms []string
		want  string
	}{
		{"the launch code is swordfish", []string{"launch", "code"}, "the [launch] [code] is swordfish"},
		{"Café\n\n  au   lait", []string{"au"}, "Café [au] lait"},
		{"no match at all", []string{"zzz"}, "no match at all"},
		// 40 characters before the match, 160 in all.
		{long, []string{"needle"}, "… filler filler filler filler filler the [Needle] here " + strings.Repeat("tail ", 21) + "tai…"},
	} {
		var b strings.Builder
		for _, f := range snippet(c.body, c.terms) {
			if f.Match {
				fmt.Fprintf(&b, "[%s]", f.Text)
			} else {
				b.WriteString(f.Text)
			}
		}
		if b.String() != c.want {
			t.Errorf("snippet(%.30q, %v) =\n%q, want\n%q", c.body, c.terms, b.String(), c.want)
		}
	}
}
