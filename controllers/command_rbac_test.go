package controllers

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// TestCommanderRole: a user bound by a RoleBinding in namespace A to the commander
// ClusterRole (config/rbac/cameracommand_commander_role.yaml, which the chart installs as
// camera-operator-commander) creates, reads and deletes the CameraCommands of A and reads
// its Cameras. In namespace B, where nothing binds it, it can do none of that; in A it
// cannot change a Camera, a command's spec or a command's status.
func TestCommanderRole(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	nsA, nsB := newNamespace(t, c), newNamespace(t, c)
	ctx := context.Background()

	raw, err := os.ReadFile(filepath.Join(kubetest.RepoRoot(), "config", "rbac", "cameracommand_commander_role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(raw, &role); err != nil {
		t.Fatal(err)
	}
	// A name of the test's own; no labels, which would aggregate it into edit.
	role.ObjectMeta = metav1.ObjectMeta{Name: nsA + "-commander"}
	if err := c.Create(ctx, &role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteObject(t, c, &role) })
	user := "team-" + nsA
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "commanders"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := c.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{nsA, nsB} {
		createCamera(t, c, ns, "lobby", "34020000001320000721", "sip")
	}
	team, err := client.New(controllertest.AddUser(t, user), client.Options{Scheme: controllertest.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	keyframe := func(ns string) *gbv1.CameraCommand {
		return &gbv1.CameraCommand{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "keyframe-"},
			Spec: gbv1.CameraCommandSpec{CameraRef: gbv1.LocalObjectReference{Name: "lobby"}, Keyframe: &gbv1.KeyframeCommand{}}}
	}

	// The binding reaches the API server's authorizer within moments.
	mine := keyframe(nsA)
	testutil.Eventually(t, 10*time.Second, "the team creates a command in its namespace", func() error {
		return team.Create(ctx, mine)
	})
	var list gbv1.CameraCommandList
	if err := team.List(ctx, &list, client.InNamespace(nsA)); err != nil || len(list.Items) != 1 {
		t.Errorf("listing its commands: %d, %v", len(list.Items), err)
	}
	var cam gbv1.Camera
	if err := team.Get(ctx, client.ObjectKey{Namespace: nsA, Name: "lobby"}, &cam); err != nil {
		t.Errorf("reading its Camera: %v", err)
	}

	for _, a := range []struct {
		what string
		do   func() error
	}{
		{"create a command in another namespace", func() error { return team.Create(ctx, keyframe(nsB)) }},
		{"list the commands of another namespace", func() error {
			return team.List(ctx, &gbv1.CameraCommandList{}, client.InNamespace(nsB))
		}},
		{"read another namespace's Camera", func() error {
			return team.Get(ctx, client.ObjectKey{Namespace: nsB, Name: "lobby"}, &gbv1.Camera{})
		}},
		{"change its Camera", func() error {
			patched := cam.DeepCopy()
			patched.Spec.Suspend = true
			return team.Patch(ctx, patched, client.MergeFrom(&cam))
		}},
		{"write a command's status", func() error {
			done := mine.DeepCopy()
			done.Status.Phase = gbv1.CommandSucceeded
			return team.Status().Update(ctx, done)
		}},
		{"update a command", func() error {
			changed := mine.DeepCopy()
			changed.Labels = map[string]string{"x": "y"}
			return team.Update(ctx, changed)
		}},
	} {
		if err := a.do(); !apierrors.IsForbidden(err) {
			t.Errorf("the team could %s: %v, want Forbidden", a.what, err)
		}
	}
	if err := team.Delete(ctx, mine); err != nil {
		t.Errorf("deleting its command: %v", err)
	}
}
