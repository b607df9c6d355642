package recording

import (
	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// CacheTransform drops from a cached RecordingQuery what the controller never reads from
// the cache: the answer's items and coverage, up to a few hundred kilobytes a query,
// which finished queries would otherwise keep in the operator's memory until their TTL.
// A query not finished yet is read from the API server before it is acted on, so no
// status write starts from a stripped copy. Other objects pass unchanged.
func CacheTransform(obj any) (any, error) {
	if rq, ok := obj.(*gbv1.RecordingQuery); ok {
		rq.Status.Items, rq.Status.Coverage = nil, nil
	}
	return obj, nil
}
