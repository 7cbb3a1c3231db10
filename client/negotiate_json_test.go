package client

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// negotiateBodies are negotiate responses, good and bad, on which
// parseNegotiate must agree with encoding/json.
var negotiateBodies = []string{
	`{"negotiateVersion":1,"connectionId":"b4QnBCvjq_PV6XCTdxmXsA","connectionToken":"0tnUhT5y3pn9Qr4dLmdFlw","availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"ServerSentEvents","transferFormats":["Text"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}`,
	` {"connectionId":"a", "negotiateVersion" : 0 , "availableTransports" : [ ] } `,
	`{"url":"http://h/other?x=1","accessToken":"tok"}`,
	`{"error":"This connection is not allowed."}`,
	`{"ProtocolVersion":"1.5"}`, `{"protocolversion":null}`, `{"ProtocolVersion":{"a":[1,2,{}]}}`,
	`{"useStatefulReconnect":true,"connectionId":"a"}`, `{"useStatefulReconnect":null}`, `{"useStatefulReconnect":1}`,
	`{"CONNECTIONID":"upper","ConnectionToken":"mixed"}`, `{"connection\u0049d":"escaped key"}`,
	`{"connectionId":"x","connectionId":"later wins"}`, `{"connectionId":null}`, `{"connectionId":5}`,
	`{"connectionId":"\u00e9\ud83d\ude00\ud800x\"\\\/\b\f\n\r\t"}`, "{\"connectionId\":\"bad \xff utf8\"}",
	`{"negotiateVersion":1.0}`, `{"negotiateVersion":-3}`, `{"negotiateVersion":1e2}`, `{"negotiateVersion":"1"}`,
	`{"negotiateVersion":99999999999999999999}`, `{"negotiateVersion":01}`, `{"negotiateVersion":-}`,
	`{"availableTransports":null}`, `{"availableTransports":[null,{"transport":null,"transferFormats":null}]}`,
	`{"availableTransports":[{"transferFormats":[null,"Text"],"other":{"x":[true,false,null]}}]}`,
	`{"availableTransports":[{"transferFormats":["Text"],"transferFormats":["Binary"]}]}`,
	`{"availableTransports":{}}`, `{"availableTransports":[1]}`, `{"availableTransports":[{"transferFormats":"Text"}]}`,
	`{"unknown":[1,-2.5e+3,"s",{"n":null}],"connectionId":"after unknown"}`,
	``, ` `, `null`, `nul`, `[]`, `"s"`, `12`, `not json`, `{}`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`,
	`{"a":1}x`, `{"a":1} {}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"ctl\x01\"}", `{"a":tru}`, `{"a":truex}`,
	`{"a":[1 2]}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{'a':1}`,
}

func TestParseNegotiateMatchesEncodingJSON(t *testing.T) {
	for _, body := range negotiateBodies {
		compareNegotiateParsers(t, []byte(body))
	}
}

func FuzzParseNegotiate(f *testing.F) {
	for _, body := range negotiateBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// encoding/json decodes a repeated array into the elements of the
		// first one, keeping their other fields; the client takes the
		// last array whole. Servers send each property once.
		if bytes.Count(bytes.ToLower(body), []byte("availabletransports")) > 1 {
			t.Skip()
		}
		compareNegotiateParsers(t, body)
	})
}

func compareNegotiateParsers(t *testing.T, body []byte) {
	t.Helper()
	var want, got negotiateResponse
	werr := json.Unmarshal(body, &want)
	gerr := parseNegotiate(body, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json: %v; parseNegotiate: %v", body, werr, gerr)
	}
	if werr != nil {
		return
	}
	normalize(&want)
	normalize(&got)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\nencoding/json  %+v\nparseNegotiate %+v", body, want, got)
	}
}

// normalize drops the differences that do not matter: empty versus nil
// lists, and the raw ProtocolVersion, of which only presence counts.
func normalize(r *negotiateResponse) {
	if len(r.ProtocolVersion) > 0 {
		r.ProtocolVersion = json.RawMessage("x")
	}
	for i := range r.AvailableTransports {
		if len(r.AvailableTransports[i].TransferFormats) == 0 {
			r.AvailableTransports[i].TransferFormats = nil
		}
	}
	if r.AvailableTransports != nil && len(r.AvailableTransports) == 0 {
		r.AvailableTransports = []availableTransport{}
	}
}

func TestParseNegotiateAllocations(t *testing.T) {
	body := []byte(negotiateBodies[0])
	allocs := testing.AllocsPerRun(100, func() {
		var r negotiateResponse
		if err := parseNegotiate(body, &r); err != nil {
			t.Fatal(err)
		}
	})
	// The two ids, the transports and their shared formats.
	if allocs > 4 {
		t.Errorf("%v allocations, want at most 4", allocs)
	}
	if !strings.Contains(negotiateBodies[0], "WebSockets") {
		t.Fatal("bad fixture")
	}
}
