package store

import (
	"slices"
	"strings"
	"unicode"
)

// Snippet sizes, in characters: how much text a search result shows,
// and how much of it comes before the first match.
const (
	snippetLength = 160
	snippetLead   = 40
)

// word is a run of letters, digits and marks: what both databases'
// search tokenizers take for a word, near enough to mark matches.
type word struct {
	start, end int // rune offsets
	text       []rune
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) }

// words splits text into its words.
func words(text []rune) []word {
	var ws []word
	start := -1
	for i, r := range text {
		switch {
		case isWordRune(r) && start < 0:
			start = i
		case !isWordRune(r) && start >= 0:
			ws = append(ws, word{start, i, text[start:i]})
			start = -1
		}
	}
	if start >= 0 {
		ws = append(ws, word{start, len(text), text[start:]})
	}
	return ws
}

// snippet returns the part of body around its first word among terms,
// cut into fragments with the words among terms marked, white space tidied.
func snippet(body string, terms []string) []Fragment {
	text := []rune(body)
	var marks []word
	for _, w := range words(text) {
		if slices.Contains(terms, strings.ToLower(string(w.text))) {
			marks = append(marks, w)
		}
	}
	from := 0
	if len(marks) > 0 {
		from = max(0, marks[0].start-snippetLead)
	}
	to := min(len(text), from+snippetLength)
	var out []Fragment
	add := func(s []rune, match bool) {
		if len(s) > 0 {
			out = append(out, Fragment{Text: tidySpace(string(s)), Match: match})
		}
	}
	if from > 0 {
		add([]rune("…"), false)
	}
	at := from
	for _, m := range marks {
		if m.end > to {
			break
		}
		add(text[at:m.start], false)
		add(m.text, true)
		at = m.end
	}
	add(text[at:to], false)
	if to < len(text) {
		add([]rune("…"), false)
	}
	return out
}

// tidySpace makes every run of white space a single space, or a single
// line break when it holds one: the page reads the pieces' markup (a code
// fence is a line of its own) before it shows them on one line.
func tidySpace(s string) string {
	var b strings.Builder
	run, broke := false, false
	flush := func() {
		switch {
		case broke:
			b.WriteByte('\n')
		case run:
			b.WriteByte(' ')
		}
		run, broke = false, false
	}
	for _, r := range s {
		if unicode.IsSpace(r) {
			run = true
			broke = broke || r == '\n'
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}
