package sipd

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"
)

// An INVITE the caller gave up on (its context ended, or Timer B fired) may still be
// answered 200 by a slow device, which would then stream to a receiver nobody expects
// and never hear a BYE. So the INVITE is remembered for 64*T1 after it is abandoned, and
// a 200 that still arrives is acknowledged and the dialog ended at once (RFC 3261
// §15: a UAC not wanting a late dialog ACKs and BYEs it). The set is bounded by
// MaxDialogs; past it the oldest abandoned INVITE is forgotten.

// abandonedTTL is how long a late answer is waited for.
const abandonedTTL = txTimeout

type abandonedInvite struct {
	d     Dialog
	dst   source
	until time.Time
}

// abandon remembers an INVITE whose caller stopped waiting.
func (t *dialogTable) abandon(d Dialog, dst source, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, a := range t.abandoned {
		if now.After(a.until) {
			delete(t.abandoned, id)
		}
	}
	if len(t.abandoned) >= t.max {
		oldest := ""
		for id, a := range t.abandoned {
			if oldest == "" || a.until.Before(t.abandoned[oldest].until) {
				oldest = id
			}
		}
		delete(t.abandoned, oldest)
	}
	t.abandoned[d.CallID] = &abandonedInvite{d: d, dst: dst, until: now.Add(abandonedTTL)}
}

// takeAbandoned returns and forgets the abandoned INVITE callID, answered from src.
func (t *dialogTable) takeAbandoned(callID string, src source, now time.Time) *abandonedInvite {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.abandoned[callID]
	if a == nil || !answersFrom(a.dst, src) {
		return nil
	}
	delete(t.abandoned, callID)
	if now.After(a.until) {
		return nil
	}
	return a
}

// endLateDialog ACKs a 2xx to an abandoned INVITE, from where the INVITE went, and ends
// the dialog with a BYE. It reports whether res was one.
func (s *Server) endLateDialog(res *sip.Response, src source) bool {
	a := s.dialogs.takeAbandoned(res.CallID().Value(), src, s.now())
	if a == nil {
		return false
	}
	d := a.d
	tag, _ := paramValue(res.To().Params, "tag")
	d.RemoteTag = deviceText(tag, maxRemoteTagLen)
	if c := res.Contact(); c != nil {
		if target := c.Address.String(); len(target) <= maxRemoteTargetLen {
			d.RemoteTarget = target
		}
	}
	_ = s.send(a.dst, requestBytes(s.inDialog(d, a.dst, sip.ACK, d.CSeq)))
	s.log.Info("late answer to an abandoned INVITE; ending the dialog", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID)
	s.goRun(func() {
		ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
		defer cancel()
		if err := s.Bye(ctx, d); err != nil {
			s.log.Info("BYE of a late dialog failed", "callID", d.CallID, "error", err)
		}
	})
	return true
}
