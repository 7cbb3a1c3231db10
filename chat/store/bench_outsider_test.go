package store

import (
	"context"
	"testing"
)

// BenchmarkSearchOutsider searches as someone who belongs to none of the
// busy rooms: every match of a common word is someone else's, so no
// early stop at the limit helps.
//
//	go test -run '^$' -bench SearchOutsider -benchtime 20x ./chat/store/
func BenchmarkSearchOutsider(b *testing.B) {
	forEachStore(b, func(b *testing.B, s *Store, _ string) {
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, User{ID: "u-out", Name: "Outsider"}); err != nil {
			b.Fatal(err)
		}
		if err := s.Join(ctx, 1, "u-out"); err != nil {
			b.Fatal(err)
		}
		for _, q := range []struct{ name, query string }{
			{"common", "message"},
			{"two-common", "message topic"},
			{"rare", "needle"},
		} {
			b.Run(q.name, func(b *testing.B) {
				for b.Loop() {
					hits, err := s.Search(ctx, "u-out", q.query, 50)
					if err != nil || len(hits) != 0 {
						b.Fatal(hits, err)
					}
				}
			})
		}
	})
}
