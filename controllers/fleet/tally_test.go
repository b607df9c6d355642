package fleet

import (
	"maps"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func camera(ns, name string, state gbv1.CameraState) *gbv1.Camera {
	return &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: gbv1.CameraStatus{State: state}}
}

// TestTallyFollowsTheInformer drives a tally with the events an informer delivers, in
// order, and checks its counts after each.
func TestTallyFollowsTheInformer(t *testing.T) {
	type counts = map[string]map[gbv1.CameraState]int
	tl := newCollector(nil, "").cameraCounts
	steps := []struct {
		name  string
		event func()
		want  counts
	}{
		{"added, one without status", func() {
			tl.OnAdd(camera("east", "a", gbv1.StateRegistered), true)
			tl.OnAdd(camera("east", "b", gbv1.StateRegistered), true)
			tl.OnAdd(camera("west", "c", ""), true)
		}, counts{"east": {gbv1.StateRegistered: 2}, "west": {gbv1.StatePending: 1}}},
		{"a resync moves nothing", func() {
			tl.OnUpdate(camera("east", "a", gbv1.StateRegistered), camera("east", "a", gbv1.StateRegistered))
		}, counts{"east": {gbv1.StateRegistered: 2}, "west": {gbv1.StatePending: 1}}},
		{"a state change moves one", func() {
			tl.OnUpdate(camera("east", "b", gbv1.StateRegistered), camera("east", "b", gbv1.StateOffline))
		}, counts{"east": {gbv1.StateRegistered: 1, gbv1.StateOffline: 1}, "west": {gbv1.StatePending: 1}}},
		{"deleted", func() {
			tl.OnDelete(camera("east", "a", gbv1.StateRegistered))
		}, counts{"east": {gbv1.StateOffline: 1}, "west": {gbv1.StatePending: 1}}},
		{"a missed deletion's tombstone removes the namespace's last", func() {
			tl.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "west/c", Obj: camera("west", "c", "")})
		}, counts{"east": {gbv1.StateOffline: 1}}},
		{"what is not an object is ignored", func() {
			tl.OnAdd("not an object", false)
			tl.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "x/y", Obj: 42})
		}, counts{"east": {gbv1.StateOffline: 1}}},
	}
	for _, s := range steps {
		s.event()
		got, ok := tl.snapshot()
		if !ok {
			t.Fatalf("%s: a tally with no informer reports itself unsynced", s.name)
		}
		if !maps.EqualFunc(got, s.want, maps.Equal) {
			t.Fatalf("%s: counts %v, want %v", s.name, got, s.want)
		}
	}
}

// TestTallyUnsyncedExportsNothing: until the informer has delivered its first list the
// counts are partial, and a snapshot says so.
func TestTallyUnsyncedExportsNothing(t *testing.T) {
	tl := newCollector(nil, "").cameraCounts
	synced := false
	tl.synced = func() bool { return synced }
	tl.OnAdd(camera("east", "a", gbv1.StateRegistered), true)
	if got, ok := tl.snapshot(); ok {
		t.Fatalf("snapshot before the first list was delivered: %v", got)
	}
	synced = true
	if got, ok := tl.snapshot(); !ok || got["east"][gbv1.StateRegistered] != 1 {
		t.Fatalf("snapshot after the first list: %v, %v", got, ok)
	}
}
