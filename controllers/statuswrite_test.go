package controllers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
)

// TestStatusWriteKeepsUserFields: the operator writes status from cached Cameras that
// lack managedFields and kubectl's last-applied annotation (CacheTransform); its writes must
// leave both as the user's tools wrote them, and touch nothing but status.
func TestStatusWriteKeepsUserFields(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001320000077"
	const lastApplied = `{"apiVersion":"gb28181.io/v1alpha1","kind":"Camera","metadata":{"name":"gate"}}`
	createSecret(t, c, ns, "gate-sip", map[string]string{"password": "s3cret"})
	createCamera(t, c, ns, "gate", id, "gate-sip", func(cam *gbv1.Camera) {
		cam.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: lastApplied, "team": "gates"}
	})
	waitKnown(t, op, id)
	if code := register(t, newDevice(t, op, id, "s3cret")); code != 200 {
		t.Fatalf("REGISTER: %d, want 200", code)
	}
	cam := waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateRegistered, "", ""))

	if got := cam.Annotations; got[corev1.LastAppliedConfigAnnotation] != lastApplied || got["team"] != "gates" {
		t.Errorf("annotations after status writes = %v", got)
	}
	managers := make(map[string][]string)
	for _, e := range cam.ManagedFields {
		managers[e.Manager] = append(managers[e.Manager], e.Subresource)
	}
	var creator string
	for m, subs := range managers {
		if slices.Contains(subs, "") {
			creator = m
		}
	}
	if creator == "" {
		t.Errorf("the creator's managedFields entry is gone: %v", managers)
	}
	// The operator's writes carry the status alone: the creator still owns the
	// annotations and the spec it wrote.
	for _, e := range cam.ManagedFields {
		if e.Manager != creator || e.Subresource != "" {
			continue
		}
		for _, field := range []string{`"f:kubectl.kubernetes.io/last-applied-configuration"`, `"f:team"`, `"f:deviceID"`} {
			if e.FieldsV1 == nil || !strings.Contains(e.FieldsV1.GetRawString(), field) {
				t.Errorf("the creator's managed fields lost %s: %s", field, e.FieldsV1)
			}
		}
	}
	if subs := managers[devices.DefaultControllerName]; !slices.Equal(subs, []string{"status"}) {
		t.Errorf("the operator's managedFields entries are for subresources %q, want only status (all: %v)", subs, managers)
	}
	// The status is atomic: the API server tracks it as one field of the operator's,
	// not each of its fields.
	for _, e := range cam.ManagedFields {
		if e.Manager == devices.DefaultControllerName && (e.FieldsV1 == nil || e.FieldsV1.GetRawString() != `{"f:status":{}}`) {
			t.Errorf("the operator's managed fields = %s, want the status as one field", e.FieldsV1)
		}
	}

	// A spec change made meanwhile by the user wins: the operator's next write does not
	// carry the old spec back.
	updateCamera(t, c, ns, "gate", func(cam *gbv1.Camera) { cam.Spec.Keepalive.TimeoutCount = 5 })
	waitCamera(t, c, ns, "gate", 10*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.ObservedGeneration != cam.Generation {
			return fmt.Errorf("status.observedGeneration %d, generation %d", cam.Status.ObservedGeneration, cam.Generation)
		}
		return nil
	})
	if got := getCamera(t, c, ns, "gate"); got.Spec.Keepalive.TimeoutCount != 5 {
		t.Errorf("spec.keepalive.timeoutCount = %d after the operator's write, want 5", got.Spec.Keepalive.TimeoutCount)
	}
}
