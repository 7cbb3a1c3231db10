// Package store keeps the chat's durable state: users, rooms and their
// members, messages (with replies and a full-text index), shared files'
// metadata and read receipts.
//
// One [Store] works on either of two SQL databases: an embedded SQLite
// file (modernc.org/sqlite, no cgo), the default, or PostgreSQL (pgx) for
// deployments where several chat servers share one database. Queries are
// written once with "?" placeholders and rewritten for PostgreSQL; the
// schema is migrated when the store is opened.
package store
