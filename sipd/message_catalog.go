package sipd

import (
	"hash/maphash"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A catalog arrives in parts, one MESSAGE each, that the registrar joins while the
// query waits. Everything a part leaves behind is bounded by catalogLimits: the number
// of parts, each remembered by an 8-byte hash of its Call-ID and CSeq (for spotting
// retransmissions), however long the device makes them; the number of items; and the
// bytes of their text. Past a bound the part is answered 200 and ignored, and the
// query ends partial rather than hold more.

// catalogLimits bounds one catalog query.
type catalogLimits struct {
	items, parts, bytes int
}

func (s *Server) catalogLimits() catalogLimits {
	return catalogLimits{items: s.cfg.MaxCatalogItems, parts: s.cfg.MaxCatalogParts, bytes: s.cfg.MaxCatalogBytes}
}

// partSeed keys catalogPartID: random per process, so that a device cannot choose
// Call-IDs that collide and make the registrar drop another part as a duplicate.
var partSeed = maphash.MakeSeed()

// catalogPartID identifies one catalog part, whatever its retransmissions, by a hash of
// its Call-ID and CSeq number.
func catalogPartID(req *sip.Request) uint64 {
	var h maphash.Hash
	h.SetSeed(partSeed)
	h.WriteString(string(*req.CallID()))
	n := req.CSeq().SeqNo
	h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return h.Sum64()
}

// addCatalogPart adds a part's items within the limits; q.mu must be held.
func (q *pendingQuery) addCatalogPart(part *manscdp.Catalog, partID uint64) deliverResult {
	if _, dup := q.parts[partID]; dup || len(q.parts) >= q.limits.parts {
		return deliveredCatalogPart
	}
	if q.parts == nil {
		q.parts = make(map[uint64]struct{})
	}
	q.parts[partID] = struct{}{}
	if part.SumNum > 0 {
		q.catalog.SumNum = part.SumNum
	}
	for _, it := range part.Items {
		size := itemBytes(&it)
		if len(q.catalog.Items) >= q.limits.items || q.heldBytes+size > q.limits.bytes {
			break
		}
		q.catalog.Items = append(q.catalog.Items, it)
		q.heldBytes += size
	}
	if len(q.catalog.Items) >= q.catalog.SumNum || len(q.catalog.Items) >= q.limits.items {
		q.completed = true
		close(q.done)
		return deliveredCatalogDone
	}
	return deliveredCatalogPart
}

// itemBytes is the text an item holds.
func itemBytes(it *manscdp.CatalogItem) int {
	return len(it.DeviceID) + len(it.Name) + len(it.Manufacturer) + len(it.Model) + len(it.Owner) +
		len(it.CivilCode) + len(it.Address) + len(it.ParentID) + len(it.Status)
}
