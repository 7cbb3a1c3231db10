package redis

import "testing"

// The payload decoders read whatever anyone publishes on Redis: they must
// never panic, and what they accept must encode back to an equivalent
// payload.

func FuzzParseInvocation(f *testing.F) {
	f.Add(appendInvocation(nil, &invocation{excluded: []string{"a"}, encodings: []encoding{{"json", []byte("x")}}}))
	f.Add(appendInvocation(nil, &invocation{encodings: []encoding{{"json", []byte("x")}}, invocationID: "i", returnChannel: "r"}))
	f.Add(appendInvocation(nil, &invocation{encodings: []encoding{{"json", []byte("x")}}, names: []string{"a", "b"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := parseInvocation(b)
		if err != nil {
			return
		}
		again, err := parseInvocation(appendInvocation(nil, inv))
		if err != nil || len(again.encodings) != len(inv.encodings) || len(again.excluded) != len(inv.excluded) {
			t.Fatalf("re-encoding %+v: %+v, %v", inv, again, err)
		}
	})
}

func FuzzParseGroupCommand(f *testing.F) {
	f.Add(appendGroupCommand(nil, &groupCommand{id: 42, server: "S", action: 1, group: "G", connID: "C"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseGroupCommand(b)
		if err != nil {
			return
		}
		if again, err := parseGroupCommand(appendGroupCommand(nil, c)); err != nil || *again != *c {
			t.Fatalf("re-encoding %+v: %+v, %v", c, again, err)
		}
	})
}

func FuzzParseAck(f *testing.F) {
	f.Add(appendAck(nil, 70000))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := parseAck(b)
		if err != nil {
			return
		}
		if again, err := parseAck(appendAck(nil, id)); err != nil || again != id {
			t.Fatalf("re-encoding %d: %d, %v", id, again, err)
		}
	})
}

func FuzzParseCompletion(f *testing.F) {
	f.Add(appendCompletion(nil, &completion{protocol: "json", bytes: []byte("{}\x1e")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCompletion(b)
		if err != nil {
			return
		}
		if again, err := parseCompletion(appendCompletion(nil, c)); err != nil || again.protocol != c.protocol || string(again.bytes) != string(c.bytes) {
			t.Fatalf("re-encoding %+v: %+v, %v", c, again, err)
		}
	})
}

func FuzzParseDisconnect(f *testing.F) {
	f.Add(appendDisconnect(nil, &disconnect{kind: disconnectConn, name: "c", message: "m"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDisconnect(b)
		if err != nil {
			return
		}
		if again, err := parseDisconnect(appendDisconnect(nil, d)); err != nil || *again != *d {
			t.Fatalf("re-encoding %+v: %+v, %v", d, again, err)
		}
	})
}
