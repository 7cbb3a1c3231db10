package hub

import (
	"context"
	"unicode"
	"unicode/utf8"

	"github.com/signalr-go/signalr/chat/names"
	"github.com/signalr-go/signalr/chat/store"
)

// maxMentionSigns bounds the "@" signs of one message that are looked
// at, so that a message of "@@@@…" costs no more than a few mentions.
const maxMentionSigns = 20

// A mention is "@" followed by a room member's name: the longest run of
// the text after the "@" whose names.Key is a member's key (so case and
// look-alike characters do not matter, and names with spaces work), that
// ends before a character that cannot continue a word (not a letter,
// digit or mark) or at the end of the text, and does not end in a space.
// The "@" must not follow a letter or digit (mail addresses are not
// mentions), and a name never spans a line.
type mentionSign struct {
	cands []mentionCand // longest first
}

type mentionCand struct{ text, key string }

// mentionSigns returns the candidate names after each "@" of text.
func mentionSigns(text string) []mentionSign {
	var signs []mentionSign
	prev := ' '
	for i, r := range text {
		if r == '@' && !wordRune(prev) && len(signs) < maxMentionSigns {
			if s := candidates(text[i+1:]); len(s.cands) > 0 {
				signs = append(signs, s)
			}
		}
		prev = r
	}
	return signs
}

// candidates returns the possible names at the start of rest, longest first.
func candidates(rest string) mentionSign {
	var s mentionSign
	n := 0
	for i, r := range rest {
		if n == names.MaxUser || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			break
		}
		n++
		// The width as read, not utf8.RuneLen(r): an invalid byte reads
		// as U+FFFD, one byte long.
		_, size := utf8.DecodeRuneInString(rest[i:])
		end := i + size
		next, _ := utf8.DecodeRuneInString(rest[end:])
		if unicode.IsSpace(r) || end < len(rest) && wordRune(next) {
			continue
		}
		s.cands = append(s.cands, mentionCand{text: rest[:end], key: names.Key(rest[:end])})
	}
	for i, j := 0, len(s.cands)-1; i < j; i, j = i+1, j-1 {
		s.cands[i], s.cands[j] = s.cands[j], s.cands[i]
	}
	return s
}

func wordRune(r rune) bool { return unicode.In(r, unicode.L, unicode.N, unicode.M) }

// mentions finds the members of a room that a text of author mentions,
// each once, in the order of the text. An author never mentions
// themselves: it would count as news for nobody.
func (s *Service) mentions(ctx context.Context, roomID int64, author, text string) ([]store.Mention, error) {
	signs := mentionSigns(text)
	if len(signs) == 0 {
		return nil, nil
	}
	var keys []string
	seen := make(map[string]bool)
	for _, sg := range signs {
		for _, c := range sg.cands {
			if !seen[c.key] {
				seen[c.key] = true
				keys = append(keys, c.key)
			}
		}
	}
	members, err := s.store.MembersByKey(ctx, roomID, keys)
	if err != nil {
		return nil, err
	}
	return pick(signs, members, author), nil
}

// pick takes, after each "@", the longest candidate that is the key of a
// member (members maps keys to user ids); each member once, the author
// never.
func pick(signs []mentionSign, members map[string]string, author string) []store.Mention {
	var out []store.Mention
	who := make(map[string]bool)
	for _, sg := range signs {
		for _, c := range sg.cands {
			if id, ok := members[c.key]; ok {
				if id != author && !who[id] {
					who[id] = true
					out = append(out, store.Mention{UserID: id, Text: c.text})
				}
				break
			}
		}
	}
	return out
}

// addMessage stores a message and the mentions of its text (a file's
// caption included). A message sent again (same ClientID) comes back as
// first stored, with its mentions.
func (s *Service) addMessage(ctx context.Context, m store.Message) (store.Message, error) {
	mentions, err := s.mentions(ctx, m.RoomID, m.UserID, m.Text)
	if err != nil {
		return store.Message{}, err
	}
	m, created, err := s.store.AddMessage(ctx, m)
	if err != nil || !created || len(mentions) == 0 {
		return m, err
	}
	// A crash between the two writes loses the mentions, not the message.
	if err := s.store.AddMentions(ctx, m, mentions); err != nil {
		return store.Message{}, err
	}
	m.Mentions = mentions
	return m, nil
}

// remention brings the mentions of a message that changed up to date: an
// edited text's own, none for a deleted message. The change is made
// already: a failure here leaves the old mentions, and is logged.
func (s *Service) remention(ctx context.Context, m store.Message) store.Message {
	var mentions []store.Mention
	var err error
	if !m.Deleted {
		mentions, err = s.mentions(ctx, m.RoomID, m.UserID, m.Text)
	}
	if err == nil {
		err = s.store.SetMentions(ctx, m, mentions)
	}
	if err != nil {
		s.log.Warn("chat: mentions of a changed message", "message", m.ID, "err", err)
		return m
	}
	m.Mentions = mentions
	return m
}
