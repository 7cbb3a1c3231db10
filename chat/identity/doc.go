// Package identity signs people in: it issues and checks the signed
// tokens that carry a user's id and name, keeps the signing key, and
// hashes optional passwords.
//
// A token is "<payload>.<signature>", both base64url without padding: the
// payload is JSON {"uid","name","exp","gen"}, the signature its HMAC-SHA256
// under the key. Whoever holds the key can issue tokens, so it stays in
// the server's data folder, readable by the server only.
package identity
