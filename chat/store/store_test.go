package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The PostgreSQL server the tests use when CHAT_TEST_POSTGRES is unset.
const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func TestSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	runSuite(t, s)
	s.Close()
	// Reopening runs no migration twice and keeps the data.
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.UserByName(ctx, "ANN"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func TestPostgres(t *testing.T) {
	s := openTestPostgres(t)
	runSuite(t, s)
}

// openTestPostgres opens a store in a fresh schema of the test server,
// dropped at the end, so that runs never see each other's rows.
func openTestPostgres(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	base := os.Getenv("CHAT_TEST_POSTGRES")
	if base == "" {
		base = defaultTestPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and %s is not reachable: %v\n"+
			"Start one (scripts/test.sh does) or set CHAT_TEST_POSTGRES to a postgres:// URL of a database the test may create schemas in.", base, err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "chat_test_" + rand.Text()[:12]
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := OpenPostgres(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// upgraded returns a SQLite store that was made at schema version
// version, given rows by the statements, then migrated to the newest
// schema: a database of an older server. It is closed when the test ends.
func upgraded(t *testing.T, version int, rows ...string) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{db: db, d: sqliteDialect}
	t.Cleanup(func() { s.Close() })
	if err := s.migrate(ctx, version); err != nil {
		t.Fatal(err)
	}
	for _, q := range rows {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		t.Fatal(err)
	}
	return s
}

// A database made before the look-alike rule may hold names that now
// collide; each keeps working under its exact name, the older one also
// under its look-alikes, and no new name can take their key.
func TestOldNamesKeepWorking(t *testing.T) {
	ctx := context.Background()
	s := upgraded(t, 1,
		"INSERT INTO users (id, name, name_key, created_at) VALUES ('u1', 'Ann', 'ann', 1)",
		"INSERT INTO users (id, name, name_key, created_at) VALUES ('u2', '\u0410nn', '\u0430nn', 2)",
		"INSERT INTO rooms (name, name_key, created_by, created_at) VALUES ('general\u200b', 'general\u200b', 'u2', 3)",
	)
	for name, id := range map[string]string{"ann": "u1", "ＡＮＮ": "u1", "\u0410NN": "u2", "\u0430nn": "u2"} {
		if u, err := s.UserByName(ctx, name); err != nil || u.ID != id {
			t.Errorf("UserByName(%q) = %+v, %v; want %s", name, u, err, id)
		}
	}
	if _, err := s.CreateUser(ctx, User{ID: "u3", Name: "ANN"}); !errors.Is(err, ErrExists) {
		t.Errorf("new name beside two old look-alikes: %v", err)
	}
	if _, err := s.CreateRoom(ctx, "General", "u1"); !errors.Is(err, ErrExists) {
		t.Errorf("room beside old look-alikes: %v", err)
	}
	if rooms, _ := s.Rooms(ctx); len(rooms) != 2 {
		t.Errorf("rooms after migration: %+v", rooms)
	}
}

// runSuite checks every operation of s; both databases must pass it.
func runSuite(t *testing.T, s *Store) {
	ctx := context.Background()

	ann, err := s.CreateUser(ctx, User{ID: "u-ann", Name: " Ann ", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if ann.Name != "Ann" {
		t.Errorf("name not trimmed: %q", ann.Name)
	}
	if _, err := s.CreateUser(ctx, User{ID: "u-ann2", Name: "ANN"}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name (other case): %v, want ErrExists", err)
	}
	if _, err := s.CreateUser(ctx, User{ID: "u-bob", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.UserByName(ctx, "ann"); err != nil || u.ID != "u-ann" || u.PasswordHash != "h" {
		t.Errorf("UserByName = %+v, %v", u, err)
	}
	if _, err := s.UserByID(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(unknown) = %v, want ErrNotFound", err)
	}

	def, err := s.DefaultRoom(ctx)
	if err != nil || def.Name != DefaultRoomName {
		t.Fatalf("DefaultRoom = %+v, %v", def, err)
	}
	dev, err := s.CreateRoom(ctx, "Dev", "u-ann")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRoom(ctx, "dev", "u-bob"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate room: %v, want ErrExists", err)
	}
	rooms, err := s.Rooms(ctx)
	if err != nil || len(rooms) != 2 || rooms[0].ID != def.ID || rooms[1].Name != "Dev" {
		t.Errorf("Rooms = %+v, %v", rooms, err)
	}
	if r, err := s.Room(ctx, dev.ID); err != nil || r != dev {
		t.Errorf("Room = %+v, %v; want %+v", r, err, dev)
	}
	if _, err := s.Room(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Room(unknown) = %v", err)
	}

	// Membership.
	for range 2 {
		if err := s.Join(ctx, dev.ID, "u-ann"); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.IsMember(ctx, dev.ID, "u-ann"); !ok || err != nil {
		t.Errorf("IsMember(ann) = %v, %v", ok, err)
	}
	if ok, _ := s.IsMember(ctx, dev.ID, "u-bob"); ok {
		t.Error("bob is a member without joining")
	}
	s.Join(ctx, def.ID, "u-ann")
	if ids, err := s.RoomsOf(ctx, "u-ann"); err != nil || len(ids) != 2 || ids[0] != def.ID || ids[1] != dev.ID {
		t.Errorf("RoomsOf = %v, %v", ids, err)
	}
	s.Leave(ctx, def.ID, "u-ann")
	if ok, _ := s.IsMember(ctx, def.ID, "u-ann"); ok {
		t.Error("still a member after Leave")
	}

	// Messages: ids grow, pages go backwards, client ids deduplicate.
	var ids []int64
	for i := range 5 {
		m, created, err := s.AddMessage(ctx, Message{RoomID: dev.ID, UserID: "u-ann", UserName: "Ann",
			Text: fmt.Sprint("m", i), ClientID: fmt.Sprint("c", i)})
		if err != nil || !created {
			t.Fatalf("AddMessage: %v %v", created, err)
		}
		if len(ids) > 0 && m.ID <= ids[len(ids)-1] {
			t.Errorf("id %d not above %d", m.ID, ids[len(ids)-1])
		}
		ids = append(ids, m.ID)
	}
	again, created, err := s.AddMessage(ctx, Message{RoomID: dev.ID, UserID: "u-ann", UserName: "Ann", Text: "retry", ClientID: "c2"})
	if err != nil || created || again.ID != ids[2] || again.Text != "m2" {
		t.Errorf("retried send = %+v, created %v, %v; want the first message %d", again, created, err, ids[2])
	}
	// Another user may reuse a client id; messages without one never clash.
	if _, created, err := s.AddMessage(ctx, Message{RoomID: dev.ID, UserID: "u-bob", UserName: "Bob", Text: "b", ClientID: "c2"}); err != nil || !created {
		t.Errorf("other user's same client id: %v %v", created, err)
	}
	for range 2 {
		if _, created, err := s.AddMessage(ctx, Message{RoomID: def.ID, UserID: "u-bob", UserName: "Bob", Text: "no id"}); err != nil || !created {
			t.Errorf("message without client id: %v %v", created, err)
		}
	}
	page, err := s.MessagesBefore(ctx, dev.ID, 0, 3)
	if err != nil || len(page) != 3 || page[0].Text != "m3" || page[2].Text != "b" {
		t.Errorf("newest page = %v, %v", texts(page), err)
	}
	page, err = s.MessagesBefore(ctx, dev.ID, ids[3], 10)
	if err != nil || len(page) != 3 || page[0].Text != "m0" || page[2].Text != "m2" {
		t.Errorf("older page = %v, %v", texts(page), err)
	}
	after, err := s.MessagesAfter(ctx, dev.ID, ids[1], 2)
	if err != nil || len(after) != 2 || after[0].ID != ids[2] || after[1].ID != ids[3] {
		t.Errorf("MessagesAfter = %v, %v", texts(after), err)
	}
	if none, err := s.MessagesAfter(ctx, 9999, 0, 10); err != nil || none == nil || len(none) != 0 {
		t.Errorf("unknown room: %v, %v (want an empty, non-nil slice)", none, err)
	}

	// Files.
	f, err := s.AddFileWithin(ctx, File{ID: "f1", RoomID: dev.ID, UserID: "u-ann", Name: "cat.png", ContentType: "image/png", Size: 42}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.File(ctx, "f1"); err != nil || got != f {
		t.Errorf("File = %+v, %v; want %+v", got, err, f)
	}
	if _, err := s.File(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("File(unknown) = %v", err)
	}
	fm, _, err := s.AddMessage(ctx, Message{RoomID: dev.ID, UserID: "u-ann", UserName: "Ann", File: &f})
	if err != nil {
		t.Fatal(err)
	}
	after, _ = s.MessagesAfter(ctx, dev.ID, fm.ID-1, 10)
	if len(after) != 1 || after[0].File == nil || *after[0].File != f {
		t.Errorf("file message = %+v", after)
	}
	// A room's files, newest first, only that room's.
	f2, err := s.AddFileWithin(ctx, File{ID: "f-dog", RoomID: dev.ID, UserID: "u-dog", Name: "dog.png", ContentType: "image/png", Size: 7}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddMessage(ctx, Message{RoomID: dev.ID, UserID: "u-bob", UserName: "Bob", File: &f2}); err != nil {
		t.Fatal(err)
	}
	if fs, err := s.RoomFiles(ctx, dev.ID, 10); err != nil || len(fs) != 2 || fs[0] != f2 || fs[1] != f {
		t.Errorf("RoomFiles = %+v, %v; want dog.png, cat.png", fs, err)
	}
	if fs, err := s.RoomFiles(ctx, dev.ID, 1); err != nil || len(fs) != 1 || fs[0] != f2 {
		t.Errorf("RoomFiles(limit 1) = %+v, %v", fs, err)
	}
	if fs, err := s.RoomFiles(ctx, def.ID, 10); err != nil || len(fs) != 0 {
		t.Errorf("RoomFiles(another room) = %+v, %v", fs, err)
	}

	// The upload quota counts every file of the user.
	if _, err := s.AddFileWithin(ctx, File{ID: "f2", RoomID: dev.ID, UserID: "u-ann", Name: "b", Size: 59}, 100); !errors.Is(err, ErrQuota) {
		t.Errorf("file over the quota: %v, want ErrQuota", err)
	}
	if _, err := s.AddFileWithin(ctx, File{ID: "f2", RoomID: dev.ID, UserID: "u-ann", Name: "b", Size: 58}, 100); err != nil {
		t.Errorf("file up to the quota: %v", err)
	}
	if used, err := s.UploadedBytes(ctx, "u-ann"); used != 100 || err != nil {
		t.Errorf("UploadedBytes = %d, %v; want 100", used, err)
	}

	// Read marks only move forward.
	if ok, err := s.MarkRead(ctx, dev.ID, "u-bob", ids[3]); !ok || err != nil {
		t.Errorf("first MarkRead = %v, %v", ok, err)
	}
	if ok, err := s.MarkRead(ctx, dev.ID, "u-bob", ids[1]); ok || err != nil {
		t.Errorf("backwards MarkRead = %v, %v; want false", ok, err)
	}
	s.MarkRead(ctx, dev.ID, "u-ann", ids[4])
	reads, err := s.LatestReads(ctx, dev.ID, 10)
	if err != nil || len(reads) != 2 || reads[0].UserName != "Ann" || reads[0].MessageID != ids[4] ||
		reads[1].UserID != "u-bob" || reads[1].MessageID != ids[3] {
		t.Errorf("Reads = %+v, %v", reads, err)
	}

	// Look-alike names are the same name.
	for _, name := range []string{"\u0410NN", "ＡＮＮ", "a\u200bnn"} {
		if _, err := s.CreateUser(ctx, User{ID: "u-x", Name: name}); !errors.Is(err, ErrExists) {
			t.Errorf("CreateUser(%q) beside Ann: %v, want ErrExists", name, err)
		}
	}
	if u, err := s.UserByName(ctx, "\u0430nn"); err != nil || u.ID != "u-ann" {
		t.Errorf("UserByName(Cyrillic ann) = %+v, %v; want ann", u, err)
	}
	if _, err := s.CreateRoom(ctx, "D\u0435v", "u-bob"); !errors.Is(err, ErrExists) {
		t.Errorf("look-alike room: %v, want ErrExists", err)
	}

	// Revoking tokens moves the generation, which TokenGens reports.
	if g, err := s.RevokeTokens(ctx, "u-bob"); g != 1 || err != nil {
		t.Errorf("RevokeTokens = %d, %v; want 1", g, err)
	}
	if g, err := s.SetPassword(ctx, "u-bob", "h2"); g != 2 || err != nil {
		t.Errorf("SetPassword = %d, %v; want 2", g, err)
	}
	if u, _ := s.UserByID(ctx, "u-bob"); u.TokenGen != 2 || u.PasswordHash != "h2" {
		t.Errorf("after SetPassword: %+v", u)
	}
	if gens, err := s.TokenGens(ctx, 0); err != nil || len(gens) != 2 || gens["u-bob"] != 2 || gens["u-ann"] != 0 {
		t.Errorf("TokenGens(0) = %v, %v", gens, err)
	}
	if gens, _ := s.TokenGens(ctx, time.Now().Add(time.Minute).UnixMilli()); len(gens) != 0 {
		t.Errorf("TokenGens(future) = %v", gens)
	}
	if _, err := s.RevokeTokens(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeTokens(unknown) = %v", err)
	}

	// Concurrent uploads cannot together go over the quota.
	var uploads sync.WaitGroup
	var stored atomic.Int64
	for i := range 8 {
		uploads.Go(func() {
			if _, err := s.AddFileWithin(ctx, File{ID: fmt.Sprint("q", i), RoomID: dev.ID, UserID: "u-bob", Size: 10}, 35); err == nil {
				stored.Add(1)
			} else if !errors.Is(err, ErrQuota) {
				t.Errorf("concurrent upload: %v", err)
			}
		})
	}
	uploads.Wait()
	if stored.Load() != 3 {
		t.Errorf("%d concurrent 10-byte uploads fit a 35-byte quota, want 3", stored.Load())
	}

	// Concurrent writers neither fail nor lose rows.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, _, err := s.AddMessage(ctx, Message{RoomID: def.ID, UserID: "u-bob", UserName: "Bob", Text: fmt.Sprint("p", i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent AddMessage: %v", err)
		}
	}
	if all, _ := s.MessagesAfter(ctx, def.ID, 0, 100); len(all) != 22 {
		t.Errorf("default room has %d messages, want 22", len(all))
	}
}

func texts(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}
