package devices

import (
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestShardSelectorsPartition: the unsharded operator and each shard select disjoint
// sets of Cameras, so every Camera has exactly one operator.
func TestShardSelectorsPartition(t *testing.T) {
	cameras := []labels.Set{{}, {"app": "x"}, {gbv1.ShardLabel: "east"}, {gbv1.ShardLabel: "west"}}
	shards := []string{"", "east", "west"}
	for _, cam := range cameras {
		var servedBy []string
		for _, s := range shards {
			if ShardSelector(s).Matches(cam) {
				servedBy = append(servedBy, s)
			}
		}
		if len(servedBy) != 1 || servedBy[0] != cam[gbv1.ShardLabel] {
			t.Errorf("Camera labelled %v is served by shards %q, want exactly %q", cam, servedBy, cam[gbv1.ShardLabel])
		}
	}
	if LeaseName("") == LeaseName("east") || LeaseName("east") == LeaseName("west") {
		t.Error("shards share a Lease")
	}
}
