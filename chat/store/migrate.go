package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/signalr-go/signalr/chat/names"
)

// migrations are applied in order, each once, each in its own
// transaction; a database records the versions it has. Append only:
// never edit a migration that has shipped. "{{serial}}" is the dialect's
// auto-incremented key type; a statement that starts with "{{sqlite}}" or
// "{{postgres}}" runs on that database only.
var migrations = []string{
	// 1: the first schema, with the default room.
	`CREATE TABLE users (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		name_key TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL
	);
	CREATE TABLE rooms (
		id {{serial}},
		name TEXT NOT NULL,
		name_key TEXT NOT NULL UNIQUE,
		created_by TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE members (
		room_id BIGINT NOT NULL REFERENCES rooms(id),
		user_id TEXT NOT NULL REFERENCES users(id),
		joined_at BIGINT NOT NULL,
		PRIMARY KEY (room_id, user_id)
	);
	CREATE TABLE files (
		id TEXT PRIMARY KEY,
		room_id BIGINT NOT NULL REFERENCES rooms(id),
		user_id TEXT NOT NULL,
		name TEXT NOT NULL,
		content_type TEXT NOT NULL,
		size BIGINT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE messages (
		id {{serial}},
		room_id BIGINT NOT NULL REFERENCES rooms(id),
		user_id TEXT NOT NULL,
		user_name TEXT NOT NULL,
		body TEXT NOT NULL,
		file_id TEXT REFERENCES files(id),
		client_id TEXT,
		created_at BIGINT NOT NULL
	);
	CREATE INDEX messages_room ON messages (room_id, id);
	CREATE UNIQUE INDEX messages_client ON messages (user_id, client_id);
	CREATE TABLE reads (
		room_id BIGINT NOT NULL REFERENCES rooms(id),
		user_id TEXT NOT NULL,
		message_id BIGINT NOT NULL,
		PRIMARY KEY (room_id, user_id)
	);
	INSERT INTO rooms (name, name_key, created_by, created_at) VALUES ('general', 'general', '', 0)`,

	// 2: names unique by their confusable skeleton (package names; filled
	// in by fillNameKeys, NULL where an old name collides with an older
	// one), revocable tokens, and per-person upload totals.
	`ALTER TABLE users ADD COLUMN name_skel TEXT;
	ALTER TABLE rooms ADD COLUMN name_skel TEXT;
	CREATE UNIQUE INDEX users_name_skel ON users (name_skel);
	CREATE UNIQUE INDEX rooms_name_skel ON rooms (name_skel);
	ALTER TABLE users ADD COLUMN token_gen BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
	CREATE INDEX users_revoked_at ON users (revoked_at);
	CREATE INDEX files_user ON files (user_id)`,

	// actions: messages can be edited and deleted (the row stays, its
	// text goes: ids, read marks and replies stay valid), and carry
	// reactions, one row per person and emoji.
	`ALTER TABLE messages ADD COLUMN edited_at BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE messages ADD COLUMN deleted_at BIGINT NOT NULL DEFAULT 0;
	CREATE TABLE reactions (
		message_id BIGINT NOT NULL REFERENCES messages(id),
		user_id TEXT NOT NULL,
		emoji TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (message_id, user_id, emoji)
	)`,

	// private rooms: a room's kind, 'public', 'private' or 'dm' (a
	// conversation, whose name_key and name_skel hold its member set, see
	// dmKey); members by user, for a person's rooms and their count.
	`ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
	CREATE INDEX members_user ON members (user_id, room_id)`,

	// replies: the message a message answers (same room, checked when
	// posting). No foreign key: a quote outlives whatever becomes of the
	// original's row, and LEFT JOIN shows it as gone.
	`ALTER TABLE messages ADD COLUMN reply_to BIGINT`,

	// search: full-text indexes of message bodies, which follow every
	// insert, edit and deletion by themselves, existing messages included.
	// SQLite: an external-content FTS5 table kept in step by triggers
	// (statements inside a trigger end in "; " so that apply does not
	// split them). PostgreSQL: a GIN expression index under the 'simple'
	// configuration, which lower-cases and splits words without a
	// language's stemming or stop words, so it works alike for every
	// language people write in; Store.Search uses the same expression.
	`{{sqlite}} CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id',
		tokenize='unicode61 remove_diacritics 0');
	{{sqlite}} CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
		INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body); END;
	{{sqlite}} CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END;
	{{sqlite}} CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
		INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body); INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body); END;
	{{sqlite}} INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
	{{postgres}} CREATE INDEX messages_body_search ON messages USING GIN (to_tsvector('simple', body))`,

	// unread: who each message mentions ("@name"), with the name as the
	// message writes it, for per-room mention counts and highlights.
	`CREATE TABLE mentions (
		message_id BIGINT NOT NULL REFERENCES messages(id),
		room_id BIGINT NOT NULL,
		user_id TEXT NOT NULL,
		text TEXT NOT NULL,
		PRIMARY KEY (message_id, user_id)
	);
	CREATE INDEX mentions_user ON mentions (user_id, room_id, message_id)`,

	// unread counts: an index that holds all the unread query reads of a
	// room's messages after a mark, so both databases count from the
	// index alone, in id order, instead of (PostgreSQL's choice with
	// only messages_room) walking every room's messages by primary key:
	// 94 ms instead of 2.8 ms for 31 rooms of 100 000 messages
	// (BenchmarkUnread, once vacuumed).
	`{{postgres}} CREATE INDEX messages_unread ON messages (room_id, id) INCLUDE (user_id, deleted_at);
	{{sqlite}} CREATE INDEX messages_unread ON messages (room_id, id, user_id, deleted_at)`,
}

// DefaultRoomName is the room every database starts with.
const DefaultRoomName = "general"

// migrate brings the schema up to version upTo (len(migrations): up to
// date). On PostgreSQL an advisory lock keeps servers that start together
// from migrating at once.
func (s *Store) migrate(ctx context.Context, upTo int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if s.d == postgresDialect {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(726157)"); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for v := have + 1; v <= upTo; v++ {
		if err := s.apply(ctx, tx, v, migrations[v-1]); err != nil {
			return err
		}
	}
	for _, table := range []string{"users", "rooms"} {
		if upTo < 2 {
			break
		}
		if err := s.fillNameKeys(ctx, tx, table); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// apply runs one migration's statements, one at a time since not every
// driver runs several in one Exec.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, version int, script string) error {
	script = strings.ReplaceAll(script, "{{serial}}", s.d.serial)
	for _, stmt := range strings.Split(script, ";\n") {
		stmt, ok := s.d.own(stmt)
		if !ok || strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migration %d: %w", version, err)
		}
	}
	_, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"),
		version, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: migration %d: %w", version, err)
	}
	return nil
}

// fillNameKeys gives the names stored before migration 2 (or by an older
// server since) their skeleton key, oldest first. A name whose key an
// older name already has keeps a NULL key: it still signs in by its exact
// (case-insensitive) name, and no new name can take its key.
func (s *Store) fillNameKeys(ctx context.Context, tx *sql.Tx, table string) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, name FROM "+table+" WHERE name_skel IS NULL ORDER BY created_at, id")
	if err != nil {
		return fmt.Errorf("store: fill %s name keys: %w", table, err)
	}
	type row struct{ id, name string }
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name); err != nil {
			rows.Close()
			return fmt.Errorf("store: fill %s name keys: %w", table, err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: fill %s name keys: %w", table, err)
	}
	for _, r := range todo {
		key := names.Key(r.name)
		var taken int
		if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM "+table+" WHERE name_skel = ?"), key).Scan(&taken); err != nil {
			return fmt.Errorf("store: fill %s name keys: %w", table, err)
		}
		if taken > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind("UPDATE "+table+" SET name_skel = ? WHERE id = ?"), key, r.id); err != nil {
			return fmt.Errorf("store: fill %s name keys: %w", table, err)
		}
	}
	return nil
}
