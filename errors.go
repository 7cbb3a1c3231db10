package signalr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// HubError is an error whose message is always shown to the client, even
// without Options.EnableDetailedErrors: return one from a hub method to
// tell the caller what went wrong. The client sees
// "An unexpected error occurred invoking '<method>' on the server. <Type>: <Message>",
// as with ASP.NET Core's HubException.
type HubError struct {
	// Message is shown to the client.
	Message string
	// Type names the error for the client; "HubException" when empty.
	Type string
	// Err is an optional cause for errors.Is and errors.As; it is never
	// shown to the client.
	Err error
}

// NewHubError returns a *HubError with a formatted message. As with
// fmt.Errorf, a %w verb records its operand as the cause, but the cause's
// text is part of the message that the client sees.
func NewHubError(format string, args ...any) *HubError {
	err := fmt.Errorf(format, args...)
	return &HubError{Message: err.Error(), Err: errors.Unwrap(err)}
}

// Error implements error.
func (e *HubError) Error() string { return e.typeName() + ": " + e.Message }

// Unwrap returns the cause.
func (e *HubError) Unwrap() error { return e.Err }

func (e *HubError) typeName() string {
	if e.Type == "" {
		return "HubException"
	}
	return e.Type
}

// Sentinel errors of the hub layer.
var (
	// ErrConnectionNotFound reports a connection id that no server knows.
	ErrConnectionNotFound = errors.New("signalr: connection not found")
	// ErrDisconnected ends a client-result call whose connection went away
	// before the client answered. Its message matches ASP.NET Core's.
	ErrDisconnected = &HubError{Message: "Connection disconnected."}
	// ErrNoPendingResult reports a client Completion that matches no
	// pending client-result call.
	ErrNoPendingResult = errors.New("signalr: no pending client result with this id")
	// ErrClientResultsInOnConnected reports a client-result call to the
	// connecting client from its OnConnected hook, which runs before the
	// connection reads anything and so could never see the answer.
	ErrClientResultsInOnConnected = errors.New("signalr: client results inside OnConnected are not allowed")
	// ErrTooManyPendingResults reports a client-result call to a hub
	// method's own caller while Options.MaximumParallelInvocationsPerClient
	// calls of that connection already wait for theirs.
	ErrTooManyPendingResults = errors.New("signalr: too many hub method calls wait for their caller's result")
	// ErrInvalidHub reports a hub type or handler function NewServer or
	// Handle cannot use.
	ErrInvalidHub = errors.New("signalr: invalid hub method")
)

// typeNamer lets an error choose the type name detailed error texts show,
// e.g. "InvalidOperationException" for a server mimicking .NET.
type typeNamer interface{ ErrorTypeName() string }

// errorDetail formats err as " Type: message" for error texts shown to
// clients: the Go type name unless the error names itself.
func errorDetail(err error) string {
	var he *HubError
	if errors.As(err, &he) {
		return " " + he.typeName() + ": " + he.Message
	}
	var tn typeNamer
	if errors.As(err, &tn) {
		return " " + tn.ErrorTypeName() + ": " + err.Error()
	}
	return " " + errorTypeName(err) + ": " + err.Error()
}

// errorTypeName names err by the first type along its Unwrap chain that is
// not a mere wrapper from package fmt or errors, so that a hub's
// fmt.Errorf("...: %w", ErrX) shows ErrX's type rather than fmt.wrapError.
func errorTypeName(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		name := strings.TrimPrefix(reflect.TypeOf(e).String(), "*")
		if !strings.HasPrefix(name, "fmt.") && !strings.HasPrefix(name, "errors.") {
			return name
		}
	}
	return "Exception"
}

// hubErrorText returns the client-facing text of err: generic with the
// detail only for HubError or with detailed errors on.
func hubErrorText(generic string, err error, detailed bool) string {
	var he *HubError
	if err != nil && (detailed || errors.As(err, &he)) {
		return generic + errorDetail(err)
	}
	return generic
}

// panicError is a recovered panic, reported like an error.
type panicError struct{ value any }

func (p panicError) Error() string         { return fmt.Sprint(p.value) }
func (p panicError) ErrorTypeName() string { return "panic" }

// errMethodNotFound fails an invocation of a method the hub lacks. ASP.NET
// Core reports it as a binding failure caused by a HubException, so clients
// see "Failed to invoke 'X' due to an error on the server. HubException:
// Method does not exist." (the spec's older "Unknown hub method" text is no
// longer sent).
var errMethodNotFound = &HubError{Message: "Method does not exist."}

// The exact texts the official clients and ASP.NET Core use.

func bindFailureText(target string) string {
	return "Failed to invoke '" + target + "' due to an error on the server."
}

func invokeErrorText(target string) string {
	return "An unexpected error occurred invoking '" + target + "' on the server."
}

func unauthorizedText(target string) string {
	return "Failed to invoke '" + target + "' because user is unauthorized"
}

func streamingMismatchText(target string) string {
	return "The client attempted to invoke the streaming '" + target + "' method with a non-streaming invocation."
}

func nonStreamingMismatchText(target string) string {
	return "The client attempted to invoke the non-streaming '" + target + "' method with a streaming invocation."
}

func duplicateIDText(id string) string { return "Invocation ID '" + id + "' is already in use." }

func duplicateStreamIDText(id string) string { return "Stream ID '" + id + "' is already in use." }

func tooManyStreamsText(target string, limit int) string {
	return fmt.Sprintf("Failed to invoke '%s': the connection already has the most open streams Options.MaximumStreamsPerClient allows (%d).", target, limit)
}

const (
	streamErrorText = "An error occurred on the server while streaming results."
	closeErrorText  = "Connection closed with an error."
	// maxSizeText words an oversized message like ASP.NET Core, naming
	// this library's option.
	maxSizeText           = "The maximum message size of %dB was exceeded. The message size can be configured in Options.MaximumReceiveMessageSize."
	handshakeCanceledText = "Handshake was canceled."
)

// bindError is a binding failure; its type name mirrors .NET's.
type bindError struct{ msg string }

func (e *bindError) Error() string         { return e.msg }
func (e *bindError) ErrorTypeName() string { return "InvalidDataException" }
