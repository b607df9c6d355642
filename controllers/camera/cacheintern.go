package camera

import (
	"sync"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// maxInterned bounds the strings the intern table holds. The fields interned are few-valued
// across a fleet (a namespace, a shard, a vendor's model), but some come from devices, so
// the table stops growing at this size rather than trust them.
const maxInterned = 1 << 14

// cameraStrings shares one copy of the strings that many cached Cameras hold alike.
// Every object decoded from the API server carries its own copy of each string; across
// 10k Cameras the namespace, the shard label, the condition types and reasons and the
// vendors' names are about 260 bytes a Camera, 12 % of it (BenchmarkCachedCamera). Strings
// that are unique to a Camera (names, addresses, messages) are left alone: interning
// them would only add table entries.
var cameraStrings = &internTable{m: make(map[string]string)}

type internTable struct {
	mu sync.Mutex
	m  map[string]string
}

// intern replaces *s by the table's copy of it, adding it while there is room.
func intern[S ~string](t *internTable, s *S) {
	if *s == "" {
		return
	}
	if v, ok := t.m[string(*s)]; ok {
		*s = S(v)
		return
	}
	if len(t.m) < maxInterned {
		t.m[string(*s)] = string(*s)
	}
}

// internCamera shares the few-valued strings of a Camera about to be cached.
func (t *internTable) internCamera(c *gbv1.Camera) {
	t.mu.Lock()
	defer t.mu.Unlock()
	intern(t, &c.Namespace)
	if len(c.Labels) > 0 {
		// Assigning to a present key stores the key given, so keys are shared too.
		for k, v := range c.Labels {
			intern(t, &k)
			intern(t, &v)
			c.Labels[k] = v
		}
	}
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
		intern(t, &ch.Status)
		intern(t, &ch.Manufacturer)
		intern(t, &ch.Model)
		intern(t, &ch.CivilCode)
	}
}
