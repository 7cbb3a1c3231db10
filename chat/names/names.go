package names

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Maximum lengths of names, in characters after normalization.
const (
	MaxUser = 32
	MaxRoom = 40
)

// Errors of User and Room, for errors.Is; Explain words them for people.
var (
	ErrInvalid    = errors.New("names: invisible or control characters")
	ErrLength     = errors.New("names: wrong length")
	ErrMixScripts = errors.New("names: letters of several scripts")
)

// Explain says which rule a name broke, for the person who chose it.
func Explain(err error) string {
	var le *lengthError
	switch {
	case errors.As(err, &le):
		return fmt.Sprintf("A name has 1 to %d characters.", le.max)
	case errors.Is(err, ErrMixScripts):
		return "A name uses the letters of one script: it may not mix, say, Latin and Cyrillic."
	default:
		return "A name has only visible characters: no control, zero-width or direction-changing ones."
	}
}

type lengthError struct{ max int }

func (e *lengthError) Error() string { return fmt.Sprintf("names: not 1 to %d characters", e.max) }
func (e *lengthError) Unwrap() error { return ErrLength }

// User normalizes a new user name, or tells which rule it breaks.
func User(name string) (string, error) { return check(name, MaxUser) }

// Room normalizes a new room name, or tells which rule it breaks.
func Room(name string) (string, error) { return check(name, MaxRoom) }

func check(name string, max int) (string, error) {
	n, err := precis.Nickname.String(name)
	if err != nil {
		if strings.TrimSpace(name) == "" {
			return "", &lengthError{max}
		}
		return "", ErrInvalid
	}
	if c := utf8.RuneCountInString(n); c == 0 || c > max {
		return "", &lengthError{max}
	}
	if !singleScript(n) {
		return "", ErrMixScripts
	}
	return n, nil
}

// Key is the form under which names are unique: two names with one key
// are the same name. It is defined for any string, including names that
// Check refuses (those stored before the rules existed): invisible
// characters are dropped first.
func Key(name string) string {
	s := StripInvisible(name)
	if k, err := precis.Nickname.CompareKey(s); err == nil {
		s = k
	} else {
		s = cases.Fold().String(norm.NFKC.String(strings.TrimSpace(s)))
	}
	return cases.Fold().String(norm.NFC.String(confusables.Skeleton(s)))
}

// StripInvisible removes control characters, format characters (the
// zero-width ones, the bidirectional overrides), line and paragraph
// separators and the other default-ignorable code points (U+3164 HANGUL
// FILLER): what can hide in a name or reverse how it reads.
func StripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point,
		unicode.Variation_Selector) || r == utf8.RuneError
}

// allowedMixes are the sets of scripts one name may combine, besides
// Common and Inherited: those that a language writes together.
var allowedMixes = [][]string{
	{"Han", "Hiragana", "Katakana"}, // Japanese
	{"Han", "Hangul"},               // Korean
	{"Han", "Bopomofo"},             // Chinese phonetics
}

// singleScript reports whether the name's letters fit one script or one
// allowed mix.
func singleScript(name string) bool {
	seen := map[string]bool{}
	for _, r := range name {
		if s := script(r); s != "" {
			seen[s] = true
		}
	}
	if len(seen) <= 1 {
		return true
	}
	for _, mix := range allowedMixes {
		fits := true
		for s := range seen {
			fits = fits && slices.Contains(mix, s)
		}
		if fits {
			return true
		}
	}
	return false
}

// script names the script of r, or "" for Common, Inherited and unknown.
func script(r rune) string {
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
