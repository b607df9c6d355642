package dependents

import (
	"context"
	"slices"
	"testing"
	"time"

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

// streamCamera is the Camera a Stream names.
func streamCamera(st *gbv1.Stream) string { return st.Spec.CameraRef.Name }

// newStreamList makes an empty list of Streams.
func newStreamList() client.ObjectList { return &gbv1.StreamList{} }

// TestKeyByCamera: a dependent's key is the Camera it names with its own namespace, so
// that Cameras of one name in two namespaces keep their dependents apart; one that
// names none has no key and is not indexed.
func TestKeyByCamera(t *testing.T) {
	key := keyByCamera(streamCamera)
	tests := []struct {
		name string
		st   *gbv1.Stream
		want string
	}{
		{"a Stream naming a Camera", newStream("site", "live", "gate"), "site/gate"},
		{"a Stream naming a Camera of that name in another namespace", newStream("other", "live", "gate"), "other/gate"},
		{"a Stream naming none", newStream("site", "live", ""), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := key(tc.st); got != tc.want {
				t.Errorf("key %q, want %q", got, tc.want)
			}
		})
	}
}

// TestByCameraFindsTheDependentsOfACamera runs real caches against kube-apiserver, one
// cluster-wide (the index read straight from the informer's indexer, as the operator
// runs) and one limited to the test's two namespaces (read through the field index it
// falls back to): the dependents Of gives are exactly those naming the Camera in its
// namespace, and they follow a deletion.
func TestByCameraFindsTheDependentsOfACamera(t *testing.T) {
	kube := controllertest.ControlPlane(t)
	site, other := controllertest.NewNamespace(t, kube), controllertest.NewNamespace(t, kube)
	ctx := t.Context()
	for _, s := range []struct{ ns, name, camera string }{
		{site, "s1", "gate"}, {site, "s2", "gate"}, {site, "s3", "hall"}, {other, "s4", "gate"},
	} {
		if err := kube.Create(ctx, newStream(s.ns, s.name, s.camera)); err != nil {
			t.Fatal(err)
		}
	}
	direct := streamsByCamera(t, cache.Options{Scheme: controllertest.Scheme})
	if !direct.index.Direct() {
		t.Fatal("a cluster-wide cache's index is not read from the informer's indexer")
	}
	listed := streamsByCamera(t, cache.Options{Scheme: controllertest.Scheme, DefaultNamespaces: map[string]cache.Config{site: {}, other: {}}})
	if listed.index.Direct() {
		t.Fatal("a cache of several namespaces claims a single indexer")
	}
	check := func(t *testing.T, want map[types.NamespacedName][]string) {
		t.Helper()
		for mode, x := range map[string]*ByCamera[*gbv1.Stream]{"direct": direct, "field index": listed} {
			for cam, w := range want {
				deadline := time.Now().Add(30 * time.Second)
				for got := streamNames(t, x, cam); !slices.Equal(got, w); got = streamNames(t, x, cam) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: Streams of Camera %s: %q, want %q", mode, cam, got, w)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
	}
	check(t, map[types.NamespacedName][]string{
		{Namespace: site, Name: "gate"}:  {site + "/s1", site + "/s2"},
		{Namespace: site, Name: "hall"}:  {site + "/s3"},
		{Namespace: other, Name: "gate"}: {other + "/s4"},
		{Namespace: other, Name: "hall"}: nil,
		{Namespace: site, Name: ""}:      nil,
	})
	if err := kube.Delete(ctx, newStream(site, "s1", "gate")); err != nil {
		t.Fatal(err)
	}
	check(t, map[types.NamespacedName][]string{
		{Namespace: site, Name: "gate"}:  {site + "/s2"},
		{Namespace: other, Name: "gate"}: {other + "/s4"},
	})
}

// streamsByCamera starts a cache of the shared control plane with opts, the Streams
// indexed by Camera in it, and returns the index once the cache has synced.
func streamsByCamera(t *testing.T, opts cache.Options) *ByCamera[*gbv1.Stream] {
	t.Helper()
	c, err := cache.New(controllertest.RestConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	x, err := IndexByCamera(t.Context(), c, &gbv1.Stream{}, newStreamList, streamCamera)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(t.Context()) }()
	if !c.WaitForCacheSync(t.Context()) {
		t.Fatal("the cache did not sync")
	}
	return x
}

// streamNames are the sorted namespaces/names of the Streams x has for Camera cam.
func streamNames(t *testing.T, x *ByCamera[*gbv1.Stream], cam types.NamespacedName) []string {
	t.Helper()
	sts, err := x.Of(t.Context(), cam.Namespace, cam.Name)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(sts))
	for _, st := range sts {
		names = append(names, client.ObjectKeyFromObject(st).String())
	}
	slices.Sort(names)
	return names
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
