package devices

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// ShardSelector selects the Cameras of a shard for the manager's cache: those labelled
// with its name, or for the unsharded operator those without the label, so that shards
// never share a Camera. The name must be a valid label value.
func ShardSelector(shard string) labels.Selector {
	op, values := selection.Equals, []string{shard}
	if shard == "" {
		op, values = selection.DoesNotExist, nil
	}
	req, err := labels.NewRequirement(gbv1.ShardLabel, op, values)
	utilruntime.Must(err) // the key is constant and the name validated
	return labels.NewSelector().Add(*req)
}

// LeaseName is the leader-election Lease of a shard: each shard elects its own leader.
func LeaseName(shard string) string {
	if shard == "" {
		return "camera-operator.gb28181.io"
	}
	return "camera-operator-" + shard + ".gb28181.io"
}
