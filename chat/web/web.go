// Package web serves the chat page: its own HTML, CSS and script,
// embedded in the binary, and the official SignalR browser client from
// the npm package installed beside it (never a committed copy).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

//go:embed static
var static embed.FS

// DefaultLibDir is where npm installs the browser client, relative to the
// repository root (scripts/deps.sh runs npm ci in chat/web).
const DefaultLibDir = "chat/web/node_modules/@microsoft/signalr/dist/browser"

// pageCSP lets the page load only its own files and talk only to its own
// origin; with it, even a bug that put user text into markup could not
// run script.
const pageCSP = "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves "/" (the page), "/static/" (its files) and
// "/lib/signalr.min.js" (the client, read from libDir).
func Handler(libDir string) http.Handler {
	sub, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	files := http.FileServerFS(sub)
	mux.Handle("GET /static/", secure(http.StripPrefix("/static/", scripts(files))))
	mux.Handle("GET /{$}", secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})))
	// Browsers ask for it on every page; there is none.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, name := range []string{"signalr.min.js", "signalr.min.js.map", "signalr.js", "signalr.js.map"} {
		mux.Handle("GET /lib/"+name, secure(scripts(lib(filepath.Join(libDir, name)))))
	}
	return mux
}

// lib serves one file of the installed client, or explains how to
// install it.
func lib(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(path); err != nil {
			http.Error(w, "the SignalR browser client is not installed at "+path+": run scripts/deps.sh", http.StatusInternalServerError)
			return
		}
		http.ServeFile(w, r, path)
	})
}

// scriptType is the Content-Type of scripts. Browsers run a module
// script only when it is served with a JavaScript MIME type (and nosniff
// holds classic scripts to the same), so it is not left to the host's
// MIME table, which may map .js to anything.
const scriptType = "text/javascript; charset=utf-8"

// scripts serves .js files (the page's and the client's) as JavaScript
// whatever the host's MIME table says.
func scripts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".js") {
			w.Header().Set("Content-Type", scriptType)
		}
		h.ServeHTTP(w, r)
	})
}

// secure adds the headers every page resource gets.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// LibInstalled reports whether the browser client is at libDir.
func LibInstalled(libDir string) bool {
	_, err := os.Stat(filepath.Join(libDir, "signalr.min.js"))
	return err == nil
}
