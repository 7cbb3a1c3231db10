package client

import (
	"reflect"

	"github.com/signalr-go/signalr/protocol"
)

// upload is one client-to-server stream: a channel the caller feeds.
type upload struct {
	id string
	ch reflect.Value
}

// splitUploads takes the receivable channels out of args and gives each a
// stream id, taken before the invocation's own id as the JS client does.
func (c *Client) splitUploads(args []any) (rest []any, ids []string, uploads []upload) {
	rest = args
	for i, a := range args {
		v := reflect.ValueOf(a)
		if v.Kind() != reflect.Chan || v.Type().ChanDir()&reflect.RecvDir == 0 {
			if uploads != nil {
				rest = append(rest, a)
			}
			continue
		}
		if uploads == nil {
			rest = append(make([]any, 0, len(args)), args[:i]...)
		}
		id := c.nextID()
		ids = append(ids, id)
		uploads = append(uploads, upload{id: id, ch: v})
	}
	return rest, ids, uploads
}

// startUploads drains each upload channel on its own goroutine.
func (s *session) startUploads(uploads []upload) {
	for _, u := range uploads {
		go s.upload(u)
	}
}

// upload sends each item read from the channel as a StreamItem and a
// Completion when the channel is closed. It gives up when the session
// ends.
func (s *session) upload(u upload) {
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: u.ch},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.ctx.Done())},
	}
	for {
		chosen, v, ok := reflect.Select(cases)
		if chosen == 1 {
			return
		}
		var msg protocol.Message = &protocol.StreamItem{InvocationID: u.id, Item: v.Interface()}
		if !ok {
			msg = &protocol.Completion{InvocationID: u.id}
		}
		if err := s.send(s.ctx, msg); err != nil {
			s.log.Info("upload stream ended", "id", u.id, "error", err)
			return
		}
		if !ok {
			return
		}
	}
}
