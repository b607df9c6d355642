package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// checkMonitoring checks the dashboard ConfigMap and the PrometheusRule of a release
// that enables both (namespaced-nodeport.yaml): the sidecar's label, the namespace and
// folder asked for, and contents equal to the chart's files, which hack/monitoring
// generates and tests.
func checkMonitoring(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	cm := decode[corev1.ConfigMap](t, one(t, objs, "ConfigMap", "camera-operator-dashboards"))
	if cm.Labels["grafana_dashboard"] != "1" || cm.Namespace != "monitoring" || cm.Annotations["grafana_folder"] != "Cameras" {
		t.Errorf("dashboard ConfigMap %s/%s labels %v annotations %v", cm.Namespace, cm.Name, cm.Labels, cm.Annotations)
	}
	want, err := os.ReadFile(filepath.Join(root, "charts", "camera-operator", "files", "dashboards", "camera-operator-fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got, wantJSON any
	if err := json.Unmarshal([]byte(cm.Data["camera-operator-fleet.json"]), &got); err != nil {
		t.Fatalf("the dashboard in the ConfigMap is not JSON: %v", err)
	}
	if err := json.Unmarshal(want, &wantJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantJSON) {
		t.Error("the ConfigMap's dashboard differs from files/dashboards/camera-operator-fleet.json")
	}

	rule := one(t, objs, "PrometheusRule", "camera-operator")
	if rule.GetLabels()["release"] != "prometheus" || rule.GetNamespace() != releaseNamespace {
		t.Errorf("PrometheusRule %s/%s labels %v", rule.GetNamespace(), rule.GetName(), rule.GetLabels())
	}
	rules, err := os.ReadFile(filepath.Join(root, "charts", "camera-operator", "files", "alerts", "camera-operator.rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := yaml.Unmarshal(rules, &file); err != nil {
		t.Fatal(err)
	}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if !reflect.DeepEqual(groups, file["groups"]) {
		t.Error("the PrometheusRule's groups differ from files/alerts/camera-operator.rules.yaml")
	}
}
