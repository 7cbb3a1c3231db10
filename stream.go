package signalr

import (
	"context"
	"reflect"
	"slices"
	"sync"

	"github.com/signalr-go/signalr/protocol"
)

// serverStream is a running server-to-client stream, for CancelInvocation.
type serverStream struct {
	cancel  context.CancelFunc
	uploads []*upload // the client streams the method reads
}

// admitStreams checks, before anything of ci starts, that its ids are
// free and that the connection may open its streams. It returns the
// client-facing error text, or "". Only the read loop adds streams, so the
// answer holds until startStream and openUploads register them.
func (s *session) admitStreams(ci *callInfo) string {
	n := len(ci.streamIDs)
	if ci.streaming {
		n++
	}
	if n == 0 {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.streams[ci.id]; ci.streaming && dup {
		return duplicateIDText(ci.id)
	}
	for i, id := range ci.streamIDs {
		if _, dup := s.uploads[id]; dup || slices.Contains(ci.streamIDs[:i], id) {
			return duplicateStreamIDText(id)
		}
	}
	if limit := s.srv.opts.MaximumStreamsPerClient; s.openStreams+n > limit {
		return tooManyStreamsText(ci.target, limit)
	}
	s.openStreams += n
	return ""
}

// startStream registers a server-to-client stream and runs it. The id is
// registered here, in the read loop, so that a CancelInvocation right
// behind the StreamInvocation finds it.
func (s *session) startStream(c *call, streamIDs []string) {
	ctx, cancel := context.WithCancel(s.ctx.Context)
	c.ctx.Context = ctx
	s.openUploads(c, streamIDs)
	s.mu.Lock()
	if s.streams == nil {
		s.streams = make(map[string]*serverStream, 1)
	}
	s.streams[c.ID] = &serverStream{cancel: cancel, uploads: c.uploads}
	s.mu.Unlock()
	go s.runStream(c, ctx, cancel)
}

// runStream calls a streaming method and sends its items, then the
// Completion: with an error if the method or the stream failed, without
// one when it ended or the client cancelled it.
func (s *session) runStream(c *call, ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	detailed := s.srv.opts.EnableDetailedErrors
	obs := s.srv.beginCall(c)
	res, err := s.call(c)
	if err == nil {
		err = s.pump(ctx, c, res)
		s.srv.endCall(obs, c, err)
		if err != nil {
			err = textError{hubErrorText(streamErrorText, err, detailed)}
		}
	} else {
		s.srv.endCall(obs, c, err)
		err = textError{hubErrorText(invokeErrorText(c.Target), err, detailed)}
	}
	if uerr := s.closeUploads(c); err == nil && uerr != nil {
		err = textError{hubErrorText(invokeErrorText(c.Target), uerr, detailed)}
	}
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

// cancelStream stops the server-to-client stream id, if it runs, and ends
// the client streams it reads: a method blocked reading one of them could
// not see the cancellation otherwise.
func (s *session) cancelStream(id string) {
	s.mu.Lock()
	st := s.streams[id]
	s.mu.Unlock()
	if st == nil {
		return
	}
	st.cancel()
	for _, u := range st.uploads {
		u.end()
	}
}

// upload is a client-to-server stream feeding a hub method's channel.
// Its channel is closed exactly once, by end, whoever ends the stream
// first: the client's Completion, the method returning, a cancel or the
// connection ending. A method ranging over it therefore always finishes.
type upload struct {
	ch    reflect.Value // chan T
	elem  reflect.Type
	alias bool
	done  chan struct{} // closed by end before ch, to wake a send waiting for buffer room
	mu    sync.Mutex    // held by a send in progress, so that end never closes ch under it
	once  sync.Once
	err   string // the client's error, under session.mu
}

// send passes v to the method, waiting while the buffer is full, unless
// the stream or the connection (connDone) ends first.
func (u *upload) send(v reflect.Value, connDone <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-u.done:
		return
	default:
	}
	reflect.Select([]reflect.SelectCase{
		{Dir: reflect.SelectSend, Chan: u.ch, Send: v},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(u.done)},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(connDone)},
	})
}

// end closes the stream's channel, once; items already buffered can still
// be read.
func (u *upload) end() {
	u.once.Do(func() {
		close(u.done)
		u.mu.Lock()
		u.ch.Close()
		u.mu.Unlock()
	})
}

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

// closeUploads ends the client streams of a finished call (items that
// arrive later are dropped) and gives back the streams it counted. It
// returns the error a client ended one of them with, as a *HubError.
func (s *session) closeUploads(c *call) error {
	n := len(c.uploads)
	if c.Streaming {
		n++
	}
	if n == 0 {
		return nil
	}
	s.mu.Lock()
	s.openStreams -= n
	if c.Streaming {
		delete(s.streams, c.ID)
	}
	for id, u := range s.uploads {
		if slices.Contains(c.uploads, u) {
			delete(s.uploads, id)
		}
	}
	var err error
	for _, u := range c.uploads {
		if u.err != "" && err == nil {
			err = &HubError{Message: u.err}
		}
	}
	s.mu.Unlock()
	for _, u := range c.uploads {
		u.end()
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
	u.send(v, s.ctx.Done())
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
	u.end()
	return true
}
