package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of token verification, for errors.Is.
var (
	ErrInvalidToken = errors.New("identity: invalid token")
	ErrExpiredToken = errors.New("identity: expired token")
)

// Claims are what a token says about its bearer.
type Claims struct {
	UserID  string `json:"uid"`
	Name    string `json:"name"`
	Expires int64  `json:"exp"` // Unix seconds
	// Gen is the user's token generation when the token was issued; the
	// application refuses a token whose generation is not the user's
	// current one (revoked). Tokens from before revocation existed have 0.
	Gen int64 `json:"gen,omitempty"`
}

// Signer issues and verifies tokens with one key.
type Signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSigner returns a signer using key (at least 32 bytes) whose tokens
// are valid for ttl.
func NewSigner(key []byte, ttl time.Duration) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("identity: signing key of %d bytes, want at least 32", len(key))
	}
	return &Signer{key: key, ttl: ttl, now: time.Now}, nil
}

var b64 = base64.RawURLEncoding

// Issue returns a token for the user at token generation gen.
func (s *Signer) Issue(userID, name string, gen int64) (string, error) {
	payload, err := json.Marshal(Claims{UserID: userID, Name: name, Gen: gen, Expires: s.now().Add(s.ttl).Unix()})
	if err != nil {
		return "", fmt.Errorf("identity: %w", err)
	}
	p := b64.EncodeToString(payload)
	return p + "." + b64.EncodeToString(s.sign(p)), nil
}

// Verify checks a token's signature and expiry and returns its claims.
func (s *Signer) Verify(token string) (Claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, ErrInvalidToken
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.sign(p)) {
		return Claims{}, ErrInvalidToken
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.UserID == "" {
		return Claims{}, ErrInvalidToken
	}
	if s.now().Unix() >= c.Expires {
		return Claims{}, ErrExpiredToken
	}
	return c, nil
}

func (s *Signer) sign(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
