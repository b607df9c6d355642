package e2e

import (
	"os"
	"testing"
)

// TestEndToEnd runs the scenarios in order against one control plane and one operator
// process (which the restart scenario kills and starts again). Each scenario has its own
// namespace and device IDs: they share only the processes, as the Cameras of a cluster do.
func TestEndToEnd(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("the end-to-end suite takes minutes; run it without -short (CI always does)")
	}
	e := setup(t)
	scenarios := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"RegisterOverUDPAndTCP", testRegister},
		{"Streams", testStreams},
		{"Commands", testCommands},
		{"Recordings", testRecordings},
		{"Device", testDevice},
		{"Shards", testShards},
		{"Metrics", testMetrics},
		{"Events", testEvents},
		{"WrongPassword", testWrongPassword},
		{"OperatorKilled", testOperatorKilled},
		{"APIServerDown", testAPIServerDown},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e.operatorAlive(t)
			s.run(t, e)
		})
	}
}
