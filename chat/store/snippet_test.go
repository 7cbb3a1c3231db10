package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	// The snippet is a window of the text around the first match, white
	// space tidied (line breaks kept, for the page to read fences),
	// matched words marked, markers left for the page.
	long := strings.Repeat("filler ", 30) + "the Needle here " + strings.Repeat("tail ", 40)
	for _, c := range []struct {
		body  string
		terms []string
		want  string
	}{
		{"the launch code is swordfish", []string{"launch", "code"}, "the [launch] [code] is swordfish"},
		{"Café\n\n  au   lait", []string{"au"}, "Café\n[au] lait"},
		{"a\r\nb\t \tc", []string{"b"}, "a\n[b] c"},
		{"say **seven**\n```\nseven\n```", []string{"seven"}, "say **[seven]**\n```\n[seven]\n```"},
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

// Whatever a person types, the query reaches SQLite's FTS5 as words
// only: it never fails, finds at most what was asked, and its snippets
// are plain pieces of text, white space tidied.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{"swordfish", `"`, "a*", "NEAR(a b)", "a OR b", "-a", "col:a", "^a", "a AND NOT b", "\x00", "é́"} {
		f.Add(q)
	}
	s, err := OpenSQLite(context.Background(), filepath.Join(f.TempDir(), "chat.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	b := newTextBench(f, s)
	b.post(b.open, b.bob, "the launch code is swordfish, NEAR the \"col:a\" a*")
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 1000 {
			return
		}
		ctx := context.Background()
		hits, err := s.Search(ctx, b.ann, q, 5)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		terms := searchTerms(q)
		if len(terms) > MaxSearchTerms {
			t.Fatalf("%d terms", len(terms))
		}
		if len(hits) > 5 {
			t.Fatalf("%d hits, asked for 5", len(hits))
		}
		for _, h := range hits {
			for _, fr := range h.Snippet {
				if strings.ContainsAny(fr.Text, "\r\t") || strings.Contains(fr.Text, "  ") || strings.Contains(fr.Text, "\n\n") {
					t.Fatalf("snippet piece %q has untidy white space", fr.Text)
				}
			}
		}
	})
}
