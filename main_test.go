package main

import (
	"strings"
	"testing"
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
