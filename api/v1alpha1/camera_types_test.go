package v1alpha1_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "api-test-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

func camera(ns, name, deviceID string) *gbv1.Camera {
	return &gbv1.Camera{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.CameraSpec{
			DeviceID:             deviceID,
			CredentialsSecretRef: gbv1.SecretKeySelector{Name: "camera-credentials"},
		},
	}
}

func TestValidCameraGetsDefaults(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cam := camera(ns, "ipc", "34020000001320000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &gbv1.Camera{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Spec.CredentialsSecretRef.Key != "password" {
		t.Errorf("credentialsSecretRef.key = %q, want default %q", got.Spec.CredentialsSecretRef.Key, "password")
	}
	if got.Spec.Catalog.RefreshInterval == nil || got.Spec.Catalog.RefreshInterval.Duration != time.Hour {
		t.Errorf("catalog.refreshInterval = %v, want 1h", got.Spec.Catalog.RefreshInterval)
	}
	if got.Spec.Suspend || got.Spec.Catalog.Disabled {
		t.Errorf("suspend/catalog.disabled default to true: %+v", got.Spec)
	}
}

func TestDeviceIDForms(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	tests := []struct {
		name     string
		deviceID string
		wantErr  string // substring of the API server's message; "" means accepted
	}{
		{"20-digit GB ID", "34020000001320000001", ""},
		{"18-digit field ID", "130909113319427420", ""},
		{"SIP extension", "1018", ""},
		{"letters, dots, dashes", "cam-01.lobby_A", ""},
		{"64 characters", strings.Repeat("1", 64), ""},
		{"empty", "", "spec.deviceID"},
		{"65 characters", strings.Repeat("1", 65), "spec.deviceID: Too long"},
		{"space", "3402 0000", "spec.deviceID in body should match"},
		{"at sign", "1018@example", "spec.deviceID in body should match"},
		{"semicolon", "1018;tag=x", "spec.deviceID in body should match"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam := camera(ns, "cam-"+string(rune('a'+i)), tt.deviceID)
			err := k8sClient.Create(ctx, cam)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected a valid deviceID %q: %v", tt.deviceID, err)
				}
				return
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("deviceID %q: want Invalid, got %v", tt.deviceID, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("deviceID %q: message %q does not say %q", tt.deviceID, err, tt.wantErr)
			}
		})
	}
}

func TestSpecValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	tests := []struct {
		name    string
		mutate  func(*gbv1.Camera)
		wantErr string
	}{
		{"missing secret name", func(c *gbv1.Camera) { c.Spec.CredentialsSecretRef.Name = "" }, "spec.credentialsSecretRef.name"},
		{"keepalive interval zero", func(c *gbv1.Camera) { c.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Millisecond} }, "interval must be between 1s and 24h"},
		{"keepalive timeoutCount zero is defaulted", func(c *gbv1.Camera) { c.Spec.Keepalive.TimeoutCount = 0 }, ""},
		{"keepalive timeoutCount too large", func(c *gbv1.Camera) { c.Spec.Keepalive.TimeoutCount = 101 }, "spec.keepalive.timeoutCount"},
		{"catalog refresh too often", func(c *gbv1.Camera) { c.Spec.Catalog.RefreshInterval = &metav1.Duration{Duration: time.Second} }, "refreshInterval must be at least 1m"},
		{"username with quote", func(c *gbv1.Camera) { c.Spec.Username = `ad"min` }, "spec.username"},
		{"username admin", func(c *gbv1.Camera) { c.Spec.Username = "admin" }, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam := camera(ns, "spec-"+string(rune('a'+i)), "34020000001320000001")
			tt.mutate(cam)
			err := k8sClient.Create(ctx, cam)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected a valid spec: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want an error saying %q, got %v", tt.wantErr, err)
			}
		})
	}
}

func TestMissingCredentialsSecretRefRejected(t *testing.T) {
	ns := newNamespace(t)
	// Written as raw JSON: the typed client would always send the (empty) field.
	body := `{"apiVersion":"gb28181.io/v1alpha1","kind":"Camera","metadata":{"name":"no-ref"},"spec":{"deviceID":"34020000001320000001"}}`
	err := restClient(t).Post().AbsPath("/apis/gb28181.io/v1alpha1/namespaces", ns, "cameras").
		Body([]byte(body)).SetHeader("Content-Type", "application/json").Do(context.Background()).Error()
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.credentialsSecretRef: Required value") {
		t.Fatalf("want spec.credentialsSecretRef: Required value, got %v", err)
	}
}

func TestDeviceIDImmutable(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cam := camera(ns, "ipc", "34020000001320000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}
	cam.Spec.DeviceID = "34020000001320000002"
	err := k8sClient.Update(ctx, cam)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "deviceID is immutable") {
		t.Fatalf("changing deviceID: want Invalid saying it is immutable, got %v", err)
	}
	// Other fields stay editable.
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), cam); err != nil {
		t.Fatal(err)
	}
	cam.Spec.Suspend = true
	if err := k8sClient.Update(ctx, cam); err != nil {
		t.Fatalf("changing suspend: %v", err)
	}
}

func TestStatusOnlyThroughSubresource(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cam := camera(ns, "ipc", "34020000001320000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}

	// A write of the main resource drops status changes.
	cam.Status.State = gbv1.StateRegistered
	cam.Spec.Suspend = true
	if err := k8sClient.Update(ctx, cam); err != nil {
		t.Fatal(err)
	}
	got := &gbv1.Camera{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.State != "" {
		t.Fatalf("status written through the main resource: %q", got.Status.State)
	}
	if !got.Spec.Suspend {
		t.Fatal("spec change lost")
	}

	// The status subresource writes status, and leaves spec alone.
	got.Status.State = gbv1.StateRegistered
	got.Spec.Suspend = false
	if err := k8sClient.Status().Update(ctx, got); err != nil {
		t.Fatalf("status update: %v", err)
	}
	final := &gbv1.Camera{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), final); err != nil {
		t.Fatal(err)
	}
	if final.Status.State != gbv1.StateRegistered {
		t.Fatalf("status subresource did not write state: %q", final.Status.State)
	}
	if !final.Spec.Suspend {
		t.Fatal("status subresource changed spec")
	}

	// The state enum is enforced.
	final.Status.State = "Sleeping"
	if err := k8sClient.Status().Update(ctx, final); !apierrors.IsInvalid(err) {
		t.Fatalf("unknown state accepted: %v", err)
	}
}

func TestChannelsBounded(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cam := camera(ns, "nvr", "34020000001180000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= gbv1.MaxChannels; i++ {
		cam.Status.Channels = append(cam.Status.Channels, gbv1.Channel{ID: fmt.Sprintf("3402000000131%07d", i)})
	}
	err := k8sClient.Status().Update(ctx, cam)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "status.channels: Too many") {
		t.Fatalf("%d channels: want Too many, got %v", len(cam.Status.Channels), err)
	}
	cam.Status.Channels = cam.Status.Channels[:gbv1.MaxChannels]
	cam.Status.ChannelCount = gbv1.MaxChannels + 1
	if err := k8sClient.Status().Update(ctx, cam); err != nil {
		t.Fatalf("%d channels: %v", gbv1.MaxChannels, err)
	}
}

func TestPrinterColumns(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cam := camera(ns, "ipc", "34020000001320000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}
	expires := metav1.NewTime(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	cam.Status = gbv1.CameraStatus{
		State:        gbv1.StateRegistered,
		DeviceType:   "IPC",
		ChannelCount: 1,
		Registration: &gbv1.Registration{
			RegisteredAt: metav1.Now(), ExpiresAt: expires, Expires: 3600,
			Transport: gbv1.TransportUDP, RemoteAddr: "127.0.0.1:5062", UserAgent: "IP Camera",
		},
		LastKeepaliveTime: &metav1.Time{Time: time.Now()},
	}
	if err := k8sClient.Status().Update(ctx, cam); err != nil {
		t.Fatal(err)
	}

	table := &metav1.Table{}
	raw, err := restClient(t).Get().AbsPath("/apis/gb28181.io/v1alpha1/namespaces", ns, "cameras").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil {
		t.Fatalf("table request: %v", err)
	}
	if err := json.Unmarshal(raw, table); err != nil {
		t.Fatal(err)
	}

	wantColumns := []struct {
		name     string
		priority int32
	}{
		{"Name", 0}, {"Device ID", 0}, {"Type", 0}, {"State", 0}, {"Address", 0},
		{"Channels", 0}, {"Expires", 0}, {"Age", 0}, {"Last Seen", 1}, {"User Agent", 1}, {"Shard", 1},
	}
	if len(table.ColumnDefinitions) != len(wantColumns) {
		t.Fatalf("columns = %+v, want %d", table.ColumnDefinitions, len(wantColumns))
	}
	for i, want := range wantColumns {
		got := table.ColumnDefinitions[i]
		if got.Name != want.name || got.Priority != want.priority {
			t.Errorf("column %d = %s (priority %d), want %s (priority %d)", i, got.Name, got.Priority, want.name, want.priority)
		}
	}
	if len(table.Rows) != 1 {
		t.Fatalf("rows = %d, want 1", len(table.Rows))
	}
	cells := table.Rows[0].Cells
	wantCells := map[int]any{
		0: "ipc", 1: "34020000001320000001", 2: "IPC", 3: "Registered", 4: "127.0.0.1:5062",
		5: float64(1), 6: "2026-11-22T08:00:00Z", 9: "IP Camera",
	}
	for i, want := range wantCells {
		if cells[i] != want {
			t.Errorf("cell %d (%s) = %#v, want %#v", i, wantColumns[i].name, cells[i], want)
		}
	}
}

// restClient talks to the API server without the typed client's help.
func restClient(t *testing.T) *rest.RESTClient {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gbv1.GroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = serializer.NewCodecFactory(k8sClient.Scheme()).WithoutConversion()
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}
