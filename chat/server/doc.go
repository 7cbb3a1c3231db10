// Package server assembles the chat application: the database, the
// signing key, sign-in, the seed hub at /chatHub, the application's hub
// at /hubs/chat, file sharing under /api/ and the page. It is what
// cmd/chat runs and what the tests start.
//
// It also guards the application: rate limits per client address and per
// person (see [Limits]), a bounded number of password hashes at once, an
// upload quota, and revocable tokens: signing out or changing the
// password revokes every token of the person on every server sharing the
// database (see revoke.go for how, and for the bounded staleness).
//
// HTTP endpoints besides the hubs and files:
//
//	POST /api/login     {"name","password"} -> {"token","userId","name"}
//	POST /api/session   checks a token, renews the cookie
//	POST /api/logout    revokes every token of the caller (bearer or cookie)
//	POST /api/password  {"old","new"} -> a new token; revokes the others
package server
