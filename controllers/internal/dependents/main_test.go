package dependents

import (
	"testing"

	"github.com/gb28181/camera-operator/internal/controllertest"
)

// The tests of the index and of the status write run against the shared control plane.
func TestMain(m *testing.M) { controllertest.Main(m) }
