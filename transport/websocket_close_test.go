package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWebSocketCloseAnswer: the server answers a client's close frame with
// the client's status code, and a close frame without one with 1000
// (normal closure), as ASP.NET Core does; and the connection ends
// gracefully.
func TestWebSocketCloseAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		want    int
	}{
		{"no status", nil, websocket.CloseNormalClosure},
		{"normal", websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), websocket.CloseNormalClosure},
		{"going away", websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), websocket.CloseGoingAway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			ws := f.mustDial("id=" + f.token())
			<-f.rec.opened
			if err := ws.WriteControl(websocket.CloseMessage, tc.payload, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err := ws.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != tc.want {
				t.Fatalf("answer to the close frame: %v, want status %d", err, tc.want)
			}
			select {
			case ev := <-f.rec.closed:
				if ev.err != nil {
					t.Errorf("Closed(%v), want a graceful end", ev.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("connection did not end")
			}
		})
	}
}
