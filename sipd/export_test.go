package sipd

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The internals the tests of package sipd_test reach. Those tests start registrars with
// sipdtest and drive them through the exported API and over loopback sockets; these are
// for what lies below it: the fuzzers and the allocation benchmark feed handle
// directly, TestNonceRules mints nonces the registrar would not, FuzzResponse puts the
// client side in the states it feeds responses to, and a few tests check a bound.

// Bounds the tests check against.
const (
	NonceLen           = nonceLen
	MaxReasonLen       = maxReasonLen
	MaxRemoteTagLen    = maxRemoteTagLen
	MaxRemoteTargetLen = maxRemoteTargetLen
)

func udpSource(addr netip.AddrPort) source { return source{transport: "UDP", addr: addr} }

// Handle hands data to s as a datagram from addr, as a UDP worker does.
func Handle(s *Server, data []byte, from netip.AddrPort) { s.handle(data, udpSource(from)) }

// MintNonce is a nonce of s for deviceID, challenged at to over transport ("UDP" or
// "TCP") at the given time.
func MintNonce(s *Server, deviceID, transport string, to netip.AddrPort, at time.Time) string {
	return string(s.nonces.mint(nil, deviceID, source{transport: transport, addr: to}, at))
}

// SilenceWatches is the number of devices whose silence s watches.
func SilenceWatches(s *Server) int { return s.table.silenceCount() }

// AwaitResponses begins a client transaction of method on branch toward to over UDP,
// as sending a request does, without sending anything. It returns the channel the
// transaction's responses arrive on and the function that ends it.
func AwaitResponses(s *Server, method sip.RequestMethod, branch string, to netip.AddrPort) (<-chan *sip.Response, func(), error) {
	tx, err := s.txs.add(txKey{branch: branch, method: method}, udpSource(to))
	if err != nil {
		return nil, nil, err
	}
	return tx.responses, func() { s.txs.remove(tx) }, nil
}

// AbandonInvite records d, an INVITE sent to to over UDP, as given up on at now.
func AbandonInvite(s *Server, d Dialog, to netip.AddrPort, now time.Time) {
	s.dialogs.abandon(d, udpSource(to), now)
}

// AddDialog records d as a live dialog with the device at to over UDP, confirmed by
// ack; RemoveDialog forgets it.
func AddDialog(s *Server, d Dialog, ack []byte, to netip.AddrPort) {
	s.dialogs.add(&liveDialog{Dialog: d, ack: ack, dst: udpSource(to)})
}

// RemoveDialog forgets the live dialog callID.
func RemoveDialog(s *Server, callID string) { s.dialogs.remove(callID) }

// DialogFromAnswer completes d from a device's 2xx as Invite does.
func DialogFromAnswer(d Dialog, res *sip.Response) (Dialog, error) { return dialogFromAnswer(d, res) }

// SubscriptionCount is the number of subscriptions s holds.
func SubscriptionCount(s *Server) int { return s.sub.table.len() }
