package main

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestSIPServiceNeedsThePod: publishing the SIP Service's endpoint needs to know the pod,
// from the flags or the downward API's environment; without it the manager refuses to
// start, naming what is missing.
func TestSIPServiceNeedsThePod(t *testing.T) {
	for _, k := range []string{"POD_NAME", "POD_NAMESPACE", "POD_IP", "NODE_NAME"} {
		t.Setenv(k, "")
	}
	if _, err := parseFlags(nil); err != nil {
		t.Fatalf("no --sip-service: %v", err)
	}

	_, err := parseFlags([]string{"--sip-service=camera-operator-sip", "--pod-name=op-0"})
	if err == nil {
		t.Fatal("--sip-service without the pod's namespace and IP was accepted")
	}
	for _, want := range []string{"camera-operator-sip", "--pod-namespace", "--pod-ip"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "--pod-name ") {
		t.Errorf("error %q names --pod-name, which was given", err)
	}

	t.Setenv("POD_NAME", "op-0")
	t.Setenv("POD_NAMESPACE", "camera-operator")
	t.Setenv("POD_IP", "10.0.0.7")
	t.Setenv("NODE_NAME", "node-1")
	o, err := parseFlags([]string{"--sip-service=camera-operator-sip"})
	if err != nil {
		t.Fatalf("pod from the environment: %v", err)
	}
	ep := o.sipEndpoints()
	if ep.PodName != "op-0" || ep.Namespace != "camera-operator" || ep.PodIP != "10.0.0.7" || ep.NodeName != "node-1" || ep.Service != "camera-operator-sip" {
		t.Errorf("endpoints %+v: want the pod of the environment", ep)
	}
	o, err = parseFlags([]string{"--sip-service=s", "--pod-ip=10.0.0.8"})
	if err != nil || o.podIP != "10.0.0.8" {
		t.Errorf("--pod-ip over POD_IP: %q, %v", o.podIP, err)
	}
}

// TestFlagsRefused: flag values that would start a broken operator are refused at
// start, with a message naming the flag.
func TestFlagsRefused(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" accepts
	}{
		{nil, ""},
		{[]string{"--shard=east"}, ""},
		{[]string{"--shard=East_1"}, "--shard"},
		{[]string{"--shard=" + strings.Repeat("a", 64)}, "--shard"},
		{[]string{"--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s"}, ""},
		{[]string{"--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=10s"}, "--leader-elect-renew-deadline"},
		{[]string{"--leader-elect-retry-period=0s"}, "--leader-elect-retry-period"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseFlags(tc.args)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// TestShardSelectorsPartition: the unsharded operator and each shard select disjoint
// sets of Cameras, so every Camera has exactly one operator.
func TestShardSelectorsPartition(t *testing.T) {
	cameras := []labels.Set{{}, {"app": "x"}, {gbv1.ShardLabel: "east"}, {gbv1.ShardLabel: "west"}}
	shards := []string{"", "east", "west"}
	for _, cam := range cameras {
		var servedBy []string
		for _, s := range shards {
			if shardSelector(s).Matches(cam) {
				servedBy = append(servedBy, s)
			}
		}
		if len(servedBy) != 1 || servedBy[0] != cam[gbv1.ShardLabel] {
			t.Errorf("Camera labelled %v is served by shards %q, want exactly %q", cam, servedBy, cam[gbv1.ShardLabel])
		}
	}
	if leaseName("") == leaseName("east") || leaseName("east") == leaseName("west") {
		t.Error("shards share a Lease")
	}
}

// TestStripUnused: cached objects keep what the operator reads and lose managedFields
// and client-side apply's copy of the object.
func TestStripUnused(t *testing.T) {
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{
		Name:          "gate",
		Annotations:   map[string]string{lastApplied: `{"spec":{}}`, "team": "east"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}, Spec: gbv1.CameraSpec{DeviceID: "34020000001320000001"}}
	out, err := stripUnused(cam)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*gbv1.Camera)
	if len(got.ManagedFields) != 0 {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if _, ok := got.Annotations[lastApplied]; ok {
		t.Error("the last-applied annotation is kept")
	}
	if got.Annotations["team"] != "east" || got.Spec.DeviceID != "34020000001320000001" || got.Name != "gate" {
		t.Errorf("stripped more than asked: %+v", got)
	}
}
