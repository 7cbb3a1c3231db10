package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Store is the chat's database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	d  dialect
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// migrates it.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// WAL lets readers run beside the writer; busy_timeout waits for a
	// lock instead of failing at once.
	dsn := "file:" + abs + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer at a time is all SQLite allows; one connection makes
	// that a queue in Go rather than busy errors.
	db.SetMaxOpenConns(1)
	return open(ctx, db, sqliteDialect)
}

// OpenPostgres opens the PostgreSQL database at url (postgres://...) and
// migrates it. Extra URL parameters such as search_path are passed on to
// the server.
func OpenPostgres(ctx context.Context, rawURL string) (*Store, error) {
	if _, err := url.Parse(rawURL); err != nil {
		return nil, fmt.Errorf("store: postgres url: %w", err)
	}
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return open(ctx, db, postgresDialect)
}

// Open opens a PostgreSQL database when dsn is a postgres:// or
// postgresql:// URL, and otherwise the SQLite file at dsn.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}

func open(ctx context.Context, db *sql.DB, d dialect) (*Store, error) {
	s := &Store{db: db, d: d}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect %s: %w", d.name, err)
	}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.d.rebind(q), args...)
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// nameKey is the case-insensitive form under which user and room names
// are unique.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
