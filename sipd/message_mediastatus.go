package sipd

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The end of a playback or download (GB/T 28181-2016 §9.8.4): when the file runs out
// the device sends, by MESSAGE,
//
//	<Notify><CmdType>MediaStatus</CmdType><SN/><DeviceID>channel</DeviceID><NotifyType>121</NotifyType></Notify>
//
// Some devices (camsim among them) send it inside the media dialog, with its Call-ID and
// tags; many send it outside any dialog, naming only the channel. It is matched to a
// live Playback or Download dialog of the sending device, from the address the dialog
// was made with: by Call-ID and tags when they match, else the device's one such dialog
// of that channel (two of them cannot be told apart, and neither is ended). The match
// is remembered, as a device's BYE is, until MaxDialogs newer ones push it out, and the
// device is signalled; the controllers ask DialogCompleted and end the dialog with a
// BYE. The caller has checked that the MESSAGE comes from where the device is
// registered, as for every notification, and answers it 200.

// mediaStatus takes a MediaStatus Notify from deviceID.
func (s *Server) mediaStatus(req *sip.Request, src source, deviceID string, msg *manscdp.Message) {
	if msg.NotifyType != manscdp.NotifyTypeEndOfFile {
		s.log.Debug("MediaStatus of a type not acted on", "device", deviceID, "notifyType", msg.NotifyType)
		return
	}
	channel := msg.DeviceID
	if channel == "" {
		channel = deviceID
	}
	fromTag, _ := paramValue(req.From().Params, "tag")
	toTag, _ := paramValue(req.To().Params, "tag")
	d, ok := s.dialogs.recordingOf(mediaStatusFrom{
		callID: req.CallID().Value(), fromTag: fromTag, toTag: toTag,
		deviceID: deviceID, channel: channel, addr: src.addr.Addr(),
	})
	if !ok {
		s.log.Info("MediaStatus for no playback or download the registrar holds", "device", deviceID, "channel", channel, "callID", req.CallID().Value())
		return
	}
	s.dialogs.complete(d.CallID, s.now())
	s.log.Info("device reached the end of a recording", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID, "session", d.Session)
	s.notify(d.DeviceID)
}

// DialogCompleted reports whether the device said that the recording played or
// downloaded in dialog callID reached its end (MediaStatus 121), whether or not the
// dialog is still live. Unlike DialogEnded it does not forget: a controller whose write
// failed asks again.
func (s *Server) DialogCompleted(callID string) bool {
	s.dialogs.mu.Lock()
	defer s.dialogs.mu.Unlock()
	_, ok := s.dialogs.completed[callID]
	return ok
}

// mediaStatusFrom is what identifies the dialog a MediaStatus is about.
type mediaStatusFrom struct {
	callID, fromTag, toTag string
	deviceID, channel      string
	addr                   netip.Addr
}

// recordingOf finds the live Playback or Download dialog m is about: the dialog of its
// Call-ID when the tags, the device and the address match, else the sender's one such
// dialog of m's channel.
func (t *dialogTable) recordingOf(m mediaStatusFrom) (Dialog, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ours := func(e *liveDialog) bool {
		return isRecording(e.Session) && e.DeviceID == m.deviceID && sameHost(e.RemoteAddr, m.addr.Unmap().String())
	}
	if e := t.m[m.callID]; e != nil && ours(e) && m.fromTag == e.RemoteTag && (m.toTag == "" || m.toTag == e.LocalTag) {
		return e.Dialog, true
	}
	var found *liveDialog
	for _, e := range t.m {
		if e.ChannelID == m.channel && ours(e) {
			if found != nil {
				return Dialog{}, false // two playbacks of the channel: which one ended is unknown
			}
			found = e
		}
	}
	if found == nil {
		return Dialog{}, false
	}
	return found.Dialog, true
}

// complete remembers that the recording of dialog callID reached its end, forgetting
// the oldest such record when MaxDialogs are kept.
func (t *dialogTable) complete(callID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.completed[callID]; !ok && len(t.completed) >= t.max {
		oldest, when := "", at
		for id, w := range t.completed {
			if oldest == "" || w.Before(when) {
				oldest, when = id, w
			}
		}
		delete(t.completed, oldest)
	}
	t.completed[callID] = at
}
