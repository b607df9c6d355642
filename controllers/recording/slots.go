package recording

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// querySlots bounds the queries in flight: at most perCamera to one Camera's device and
// total in all. A query holds its slot while it waits for the device's answer. The map
// holds one entry per Camera with a query in flight, so at most total entries.
type querySlots struct {
	mu               sync.Mutex
	perCamera, total int
	inFlight         int
	byCamera         map[types.UID]int
}

func newQuerySlots(perCamera, total int) *querySlots {
	return &querySlots{perCamera: perCamera, total: total, byCamera: map[types.UID]int{}}
}

// take gives a slot of camera's, and reports false when the Camera's or the total
// bound is reached. The returned function gives it back.
func (s *querySlots) take(camera types.UID) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight >= s.total || s.byCamera[camera] >= s.perCamera {
		return nil, false
	}
	s.inFlight++
	s.byCamera[camera]++
	var once sync.Once
	return func() { once.Do(func() { s.give(camera) }) }, true
}

func (s *querySlots) give(camera types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.byCamera[camera]--; s.byCamera[camera] <= 0 {
		delete(s.byCamera, camera)
	}
}
