package protocol

import "sync"

// Prepared is a message that many connections will receive. It encodes the
// message at most once per protocol, on first use, and hands every caller
// the same bytes, so a broadcast costs one serialization per protocol in
// use rather than one per connection. A Prepared is safe for concurrent use;
// the bytes it returns must not be modified.
type Prepared struct {
	msg Message

	mu    sync.Mutex
	cache []preparedEncoding // usually one or two entries
}

type preparedEncoding struct {
	name  string
	bytes []byte
	err   error
}

// Prepare wraps m for encoding once per protocol. m must not be changed
// afterwards.
func Prepare(m Message) *Prepared { return &Prepared{msg: m} }

// PrepareEncoded wraps a message whose encodings are already known, such as
// one received from a backplane: name is the protocol name and the bytes are
// the framed message. Protocols not listed are encoded from m on demand; m
// may be nil when the listed encodings are all there will ever be.
func PrepareEncoded(m Message, encoded map[string][]byte) *Prepared {
	p := &Prepared{msg: m}
	for name, b := range encoded {
		p.cache = append(p.cache, preparedEncoding{name: name, bytes: b})
	}
	return p
}

// Message returns the wrapped message (nil for PrepareEncoded without one).
func (p *Prepared) Message() Message { return p.msg }

// Bytes returns the framed encoding of the message in hp.
func (p *Prepared) Bytes(hp HubProtocol) ([]byte, error) {
	name := hp.Name()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.cache {
		if e.name == name {
			return e.bytes, e.err
		}
	}
	var b []byte
	err := errNoMessage
	if p.msg != nil {
		b, err = hp.Append(nil, p.msg)
	}
	p.cache = append(p.cache, preparedEncoding{name: name, bytes: b, err: err})
	return b, err
}
