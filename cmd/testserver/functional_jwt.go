package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signalr-go/signalr/transport"
)

// The claims the functional suite's token carries. The name identifier
// claim uses its .NET claim type URI, as ASP.NET Core's token handler
// writes it.
const (
	claimNameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	jwtIssuer           = "SignalRTestServer"
	jwtAudience         = "SignalRTests"
	jwtLifetime         = 5 * time.Second
	// jwtClockSkew is ASP.NET Core's default tolerance on expiry: without
	// it a 5 s token would fail long polls of a slow test run.
	jwtClockSkew = 5 * time.Minute
)

// jwtSigner issues and checks HMAC-SHA256 JSON Web Tokens with a key drawn
// once per process, like the suite's server. Only the fields the suite
// relies on are implemented; it is not a general JWT library.
type jwtSigner struct {
	key []byte
	now func() time.Time
}

func newJWTSigner() (*jwtSigner, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("jwt key: %w", err)
	}
	return &jwtSigner{key: key, now: time.Now}, nil
}

// jwtHeader is the fixed header; verification requires alg HS256 so that
// an "alg":"none" token cannot pass.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

var b64 = base64.RawURLEncoding

// Issue returns a token for user, valid for jwtLifetime.
func (j *jwtSigner) Issue(user string) (string, error) {
	now := j.now()
	claims, err := json.Marshal(map[string]any{
		claimNameIdentifier: user,
		"iss":               jwtIssuer,
		"aud":               jwtAudience,
		"nbf":               now.Unix(),
		"iat":               now.Unix(),
		"exp":               now.Add(jwtLifetime).Unix(),
	})
	if err != nil {
		return "", fmt.Errorf("jwt claims: %w", err)
	}
	unsigned := b64.EncodeToString([]byte(jwtHeader)) + "." + b64.EncodeToString(claims)
	return unsigned + "." + b64.EncodeToString(j.sign(unsigned)), nil
}

func (j *jwtSigner) sign(s string) []byte {
	m := hmac.New(sha256.New, j.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// errBadToken is every verification failure; the client only sees 401.
var errBadToken = errors.New("invalid bearer token")

// Verify checks the signature, issuer, audience and lifetime of token and
// returns its name identifier.
func (j *jwtSigner) Verify(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: not three parts", errBadToken)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, j.sign(parts[0]+"."+parts[1])) {
		return "", fmt.Errorf("%w: bad signature", errBadToken)
	}
	var hdr struct{ Alg string }
	if raw, err := b64.DecodeString(parts[0]); err != nil || json.Unmarshal(raw, &hdr) != nil || hdr.Alg != "HS256" {
		return "", fmt.Errorf("%w: bad header", errBadToken)
	}
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("%w: claims: %w", errBadToken, err)
	}
	var c struct {
		Iss string `json:"iss"`
		Aud string `json:"aud"`
		Nbf int64  `json:"nbf"`
		Exp int64  `json:"exp"`
		// The tag is the claim type URI (claimNameIdentifier).
		User string `json:"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("%w: claims: %w", errBadToken, err)
	}
	now := j.now()
	switch {
	case c.Iss != jwtIssuer || c.Aud != jwtAudience:
		return "", fmt.Errorf("%w: issuer or audience", errBadToken)
	case now.Add(jwtClockSkew).Before(time.Unix(c.Nbf, 0)):
		return "", fmt.Errorf("%w: not yet valid", errBadToken)
	case now.Add(-jwtClockSkew).After(time.Unix(c.Exp, 0)):
		return "", fmt.Errorf("%w: expired", errBadToken)
	}
	return c.User, nil
}

// Authenticate is a transport.Options.Authenticate hook: the bearer token
// from the Authorization header or the access_token query parameter.
func (j *jwtSigner) Authenticate(r *http.Request) (transport.Principal, error) {
	tok := transport.BearerToken(r)
	if tok == "" {
		return transport.Principal{}, fmt.Errorf("%w: none given", errBadToken)
	}
	user, err := j.Verify(tok)
	if err != nil {
		return transport.Principal{}, err
	}
	return transport.Principal{ID: user, Name: user, Claims: map[string]string{claimNameIdentifier: user}}, nil
}

// serveToken answers GET /generateJwtToken with a fresh token as text.
func (j *jwtSigner) serveToken(w http.ResponseWriter, _ *http.Request) {
	tok, err := j.Issue("testuser")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(tok))
}
