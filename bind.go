package signalr

import (
	"fmt"
	"reflect"

	"github.com/signalr-go/signalr/protocol"
)

// bindArgs binds the client's arguments to m's parameters. It returns the
// method's inputs with in[0] left for the context when m takes one, and
// the stream parameters left for openUploads.
func bindArgs(hp protocol.HubProtocol, m *method, args []any) ([]reflect.Value, error) {
	if len(args) != m.nArgs {
		return nil, &bindError{fmt.Sprintf("Invocation provides %d argument(s) but target expects %d.", len(args), m.nArgs)}
	}
	off := 0
	if m.ctx != noCtx {
		off = 1
	}
	in := make([]reflect.Value, off+len(m.params))
	next := 0
	for i, p := range m.params {
		if p.upload {
			continue
		}
		v, err := bindValue(hp, args[next], p.typ, p.alias)
		if err != nil {
			return nil, err
		}
		in[off+i] = v
		next++
	}
	return in, nil
}

// bindValue decodes one raw value into a new value of type t.
func bindValue(hp protocol.HubProtocol, arg any, t reflect.Type, alias bool) (reflect.Value, error) {
	raw, ok := arg.(protocol.Raw)
	if !ok {
		return reflect.Value{}, &bindError{fmt.Sprintf("argument of type %T is not raw protocol data", arg)}
	}
	if alias {
		raw = append(protocol.Raw(nil), raw...)
	}
	ptr := reflect.New(t)
	if err := hp.Unmarshal(raw, ptr.Interface()); err != nil {
		return reflect.Value{}, &bindError{"Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked. " + err.Error()}
	}
	return ptr.Elem(), nil
}
