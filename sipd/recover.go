package sipd

import (
	"runtime/debug"
)

// A panic while handling one message must not take the registrar, and the operator
// with it, down for every device: the fuzzers have found such panics in parsing code
// before. handle recovers, drops the message and logs the panic with its stack, so the
// bug is visible and fixable while the other devices keep being served.

// recoverMessage is deferred by handle.
func (s *Server) recoverMessage(src source) {
	if r := recover(); r != nil {
		s.metrics.dropped.Inc()
		s.log.Error("panic while handling a message; message dropped", "source", src.addr.String(), "transport", src.transport, "panic", r, "stack", string(debug.Stack()))
	}
}
