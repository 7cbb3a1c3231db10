package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// get asks h for target and returns the response and its body.
func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", target, err)
	}
	return res, string(body)
}

// The page is made of ES modules, which browsers run only when served
// with a JavaScript MIME type.
func TestScriptsAreServedAsJavaScript(t *testing.T) {
	h := Handler(t.TempDir())
	names, err := fs.Glob(static, "static/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, name := range names {
		target := "/static/" + path.Base(name)
		res, _ := get(t, h, target)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", target, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want text/javascript", target, ct)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", target)
		}
	}
	// A missing script is a plain 404, not a script.
	res, _ := get(t, h, "/static/missing.js")
	if res.StatusCode != http.StatusNotFound || strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("missing script: status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// The official client, a classic script, is served as JavaScript too
// (nosniff holds classic scripts to it), when it is installed.
func TestClientIsServedAsJavaScript(t *testing.T) {
	libDir := filepath.Join("..", "..", DefaultLibDir)
	if !LibInstalled(libDir) {
		t.Skip("the browser client is not installed: run scripts/deps.sh")
	}
	res, _ := get(t, Handler(libDir), "/lib/signalr.min.js")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("signalr.min.js: status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

var (
	scriptTag  = regexp.MustCompile(`<script[^>]*>`)
	importFrom = regexp.MustCompile(`(?m)^import (?:[^'"]* from )?'\./([^']+)';`)
)

// Each page loads the official client as a classic script, then its own
// scripts as modules only; every module a script imports is served.
func TestPagesLoadModules(t *testing.T) {
	h := Handler(t.TempDir())
	for _, page := range []string{"/", "/static/admin.html"} {
		_, body := get(t, h, page)
		tags := scriptTag.FindAllString(body, -1)
		if len(tags) < 2 || tags[0] != `<script src="/lib/signalr.min.js" defer>` {
			t.Fatalf("%s: scripts %q: want the client first, as a classic script", page, tags)
		}
		for _, tag := range tags[1:] {
			if !strings.Contains(tag, `type="module"`) {
				t.Errorf("%s: %s is not a module", page, tag)
			}
		}
	}
	names, _ := fs.Glob(static, "static/*.js")
	for _, name := range names {
		src, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range importFrom.FindAllStringSubmatch(string(src), -1) {
			if res, _ := get(t, h, "/static/"+m[1]); res.StatusCode != http.StatusOK {
				t.Errorf("%s imports %s: status %d", name, m[1], res.StatusCode)
			}
		}
	}
}
