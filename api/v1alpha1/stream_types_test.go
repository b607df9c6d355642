package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func stream(ns, name string) *gbv1.Stream {
	return &gbv1.Stream{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.StreamSpec{
			CameraRef:   gbv1.LocalObjectReference{Name: "ipc"},
			Destination: gbv1.Destination{Host: "10.0.0.5", Port: 30000},
		},
	}
}

func TestStreamDefaults(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	st := stream(ns, "live")
	if err := k8sClient.Create(ctx, st); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &gbv1.Stream{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(st), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Destination.Transport != gbv1.TransportUDP {
		t.Errorf("destination.transport = %q, want the default UDP", got.Spec.Destination.Transport)
	}
}

func TestStreamSpecValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	tests := []struct {
		name    string
		mutate  func(*gbv1.Stream)
		wantErr string
	}{
		{"valid", func(*gbv1.Stream) {}, ""},
		{"no camera", func(s *gbv1.Stream) { s.Spec.CameraRef.Name = "" }, "spec.cameraRef.name"},
		{"no host", func(s *gbv1.Stream) { s.Spec.Destination.Host = "" }, "spec.destination.host"},
		{"host with a path", func(s *gbv1.Stream) { s.Spec.Destination.Host = "media/x" }, "spec.destination.host"},
		{"DNS host", func(s *gbv1.Stream) { s.Spec.Destination.Host = "zlm.media.svc" }, ""},
		{"port zero", func(s *gbv1.Stream) { s.Spec.Destination.Port = 0 }, "spec.destination.port"},
		{"port too large", func(s *gbv1.Stream) { s.Spec.Destination.Port = 65536 }, "spec.destination.port"},
		{"TCP", func(s *gbv1.Stream) { s.Spec.Destination.Transport = gbv1.TransportTCP }, ""},
		{"SCTP", func(s *gbv1.Stream) { s.Spec.Destination.Transport = "SCTP" }, "spec.destination.transport"},
		{"ssrc", func(s *gbv1.Stream) { s.Spec.SSRC = "0200000001" }, ""},
		{"ssrc too short", func(s *gbv1.Stream) { s.Spec.SSRC = "200000001" }, "spec.ssrc"},
		{"ssrc past 32 bits", func(s *gbv1.Stream) { s.Spec.SSRC = "4294967296" }, "ssrc must fit in 32 bits"},
		{"channel with a space", func(s *gbv1.Stream) { s.Spec.ChannelID = "3402 0000" }, "spec.channelID"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := stream(ns, fmt.Sprintf("spec-%d", i))
			tt.mutate(st)
			err := k8sClient.Create(ctx, st)
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
