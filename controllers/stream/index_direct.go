package stream

import (
	"context"
	"fmt"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Every change of a device (each of its registrations) asks which Streams its Cameras
// have, almost always none. Through the cache's List each ask resolves the list's type
// and fills a list by reflection; the Stream informer's own client-go index by Camera
// answers it as a map lookup (see devices.CamerasWithID for the same on Cameras).

// indexerStreamCamera names the client-go index of the Stream informer by
// "namespace/camera".
const indexerStreamCamera = "gb28181.io/stream-camera"

// streamIndex reads the Streams of a Camera from the Stream informer's indexer; its
// zero value (a cache without a single indexer) reads through List.
type streamIndex struct {
	indexer toolscache.Indexer
}

// newStreamIndex gives the Stream informer of c its index by Camera, when c is a cache
// whose informer has a single indexer.
func newStreamIndex(ctx context.Context, c client.Reader) (streamIndex, error) {
	getter, ok := c.(interface {
		GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
	})
	if !ok {
		return streamIndex{}, nil
	}
	inf, err := getter.GetInformer(ctx, &gbv1.Stream{})
	if err != nil {
		return streamIndex{}, fmt.Errorf("the Stream informer: %w", err)
	}
	withIndexer, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return streamIndex{}, nil
	}
	indexer := withIndexer.GetIndexer()
	if _, ok := indexer.GetIndexers()[indexerStreamCamera]; !ok {
		if err := inf.AddIndexers(toolscache.Indexers{indexerStreamCamera: streamCameraKey}); err != nil {
			return streamIndex{}, fmt.Errorf("index %s: %w", indexerStreamCamera, err)
		}
	}
	return streamIndex{indexer: indexer}, nil
}

// streamCameraKey is the index function: the Camera a Stream names, with its namespace.
func streamCameraKey(obj any) ([]string, error) {
	st, ok := obj.(*gbv1.Stream)
	if !ok || st.Spec.CameraRef.Name == "" {
		return nil, nil
	}
	return []string{st.Namespace + "/" + st.Spec.CameraRef.Name}, nil
}

// requests returns the Streams naming Camera ns/camera as requests; ok is false when
// the index is not there to say.
func (x streamIndex) requests(ns, camera string) (reqs []reconcile.Request, ok bool) {
	if x.indexer == nil {
		return nil, false
	}
	objs, err := x.indexer.ByIndex(indexerStreamCamera, ns+"/"+camera)
	if err != nil {
		return nil, false
	}
	for _, o := range objs {
		if st, ok := o.(*gbv1.Stream); ok {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(st)})
		}
	}
	return reqs, true
}
