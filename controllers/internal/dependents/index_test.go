package dependents

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// recordingIndexer keeps the index function IndexByCamera adds.
type recordingIndexer struct {
	field   string
	extract client.IndexerFunc
}

func (x *recordingIndexer) IndexField(_ context.Context, _ client.Object, field string, extract client.IndexerFunc) error {
	x.field, x.extract = field, extract
	return nil
}

// TestIndexByCameraKeys: a dependent is indexed by the Camera it names, one that names
// none, or an object of another kind, not at all.
func TestIndexByCameraKeys(t *testing.T) {
	var x recordingIndexer
	if err := IndexByCamera(t.Context(), &x, &gbv1.Stream{}, func(st *gbv1.Stream) string { return st.Spec.CameraRef.Name }); err != nil {
		t.Fatal(err)
	}
	if x.field != CameraField {
		t.Fatalf("indexed field %q, want %q", x.field, CameraField)
	}
	tests := []struct {
		name string
		obj  client.Object
		want []string
	}{
		{"a Stream naming a Camera", newStream("site", "live", "gate"), []string{"gate"}},
		{"a Stream naming none", newStream("site", "live", ""), nil},
		{"a Camera, not a dependent of this kind", &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: "site", Name: "gate"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := x.extract(tc.obj); !slices.Equal(got, tc.want) {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

// TestListByCameraReadsTheIndex runs a real cache against kube-apiserver: the
// dependents ListByCamera gives are exactly those naming the Camera in its namespace.
func TestListByCameraReadsTheIndex(t *testing.T) {
	kube := controllertest.ControlPlane(t)
	site, other := controllertest.NewNamespace(t, kube), controllertest.NewNamespace(t, kube)
	ctx := t.Context()
	// Created before the cache starts, they are all in its initial list once it syncs.
	for _, s := range []struct{ ns, name, camera string }{
		{site, "s1", "gate"}, {site, "s2", "gate"}, {site, "s3", "hall"}, {other, "s4", "gate"},
	} {
		if err := kube.Create(ctx, newStream(s.ns, s.name, s.camera)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cache.New(controllertest.RestConfig(t), cache.Options{Scheme: controllertest.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := IndexByCamera(ctx, c, &gbv1.Stream{}, func(st *gbv1.Stream) string { return st.Spec.CameraRef.Name }); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	tests := []struct {
		name, ns, camera string
		want             []string
	}{
		{"two of a Camera", site, "gate", []string{"s1", "s2"}},
		{"one of another Camera", site, "hall", []string{"s3"}},
		{"one of a Camera of that name in another namespace", other, "gate", []string{"s4"}},
		{"none", other, "hall", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var list gbv1.StreamList
			if err := ListByCamera(ctx, c, &list, tc.ns, tc.camera); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range list.Items {
				got = append(got, st.Name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Streams of Camera %s/%s: %q, want %q", tc.ns, tc.camera, got, tc.want)
			}
		})
	}
}

// TestOnCameraEnqueuesItsDependents: a change of a Camera enqueues what dependentsOf
// gives for that Camera's namespace and name.
func TestOnCameraEnqueuesItsDependents(t *testing.T) {
	var asked types.NamespacedName
	h := OnCamera(func(_ context.Context, ns, camera string) []reconcile.Request {
		asked = types.NamespacedName{Namespace: ns, Name: camera}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: camera + "-stream"}}}
	})
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: "site", Name: "gate"}}
	h.Create(t.Context(), event.CreateEvent{Object: cam}, q)
	if want := (types.NamespacedName{Namespace: "site", Name: "gate"}); asked != want {
		t.Errorf("dependents asked of %v, want %v", asked, want)
	}
	if q.Len() != 1 {
		t.Fatalf("%d requests queued, want 1", q.Len())
	}
	if req, _ := q.Get(); req.String() != "site/gate-stream" {
		t.Errorf("queued %v, want site/gate-stream", req)
	}
}
