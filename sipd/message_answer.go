package sipd

import (
	"hash/maphash"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What a query's Response MESSAGEs are assembled into. Most answers are one MESSAGE
// (DeviceInfo, DeviceStatus, ConfigDownload, PresetQuery, the Result of a control or a
// configuration); a Catalog and a RecordInfo come in parts, one MESSAGE each, counted
// by SumNum, in no guaranteed order, that the registrar joins while the query waits.
//
// Everything parts leave behind is bounded by partLimits: the number of parts, each
// remembered by an 8-byte hash of its Call-ID and CSeq (for spotting retransmissions),
// however long the device makes them; the number of items; and the bytes of their
// text. Past a bound the part is answered 200 and ignored, and the query ends partial
// rather than hold more.

// answer collects the Responses of one query. add is called, under the query's lock,
// with each Response of the query's CmdType from the device, and reports whether the
// answer is complete.
type answer interface {
	add(msg *manscdp.Message, partID uint64) bool
}

// oneMessage is an answer that one Response completes.
type oneMessage struct {
	msg *manscdp.Message
}

func (a *oneMessage) add(msg *manscdp.Message, _ uint64) bool {
	a.msg = msg
	return true
}

// partLimits bounds the parts of one query.
type partLimits struct {
	items, parts, bytes int
}

// parts joins the items of a multi-part answer within limits.
type parts[T any] struct {
	limits partLimits
	// size is the text an item holds.
	size func(*T) int

	sumNum int
	items  []T
	// seen holds the partIDs seen.
	seen map[uint64]struct{}
	// heldBytes is the text of the items collected.
	heldBytes int
}

// add adds one part's items, announced as sumNum in all, and reports whether the
// answer is complete: SumNum items arrived, or as many as the limits hold.
func (p *parts[T]) add(partID uint64, sumNum int, items []T) bool {
	if _, dup := p.seen[partID]; dup || len(p.seen) >= p.limits.parts {
		return false
	}
	if p.seen == nil {
		p.seen = make(map[uint64]struct{})
	}
	p.seen[partID] = struct{}{}
	if sumNum > 0 {
		p.sumNum = sumNum
	}
	for i := range items {
		size := p.size(&items[i])
		if len(p.items) >= p.limits.items || p.heldBytes+size > p.limits.bytes {
			break
		}
		p.items = append(p.items, items[i])
		p.heldBytes += size
	}
	return len(p.items) >= p.sumNum || len(p.items) >= p.limits.items
}

// partSeed keys partID: random per process, so that a device cannot choose Call-IDs
// that collide and make the registrar drop another part as a duplicate.
var partSeed = maphash.MakeSeed()

// partID identifies one part, whatever its retransmissions, by a hash of its Call-ID
// and CSeq number.
func partID(req *sip.Request) uint64 {
	var h maphash.Hash
	h.SetSeed(partSeed)
	h.WriteString(string(*req.CallID()))
	n := req.CSeq().SeqNo
	h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return h.Sum64()
}
