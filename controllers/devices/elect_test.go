package devices

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func cam(ns, name string, created time.Time, deleting bool) gbv1.Camera {
	c := gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(created)}}
	if deleting {
		now := metav1.NewTime(created.Add(time.Hour))
		c.DeletionTimestamp = &now
	}
	return c
}

func TestElect(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cams []gbv1.Camera
		want string // ns/name, "" for none
	}{
		{"none", nil, ""},
		{"one", []gbv1.Camera{cam("a", "x", t0, false)}, "a/x"},
		{"oldest wins over name order", []gbv1.Camera{cam("a", "a", t0.Add(time.Second), false), cam("z", "z", t0, false)}, "z/z"},
		{"tie broken by namespace", []gbv1.Camera{cam("b", "a", t0, false), cam("a", "z", t0, false)}, "a/z"},
		{"tie broken by name", []gbv1.Camera{cam("a", "b", t0, false), cam("a", "a", t0, false)}, "a/a"},
		{"being deleted claims nothing", []gbv1.Camera{cam("a", "old", t0, true), cam("a", "new", t0.Add(time.Hour), false)}, "a/new"},
		{"all being deleted", []gbv1.Camera{cam("a", "old", t0, true)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := Elect(tc.cams)
			got := ""
			if w != nil {
				got = w.Namespace + "/" + w.Name
			}
			if got != tc.want {
				t.Errorf("elect = %q, want %q", got, tc.want)
			}
			// The order of the input must not matter.
			rev := make([]gbv1.Camera, len(tc.cams))
			for i := range tc.cams {
				rev[len(tc.cams)-1-i] = tc.cams[i]
			}
			if w2 := Elect(rev); (w2 == nil) != (w == nil) || (w2 != nil && w2.Name != w.Name) {
				t.Errorf("election depends on order")
			}
		})
	}
}
