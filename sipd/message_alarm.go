package sipd

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Alarms and positions a device sends by MESSAGE, outside any subscription (GB/T
// 28181-2016 §9.4): a Notify of CmdType Alarm or MobilePosition, heard only from where
// the device is registered, as a keepalive is. The device is answered 200 at once;
// then, for an alarm, the platform sends its Alarm Response (Result OK, the alarm's SN
// and DeviceID) as GB/T 28181 asks, in a MESSAGE of its own; and the alarm or position
// is told as an Event (subscribe_events.go).
//
// The Response is a client transaction like every request the registrar sends. At most
// maxAlarmResponses are in flight; past that an alarm is still answered 200 and told,
// only its Response is left out: the device has its 200, and an alarm storm must not
// grow the registrar's goroutines.

// maxAlarmResponses bounds the Alarm Responses in flight.
const maxAlarmResponses = 64

// handleDeviceNotify serves a Notify MESSAGE of an alarm or a position from deviceID,
// whose sender senderBound has checked.
func (s *Server) handleDeviceNotify(req *sip.Request, src source, deviceID string, msg *manscdp.Message, now time.Time) {
	b, ok := s.table.lookup(deviceID)
	if !ok || !s.table.boundAt(deviceID, src) {
		s.reply(req, src, 404, "Not Found (Register Again)")
		return
	}
	s.reply(req, src, 200, "OK")
	s.metrics.notifies.Inc()
	ev := withBody(Event{DeviceID: b.DeviceID, Owner: b.Owner, At: now}, msg, s.cfg.Location)
	switch ev.Kind {
	case EventAlarm:
		s.answerAlarm(b, src, msg)
	case EventPosition:
	default:
		// An Alarm Notify without an alarm's fields: nothing to tell.
		return
	}
	s.tell(ev)
}

// answerAlarm sends the platform's Alarm Response for msg to the device of b, in the
// background, within maxAlarmResponses.
func (s *Server) answerAlarm(b Binding, src source, msg *manscdp.Message) {
	target := msg.DeviceID
	if target == "" {
		target = b.DeviceID
	}
	body, err := manscdp.EncodeAlarmResponse(max(msg.SN, 0), target)
	if err != nil {
		s.log.Debug("no Alarm Response for an alarm", "device", b.DeviceID, "error", err)
		return
	}
	select {
	case s.sub.alarmAnswers <- struct{}{}:
	default:
		s.sub.metrics.alarmResponsesSkipped.Inc()
		return
	}
	dst := src
	dst.datagram, dst.msg = nil, nil
	out, branch := s.buildRequestMessage(b, dst, body, max(msg.SN, 1))
	s.goRun(func() {
		defer func() { <-s.sub.alarmAnswers }()
		ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
		defer cancel()
		res, err := s.transact(ctx, sip.MESSAGE, branch, out, dst)
		if err != nil {
			s.log.Debug("Alarm Response got no answer", "device", b.DeviceID, "error", err)
			return
		}
		if res.final.StatusCode >= 300 {
			s.log.Debug("Alarm Response refused", "device", b.DeviceID, "status", res.final.StatusCode)
		}
	})
}
