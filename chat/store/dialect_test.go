package store

import "testing"

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c = ?"
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
	if got, want := postgresDialect.rebind(q), "SELECT a FROM t WHERE b = $1 AND c = $2"; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
}
