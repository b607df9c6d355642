package controllers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// granularGroup is the group of a copy of the Camera CRD whose status the API server
// tracks field by field, as it did before the status became atomic: BenchmarkStatusWrite
// writes the same statuses to both, side by side on one API server.
const granularGroup = "granular.gb28181.io"

// granularCameras installs the granular copy of the Camera CRD (once) and creates the
// twins of cams in it, by name.
func granularCameras(b *testing.B, cams []*gbv1.Camera) (client.Client, map[string]*unstructured.Unstructured) {
	b.Helper()
	ctx := context.Background()
	cfg := controllertest.RestConfig(b)
	crd := cameraCRD(b)
	crd.Name, crd.Spec.Group = crd.Spec.Names.Plural+"."+granularGroup, granularGroup
	for i := range crd.Spec.Versions {
		props := crd.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties
		status := props["status"]
		if status.XMapType == nil {
			b.Fatal("the Camera CRD's status is not atomic: nothing to compare")
		}
		status.XMapType = nil
		props["status"] = status
	}
	installCRD(b, crd)
	// A client made after the CRD is served, so that its REST mapping knows it.
	c, err := client.New(cfg, client.Options{Scheme: runtime.NewScheme()})
	if err != nil {
		b.Fatal(err)
	}
	twins := make(map[string]*unstructured.Unstructured, len(cams))
	for _, cam := range cams {
		spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&cam.Spec)
		if err != nil {
			b.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
		u.SetAPIVersion(granularGroup + "/" + gbv1.GroupVersion.Version)
		u.SetKind("Camera")
		u.SetName(cam.Name)
		u.SetNamespace(cam.Namespace)
		if err := c.Create(ctx, u); err != nil {
			b.Fatal(err)
		}
		twins[cam.Name] = u
	}
	return c, twins
}

// cameraCRD is the Camera CRD the API server is given.
func cameraCRD(b *testing.B) *apiextensionsv1.CustomResourceDefinition {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(kubetest.CRDDir(), "gb28181.io_cameras.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		b.Fatal(err)
	}
	return &crd
}

// installCRD creates crd (or updates it) and waits until the API server serves it.
func installCRD(b *testing.B, crd *apiextensionsv1.CustomResourceDefinition) {
	b.Helper()
	opts := envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}}
	if _, err := envtest.InstallCRDs(controllertest.RestConfig(b), opts); err != nil {
		b.Fatal(err)
	}
}

// writeGranular writes st as the status of twin.
func writeGranular(ctx context.Context, c client.Client, twin *unstructured.Unstructured, st gbv1.CameraStatus) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&st)
	if err != nil {
		return fmt.Errorf("status of %s: %w", twin.GetName(), err)
	}
	twin.Object["status"] = m
	return c.Status().Update(ctx, twin)
}
