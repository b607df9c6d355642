package controllers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/cbor"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// BenchmarkStatusWriteCBOR compares the two wire formats this Kubernetes release can
// serve custom resources in: the operator's status write (the status alone, as
// writeStatus sends it) as JSON and as CBOR, to an API server of its own started with
// the alpha feature gate CBORServingAndStorage, alternating in one run. The second
// round profiles the API server, as BenchmarkStatusWrite does:
//
//	go test ./controllers -run '^$' -bench StatusWriteCBOR -benchtime 2000x
func BenchmarkStatusWriteCBOR(b *testing.B) {
	cfg, scheme := kubetest.Start(b, func(env *envtest.Environment) {
		env.ControlPlane.GetAPIServer().Configure().Append("feature-gates", "CBORServingAndStorage=true")
	})
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	ns := controllertest.NewNamespace(b, c)
	ctx := context.Background()
	cams := createBenchCameras(ctx, b, c, ns, 500)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	formats := []struct {
		mediaType  string
		serializer runtime.Serializer
	}{
		{runtime.ContentTypeJSON, json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{})},
		{runtime.ContentTypeCBOR, cbor.NewSerializer(scheme, scheme)},
	}
	var round atomic.Int64
	for i := range 2 * len(formats) {
		f := formats[i%len(formats)]
		name := strings.TrimPrefix(f.mediaType, "application/")
		b.Run(name, func(b *testing.B) {
			var report func(float64)
			if i >= len(formats) && b.N > 1 {
				report = profileWrites(b, hc, cfg.Host, "", name)
			}
			perWrite := measureWrites(b, hc, cfg.Host, cams, func(cam *gbv1.Camera) error {
				return putStatus(ctx, hc, cfg.Host, f.mediaType, f.serializer, cam, controllertest.RegisteredStatus(cam, round.Add(1)))
			})
			if report != nil {
				report(perWrite)
			}
		})
	}
}

// putStatus writes st as cam's status in the body writeStatus sends (the status alone,
// the Camera named by its name and resourceVersion), encoded and answered in mediaType.
func putStatus(ctx context.Context, hc *http.Client, host, mediaType string, s runtime.Serializer, cam *gbv1.Camera, st gbv1.CameraStatus) error {
	body := &gbv1.Camera{
		TypeMeta:   metav1.TypeMeta{APIVersion: gbv1.GroupVersion.String(), Kind: "Camera"},
		ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: cam.Namespace, ResourceVersion: cam.ResourceVersion},
		Status:     st,
	}
	var buf bytes.Buffer
	if err := s.Encode(body, &buf); err != nil {
		return err
	}
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/cameras/%s/status", strings.TrimSuffix(host, "/"), gbv1.GroupVersion, cam.Namespace, cam.Name)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	req.Header.Set("Accept", mediaType)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s as %s: %s: %s", url, mediaType, resp.Status, answer)
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, mediaType) {
		return fmt.Errorf("PUT %s as %s: answered in %q", url, mediaType, got)
	}
	written := &gbv1.Camera{}
	if _, _, err := s.Decode(answer, nil, written); err != nil {
		return fmt.Errorf("decode the answer to PUT %s: %w", url, err)
	}
	cam.ResourceVersion = written.ResourceVersion
	return nil
}
