package signalr

import (
	"context"
	"reflect"
	"sync"

	"github.com/signalr-go/signalr/protocol"
)

// startStream registers a server-to-client stream and runs it. The id is
// registered here, in the read loop, so that a CancelInvocation right
// behind the StreamInvocation finds it.
func (s *session) startStream(c *call, streamIDs []string) {
	ctx, cancel := context.WithCancel(s.ctx.Context)
	s.mu.Lock()
	_, dup := s.streams[c.ID]
	if !dup {
		if s.streams == nil {
			s.streams = make(map[string]context.CancelFunc, 1)
		}
		s.streams[c.ID] = cancel
	}
	s.mu.Unlock()
	if dup {
		cancel()
		s.fail(c.ID, duplicateIDText(c.ID))
		return
	}
	c.ctx.Context = ctx
	s.openUploads(c, streamIDs)
	go s.runStream(c, ctx, cancel)
}

// runStream calls a streaming method and sends its items, then the
// Completion: with an error if the method or the stream failed, without
// one when it ended or the client cancelled it.
func (s *session) runStream(c *call, ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	detailed := s.srv.opts.EnableDetailedErrors
	res, err := s.call(c)
	if err == nil {
		err = s.pump(ctx, c, res)
		if err != nil {
			err = textError{hubErrorText(streamErrorText, err, detailed)}
		}
	} else {
		err = textError{hubErrorText(invokeErrorText(c.Target), err, detailed)}
	}
	if uerr := s.closeUploads(c); err == nil && uerr != nil {
		err = textError{hubErrorText(invokeErrorText(c.Target), uerr, detailed)}
	}
	s.mu.Lock()
	delete(s.streams, c.ID)
	s.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		s.fail(c.ID, err.Error())
		return
	}
	_ = s.writeMessage(&protocol.Completion{InvocationID: c.ID})
}

// textError carries a finished client-facing error text.
type textError struct{ text string }

func (e textError) Error() string { return e.text }

// pump sends the items of a stream value until it ends, fails or ctx is
// done.
func (s *session) pump(ctx context.Context, c *call, res any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.srv.log.Error("signalr: panic in hub stream", "connection", s.id, "method", c.Method, "panic", r)
			err = panicError{r}
		}
	}()
	v := reflect.ValueOf(res)
	if !v.IsValid() || v.IsNil() {
		return nil
	}
	send := func(item any) bool {
		return s.writeMessage(&protocol.StreamItem{InvocationID: c.ID, Item: item}) == nil && ctx.Err() == nil
	}
	if c.m.stream == chanStream {
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: v},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		}
		for {
			i, item, ok := reflect.Select(cases)
			if i == 1 || !ok || !send(item.Interface()) {
				return nil
			}
		}
	}
	var iterErr error
	yield := reflect.MakeFunc(v.Type().In(0), func(args []reflect.Value) []reflect.Value {
		if len(args) == 2 && !args[1].IsNil() {
			iterErr = args[1].Interface().(error)
			return []reflect.Value{reflect.ValueOf(false)}
		}
		return []reflect.Value{reflect.ValueOf(ctx.Err() == nil && send(args[0].Interface()))}
	})
	v.Call([]reflect.Value{yield})
	return iterErr
}

// cancelStream stops the server-to-client stream id, if it runs.
func (s *session) cancelStream(id string) {
	s.mu.Lock()
	cancel := s.streams[id]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// upload is a client-to-server stream feeding a hub method's channel.
type upload struct {
	ch    reflect.Value // chan T; only the read loop sends to and closes it
	elem  reflect.Type
	alias bool
	done  chan struct{} // closed when the method returned or the connection ended
	once  sync.Once
	err   string // the client's error, under session.mu
}

func (u *upload) stop() { u.once.Do(func() { close(u.done) }) }

// openUploads creates the channels of c's stream parameters, in the order
// of the client's stream ids.
func (s *session) openUploads(c *call, ids []string) {
	if len(ids) == 0 {
		return
	}
	in := c.args.(*reflectArgs).in // no fast path takes a stream
	off := c.m.first()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uploads == nil {
		s.uploads = make(map[string]*upload, len(ids))
	}
	next := 0
	for i, p := range c.m.params {
		if !p.upload {
			continue
		}
		ch := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, p.elem), s.srv.opts.StreamBufferCapacity)
		u := &upload{ch: ch, elem: p.elem, alias: p.alias, done: make(chan struct{})}
		in[off+i] = ch.Convert(p.typ)
		c.uploads = append(c.uploads, u)
		s.uploads[ids[next]] = u
		next++
	}
}

// closeUploads ends the client streams of a finished call; items that
// arrive later are dropped. It returns the error a client ended one of
// them with, as a *HubError.
func (s *session) closeUploads(c *call) error {
	if len(c.uploads) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for id, u := range s.uploads {
		for _, mine := range c.uploads {
			if u == mine {
				delete(s.uploads, id)
			}
		}
	}
	for _, u := range c.uploads {
		u.stop()
		if u.err != "" && err == nil {
			err = &HubError{Message: u.err}
		}
	}
	return err
}

// uploadItem passes a client stream item to its hub method, waiting while
// the stream's buffer is full: reading the connection waits with it.
func (s *session) uploadItem(m *protocol.StreamItem) {
	s.mu.Lock()
	u := s.uploads[m.InvocationID]
	s.mu.Unlock()
	if u == nil {
		s.srv.log.Debug("signalr: dropping an item of an unknown stream", "connection", s.id, "stream", m.InvocationID)
		return
	}
	v, err := bindValue(s.proto, m.Item, u.elem, u.alias)
	if err != nil {
		s.endUpload(&protocol.Completion{InvocationID: m.InvocationID, Error: "Failed to bind Stream message."})
		return
	}
	reflect.Select([]reflect.SelectCase{
		{Dir: reflect.SelectSend, Chan: u.ch, Send: v},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(u.done)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.ctx.Done())},
	})
}

// endUpload completes the client stream m names, if there is one.
func (s *session) endUpload(m *protocol.Completion) bool {
	s.mu.Lock()
	u := s.uploads[m.InvocationID]
	if u != nil {
		delete(s.uploads, m.InvocationID)
		u.err = m.Error
	}
	s.mu.Unlock()
	if u == nil {
		return false
	}
	u.ch.Close()
	return true
}
