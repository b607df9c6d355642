package chart

import (
	"strings"
	"testing"
)

// TestNotes checks the release notes tell a user how to point a camera at the
// registrar for each way of exposing it, and how to see the Cameras.
func TestNotes(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{name: "defaults", want: []string{
			"SIP server ID:      34020000002000000001", "SIP server domain:  3402000000",
			"camera-operator-sip." + releaseNamespace + ".svc", "5060 (UDP or TCP)", "kubectl get cameras -A",
		}},
		{name: "namespaced-nodeport", files: []string{"hack/chart/testdata/values/namespaced-nodeport.yaml"}, want: []string{
			"SIP server ID:      44010000002000000099", "SIP server domain:  4401000000", "{.nodePort}",
			"kubectl -n site-a create secret", "watches only these namespaces: site-a, site-b",
			"kubectl -n argocd patch configmap argocd-cm",
		}},
		{name: "hostnetwork-loadbalancer", files: []string{"hack/chart/testdata/values/hostnetwork-loadbalancer.yaml"}, want: []string{
			"the IP of the node the leader runs on", "5062 (UDP or TCP)", "kubectl get cameras -A",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"install", releaseName, ChartDir, "--namespace", releaseNamespace, "--dry-run=client"}, valuesArgs(tc.files)...)
			out, stderr, err := runHelm(t, args...)
			if err != nil {
				t.Fatalf("helm install --dry-run: %v\n%s", err, stderr)
			}
			_, notes, ok := strings.Cut(out, "\nNOTES:\n")
			if !ok {
				t.Fatalf("no NOTES in:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(notes, w) {
					t.Errorf("NOTES lack %q:\n%s", w, notes)
				}
			}
		})
	}
}
