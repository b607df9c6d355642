package testutil

import (
	"os"
	"path/filepath"
)

// GoTool is the go command of the toolchain running the test (GOROOT/bin/go), else the
// one on the PATH: suites that build the operator build it with the same Go.
func GoTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
