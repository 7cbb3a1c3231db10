package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSelfSignedTLS: the -tls certificate verifies, against itself as the
// root, for the loopback names a client dials; and /echoredirect over it
// answers with an absolute https Location.
func TestSelfSignedTLS(t *testing.T) {
	cfg, err := selfSignedTLS(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, name := range []string{"127.0.0.1", "localhost", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("certificate for %s: %v", name, err)
		}
	}

	ts := httptest.NewUnstartedServer(http.HandlerFunc(echoRedirect))
	ts.TLS = cfg
	ts.StartTLS()
	defer ts.Close()
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	res, err := client.Post(ts.URL+"/echoredirect/negotiate?negotiateVersion=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := ts.URL + "/echo/negotiate?negotiateVersion=1"; res.StatusCode != http.StatusTemporaryRedirect || res.Header.Get("Location") != want {
		t.Errorf("redirect %d to %q, want 307 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
}
