package controllers

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// forbiddenRecorder remembers the requests the API server refused with 403.
type forbiddenRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (f *forbiddenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := f.next.RoundTrip(req)
	if err == nil && res.StatusCode == http.StatusForbidden {
		f.mu.Lock()
		f.seen = append(f.seen, req.Method+" "+req.URL.Path)
		f.mu.Unlock()
	}
	return res, err
}

// TestRunsWithGeneratedRBAC runs the operator as a user holding only the ClusterRole
// generated from this package's RBAC markers (config/rbac/role.yaml), the namespaced Role
// generated beside it and the namespaced leader-election Role: registration, status,
// Events, the Cameras' liveness Leases (created, then renewed), leader election and the
// SIP Service's EndpointSlice must all work, and no request may be refused.
func TestRunsWithGeneratedRBAC(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)

	// role.yaml holds the ClusterRole and the Role of the operator's own namespace.
	raw, err := os.ReadFile(filepath.Join(kubetest.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatalf("generated role: %v", err)
	}
	var role rbacv1.ClusterRole
	var nsRole rbacv1.Role
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "ClusterRole":
			err = yaml.Unmarshal([]byte(doc), &role)
		case "Role":
			err = yaml.Unmarshal([]byte(doc), &nsRole)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(role.Rules) == 0 || len(nsRole.Rules) == 0 {
		t.Fatalf("role.yaml: want a ClusterRole and a Role with rules, got %d and %d rules", len(role.Rules), len(nsRole.Rules))
	}
	role.ObjectMeta = metav1.ObjectMeta{Name: ns + "-manager"}
	user := "system:serviceaccount:" + ns + ":camera-operator"
	binding := rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := c.Create(context.Background(), &role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteObject(t, c, &role) })
	if err := c.Create(context.Background(), &binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteObject(t, c, &binding) })
	// The namespaced Role (the SIP Service's EndpointSlice) in the operator's namespace.
	nsRole.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "manager"}
	nsBinding := rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: nsRole.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := c.Create(context.Background(), &nsRole); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(context.Background(), &nsBinding); err != nil {
		t.Fatal(err)
	}

	// Leader election's Lease is granted by the separate, namespaced Role, as deployed.
	raw, err = os.ReadFile(filepath.Join(kubetest.RepoRoot(), "config", "rbac", "leader_election_role.yaml"))
	if err != nil {
		t.Fatalf("leader election role: %v", err)
	}
	var leRole rbacv1.Role
	if err := yaml.Unmarshal(raw, &leRole); err != nil {
		t.Fatal(err)
	}
	leRole.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "leader-election"}
	leBinding := rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leader-election"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: leRole.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := c.Create(context.Background(), &leRole); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(context.Background(), &leBinding); err != nil {
		t.Fatal(err)
	}

	cfg := controllertest.AddUser(t, user)
	forbidden := &forbiddenRecorder{}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { forbidden.next = rt; return forbidden }
	// The Camera lives in a namespace of its own: in the operator's, the leader-election
	// Role would grant its Lease too.
	camNS := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns, camNS}, leaseNamespace: ns, restConfig: cfg,
		opts:      camera.Options{KeepaliveStatusInterval: time.Second},
		endpoints: endpoints.Config{Service: "sip", Namespace: ns, PodName: "camera-operator-0", PodIP: "192.0.2.10"}})
	controllertest.WaitSlice(t, c, ns, "sip", 10*time.Second, controllertest.PublishedAt("sip", "camera-operator-0", "192.0.2.10", portOfOp(t, op)))

	const id = "34020000001320000091"
	createSecret(t, c, camNS, "sip", map[string]string{"password": "pw"})
	createCamera(t, c, camNS, "rbac", id, "sip", func(cam *gbv1.Camera) {
		cam.Spec.Catalog.Disabled = true
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Second}
	})
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	waitCamera(t, c, camNS, "rbac", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	waitEvents(t, c, camNS, "rbac", "Registered")
	// Liveness: the Camera's Lease is created at the first liveness record, and renewed
	// (updated) at the next.
	keepSendingKeepalives(t, dev, 200*time.Millisecond)
	var created time.Time
	testutil.Eventually(t, 15*time.Second, "the Camera's Lease created and renewed", func() error {
		var l coordinationv1.Lease
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: camNS, Name: "rbac"}, &l); err != nil {
			return err
		}
		if l.Spec.RenewTime == nil {
			return fmt.Errorf("Lease without renewTime: %+v", l.Spec)
		}
		if created.IsZero() {
			created = l.Spec.RenewTime.Time
		}
		if !l.Spec.RenewTime.After(created) {
			return fmt.Errorf("renewed at %s, not since it was created", l.Spec.RenewTime.Format(time.RFC3339Nano))
		}
		return nil
	})

	forbidden.mu.Lock()
	defer forbidden.mu.Unlock()
	if len(forbidden.seen) > 0 {
		t.Errorf("requests refused by RBAC: %v", forbidden.seen)
	}
}
