// Package names decides which user and room names the chat accepts, when
// two names are the same name, and how a shared file's name is cleaned.
//
// A new name must pass three rules:
//
//  1. The PRECIS Nickname profile (RFC 8266, golang.org/x/text/secure/precis):
//     it is normalized to NFKC with its spaces trimmed and collapsed, and
//     it is refused if it holds control characters (NUL, newline),
//     default-ignorable code points (zero-width space, the bidirectional
//     overrides such as U+202E, U+3164 HANGUL FILLER) or unassigned ones.
//  2. One script: its letters all come from one Unicode script, apart from
//     the Common and Inherited ones (digits, punctuation, spaces, combining
//     marks) and the mixes a language needs (Han with Hiragana and Katakana,
//     Han with Hangul, Han with Bopomofo). This is the "highly restrictive"
//     level of Unicode's UTS #39 and refuses a Latin name with a Cyrillic
//     look-alike inside ("Аnn" with U+0410). A name wholly in another
//     script (Cyrillic "Иван") is fine.
//  3. A length of 1 to the kind's maximum characters, counted after
//     normalization.
//
// Two names are the same when their [Key]s are equal: the key case-folds
// the name, maps it to its UTS #39 confusable skeleton
// (github.com/mtibben/confusables) and case-folds again, so that "ANN",
// "ann", a whole-script Cyrillic "аnn" and the fullwidth "ＡＮＮ" are one
// name, as are "rn" and "m". Folding first makes names compare without
// case but loses the capital I / small l confusion, which only some fonts
// have. The key is stored beside each name and is unique, so a name that
// collides with an existing one is refused. Names stored before these
// rules keep working: see package store.
package names
