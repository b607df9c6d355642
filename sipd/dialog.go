package sipd

import (
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/sdp"
)

// A media dialog is what an answered INVITE for live video (点播) leaves: the platform
// is its UAC, the device (or NVR channel) its UAS. Dialog carries everything needed to
// end it with a BYE, in plain values, so that the controllers can keep it in a Stream's
// status and a restarted registrar can still end a dialog it never saw (see Server.Bye).
//
// The registrar keeps the live dialogs it made in a table bounded by MaxDialogs, for
// two reasons: to acknowledge again a 200 OK the device retransmits because the ACK was
// lost, and to answer a device's own BYE (200, then Notify(deviceID)) or a BYE for a
// dialog it does not know (481).

// Dialog identifies a media dialog.
type Dialog struct {
	// DeviceID is the registered device the INVITE went to; ChannelID the Request-URI
	// user (the device itself for an IPC, a channel for an NVR).
	DeviceID, ChannelID string
	// Owner is the owner of the binding the INVITE went through (DeviceRef.Owner). A BYE
	// that must find the device's connection through its registration finds only a
	// registration of this owner.
	Owner string
	// CallID, LocalTag (the platform's From tag) and RemoteTag (the device's To tag)
	// identify the dialog (RFC 3261 §12).
	CallID, LocalTag, RemoteTag string
	// CSeq is the highest CSeq the platform used in the dialog (the INVITE's); the BYE
	// takes the next one.
	CSeq uint32
	// RemoteTarget is the device's Contact URI from the 200 OK: the Request-URI of the
	// BYE.
	RemoteTarget string
	// Transport ("UDP" or "TCP") and RemoteAddr ("ip:port") are where the dialog's
	// requests go: the device's registration at the time of the INVITE.
	Transport, RemoteAddr string
	// Answer is the device's SDP: where its media comes from, its y= SSRC.
	Answer sdp.Session
}

// DefaultMaxInvites is the default of Config.MaxInvites.
const DefaultMaxInvites = 64

// Errors of the media dialogs.
var (
	// ErrTimeout: the device did not answer in time (Timer B or F).
	ErrTimeout = errors.New("sipd: no answer from the device")
	// ErrTooManyInvites: MaxInvites INVITEs are already in flight.
	ErrTooManyInvites = errors.New("sipd: too many INVITEs in flight")
	// ErrTooManyDialogs: MaxDialogs media dialogs are already live.
	ErrTooManyDialogs = errors.New("sipd: too many media dialogs")
	// ErrBadAnswer: the device's 200 OK lacks a usable SDP, or carries a To tag too long
	// to keep; the dialog was ended with a BYE.
	ErrBadAnswer = errors.New("sipd: unusable answer to INVITE")
)

// DialogError is a device's non-2xx final answer to an INVITE or BYE.
type DialogError struct {
	Method string
	Code   int
	Reason string
}

func (e *DialogError) Error() string {
	return "sipd: device answered " + e.Method + " with " + strconv.Itoa(e.Code) + " " + e.Reason
}

// liveDialog is a table entry: the dialog, the ACK that confirmed it (sent again for a
// retransmitted 200) and where it goes.
type liveDialog struct {
	Dialog
	ack []byte
	dst source
}

// dialogTable holds the live media dialogs by Call-ID, at most max of them.
type dialogTable struct {
	mu  sync.Mutex
	m   map[string]*liveDialog
	max int
	// ended remembers dialogs the device ended with a BYE, until the controllers ask
	// (DialogEnded) or the bound evicts the oldest.
	ended map[string]time.Time
	// abandoned holds INVITEs given up on, for a late 200 (dialog_abandoned.go).
	abandoned map[string]*abandonedInvite
}

func newDialogTable(max int) *dialogTable {
	return &dialogTable{m: make(map[string]*liveDialog), ended: make(map[string]time.Time), abandoned: make(map[string]*abandonedInvite), max: max}
}

// reserve fails when the table is full, before an INVITE is sent.
func (t *dialogTable) reserve() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		return ErrTooManyDialogs
	}
	return nil
}

func (t *dialogTable) add(d *liveDialog) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[d.CallID] = d
}

func (t *dialogTable) get(callID string) *liveDialog {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[callID]
}

func (t *dialogTable) remove(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, callID)
}

// endedByDevice moves a dialog to the ended set, bounded like the live one.
func (t *dialogTable) endedByDevice(callID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, callID)
	if len(t.ended) >= t.max {
		oldest, when := "", at
		for id, w := range t.ended {
			if w.Before(when) || oldest == "" {
				oldest, when = id, w
			}
		}
		delete(t.ended, oldest)
	}
	t.ended[callID] = at
}

// routeResponse hands a response from src to its transaction, or, for a retransmitted
// 200 OK of an INVITE whose transaction is over, sends the dialog's ACK again. A
// response lacking a header every response has (RFC 3261 §8.1.1) is dropped: nothing
// could match it, and nothing downstream should have to check.
func (s *Server) routeResponse(res *sip.Response, src source) {
	if res.Via() == nil || res.From() == nil || res.To() == nil || res.CallID() == nil || res.CSeq() == nil {
		s.metrics.dropped.Inc()
		s.log.Debug("dropping a response without Via, From, To, Call-ID or CSeq", "source", src.addr.String())
		return
	}
	if cseq := res.CSeq(); cseq.MethodName == sip.INVITE && res.StatusCode >= 200 && res.StatusCode < 300 {
		if d := s.dialogs.get(res.CallID().Value()); d != nil && d.ack != nil {
			if answersFrom(d.dst, src) {
				_ = s.send(d.dst, d.ack)
			}
			return
		}
		if s.endLateDialog(res, src) {
			return
		}
	}
	if !s.txs.deliver(res, src) {
		s.log.Debug("response to no request of ours from there", "source", src.addr.String(), "callID", res.CallID().Value())
	}
}

// handleBye answers a device's BYE: 200 and a notification for a dialog the registrar
// holds, from the device's address and with its tags; 481 for any other.
func (s *Server) handleBye(req *sip.Request, src source) {
	d := s.dialogs.get(req.CallID().Value())
	fromTag, _ := paramValue(req.From().Params, "tag")
	toTag, _ := paramValue(req.To().Params, "tag")
	if d == nil || fromTag != d.RemoteTag || toTag != d.LocalTag || !sameHost(d.RemoteAddr, src.addr.Addr().String()) {
		s.log.Debug("BYE for no known dialog", "source", src.addr.String(), "callID", req.CallID().Value())
		s.reply(req, src, 481, "Call/Transaction Does Not Exist")
		return
	}
	s.dialogs.endedByDevice(d.CallID, s.now())
	s.reply(req, src, 200, "OK")
	s.log.Info("device ended a media dialog", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID)
	s.notify(d.DeviceID)
}

// DialogEnded reports whether the device ended the dialog callID with a BYE since it
// was made, and forgets that it did.
func (s *Server) DialogEnded(callID string) bool {
	s.dialogs.mu.Lock()
	defer s.dialogs.mu.Unlock()
	_, ok := s.dialogs.ended[callID]
	delete(s.dialogs.ended, callID)
	return ok
}

// DialogLive reports whether the registrar holds the media dialog callID: false once
// either side ended it, and for every dialog after a restart.
func (s *Server) DialogLive(callID string) bool { return s.dialogs.get(callID) != nil }

// dialogSource is where a dialog's requests go: over TCP the device's connection from
// that address if it is still open, else its current registration's connection.
func (s *Server) dialogSource(d Dialog) (source, error) {
	remote, err := netip.ParseAddrPort(d.RemoteAddr)
	if err != nil {
		return source{}, errors.Join(ErrUnreachable, err)
	}
	if d.Transport != "TCP" {
		return source{transport: "UDP", addr: remote}, nil
	}
	if c := s.conns.get(remote); c != nil {
		return source{transport: "TCP", addr: remote, conn: c}, nil
	}
	if b, err := s.table.lookupOwned(DeviceRef{ID: d.DeviceID, Owner: d.Owner}); err == nil && b.Transport == "TCP" {
		if ra, err := netip.ParseAddrPort(b.RemoteAddr); err == nil {
			if c := s.conns.get(ra); c != nil {
				return source{transport: "TCP", addr: ra, conn: c}, nil
			}
		}
	}
	return source{}, ErrUnreachable
}
