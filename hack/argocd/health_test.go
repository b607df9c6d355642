package argocd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/gb28181/camera-operator/api/v1alpha1"
)

// healthTests is the layout of Argo CD's health_test.yaml.
type healthTests struct {
	Tests []struct {
		HealthStatus HealthStatus `json:"healthStatus"`
		InputPath    string       `json:"inputPath"`
	} `json:"tests"`
}

func loadHealthTests(t *testing.T) healthTests {
	t.Helper()
	data, err := os.ReadFile("health_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tests healthTests
	if err := yaml.UnmarshalStrict(data, &tests); err != nil {
		t.Fatalf("health_test.yaml: %v", err)
	}
	if len(tests.Tests) == 0 {
		t.Fatal("health_test.yaml has no tests")
	}
	return tests
}

// loadCamera reads a test object twice: as the JSON-decoded map Argo CD's tests use
// (numbers are float64), and strictly as a Camera, so a misspelt field in the test data
// fails here instead of silently testing nothing.
func loadCamera(t *testing.T, path string) (map[string]any, *v1alpha1.Camera) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var cam v1alpha1.Camera
	if err := yaml.UnmarshalStrict(data, &cam); err != nil {
		t.Fatalf("%s is not a valid Camera: %v", path, err)
	}
	return obj, &cam
}

func TestHealth(t *testing.T) {
	for _, tc := range loadHealthTests(t).Tests {
		t.Run(tc.InputPath, func(t *testing.T) {
			obj, _ := loadCamera(t, tc.InputPath)
			// Argo CD's controller hands scripts objects from its cache, where integers
			// are int64 rather than float64: both must give the same answer.
			cached := withInt64(obj).(map[string]any)
			for _, run := range []struct {
				name     string
				obj      map[string]any
				openLibs bool
			}{
				{"argocd-cm sandbox", obj, false},
				{"standard libraries", obj, true},
				{"int64 numbers", cached, false},
			} {
				got, err := Evaluate(HealthLua, run.obj, run.openLibs)
				if err != nil {
					t.Fatalf("%s: %v", run.name, err)
				}
				if got != tc.HealthStatus {
					t.Errorf("%s: got %+v, want %+v", run.name, got, tc.HealthStatus)
				}
			}
		})
	}
}

// withInt64 copies a decoded object with its integral numbers as int64, the way
// unstructured objects decoded by client-go hold them.
func withInt64(v any) any {
	switch v := v.(type) {
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = withInt64(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = withInt64(item)
		}
		return out
	}
	return v
}

// TestHealthTableCoversEveryState keeps the table honest as the API grows: every state
// a Camera can report has a case, and every file in testdata is used.
func TestHealthTableCoversEveryState(t *testing.T) {
	states := map[v1alpha1.CameraState]bool{
		v1alpha1.StatePending: false, v1alpha1.StateRegistered: false, v1alpha1.StateOffline: false,
		v1alpha1.StateExpired: false, v1alpha1.StateUnregistered: false, v1alpha1.StateAuthFailed: false,
		v1alpha1.StateSuspended: false, v1alpha1.StateConflict: false,
	}
	used := map[string]bool{}
	for _, tc := range loadHealthTests(t).Tests {
		used[filepath.Clean(tc.InputPath)] = true
		_, cam := loadCamera(t, tc.InputPath)
		if cam.Status.State != "" {
			if _, known := states[cam.Status.State]; !known {
				t.Errorf("%s: state %q is not a CameraState", tc.InputPath, cam.Status.State)
			}
			states[cam.Status.State] = true
		}
	}
	for state, covered := range states {
		if !covered {
			t.Errorf("no health test case for state %s", state)
		}
	}
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used[f] {
			t.Errorf("%s is not referenced by health_test.yaml", f)
		}
	}
}

// TestEvaluateSandbox shows the harness is Argo CD's sandbox and not a lenient one: the
// string library is missing, errors and bad statuses surface.
func TestEvaluateSandbox(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"name": "x"}}
	tests := []struct {
		name, script string
		openLibs     bool
		wantErr      error
		wantMsg      string
	}{
		{name: "string library absent", script: `return {status = string.upper("healthy")}`, wantMsg: "string"},
		{name: "string library present with open libs", script: `return {status = string.gsub("Healthy", "x", "")}`, openLibs: true},
		{name: "runtime error", script: `return obj.status.state`, wantMsg: "non-table"},
		{name: "not a table", script: `return "Healthy"`, wantMsg: "want a table"},
		{name: "unknown status", script: `return {status = "Fine"}`, wantErr: ErrInvalidStatus},
		{name: "endless loop hits the budget", script: `while true do end`, wantMsg: "context deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.script, obj, tc.openLibs)
			switch {
			case tc.wantErr == nil && tc.wantMsg == "":
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("got %v, want an error mentioning %q", err, tc.wantMsg)
				}
			}
		})
	}
}

// TestIgnoreUpdatesPointers checks the ignoreResourceUpdates rule names fields a real
// Camera status has, and only status fields the health check does not read.
func TestIgnoreUpdatesPointers(t *testing.T) {
	var rule struct {
		JSONPointers []string `json:"jsonPointers"`
	}
	if err := yaml.UnmarshalStrict([]byte(IgnoreUpdatesYAML), &rule); err != nil {
		t.Fatalf("camera-ignore-updates.yaml: %v", err)
	}
	if len(rule.JSONPointers) == 0 {
		t.Fatal("no jsonPointers")
	}
	obj, _ := loadCamera(t, "testdata/registered.yaml")
	for _, p := range rule.JSONPointers {
		if !strings.HasPrefix(p, "/status/") {
			t.Errorf("%s: only status fields may be ignored", p)
		}
		var cur any = obj
		for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%s: %q is not inside an object", p, tok)
			}
			if cur, ok = m[tok]; !ok {
				t.Fatalf("%s: no field %q in a registered Camera", p, tok)
			}
		}
		field := p[strings.LastIndex(p, "/")+1:]
		if strings.Contains(HealthLua, field) {
			t.Errorf("%s: the health check reads %q, so its updates must not be ignored", p, field)
		}
	}
}
