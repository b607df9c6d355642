// Package sipd is the operator's GB/T 28181 SIP registrar: the wire. It owns the SIP
// listeners (UDP and TCP on one port), digest authentication and its stateless nonces,
// the brute-force limiter, the table of live registrations (bindings), keepalives, and
// the MANSCDP queries sent to registered devices, and the live video (点播) dialogs it
// makes with them: INVITE, ACK and BYE (invite.go, dialog.go, abandoned.go,
// transaction.go). Messages are parsed and represented with github.com/emiago/sipgo;
// the listeners are its own and stateless (see transport.go), so that no table outside
// traffic can grow is left unbounded.
//
// It imports nothing from Kubernetes. The controllers feed it credentials through the
// CredentialStore interface, seed its bindings from Camera status at start-up, and learn
// what happened from its coalescing event stream, reading the current state of a device
// with Server.Device. sipd never writes Camera status itself.
package sipd
