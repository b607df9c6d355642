package sipd

import (
	"errors"
	"net/netip"
	"strconv"

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
	// CSeq is the highest CSeq the platform used in the dialog (the INVITE's, then each
	// INFO's); the next request takes one above it.
	CSeq uint32
	// RemoteTarget is the device's Contact URI from the 200 OK: the Request-URI of the
	// BYE.
	RemoteTarget string
	// Transport ("UDP" or "TCP") and RemoteAddr ("ip:port") are where the dialog's
	// requests go: the device's registration at the time of the INVITE.
	Transport, RemoteAddr string
	// Answer is the device's SDP: where its media comes from, its y= SSRC.
	Answer sdp.Session
	// Session is the offer's s=: sdp.NamePlay for live video, sdp.NamePlayback or
	// sdp.NameDownload for a recording (dialog_playback.go).
	Session string
}

// Errors of the media dialogs.
var (
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
