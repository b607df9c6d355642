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
	{name: "shards", files: []string{"hack/chart/testdata/values/shards.yaml"}, check: checkShards},
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
		{"shard-name.yaml", "/shards/0/name", true},
		{"shard-twice.yaml", "shards: east is listed twice", false},
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

// checkInvariants holds for every value set and each operator Deployment it renders.
func checkInvariants(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		l := o.GetLabels()
		if l["app.kubernetes.io/managed-by"] != "Helm" || l["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s %s lacks the release labels: %v", o.GetKind(), o.GetName(), l)
		}
	}
	deployments := find(objs, "Deployment", "")
	if len(deployments) == 0 {
		t.Fatal("no Deployment rendered")
	}
	for _, u := range deployments {
		t.Run(u.GetName(), func(t *testing.T) {
			checkOperatorDeployment(t, objs, decode[appsv1.Deployment](t, u))
		})
	}
}

// checkOperatorDeployment checks one operator Deployment and the objects it relies on.
func checkOperatorDeployment(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
	t.Helper()
	c := manager(t, d)
	checkSelector(t, objs, d)
	checkSecurityContext(t, d.Spec.Template.Spec.SecurityContext, c.SecurityContext)
	flags := flagValues(t, c.Args)
	checkPorts(t, c, flags)
	checkServices(t, objs, d, c, flags)
	checkBindings(t, objs, d.Spec.Template.Spec.ServiceAccountName)
}

// checkSelector: the Deployment selects its own pods and no other Deployment's.
func checkSelector(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template
	sel, err := labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}
	for _, other := range find(objs, "Deployment", "") {
		if other.GetName() == d.Name {
			continue
		}
		otherPods, _, _ := unstructured.NestedStringMap(other.Object, "spec", "template", "metadata", "labels")
		if sel.Matches(labels.Set(otherPods)) {
			t.Errorf("the selector of %s also selects the pods of %s", d.Name, other.GetName())
		}
	}
}

// checkSecurityContext: nonroot, read-only root filesystem, no capabilities,
// RuntimeDefault seccomp.
func checkSecurityContext(t *testing.T, psc *corev1.PodSecurityContext, sc *corev1.SecurityContext) {
	t.Helper()
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
}

// checkPorts: liveness /healthz and readiness /readyz (true on every healthy replica)
// on the port the health-probe flag binds; metrics and SIP ports match their flags; the
// container asks for resources.
func checkPorts(t *testing.T, c corev1.Container, flags map[string]string) {
	t.Helper()
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
}

// checkServices: the metrics Service selects the operator's pods and targets a port
// they have. The SIP Service is the one --sip-service names; it selects no pods: the
// leader writes its EndpointSlice, whose ports have the Service ports' names, from the
// pod's identity the downward API gives it.
func checkServices(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment, c corev1.Container, flags map[string]string) {
	t.Helper()
	for _, u := range find(objs, "Service", "") {
		svc := decode[corev1.Service](t, u)
		if svc.Name == flags["sip-service"] || strings.HasSuffix(svc.Name, "-sip") {
			continue
		}
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s does not select the operator's pods", svc.Name)
		}
		for _, p := range svc.Spec.Ports {
			cp := containerPort(c, p.TargetPort.StrVal)
			if cp == nil || cp.Protocol != p.Protocol {
				t.Errorf("Service %s port %s targets %q, which the container does not have over %s", svc.Name, p.Name, p.TargetPort.String(), p.Protocol)
			}
		}
	}
	sip := decode[corev1.Service](t, one(t, objs, "Service", flags["sip-service"]))
	if len(sip.Spec.Selector) != 0 {
		t.Errorf("SIP Service %s selects pods %v: every replica is Ready, so it would send devices to standbys", sip.Name, sip.Spec.Selector)
	}
	var names []string
	for _, p := range sip.Spec.Ports {
		names = append(names, p.Name+"/"+string(p.Protocol))
	}
	if !slices.Equal(names, []string{"sip-udp/UDP", "sip-tcp/TCP"}) {
		t.Errorf("SIP Service %s ports %v, want sip-udp/UDP and sip-tcp/TCP", sip.Name, names)
	}
	for _, env := range []struct{ name, field string }{{"POD_NAME", "metadata.name"}, {"POD_NAMESPACE", "metadata.namespace"}, {"POD_IP", "status.podIP"}} {
		if e := envVar(c, env.name); e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != env.field {
			t.Errorf("env %s is not the downward API's %s: %+v", env.name, env.field, e)
		}
	}
	wantFlags(t, c, map[string]string{"pod-name": "$(POD_NAME)", "pod-namespace": "$(POD_NAMESPACE)", "pod-ip": "$(POD_IP)"})
}

// checkBindings: RBAC subjects are the ServiceAccount the pods run as, in the release
// namespace.
func checkBindings(t *testing.T, objs []*unstructured.Unstructured, serviceAccount string) {
	t.Helper()
	for _, kind := range []string{"RoleBinding", "ClusterRoleBinding"} {
		for _, u := range find(objs, kind, "") {
			b := decode[rbacv1.RoleBinding](t, u)
			if len(b.Subjects) != 1 || b.Subjects[0].Kind != "ServiceAccount" ||
				b.Subjects[0].Name != serviceAccount || b.Subjects[0].Namespace != releaseNamespace {
				t.Errorf("%s %s binds %+v, not the pods' ServiceAccount %s", kind, b.Name, b.Subjects, serviceAccount)
			}
		}
	}
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }

func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func checkDefaults(t *testing.T, objs []*unstructured.Unstructured) {
	d := deployment(t, objs)
	c := manager(t, d)
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1", *d.Spec.Replicas)
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable.String() != "0" || ru.MaxSurge.String() != "1" {
		t.Errorf("strategy %+v: a rollout should start a Ready standby before it stops the leader", d.Spec.Strategy)
	}
	if c.Image != "ghcr.io/gb28181/camera-operator:0.1.0" {
		t.Errorf("image %s, want the chart's appVersion", c.Image)
	}
	wantFlags(t, c, map[string]string{
		"leader-elect": "true", "leader-election-namespace": releaseNamespace,
		"watch-namespaces": "", "sip-listen": ":5060", "sip-realm": "3402000000",
		"shard": "", "sip-service": "camera-operator-sip",
	})
	if e := envVar(c, "GOMEMLIMIT"); e == nil || e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil || e.ValueFrom.ResourceFieldRef.Resource != "limits.memory" {
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
	checkCommander(t, one(t, objs, "ClusterRole", "camera-operator-commander"), true)
	if le := one(t, objs, "Role", "camera-operator-leader-election"); le.GetNamespace() != releaseNamespace {
		t.Errorf("leader-election Role in %s", le.GetNamespace())
	}
	if se := one(t, objs, "Role", "camera-operator-sip-endpoints"); se.GetNamespace() != releaseNamespace {
		t.Errorf("SIP endpoint Role in %s", se.GetNamespace())
	}
	if n := len(find(objs, "Role", "")); n != 2 {
		t.Errorf("%d Roles, want the leader-election and SIP endpoint ones", n)
	}
	crd := one(t, objs, "CustomResourceDefinition", "cameras.gb28181.io")
	if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
		t.Error("the CRD is not kept on uninstall")
	}
	for _, kind := range []string{"ServiceMonitor", "ConfigMap", "PrometheusRule"} {
		if n := len(find(objs, kind, "")); n != 0 {
			t.Errorf("%d %s by default", n, kind)
		}
	}
}

// checkServiceMonitor: the ServiceMonitor carries the labels asked for, selects the
// metrics Service and not the SIP one (whose labels are sipLabels), and scrapes its
// metrics port at the interval asked for, honouring the fleet gauges' labels.
func checkServiceMonitor(t *testing.T, objs []*unstructured.Unstructured, sipLabels map[string]string) {
	t.Helper()
	metrics := one(t, objs, "Service", "camera-operator-metrics")
	sm := one(t, objs, "ServiceMonitor", "camera-operator")
	if sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v", sm.GetLabels())
	}
	matchLabels, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if !labels.SelectorFromSet(matchLabels).Matches(labels.Set(metrics.GetLabels())) {
		t.Errorf("the ServiceMonitor selector %v does not select the metrics Service %v", matchLabels, metrics.GetLabels())
	}
	if labels.SelectorFromSet(matchLabels).Matches(labels.Set(sipLabels)) {
		t.Error("the ServiceMonitor also selects the SIP Service")
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != "metrics" || endpoints[0].(map[string]any)["interval"] != "30s" ||
		endpoints[0].(map[string]any)["honorLabels"] != true {
		t.Errorf("ServiceMonitor endpoints %v: want port metrics every 30s, honouring the fleet gauges' namespace label", endpoints)
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
	// The operator holds no cluster-wide permission; the users' commander role is a
	// ClusterRole bound per namespace, and binds nothing itself.
	if n := len(find(objs, "ClusterRoleBinding", "")); n != 0 {
		t.Errorf("%d ClusterRoleBindings with watchNamespaces set", n)
	}
	if roles := find(objs, "ClusterRole", ""); len(roles) != 1 || roles[0].GetName() != "camera-operator-commander" {
		t.Errorf("%d ClusterRoles with watchNamespaces set, want only the users' commander role", len(roles))
	}
	checkCommander(t, one(t, objs, "ClusterRole", "camera-operator-commander"), false)
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

	checkServiceMonitor(t, objs, svc.Labels)
	checkMonitoring(t, objs)

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
	if e := envVar(c, "GOMEMLIMIT"); e != nil {
		t.Errorf("GOMEMLIMIT %+v without a memory limit", e)
	}
	for _, kind := range []string{"ServiceAccount", "CustomResourceDefinition"} {
		if n := len(find(objs, kind, "")); n != 0 {
			t.Errorf("%d %s rendered", n, kind)
		}
	}
	// Without leader election only the SIP endpoint Role is namespaced: the single
	// replica still publishes itself as the SIP Service's endpoint.
	for _, kind := range []string{"Role", "RoleBinding"} {
		if objs := find(objs, kind, ""); len(objs) != 1 || objs[0].GetName() != "gb-registrar-sip-endpoints" {
			t.Errorf("%d %s rendered, want only gb-registrar-sip-endpoints", len(objs), kind)
		}
	}
	if n := len(find(objs, "Service", "gb-registrar-metrics")); n != 0 {
		t.Error("metrics Service rendered while disabled")
	}
	one(t, objs, "ClusterRoleBinding", "gb-registrar-manager")
	if n := len(find(objs, "ClusterRole", "gb-registrar-commander")); n != 0 {
		t.Error("the commander ClusterRole rendered with rbac.commander.create false")
	}
	svc := decode[corev1.Service](t, one(t, objs, "Service", "gb-registrar-sip"))
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal ||
		svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass != "example.com/udp-lb" ||
		!slices.Equal(svc.Spec.LoadBalancerSourceRanges, []string{"10.20.0.0/16"}) || svc.Labels["exposure"] != "cameras" {
		t.Errorf("SIP Service %+v", svc.Spec)
	}
}

// checkShards: each shard is its own Deployment serving its label under its own Lease,
// with its own SIP port and SIP Service; nothing unsharded is deployed beside them.
func checkShards(t *testing.T, objs []*unstructured.Unstructured) {
	tests := []struct {
		shard, svcType string
		port, replicas int32
	}{
		{"east", "ClusterIP", 5061, 1},
		{"west", "LoadBalancer", 5062, 2},
	}
	if n := len(find(objs, "Deployment", "")); n != len(tests) {
		t.Errorf("%d Deployments, want one per shard", n)
	}
	for _, tc := range tests {
		d := decode[appsv1.Deployment](t, one(t, objs, "Deployment", "camera-operator-"+tc.shard))
		c := manager(t, d)
		wantFlags(t, c, map[string]string{
			"shard": tc.shard, "sip-listen": ":" + itoa(tc.port), "sip-service": "camera-operator-" + tc.shard + "-sip",
		})
		if *d.Spec.Replicas != tc.replicas {
			t.Errorf("shard %s: replicas %d, want %d", tc.shard, *d.Spec.Replicas, tc.replicas)
		}
		if got := d.Spec.Template.Labels["gb28181.io/shard"]; got != tc.shard {
			t.Errorf("shard %s: pods labelled %q", tc.shard, got)
		}
		svc := decode[corev1.Service](t, one(t, objs, "Service", "camera-operator-"+tc.shard+"-sip"))
		if string(svc.Spec.Type) != tc.svcType {
			t.Errorf("shard %s: SIP Service type %s, want %s", tc.shard, svc.Spec.Type, tc.svcType)
		}
		for _, p := range svc.Spec.Ports {
			if p.Port != tc.port {
				t.Errorf("shard %s: SIP Service port %d, want %d", tc.shard, p.Port, tc.port)
			}
		}
	}
	if svc := decode[corev1.Service](t, one(t, objs, "Service", "camera-operator-west-sip")); svc.Spec.LoadBalancerIP != "192.0.2.62" {
		t.Errorf("west's service override lost: loadBalancerIP %q", svc.Spec.LoadBalancerIP)
	}
	if len(find(objs, "Service", "camera-operator-sip")) != 0 {
		t.Error("an unsharded SIP Service is rendered beside the shards")
	}
}

// checkCommander: the users' commander ClusterRole carries the labels that aggregate it
// into admin and edit exactly when aggregated, and no binding of the chart names it (a
// user binds it per namespace). Its rules are checked against config/rbac by
// TestChartRBACIsConfigRBAC.
func checkCommander(t *testing.T, u *unstructured.Unstructured, aggregated bool) {
	t.Helper()
	role := decode[rbacv1.ClusterRole](t, u)
	for _, l := range []string{"rbac.authorization.k8s.io/aggregate-to-admin", "rbac.authorization.k8s.io/aggregate-to-edit"} {
		if got := role.Labels[l] == "true"; got != aggregated {
			t.Errorf("commander ClusterRole: label %s=%q, want aggregated %v", l, role.Labels[l], aggregated)
		}
	}
	if len(role.Rules) == 0 {
		t.Error("commander ClusterRole without rules")
	}
}
