package stream

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// streamSlots bounds the Streams of one Camera that invite or play at once. The cache's
// count of Streams whose status holds a dialog misses the ones being invited right now
// and the dialogs whose status write the cache has not seen yet, so concurrent
// reconciles could each find room and together pass the bound; the slots this replica
// hands out close that gap. A Stream holds its slot from its INVITE until it holds no
// dialog.
type streamSlots struct {
	mu       sync.Mutex
	byCamera map[types.UID]map[types.UID]struct{}
	camera   map[types.UID]types.UID // a Stream's Camera, for release
}

func newStreamSlots() *streamSlots {
	return &streamSlots{byCamera: map[types.UID]map[types.UID]struct{}{}, camera: map[types.UID]types.UID{}}
}

// claim gives stream a slot of cam unless cam's Streams holding one, or a dialog
// (live, as the cache sees them), already number limit. It returns how many do.
func (s *streamSlots) claim(cam, stream types.UID, live []types.UID, limit int) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	holders := s.byCamera[cam]
	busy := len(holders)
	if _, ok := holders[stream]; ok {
		busy--
	}
	for _, uid := range live {
		if _, ok := holders[uid]; !ok && uid != stream {
			busy++
		}
	}
	if busy >= limit {
		return busy, false
	}
	if holders == nil {
		holders = map[types.UID]struct{}{}
		s.byCamera[cam] = holders
	}
	holders[stream] = struct{}{}
	s.camera[stream] = cam
	return busy, true
}

// release gives back stream's slot, if it holds one.
func (s *streamSlots) release(stream types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cam, ok := s.camera[stream]
	if !ok {
		return
	}
	delete(s.camera, stream)
	delete(s.byCamera[cam], stream)
	if len(s.byCamera[cam]) == 0 {
		delete(s.byCamera, cam)
	}
}
