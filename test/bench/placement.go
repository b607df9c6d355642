package main

import (
	"errors"
	"fmt"
	"os"
)

// Where the fleet bench's processes run. By default, as `make dev` runs them: every
// process on any core, so that during a registration storm the API server shares the
// machine's two cores with the operator's registrar, the simulated devices and the
// bench's watch, while the floor (floor.go) has it almost to itself. A cluster keeps its
// control plane on cores of its own, and its devices elsewhere: with --production-like
// kube-apiserver and etcd run alone on one core and everything else (the operator,
// camsim, the bench's watch and its floor writers) on the other, in the catch-up and
// in the floor alike, so that the ratio of the two says how well the operator keeps an
// API server of its own busy.

// placement names a run's placement for the report.
func placement(productionLike bool) string {
	if productionLike {
		return fmt.Sprintf("production-like: kube-apiserver and etcd alone on core %d; the operator, camsim and the bench on core %d", peerCPU, registrarCPU)
	}
	return "as make dev runs it: every process on any core"
}

// confineBench keeps this process, and so every process it starts from now on (the
// control plane, the operator, camsim), on the operator's core. A Go program started
// there sizes GOMAXPROCS to that one core, as it would under a CPU limit of 1.
func confineBench() error {
	if why := pinningPossible(); why != "" {
		return errors.New(why)
	}
	return setAffinity(os.Getpid(), []int{registrarCPU})
}

// moveControlPlane gives kube-apiserver and etcd, started under confineBench, the other
// core to themselves.
func moveControlPlane() error {
	var errs []error
	for _, comm := range []string{"kube-apiserver", "etcd"} {
		pid, err := childNamed(comm)
		if err == nil {
			err = setAffinity(pid, []int{peerCPU})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s to core %d: %w", comm, peerCPU, err))
		}
	}
	return errors.Join(errs...)
}
