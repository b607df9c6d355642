package camera

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// decodedCamera is a registered Camera as the informer holds it: decoded from JSON, so
// that each of its strings is a copy of its own.
func decodedCamera(t testing.TB, i int) *gbv1.Camera {
	t.Helper()
	c := &gbv1.Camera{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cam-%05d", i), Namespace: "site-east",
			Labels: map[string]string{gbv1.ShardLabel: "east"}, ResourceVersion: fmt.Sprint(1000 + i), Generation: 1},
		Spec: gbv1.CameraSpec{DeviceID: fmt.Sprintf("340200000013200%05d", i),
			CredentialsSecretRef: gbv1.SecretKeySelector{Name: "east-credentials", Key: "password"}},
	}
	c.Status = controllertest.RegisteredStatus(c, int64(i))
	return roundTrip(t, c)
}

// roundTrip is c encoded to JSON and decoded again, as the informer decodes it.
func roundTrip(t testing.TB, c *gbv1.Camera) *gbv1.Camera {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := &gbv1.Camera{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// TestInternNVRChannels: an NVR's channels share its device ID as their parent, and keep
// their own IDs.
func TestInternNVRChannels(t *testing.T) {
	c := decodedCamera(t, 3)
	ch := c.Status.Channels[0]
	c.Status.Channels = nil
	for i := range 3 {
		ch.ID = fmt.Sprintf("%s131%07d", c.Spec.DeviceID[:10], i+1)
		ch.ParentID = strings.Clone(c.Spec.DeviceID) // decoded: a copy of its own
		c.Status.Channels = append(c.Status.Channels, ch)
	}
	want := c.DeepCopy()
	newInternTable().internCamera(c)
	if !equality.Semantic.DeepEqual(c, want) {
		t.Fatalf("interning changed the Camera:\n%+v\nwant\n%+v", c, want)
	}
	for i, ch := range c.Status.Channels {
		if !sameString(ch.ParentID, c.Spec.DeviceID) {
			t.Errorf("channel %d holds its parent's ID in a copy of its own", i)
		}
		if sameString(ch.ID, c.Spec.DeviceID) {
			t.Errorf("channel %d's ID became the device's", i)
		}
	}
}

// TestInternCamera: Cameras share the strings and labels they hold alike, and keep every
// value.
func TestInternCamera(t *testing.T) {
	tbl := newInternTable()
	a, b := decodedCamera(t, 1), decodedCamera(t, 2)
	want := b.DeepCopy()
	tbl.internCamera(a)
	tbl.internCamera(b)

	if !equality.Semantic.DeepEqual(b, want) {
		t.Fatalf("interning changed the Camera:\n%+v\nwant\n%+v", b, want)
	}
	for name, pair := range map[string][2]string{
		"namespace":       {a.Namespace, b.Namespace},
		"secret name":     {a.Spec.CredentialsSecretRef.Name, b.Spec.CredentialsSecretRef.Name},
		"state":           {string(a.Status.State), string(b.Status.State)},
		"reason":          {a.Status.Conditions[1].Reason, b.Status.Conditions[1].Reason},
		"Ready's message": {a.Status.Conditions[2].Message, b.Status.Conditions[2].Message},
		"model":           {a.Status.DeviceInfo.Model, b.Status.DeviceInfo.Model},
		"channel":         {a.Status.Channels[0].Manufacturer, b.Status.Channels[0].Manufacturer},
		"the shard label": {a.Labels[gbv1.ShardLabel], b.Labels[gbv1.ShardLabel]},
		"a channel's ID":  {b.Status.Channels[0].ID, b.Spec.DeviceID},
		"a civil code":    {a.Status.Channels[0].CivilCode, b.Status.Channels[0].CivilCode},
	} {
		if !sameString(pair[0], pair[1]) {
			t.Errorf("%s %q is not shared", name, pair[0])
		}
	}
	if !sameMap(a.Labels, b.Labels) {
		t.Error("Cameras labelled alike hold a labels map each")
	}
	for _, unique := range []string{a.Name, a.Spec.DeviceID, a.ResourceVersion, a.Status.Conditions[1].Message, a.Status.Registration.RemoteAddr} {
		if _, ok := tbl.m[unique]; ok {
			t.Errorf("%q, unique to a Camera, was interned", unique)
		}
	}

	// Before the device registers, the Registered condition's message is the fleet's.
	pending := func(i int) *gbv1.Camera {
		c := decodedCamera(t, i)
		c.Status.Conditions[1].Reason = gbv1.ReasonPending
		c.Status.Conditions[1].Message = strings.Clone("waiting for the device to register")
		tbl.internCamera(c)
		return c
	}
	if p, q := pending(4), pending(5); !sameString(p.Status.Conditions[1].Message, q.Status.Conditions[1].Message) {
		t.Error("the message of Cameras waiting for their devices is not shared")
	}

	other := decodedCamera(t, 3)
	other.Labels = map[string]string{gbv1.ShardLabel: "west"}
	tbl.internCamera(other)
	if sameMap(other.Labels, a.Labels) || other.Labels[gbv1.ShardLabel] != "west" {
		t.Errorf("a Camera labelled otherwise got the labels %v", other.Labels)
	}
}

func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// TestInternTableBounded: past maxInterned distinct strings, or maxLabelSets distinct
// label sets, the table starts over: it never holds more, strings keep their values, and
// what Cameras share after that is shared again.
func TestInternTableBounded(t *testing.T) {
	tbl := newInternTable()
	for i := range maxInterned + 100 {
		c := &gbv1.Camera{Status: gbv1.CameraStatus{DeviceInfo: &gbv1.DeviceInfo{Model: fmt.Sprintf("model-%d", i)}}}
		tbl.internCamera(c)
		if c.Status.DeviceInfo.Model != fmt.Sprintf("model-%d", i) {
			t.Fatalf("model %d changed to %q", i, c.Status.DeviceInfo.Model)
		}
		if len(tbl.m) > maxInterned {
			t.Fatalf("%d strings interned, bound %d", len(tbl.m), maxInterned)
		}
	}
	for i := range maxLabelSets + 10 {
		c := &gbv1.Camera{}
		c.Labels = map[string]string{"site": fmt.Sprint(i)}
		tbl.internCamera(c)
		if c.Labels["site"] != fmt.Sprint(i) || len(c.Labels) != 1 {
			t.Fatalf("labels of Camera %d changed to %v", i, c.Labels)
		}
		if len(tbl.labels) > maxLabelSets {
			t.Fatalf("%d label sets held, bound %d", len(tbl.labels), maxLabelSets)
		}
	}
	a, b := decodedCamera(t, 1), decodedCamera(t, 2)
	tbl.internCamera(a)
	tbl.internCamera(b)
	if !sameString(a.Status.DeviceInfo.Model, b.Status.DeviceInfo.Model) || !sameMap(a.Labels, b.Labels) {
		t.Error("after the table started over, Cameras alike no longer share")
	}
}

// TestLabelSetKey: label sets are told apart however their keys and values split.
func TestLabelSetKey(t *testing.T) {
	sets := []map[string]string{
		{"a": "bc"}, {"ab": "c"}, {"a": "b", "c": ""}, {"a": "b"}, {"c": "", "a": "b", "d": "e"},
	}
	seen := map[string]int{}
	for i, l := range sets {
		k := labelSetKey(l)
		if j, ok := seen[k]; ok {
			t.Errorf("labels %v and %v have the same key %q", sets[j], l, k)
		}
		seen[k] = i
	}
	if labelSetKey(map[string]string{"x": "1", "y": "2"}) != labelSetKey(map[string]string{"y": "2", "x": "1"}) {
		t.Error("the same labels have two keys")
	}
}

// BenchmarkCachedCamera reports the live heap of one cached registered Camera as decoded,
// and as CacheTransform keeps it (strings and labels shared, lists compacted).
func BenchmarkCachedCamera(b *testing.B) {
	const cameras = 10000
	for _, transformed := range []bool{false, true} {
		b.Run(fmt.Sprintf("transformed=%v", transformed), func(b *testing.B) {
			for range b.N {
				saved := cameraStrings
				cameraStrings = newInternTable()
				cams := make([]*gbv1.Camera, cameras)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range cams {
					cams[i] = decodedCamera(b, i)
					if transformed {
						if _, err := CacheTransform(cams[i]); err != nil {
							b.Fatal(err)
						}
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/cameras, "B/camera")
				runtime.KeepAlive(cams)
				cameraStrings = saved
			}
		})
	}
}
