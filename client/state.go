package client

// State is a client's connection state.
type State int

// The states, as the official clients name them.
const (
	Disconnected State = iota
	Connecting
	Connected
	Disconnecting
	Reconnecting
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Disconnected:
		return "Disconnected"
	case Connecting:
		return "Connecting"
	case Connected:
		return "Connected"
	case Disconnecting:
		return "Disconnecting"
	case Reconnecting:
		return "Reconnecting"
	}
	return "Unknown"
}
