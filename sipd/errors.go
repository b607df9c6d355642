package sipd

import "errors"

// Errors every request the registrar sends to a device can end with: queries, INVITE
// and BYE alike. Those of one kind of request are declared beside it (message_query.go,
// dialog.go), and ErrTooManyTransactions with the client transactions.

var (
	// ErrNotRegistered means the device has no live binding to send a query over.
	ErrNotRegistered = errors.New("sipd: device not registered")
	// ErrUnreachable means the device's TCP connection is gone, or the query could not be sent.
	ErrUnreachable = errors.New("sipd: device unreachable")
	// ErrStopped means the server is not running.
	ErrStopped = errors.New("sipd: server not running")
	// ErrTimeout means the device did not answer in time (Timer B or F).
	ErrTimeout = errors.New("sipd: no answer from the device")
)
