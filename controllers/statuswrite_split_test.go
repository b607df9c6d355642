package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// A Camera's channels are most of what an NVR's status write costs the API server, and
// every state write pays for them. BenchmarkStatusWrite sizes the alternative: the
// catalog in an object of its own, named after its Camera and owned by it, written when
// the catalog changes, and the Camera's status without its channels. The object's CRD
// exists only here, in a group of its own; its schema takes the channels from the Camera
// CRD, so both validate the same items. It has no status subresource: its only writer
// creates it with its catalog in one request, as a Lease's holder does.

// splitGroup is the group of the prospective catalog CRD.
const splitGroup = "split.gb28181.io"

// splitCatalogs writes catalogs to the prospective CRD.
type splitCatalogs struct {
	c client.Client
	// created names the catalogs the create ways make, each a new object.
	created atomic.Int64
	// nvr is a catalog of 64 channels for each Camera, and one a catalog of one channel,
	// by Camera name, which the update ways change one channel of at a time; each writer
	// has Cameras of its own.
	nvr, one map[string]*unstructured.Unstructured
}

// newSplitCatalogs installs the prospective catalog CRD (once) and creates a 64-channel
// catalog and a one-channel catalog for each of cams.
func newSplitCatalogs(b *testing.B, cams []*gbv1.Camera) *splitCatalogs {
	b.Helper()
	ctx := context.Background()
	installCRD(b, splitCatalogCRD(b))
	// A client made after the CRD is served, so that its REST mapping knows it.
	c, err := client.New(controllertest.RestConfig(b), client.Options{Scheme: runtime.NewScheme()})
	if err != nil {
		b.Fatal(err)
	}
	s := &splitCatalogs{c: c, nvr: make(map[string]*unstructured.Unstructured, len(cams)),
		one: make(map[string]*unstructured.Unstructured, len(cams))}
	for _, cam := range cams {
		st := controllertest.RegisteredStatus(cam, 0)
		nvr := splitCatalog(cam, cam.Name+"-nvr", nvrChannels(cam, st.Channels[0], 64), *st.CatalogUpdatedAt)
		one := splitCatalog(cam, cam.Name+"-one", st.Channels, *st.CatalogUpdatedAt)
		for _, u := range []*unstructured.Unstructured{nvr, one} {
			if err := c.Create(ctx, u); err != nil {
				b.Fatal(err)
			}
		}
		s.nvr[cam.Name], s.one[cam.Name] = nvr, one
	}
	return s
}

// create makes a new catalog of cam holding channels: what a Camera's first catalog
// costs when it has an object of its own.
func (s *splitCatalogs) create(ctx context.Context, cam *gbv1.Camera, channels []gbv1.Channel, at metav1.Time) error {
	name := fmt.Sprintf("%s-%d", cam.Name, s.created.Add(1))
	return s.c.Create(ctx, splitCatalog(cam, name, channels, at))
}

// updateChannelStatus changes the status of one channel of catalog u, as a device's
// catalog notification of a channel going on or off does.
func (s *splitCatalogs) updateChannelStatus(ctx context.Context, u *unstructured.Unstructured, round int64, at metav1.Time) error {
	channels, _, err := unstructured.NestedSlice(u.Object, "status", "channels")
	if err != nil {
		return err
	}
	ch := channels[round%int64(len(channels))].(map[string]any)
	ch["status"] = map[bool]string{true: "ON", false: "OFF"}[ch["status"] != "ON"]
	if err := unstructured.SetNestedSlice(u.Object, channels, "status", "channels"); err != nil {
		return err
	}
	if err := unstructured.SetNestedField(u.Object, at.UTC().Format(metav1.RFC3339Micro), "status", "catalogUpdatedAt"); err != nil {
		return err
	}
	return s.c.Update(ctx, u)
}

// splitCatalog is the catalog object named name of cam, owned by it.
func splitCatalog(cam *gbv1.Camera, name string, channels []gbv1.Channel, at metav1.Time) *unstructured.Unstructured {
	st := gbv1.CameraStatus{Channels: channels, ChannelCount: int32(len(channels)), CatalogUpdatedAt: &at}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&st)
	if err != nil {
		panic(err) // a CameraStatus always converts
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": m}}
	u.SetAPIVersion(splitGroup + "/" + gbv1.GroupVersion.Version)
	u.SetKind("CameraCatalog")
	u.SetName(name)
	u.SetNamespace(cam.Namespace)
	u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: gbv1.GroupVersion.String(), Kind: "Camera", Name: cam.Name, UID: cam.UID}})
	return u
}

// splitCatalogCRD is the prospective CameraCatalog CRD: a status of the Camera CRD's
// channels, channelCount and catalogUpdatedAt, atomic, without a status subresource.
func splitCatalogCRD(b *testing.B) *apiextensionsv1.CustomResourceDefinition {
	b.Helper()
	cameraStatus := cameraCRD(b).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"]
	// Atomic, as the Camera's status is: one writer, tracked as one field of its.
	status := apiextensionsv1.JSONSchemaProps{Type: "object", XMapType: cameraStatus.XMapType,
		Properties: map[string]apiextensionsv1.JSONSchemaProps{}}
	for _, field := range []string{"channels", "channelCount", "catalogUpdatedAt"} {
		p, ok := cameraStatus.Properties[field]
		if !ok {
			b.Fatalf("the Camera CRD's status has no %s", field)
		}
		status.Properties[field] = p
	}
	names := apiextensionsv1.CustomResourceDefinitionNames{Plural: "cameracatalogs", Singular: "cameracatalog",
		Kind: "CameraCatalog", ListKind: "CameraCatalogList"}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: names.Plural + "." + splitGroup},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: splitGroup, Names: names, Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: gbv1.GroupVersion.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "metadata": {Type: "object"},
						"status": status,
					},
				}},
			}},
		},
	}
}
