package sipd

import (
	"errors"
	"fmt"

	"github.com/gb28181/camera-operator/sipd/sdp"
)

// Playback and download of a recording (GB/T 28181-2016 §9.8, §9.9) are live video's
// INVITE with an offer that names the recording:
//
//	s=Playback                 (or s=Download)
//	u=<channel>:0              the channel whose recording it is
//	t=<start> <end>            the span, in Unix seconds
//	a=downloadspeed:4          Download only: times faster than real time
//	y=1xxxxxxxxx               the caller's SSRC, 1 first for a recording
//
// Within the dialog the platform steers a playback with INFO (dialog_info.go); at the
// end of the file the device says so with a MediaStatus Notify
// (message_mediastatus.go), and the platform ends the dialog with a BYE.

// ErrBadOffer means Invite was given an offer no device could act on (an unknown
// session name, a recording without a span).
var ErrBadOffer = errors.New("sipd: unusable media offer")

// mediaOffer completes the caller's offer for channelID: the platform as its o= user,
// recvonly, and for a recording u=<channel>:0. Live video (s=Play, or no name) carries
// none of a recording's lines.
func (s *Server) mediaOffer(channelID string, offer sdp.Session) (sdp.Session, error) {
	offer.User, offer.Direction = s.cfg.ServerID, "recvonly"
	switch offer.Name {
	case "", sdp.NamePlay:
		offer.Name, offer.URI, offer.Start, offer.End, offer.DownloadSpeed = sdp.NamePlay, "", 0, 0, 0
	case sdp.NamePlayback, sdp.NameDownload:
		if offer.Start <= 0 || offer.End <= offer.Start {
			return offer, fmt.Errorf("%w: %s of the span %d to %d", ErrBadOffer, offer.Name, offer.Start, offer.End)
		}
		if offer.Name == sdp.NamePlayback {
			offer.DownloadSpeed = 0
		}
		offer.URI = channelID + ":0"
	default:
		return offer, fmt.Errorf("%w: session %q (Play, Playback or Download)", ErrBadOffer, offer.Name)
	}
	return offer, nil
}

// isRecording reports whether a dialog plays a recording back or downloads it.
func isRecording(session string) bool {
	return session == sdp.NamePlayback || session == sdp.NameDownload
}
