package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// shard is one shard's operator process, with its own SIP address and Lease.
type shard struct {
	name    string
	sipAddr string
	op      *localcluster.Child
}

// startShard runs an operator with --shard=name and leader election on, its Lease in ns,
// beside the suite's unsharded operator, plus extra flags (later ones win). It is
// stopped when the test ends.
func (e *env) startShard(t *testing.T, ns, name string, extra ...string) *shard {
	t.Helper()
	logPath := filepath.Join(e.dir, "operator-"+name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	s := &shard{name: name, sipAddr: testutil.FreeSIPAddr(t)}
	args := append([]string{
		"--shard=" + name,
		"--metrics-bind-address=0",
		"--leader-elect",
		"--leader-election-namespace=" + ns,
	}, extra...)
	s.op = e.launchOperator(t, out, s.sipAddr, testutil.FreeTCPAddr(t), args...)
	t.Cleanup(func() {
		s.op.Stop(localcluster.StopTimeout)
		if t.Failed() {
			testutil.LogTail(t, "operator of shard "+name, logPath, 80)
		}
		out.Close()
	})
	return s
}

// testShards: two shards, each an operator on its own SIP port with its own Lease, beside
// the unsharded operator. Each registers the devices of its Cameras and answers the
// others' 404, as the unsharded operator does for both; status and `kubectl get -o wide`
// show the serving shard; a Camera relabelled to the other shard moves there without
// being deleted: the old shard forgets its device, the new one serves it once the device
// registers at its address.
func testShards(t *testing.T, e *env) {
	const ns, password = "e2e-shards", "e2e-Sh4rds"
	const eastID, westID = "34020000001320000601", "34020000001320000602"
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+
		camera(cameraSpec{ns: ns, name: "east-ipc", deviceID: eastID, secret: "creds", shard: "east"})+
		camera(cameraSpec{ns: ns, name: "west-ipc", deviceID: westID, secret: "creds", shard: "west"}))
	east, west := e.startShard(t, ns, "east"), e.startShard(t, ns, "west")

	e.startCamsim(t, "east-ipc", "--server", east.sipAddr, "--id", eastID, "--password", password)
	westSim := e.startCamsim(t, "west-ipc", "--server", west.sipAddr, "--id", westID, "--password", password)
	e.wait(t, ns, "condition=Ready", 90*time.Second, "camera/east-ipc", "camera/west-ipc")
	for cam, want := range map[string]string{"east-ipc": "east", "west-ipc": "west"} {
		if got := e.jsonpath(t, ns, "camera/"+cam, "{.status.shard}"); got != want {
			t.Errorf("%s: status.shard %q, want %q", cam, got, want)
		}
	}
	wide := e.kubectlOK(t, "get", "cameras", "-n", ns, "-o", "wide")
	if !strings.Contains(wide, "SHARD") || !wideRowHas(wide, "east-ipc", "east") || !wideRowHas(wide, "west-ipc", "west") {
		t.Errorf("kubectl get cameras -o wide does not show the shards:\n%s", wide)
	}
	for _, s := range []string{"east", "west"} {
		lease := "camera-operator-" + s + ".gb28181.io"
		if holder := e.jsonpath(t, ns, "lease/"+lease, "{.spec.holderIdentity}"); holder == "" {
			t.Errorf("Lease %s has no holder", lease)
		}
	}

	// Each registrar knows only its own shard's devices.
	for _, c := range []struct{ id, server, at string }{
		{westID, east.sipAddr, "shard east"},
		{eastID, west.sipAddr, "shard west"},
		{eastID, e.sipAddr, "the unsharded operator"},
	} {
		if code := registerOnce(t, c.id, password, c.server); code != 404 {
			t.Errorf("REGISTER of %s at %s: %d, want 404", c.id, c.at, code)
		}
	}

	// Relabel west-ipc to shard east: east serves it, west forgets its device. Progress
	// is read first: the refusal may come before the Camera shows its new shard.
	before := westSim.progress()
	e.kubectlOK(t, "label", "camera", "west-ipc", "-n", ns, gbv1.ShardLabel+"=east", "--overwrite")
	e.wait(t, ns, "jsonpath={.status.shard}=east", 30*time.Second, "camera/west-ipc")
	if got := e.condition(t, ns, "west-ipc", gbv1.ConditionRegistered); got != "False/"+gbv1.ReasonShardChanged {
		t.Errorf("west-ipc after the move: Registered %s, want False/%s", got, gbv1.ReasonShardChanged)
	}
	westSim.waitProgress(t, 30*time.Second, "refused by its old shard", func(p progress) bool {
		return p.KeepalivesFailed > before.KeepalivesFailed || p.Failed > before.Failed
	})
	_ = westSim.cmd.Process.Signal(os.Interrupt)
	westSim.wait(t, 60*time.Second, false)

	e.startCamsim(t, "west-ipc-moved", "--server", east.sipAddr, "--id", westID, "--password", password)
	e.wait(t, ns, "condition=Ready", 60*time.Second, "camera/west-ipc")
	if got := e.jsonpath(t, ns, "camera/west-ipc", "{.status.shard}"); got != "east" {
		t.Errorf("west-ipc registered after the move: status.shard %q, want east", got)
	}
	if code := registerOnce(t, westID, password, west.sipAddr); code != 404 {
		t.Errorf("REGISTER of the moved device at its old shard: %d, want 404", code)
	}
	if e.jsonpath(t, ns, "camera/east-ipc", "{.status.state}") != string(gbv1.StateRegistered) {
		t.Errorf("east-ipc is no longer Registered after the move of another Camera")
	}
}

// registerOnce sends one REGISTER (answering a challenge) as deviceID to server and
// returns the final status code.
func registerOnce(t *testing.T, deviceID, password, server string) int {
	t.Helper()
	d, err := sim.NewDevice(sim.Config{ID: deviceID, Password: password, Server: server})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.Register(ctx); err != nil {
		if code := sim.StatusCode(err); code != 0 {
			return code
		}
		t.Fatalf("REGISTER of %s at %s: %v", deviceID, server, err)
	}
	return 200
}

// wideRowHas reports whether the row of `kubectl get -o wide` output naming obj ends
// with the column value want (Shard is the last column).
func wideRowHas(out, obj, want string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == obj {
			return f[len(f)-1] == want
		}
	}
	return false
}
