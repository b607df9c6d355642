package dependents

import (
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestRequestLogger: a reconcile's logger names its dependent under the key given; the
// controller's own logger (no request) names none.
func TestRequestLogger(t *testing.T) {
	tests := []struct {
		name string
		req  *reconcile.Request
		want string
	}{
		{"a reconcile", &reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "site", Name: "live"}}, `"stream"="site/live"`},
		{"no request", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var line string
			logger := funcr.New(func(prefix, args string) { line = args }, funcr.Options{})
			RequestLogger(logger, "stream")(tc.req).Info("reconciled")
			if tc.want != "" && !strings.Contains(line, tc.want) {
				t.Errorf("logged %s, want it to hold %s", line, tc.want)
			}
			if tc.want == "" && strings.Contains(line, `"stream"=`) {
				t.Errorf("logged %s, want no request named", line)
			}
		})
	}
}
