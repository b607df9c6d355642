package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

var benchRate = regexp.MustCompile(`([0-9.]+) registrations/s`)

// runGoBench runs sipd's loopback registration benchmark: the registrar alone, driven
// by a lean raw-socket client, without the operator, the API server or camsim.
func runGoBench(ctx context.Context) (goBenchResult, error) {
	args := []string{"test", "./sipd", "-run", "^$", "-bench", "^BenchmarkRegisterLoopback$", "-benchtime", "20000x", "-count", "1"}
	res := goBenchResult{Command: "go " + strings.Join(args, " ")}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = kubetest.RepoRoot()
	out, err := cmd.CombinedOutput()
	res.Output = strings.TrimSpace(string(out))
	if err != nil {
		return res, fmt.Errorf("%s: %v\n%s", res.Command, err, out)
	}
	m := benchRate.FindStringSubmatch(string(out))
	if m == nil {
		return res, fmt.Errorf("%s: no registrations/s in its output", res.Command)
	}
	res.PerSecond, _ = strconv.ParseFloat(m[1], 64)
	return res, nil
}
