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
			// The object the store wrote, decoded for the answer under the etcd store, with
			// its pruning against the schema: the decoding's.
			sample(20, "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning.prune",
				"k8s.io/apiextensions-apiserver/pkg/apiserver.(*unstructuredSchemaCoercer).apply",
				"k8s.io/apiextensions-apiserver/pkg/apiserver.schemaCoercingDecoder.Decode",
				"k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode",
				"k8s.io/apiserver/pkg/storage/etcd3.(*defaultDecoder).Decode", "k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate"),
			// The request's decoding runs under the handler.
			sample(5, "encoding/json.(*decodeState).object", "k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode",
				"k8s.io/apiserver/pkg/endpoints/handlers.UpdateResource.func1"),
			// A watch event's decoding runs under the etcd watch: the decoding's too.
			sample(5, "encoding/json.(*decodeState).object", "k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode",
				"k8s.io/apiserver/pkg/storage/etcd3.decodeObj", "k8s.io/apiserver/pkg/storage/etcd3.(*watchChan).transform"),
			// Handing a decoded event to the watchers is the watch's.
			sample(5, "k8s.io/apiserver/pkg/storage/cacher.(*Cacher).dispatchEvent"),
			// The validation's ratcheting correlates old and new values with code in
			// apiserver/pkg/cel: the validation's, not the CEL rules'.
			sample(10, "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model.(*Structural).Properties",
				"k8s.io/apiserver/pkg/cel/common.(*CorrelatedObject).Key",
				"k8s.io/apiextensions-apiserver/pkg/apiserver/validation.(*ratchetingValueValidator).SubPropertyValidator",
				"k8s.io/apiextensions-apiserver/pkg/registry/customresource.statusStrategy.ValidateUpdate"),
			// The rules run inside the status strategy's validation: the rules'.
			sample(5, "github.com/google/cel-go/interpreter.(*evalEq).Eval",
				"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel.(*Validator).Validate",
				"k8s.io/apiextensions-apiserver/pkg/registry/customresource.statusStrategy.ValidateUpdate"),
			// Managed fields are computed inside the store's update: they are the managed fields'.
			sample(15, "sigs.k8s.io/structured-merge-diff/v6/typed.TypedValue.Compare",
				"k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager.(*FieldManager).UpdateNoErrors",
				"k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate"),
			sample(15, "runtime.scanobject", "runtime.gcBgMarkWorker"),
			sample(20, "main.main"),
		},
	}
	shares, err := workShares(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"decode": 0.30, "watch": 0.05, "validation": 0.10, "cel": 0.05, "managedfields": 0.15, "gc": 0.15, otherWork: 0.20}
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
