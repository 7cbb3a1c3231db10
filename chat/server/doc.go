// Package server assembles the chat application: the database, the
// signing key, sign-in, the seed hub at /chatHub, the application's hub
// at /hubs/chat, file sharing under /api/ and the page. It is what
// cmd/chat runs and what the tests start.
package server
