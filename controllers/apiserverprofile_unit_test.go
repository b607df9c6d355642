package controllers

import (
	"math"
	"testing"

	"github.com/google/pprof/profile"
)

func TestWorkShares(t *testing.T) {
	fn := map[string]*profile.Function{}
	stack := func(names ...string) []*profile.Location {
		var locs []*profile.Location
		for _, n := range names {
			if fn[n] == nil {
				fn[n] = &profile.Function{ID: uint64(len(fn) + 1), Name: n}
			}
			locs = append(locs, &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: fn[n]}}})
		}
		return locs
	}
	sample := func(v int64, names ...string) *profile.Sample {
		return &profile.Sample{Value: []int64{1, v}, Location: stack(names...)}
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			// A stored object's decoding runs under the etcd store: it is the decoding's.
			sample(30, "encoding/json.(*decodeState).object", "k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode",
				"k8s.io/apiserver/pkg/storage/etcd3.(*defaultDecoder).Decode", "k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate"),
			// The request's decoding runs under the handler.
			sample(10, "encoding/json.(*decodeState).object", "k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode",
				"k8s.io/apiserver/pkg/endpoints/handlers.UpdateResource.func1"),
			// Managed fields are computed inside the store's update: they are the managed fields'.
			sample(20, "sigs.k8s.io/structured-merge-diff/v6/typed.TypedValue.Compare",
				"k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager.(*FieldManager).UpdateNoErrors",
				"k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate"),
			sample(15, "runtime.scanobject", "runtime.gcBgMarkWorker"),
			sample(25, "main.main"),
		},
	}
	shares, err := workShares(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"storeddecode": 0.30, "requestdecode": 0.10, "managedfields": 0.20, "gc": 0.15, otherWork: 0.25}
	for k, v := range want {
		if math.Abs(shares[k]-v) > 1e-9 {
			t.Errorf("share of %s = %v, want %v (all: %v)", k, shares[k], v, shares)
		}
	}
	if len(shares) != len(want) {
		t.Errorf("shares %v, want only %v", shares, want)
	}

	if _, err := workShares(&profile.Profile{SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}}); err == nil {
		t.Error("a heap profile was taken for a CPU profile")
	}
}
