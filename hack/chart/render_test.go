package chart

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gb28181/camera-operator/hack/argocd"
)

// valueSets are the values the chart is linted, rendered and dry-run applied with: the
// defaults and two sets that turn every switch the other way.
var valueSets = []struct {
	name  string
	files []string
	check func(t *testing.T, objs []*unstructured.Unstructured)
}{
	{name: "defaults", check: checkDefaults},
	{name: "namespaced-nodeport", files: []string{"hack/chart/testdata/values/namespaced-nodeport.yaml"}, check: checkNamespacedNodePort},
	{name: "hostnetwork-loadbalancer", files: []string{"hack/chart/testdata/values/hostnetwork-loadbalancer.yaml"}, check: checkHostNetworkLoadBalancer},
}

func TestLint(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			if out, err := lint(t, vs.files...); err != nil {
				t.Fatalf("helm lint --strict: %v\n%s", err, out)
			}
		})
	}
}

func TestTemplate(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			objs := render(t, vs.files...)
			checkInvariants(t, objs)
			vs.check(t, objs)
		})
	}
}

// TestInvalidValuesRejected shows values.schema.json and the templates' own checks turn
// away values that would install something broken, with a message naming the problem.
// helm lint fails on schema violations; template checks (fail) stop helm template and
// so any install, while lint only reports them.
func TestInvalidValuesRejected(t *testing.T) {
	tests := []struct {
		file, want string
		schema     bool
	}{
		{"service-type.yaml", "/service/type", true},
		{"unknown-key.yaml", "listen", true},
		{"short-sip-id.yaml", "/sip/id", true},
		{"duration.yaml", "/keepaliveStatusInterval", true},
		{"namespace-name.yaml", "/watchNamespaces/0", true},
		{"log-format.yaml", "/logging/format", true},
		{"traffic-policy-clusterip.yaml", "externalTrafficPolicy applies only to service.type NodePort or LoadBalancer", false},
		{"nodeport-clusterip.yaml", "nodePorts apply only to service.type NodePort or LoadBalancer", false},
		{"servicemonitor-without-service.yaml", "metrics.serviceMonitor needs metrics.service.enabled", false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			file := "hack/chart/testdata/invalid/" + tc.file
			out, err := lint(t, file)
			if tc.schema && err == nil {
				t.Errorf("helm lint accepted %s:\n%s", tc.file, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("helm lint output does not mention %q:\n%s", tc.want, out)
			}
			_, err = tryRender(t, file)
			if err == nil {
				t.Fatalf("helm template accepted %s", tc.file)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template error does not mention %q:\n%v", tc.want, err)
			}
		})
	}
}

// decode converts a rendered object into its typed form.
func decode[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return out
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	d := find(objs, "Deployment", "")
	if len(d) != 1 {
		t.Fatalf("want one Deployment, rendered %d", len(d))
	}
	return decode[appsv1.Deployment](t, d[0])
}

func manager(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(d.Spec.Template.Spec.Containers))
	}
	return d.Spec.Template.Spec.Containers[0]
}

// flagValues maps each --flag=value argument to its last value, as Go's flag package
// does with repeated flags.
func flagValues(t *testing.T, args []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !ok {
			t.Fatalf("argument %q is not --flag=value", a)
		}
		out[name] = value
	}
	return out
}

func wantFlags(t *testing.T, c corev1.Container, want map[string]string) {
	t.Helper()
	got := flagValues(t, c.Args)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("--%s=%q, want %q", k, got[k], v)
		}
	}
}

func containerPort(c corev1.Container, name string) *corev1.ContainerPort {
	for i := range c.Ports {
		if c.Ports[i].Name == name {
			return &c.Ports[i]
		}
	}
	return nil
}

// checkInvariants holds for every value set.
func checkInvariants(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	d := deployment(t, objs)
	pod := d.Spec.Template
	c := manager(t, d)
	for _, o := range objs {
		l := o.GetLabels()
		if l["app.kubernetes.io/managed-by"] != "Helm" || l["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s %s lacks the release labels: %v", o.GetKind(), o.GetName(), l)
		}
	}
	sel, err := labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}

	// Security: nonroot, read-only root filesystem, no capabilities, RuntimeDefault seccomp.
	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	switch {
	case psc == nil || sc == nil:
		t.Fatal("no securityContext")
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
		t.Error("pod runAsNonRoot is not true")
	case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("pod seccompProfile is not RuntimeDefault")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("readOnlyRootFilesystem is not true")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation is not false")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Error("capabilities are not drop ALL")
	}

	// Probes: liveness /healthz, readiness /readyz (the manager is up, standbys too), both on
	// the port the health-probe flag binds.
	probes := containerPort(c, "probes")
	if probes == nil {
		t.Fatal("no probes port")
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString("probes") {
			t.Errorf("%s probe %+v, want GET %s on port probes", p.name, p.probe, p.path)
		}
	}
	flags := flagValues(t, c.Args)
	if want := ":" + itoa(probes.ContainerPort); flags["health-probe-bind-address"] != want {
		t.Errorf("--health-probe-bind-address=%s but the probes port is %d", flags["health-probe-bind-address"], probes.ContainerPort)
	}
	if m := containerPort(c, "metrics"); m == nil || flags["metrics-bind-address"] != ":"+itoa(m.ContainerPort) {
		t.Errorf("--metrics-bind-address=%s does not match the metrics port %+v", flags["metrics-bind-address"], m)
	}
	udp, tcp := containerPort(c, "sip-udp"), containerPort(c, "sip-tcp")
	if udp == nil || tcp == nil || udp.Protocol != corev1.ProtocolUDP || tcp.Protocol != corev1.ProtocolTCP || udp.ContainerPort != tcp.ContainerPort {
		t.Fatalf("SIP ports %+v %+v, want UDP and TCP on one port", udp, tcp)
	}
	if !strings.HasSuffix(flags["sip-listen"], ":"+itoa(udp.ContainerPort)) {
		t.Errorf("--sip-listen=%s but the SIP port is %d", flags["sip-listen"], udp.ContainerPort)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Error("no resource requests")
	}

	// Services select the operator's pods and target ports the container has.
	for _, u := range find(objs, "Service", "") {
		svc := decode[corev1.Service](t, u)
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) || len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s does not select the operator's pods", svc.Name)
		}
		for _, p := range svc.Spec.Ports {
			cp := containerPort(c, p.TargetPort.StrVal)
			if cp == nil || cp.Protocol != p.Protocol {
				t.Errorf("Service %s port %s targets %q, which the container does not have over %s", svc.Name, p.Name, p.TargetPort.String(), p.Protocol)
			}
		}
	}

	// RBAC subjects are the ServiceAccount the pods run as, in the release namespace.
	for _, kind := range []string{"RoleBinding", "ClusterRoleBinding"} {
		for _, u := range find(objs, kind, "") {
			b := decode[rbacv1.RoleBinding](t, u)
			if len(b.Subjects) != 1 || b.Subjects[0].Kind != "ServiceAccount" ||
				b.Subjects[0].Name != pod.Spec.ServiceAccountName || b.Subjects[0].Namespace != releaseNamespace {
				t.Errorf("%s %s binds %+v, not the pods' ServiceAccount %s", kind, b.Name, b.Subjects, pod.Spec.ServiceAccountName)
			}
		}
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func checkDefaults(t *testing.T, objs []*unstructured.Unstructured) {
	d := deployment(t, objs)
	c := manager(t, d)
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1", *d.Spec.Replicas)
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable.String() != "100%" {
		t.Errorf("strategy %+v: a rollout must not wait for a standby to become Ready", d.Spec.Strategy)
	}
	if c.Image != "ghcr.io/gb28181/camera-operator:0.1.0" {
		t.Errorf("image %s, want the chart's appVersion", c.Image)
	}
	wantFlags(t, c, map[string]string{
		"leader-elect": "true", "leader-election-namespace": releaseNamespace,
		"watch-namespaces": "", "sip-listen": ":5060", "sip-realm": "3402000000",
	})
	if len(c.Env) != 1 || c.Env[0].Name != "GOMEMLIMIT" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.ResourceFieldRef.Resource != "limits.memory" {
		t.Errorf("env %+v, want GOMEMLIMIT from the memory limit", c.Env)
	}
	if d.Spec.Template.Spec.HostNetwork {
		t.Error("hostNetwork by default")
	}

	svc := decode[corev1.Service](t, one(t, objs, "Service", "camera-operator-sip"))
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("SIP Service type %s policy %q", svc.Spec.Type, svc.Spec.ExternalTrafficPolicy)
	}
	var protos []corev1.Protocol
	for _, p := range svc.Spec.Ports {
		if p.Port != 5060 {
			t.Errorf("SIP Service port %d", p.Port)
		}
		protos = append(protos, p.Protocol)
	}
	if !slices.Equal(protos, []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP}) {
		t.Errorf("SIP Service protocols %v", protos)
	}
	one(t, objs, "Service", "camera-operator-metrics")
	one(t, objs, "ServiceAccount", "camera-operator")
	one(t, objs, "ClusterRole", "camera-operator-manager")
	one(t, objs, "ClusterRoleBinding", "camera-operator-manager")
	if le := one(t, objs, "Role", "camera-operator-leader-election"); le.GetNamespace() != releaseNamespace {
		t.Errorf("leader-election Role in %s", le.GetNamespace())
	}
	if n := len(find(objs, "Role", "")); n != 1 {
		t.Errorf("%d Roles, want only the leader-election one", n)
	}
	crd := one(t, objs, "CustomResourceDefinition", "cameras.gb28181.io")
	if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
		t.Error("the CRD is not kept on uninstall")
	}
	for _, kind := range []string{"ServiceMonitor", "ConfigMap"} {
		if n := len(find(objs, kind, "")); n != 0 {
			t.Errorf("%d %s by default", n, kind)
		}
	}
}

func checkNamespacedNodePort(t *testing.T, objs []*unstructured.Unstructured) {
	d := deployment(t, objs)
	c := manager(t, d)
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas %d", *d.Spec.Replicas)
	}
	wantFlags(t, c, map[string]string{
		"sip-listen": "[::]:15060", "sip-id": "44010000002000000099", "sip-realm": "4401000000",
		"sip-timezone": "Europe/Berlin", "sip-min-expires": "2m", "sip-max-expires": "6h",
		"sip-default-expires": "30m", "keepalive-status-interval": "90s",
		"metrics-bind-address": ":9090", "health-probe-bind-address": ":9440",
		"leader-elect": "true", "leader-election-namespace": "camera-operator-leases",
		"watch-namespaces": "site-a,site-b", "log-level": "debug", "log-format": "text",
	})
	if c.Image != "registry.example.com/video/camera-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("image %s", c.Image)
	}
	if d.Spec.Template.Spec.ServiceAccountName != "gb-operator" || d.Spec.Template.Spec.PriorityClassName != "system-cluster-critical" {
		t.Errorf("pod spec %+v", d.Spec.Template.Spec)
	}
	if d.Spec.Template.Labels["team"] != "video" || d.Spec.Template.Annotations["example.com/scrape"] != "false" {
		t.Errorf("pod metadata %+v", d.Spec.Template.ObjectMeta)
	}
	if n := len(find(objs, "ClusterRole", "")) + len(find(objs, "ClusterRoleBinding", "")); n != 0 {
		t.Errorf("%d cluster-wide RBAC objects with watchNamespaces set", n)
	}
	for _, ns := range []string{"site-a", "site-b"} {
		var found bool
		for _, r := range find(objs, "Role", "camera-operator-manager") {
			found = found || r.GetNamespace() == ns
		}
		if !found {
			t.Errorf("no manager Role in %s", ns)
		}
	}
	if le := one(t, objs, "Role", "camera-operator-leader-election"); le.GetNamespace() != "camera-operator-leases" {
		t.Errorf("leader-election Role in %s", le.GetNamespace())
	}

	svc := decode[corev1.Service](t, one(t, objs, "Service", "camera-operator-sip"))
	if svc.Spec.Type != corev1.ServiceTypeNodePort || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("SIP Service type %s policy %q", svc.Spec.Type, svc.Spec.ExternalTrafficPolicy)
	}
	nodePorts := map[corev1.Protocol]int32{}
	for _, p := range svc.Spec.Ports {
		nodePorts[p.Protocol] = p.NodePort
		if p.Port != 5070 {
			t.Errorf("SIP Service port %d, want 5070", p.Port)
		}
	}
	if nodePorts[corev1.ProtocolUDP] != 30560 || nodePorts[corev1.ProtocolTCP] != 30561 {
		t.Errorf("node ports %v", nodePorts)
	}

	metrics := one(t, objs, "Service", "camera-operator-metrics")
	sm := one(t, objs, "ServiceMonitor", "camera-operator")
	if sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v", sm.GetLabels())
	}
	matchLabels, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if !labels.SelectorFromSet(matchLabels).Matches(labels.Set(metrics.GetLabels())) {
		t.Errorf("the ServiceMonitor selector %v does not select the metrics Service %v", matchLabels, metrics.GetLabels())
	}
	if labels.SelectorFromSet(matchLabels).Matches(labels.Set(svc.Labels)) {
		t.Error("the ServiceMonitor also selects the SIP Service")
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != "metrics" || endpoints[0].(map[string]any)["interval"] != "30s" {
		t.Errorf("ServiceMonitor endpoints %v", endpoints)
	}

	cm := decode[corev1.ConfigMap](t, one(t, objs, "ConfigMap", "camera-operator-argocd-cm"))
	if got := cm.Data[argocd.HealthKey]; got != argocd.HealthLua {
		t.Errorf("the ConfigMap's health check differs from hack/argocd/camera-health.lua:\n%s", got)
	}
	if got := cm.Data[argocd.IgnoreUpdatesKey]; got != argocd.IgnoreUpdatesYAML {
		t.Errorf("the ConfigMap's ignoreResourceUpdates differs from hack/argocd/camera-ignore-updates.yaml:\n%s", got)
	}
	crd := one(t, objs, "CustomResourceDefinition", "cameras.gb28181.io")
	if _, kept := crd.GetAnnotations()["helm.sh/resource-policy"]; kept {
		t.Error("crds.keep=false still keeps the CRD")
	}
}

func checkHostNetworkLoadBalancer(t *testing.T, objs []*unstructured.Unstructured) {
	d := deployment(t, objs)
	c := manager(t, d)
	spec := d.Spec.Template.Spec
	if !spec.HostNetwork || spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Errorf("hostNetwork %v dnsPolicy %s", spec.HostNetwork, spec.DNSPolicy)
	}
	if d.Name != "gb-registrar" || spec.ServiceAccountName != "existing-operator" {
		t.Errorf("Deployment %s runs as %s", d.Name, spec.ServiceAccountName)
	}
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil {
		t.Error("affinity dropped")
	}
	wantFlags(t, c, map[string]string{"sip-listen": "0.0.0.0:5062", "leader-elect": "false"})
	if len(c.Env) != 0 {
		t.Errorf("env %+v without a memory limit", c.Env)
	}
	for _, kind := range []string{"ServiceAccount", "CustomResourceDefinition", "Role", "RoleBinding"} {
		if n := len(find(objs, kind, "")); n != 0 {
			t.Errorf("%d %s rendered", n, kind)
		}
	}
	if n := len(find(objs, "Service", "gb-registrar-metrics")); n != 0 {
		t.Error("metrics Service rendered while disabled")
	}
	one(t, objs, "ClusterRoleBinding", "gb-registrar-manager")
	svc := decode[corev1.Service](t, one(t, objs, "Service", "gb-registrar-sip"))
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal ||
		svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass != "example.com/udp-lb" ||
		!slices.Equal(svc.Spec.LoadBalancerSourceRanges, []string{"10.20.0.0/16"}) || svc.Labels["exposure"] != "cameras" {
		t.Errorf("SIP Service %+v", svc.Spec)
	}
}
