package sipd

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A device's NOTIFY within a subscription (RFC 6665 §4.1.3): it is heard only in a
// dialog the registrar holds (Call-ID, the platform's tag in To, the device's in From),
// and only from the address the subscription went to; anything else gets 481, which
// makes the device end the subscription it thinks it has (after an operator restart,
// say). Then, in this order: a body over MaxNotifyBodySize gets 413; the device is
// answered 200; Subscription-State terminated ends the subscription (and is told as
// EventSubscriptionEnded, with a notification of the device, unless the platform ended
// it); the body is decoded and told as an Event (subscribe_events.go). A body that does
// not decode is logged and told as EventNotified: the subscription is alive, and a 4xx
// would make the device end it over a quirk of its firmware.

// handleNotify answers a NOTIFY from src.
func (s *Server) handleNotify(req *sip.Request, src source) {
	now := s.now()
	fromTag, _ := paramValue(req.From().Params, "tag")
	toTag, _ := paramValue(req.To().Params, "tag")
	sub, ok := s.sub.table.match(req.CallID().Value(), now)
	if !ok || toTag != sub.LocalTag || (sub.RemoteTag != "" && fromTag != sub.RemoteTag) ||
		!sameHost(sub.RemoteAddr, src.addr.Addr().String()) {
		s.sub.metrics.notifies[notifyUnknown].Inc()
		s.infoOrDebug(&s.sub.unknownNotifyLog, now)("NOTIFY for no subscription of ours from there", "source", src.addr.String(), "callID", req.CallID().Value())
		s.reply(req, src, 481, "Subscription Does Not Exist")
		return
	}
	if body := req.Body(); len(body) > s.cfg.MaxNotifyBodySize {
		s.sub.metrics.notifies[notifyTooLarge].Inc()
		s.warnOrDebug(&s.sub.unknownNotifyLog, now)("NOTIFY body too large", "device", sub.DeviceID, "source", src.addr.String(), "bytes", len(body), "limit", s.cfg.MaxNotifyBodySize)
		s.reply(req, src, 413, "Request Entity Too Large")
		return
	}
	if sub.RemoteTag == "" {
		s.sub.table.learnTag(sub.CallID, fromTag)
	}
	s.reply(req, src, 200, "OK")
	s.sub.metrics.notifies[notifyAccepted].Inc()

	ev := Event{DeviceID: sub.DeviceID, Owner: sub.Owner, CallID: sub.CallID, Subscription: sub.Request.Kind, At: now}
	if state, reason := subscriptionState(req); state == "terminated" {
		s.sub.table.remove(sub.CallID)
		if sub.ending {
			return
		}
		s.log.Info("the device ended a subscription", "device", sub.DeviceID, "event", sub.Event, "reason", reason, "callID", sub.CallID)
		ev.Kind, ev.Reason = EventSubscriptionEnded, deviceText(reason, maxReasonLen)
		s.notify(sub.DeviceID)
		s.tell(ev)
		return
	}
	if sub.ending {
		return
	}
	s.tell(s.notifyEvent(ev, req, src))
}

// notifyEvent completes ev with what the NOTIFY's body tells.
func (s *Server) notifyEvent(ev Event, req *sip.Request, src source) Event {
	ev.Kind = EventNotified
	body := req.Body()
	if len(body) == 0 {
		return ev
	}
	charset := ""
	if ct := req.ContentType(); ct != nil {
		charset = contentCharset(string(*ct))
	}
	msg, err := s.decodeMANSCDP(src, ev.DeviceID, body, charset, ev.At)
	if err != nil {
		s.infoOrDebug(&s.sub.badBodyLog, ev.At)("undecodable NOTIFY body", "device", ev.DeviceID, "source", src.addr.String(), "error", err)
		return ev
	}
	return withBody(ev, msg, s.cfg.Location)
}

// withBody completes ev with a decoded Notify's payload: catalog items, an alarm or a
// position, its time read in loc; other bodies leave it as it is.
func withBody(ev Event, msg *manscdp.Message, loc *time.Location) Event {
	var when string
	switch {
	case msg.Catalog != nil && msg.CmdType == "Catalog":
		ev.Kind, ev.Catalog = EventCatalog, msg.Catalog.Items
	case msg.Alarm != nil:
		ev.Kind, ev.Alarm, when = EventAlarm, msg.Alarm, msg.Alarm.Time
	case msg.Position != nil:
		ev.Kind, ev.Position, when = EventPosition, msg.Position, msg.Position.Time
		if ev.Position.DeviceID == "" {
			// Some firmware leaves it out: the dialog says whose it is.
			ev.Position.DeviceID = ev.DeviceID
		}
	}
	if when != "" {
		if t, err := manscdp.ParseTime(when, loc); err == nil {
			ev.Time = t
		}
	}
	return ev
}

// subscriptionState reads Subscription-State: its state (active, pending, terminated;
// lower-cased, "active" when the header is missing) and its reason parameter.
func subscriptionState(req *sip.Request) (state, reason string) {
	v := headerValue(req, "Subscription-State")
	if strings.TrimSpace(v) == "" {
		return "active", ""
	}
	parts := strings.Split(v, ";")
	state = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		if k, val, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "reason") {
			reason = strings.TrimSpace(val)
		}
	}
	return state, reason
}
