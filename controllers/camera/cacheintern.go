package camera

import (
	"sync"

	"k8s.io/apimachinery/pkg/labels"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// maxInterned bounds the strings, and maxLabelSets the label maps, the intern table
// holds. The values interned are few-valued across a fleet (a namespace, a shard, a
// vendor's model, a condition's usual message), but some come from devices or carry a
// time, so a full table starts over rather than grow: what a fleet shares is shared
// again by the next Cameras cached, and one-off values are forgotten.
const (
	maxInterned  = 1 << 14
	maxLabelSets = 1 << 10
)

// cameraStrings shares one copy of the values that many cached Cameras hold alike.
// Every object decoded from the API server carries its own copy of each string and its
// own labels map; across a fleet the namespace, the shard label, the condition types,
// reasons and usual messages and the vendors' names are the same few values
// (BenchmarkCachedCamera). Strings that are unique to a Camera (names, addresses, the
// message of a registration, which names the device's address) are left alone:
// interning them would only add table entries.
//
// Shared values are safe because cached objects are read-only: the cache deep-copies
// what it hands to reconcilers, and the readers of the cached objects themselves
// (Lookup, UnsafeDisableDeepCopy lists, event handlers) must not modify them.
var cameraStrings = newInternTable()

type internTable struct {
	mu sync.Mutex
	m  map[string]string
	// labels holds shared label maps by labelSetKey.
	labels map[string]map[string]string
}

func newInternTable() *internTable {
	return &internTable{m: make(map[string]string), labels: make(map[string]map[string]string)}
}

// intern replaces *s by the table's copy of it, adding it (and starting over when full).
func intern[S ~string](t *internTable, s *S) {
	if *s == "" {
		return
	}
	if v, ok := t.m[string(*s)]; ok {
		*s = S(v)
		return
	}
	if len(t.m) >= maxInterned {
		t.m = make(map[string]string)
	}
	t.m[string(*s)] = string(*s)
}

// internLabels replaces *set by the table's map of the same labels: Cameras labelled
// alike (a shard, an Argo CD application, a site) share one map instead of each holding
// a map of its own, about 300 bytes even for one label.
func (t *internTable) internLabels(set *map[string]string) {
	if len(*set) == 0 {
		return
	}
	key := labelSetKey(*set)
	if shared, ok := t.labels[key]; ok {
		*set = shared
		return
	}
	if len(t.labels) >= maxLabelSets {
		t.labels = make(map[string]map[string]string)
	}
	// A map of its own, sized to the labels, with interned keys and values: the decoded
	// map may have room for more, and it would keep its own copies of the strings.
	own := make(map[string]string, len(*set))
	for k, v := range *set {
		intern(t, &k)
		intern(t, &v)
		own[k] = v
	}
	t.labels[key] = own
	*set = own
}

// labelSetKey identifies a set of labels: apimachinery's sorted "k=v,..." form, which
// tells sets apart because label syntax keeps '=' and ',' out of keys and values.
func labelSetKey(l map[string]string) string { return labels.Set(l).String() }

// internCamera shares the few-valued strings and the labels of a Camera about to be
// cached.
func (t *internTable) internCamera(c *gbv1.Camera) {
	t.mu.Lock()
	defer t.mu.Unlock()
	intern(t, &c.Namespace)
	t.internLabels(&c.Labels)
	intern(t, &c.Spec.CredentialsSecretRef.Name)
	intern(t, &c.Spec.CredentialsSecretRef.Key)
	st := &c.Status
	intern(t, &st.Shard)
	intern(t, &st.State)
	intern(t, &st.DeviceType)
	for i := range st.Conditions {
		cond := &st.Conditions[i]
		intern(t, &cond.Type)
		intern(t, &cond.Status)
		intern(t, &cond.Reason)
		if cond.Type != gbv1.ConditionRegistered || cond.Reason != gbv1.ReasonRegistered {
			// Only a registration's message is unique: it names the device's address.
			intern(t, &cond.Message)
		}
	}
	if r := st.Registration; r != nil {
		intern(t, &r.Transport)
		intern(t, &r.UserAgent)
	}
	if d := st.DeviceInfo; d != nil {
		intern(t, &d.Manufacturer)
		intern(t, &d.Model)
		intern(t, &d.Firmware)
	}
	for i := range st.Channels {
		ch := &st.Channels[i]
		if ch.ID == c.Spec.DeviceID {
			// An IPC's one channel is the device itself.
			ch.ID = c.Spec.DeviceID
		}
		if ch.ParentID == c.Spec.DeviceID {
			// An NVR's channels name it as their parent: one copy, not one a channel.
			ch.ParentID = c.Spec.DeviceID
		}
		intern(t, &ch.Status)
		intern(t, &ch.Manufacturer)
		intern(t, &ch.Model)
		intern(t, &ch.CivilCode)
	}
}
