package stream

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// A generated SSRC has the GB/T 28181 form: 10 decimal digits, the first 0 for live
// video and 1 for the playback or download of a recording (history), then digits 4-8 of
// the realm (3402000000 gives 20000), then a 4-digit number unique among this
// operator's live Streams of that kind. The number starts from a hash of the
// Stream's UID, so a Stream keeps its SSRC across re-INVITEs as long as no other takes
// it, and moves to the next free one otherwise. With 10000 numbers per realm, at most
// 10000 Streams can play at once.

// ssrcBook remembers which live Stream holds which SSRC. Entries are added when a
// Stream is invited and removed when it stops or is deleted, so it holds at most one
// entry per Stream.
type ssrcBook struct {
	mu     sync.Mutex
	bySSRC map[string]types.UID
	byUID  map[types.UID]string
}

func newSSRCBook() *ssrcBook {
	return &ssrcBook{bySSRC: map[string]types.UID{}, byUID: map[types.UID]string{}}
}

// errSSRCTaken: the SSRC asked for is held by another live Stream.
var errSSRCTaken = fmt.Errorf("ssrc held by another stream")

// errSSRCsExhausted: all 10000 generated SSRCs of the realm are in use.
var errSSRCsExhausted = fmt.Errorf("every generated ssrc is in use")

// claim gives uid the SSRC wanted (when set) or a generated one, its first digit 1 for a
// history (playback or download) stream and 0 for live video, releasing what uid held
// before.
func (b *ssrcBook) claim(uid types.UID, wanted, realm string, history bool) (string, error) {
	kind := "0"
	if history {
		kind = "1"
	}
	domain := ssrcDomain(realm)
	b.mu.Lock()
	defer b.mu.Unlock()
	if wanted != "" {
		if holder, ok := b.bySSRC[wanted]; ok && holder != uid {
			return "", errSSRCTaken
		}
		b.set(uid, wanted)
		return wanted, nil
	}
	if held, ok := b.byUID[uid]; ok && held[:1] == kind && held[1:6] == domain {
		return held, nil
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(uid))
	start := int(h.Sum32() % 10000)
	for i := range 10000 {
		ssrc := fmt.Sprintf("%s%s%04d", kind, domain, (start+i)%10000)
		if holder, ok := b.bySSRC[ssrc]; !ok || holder == uid {
			b.set(uid, ssrc)
			return ssrc, nil
		}
	}
	return "", errSSRCsExhausted
}

// set records uid's SSRC; mu must be held.
func (b *ssrcBook) set(uid types.UID, ssrc string) {
	if old, ok := b.byUID[uid]; ok && old != ssrc {
		delete(b.bySSRC, old)
	}
	b.byUID[uid] = ssrc
	b.bySSRC[ssrc] = uid
}

// hold records an SSRC a Stream's status shows it already plays with (after a restart),
// unless another Stream holds it.
func (b *ssrcBook) hold(uid types.UID, ssrc string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if holder, ok := b.bySSRC[ssrc]; ok && holder != uid {
		return false
	}
	b.set(uid, ssrc)
	return true
}

// release forgets uid's SSRC.
func (b *ssrcBook) release(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.byUID[uid]; ok {
		delete(b.bySSRC, old)
		delete(b.byUID, uid)
	}
}

// ssrcDomain is the middle of a generated SSRC: digits 4-8 of a realm of 10 digits, as
// GB/T 28181 has it, and 00000 for a realm of another form.
func ssrcDomain(realm string) string {
	if len(realm) != 10 || strings.Trim(realm, "0123456789") != "" {
		return "00000"
	}
	return realm[3:8]
}
