package main

import "testing"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "camera-operator", want: "docker.io/library/camera-operator:latest"},
		{in: "camera-operator:v1.2.3", want: "docker.io/library/camera-operator:v1.2.3"},
		{in: "gb28181/camera-operator:dev", want: "docker.io/gb28181/camera-operator:dev"},
		{in: "docker.io/library/camera-operator:latest", want: "docker.io/library/camera-operator:latest"},
		{in: "ghcr.io/gb28181/camera-operator:v1", want: "ghcr.io/gb28181/camera-operator:v1"},
		{in: "localhost:5000/camera-operator:test", want: "localhost:5000/camera-operator:test"},
		{in: "localhost/camera-operator:test", want: "localhost/camera-operator:test"},
		{in: "Camera-Operator:latest", wantErr: true},
		{in: "camera-operator@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		got, err := parseReference(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseReference(%q): err %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("parseReference(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
