package server

import (
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signalr-go/signalr/chat/store"
	"github.com/signalr-go/signalr/internal/httpserve"
)

// TestSlowUploadOutlivesReadTimeout: behind the programs' HTTP server,
// whose ReadTimeout cuts slow bodies of strangers, a member's upload that
// takes longer still goes through: the upload extends its own deadline.
func TestSlowUploadOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 200 * time.Millisecond
	b := newBench(t, Config{MaxUploadBytes: 1 << 16})
	srv := httpserve.New(httpserve.Config{Handler: b.app, ReadTimeout: readTimeout, Logger: discard()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	slow := &bench{t: t, app: b.app, url: "http://" + ln.Addr().String()}

	ann := slow.login("Ann", "")
	c, _ := slow.dial("/hubs/chat", ann.Token)
	var room store.Room
	c.must(&room, "CreateRoom", "uploads")

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, _ := mw.CreateFormFile("file", "slow.txt")
		for range 6 {
			time.Sleep(readTimeout / 2)
			if _, err := part.Write([]byte(strings.Repeat("x", 100))); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, slow.url+"/api/rooms/"+itoa(room.ID)+"/files", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+ann.Token)
	if res, body := slow.do(req); res.StatusCode != http.StatusOK {
		t.Fatalf("upload over %v: %d %s", 3*readTimeout, res.StatusCode, body)
	}
}
