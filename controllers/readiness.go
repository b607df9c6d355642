package controllers

import (
	"context"
	"errors"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Readiness says that this process is healthy, not that it leads. Every replica, the
// standbys included, is Ready once its manager has started: its caches synced and its
// non-leader runnables running. Which replica receives SIP traffic is decided elsewhere:
// the leader publishes itself as the SIP Service's only endpoint (package endpoints), so a
// Deployment of several replicas is Available while one of them serves.

// startedCheck is a runnable that needs no leadership. The manager starts such
// runnables only after its caches have synced, so by the time it runs the manager is up.
type startedCheck struct {
	started chan struct{}
}

// NeedLeaderElection: every replica runs it, the standbys too.
func (m *startedCheck) NeedLeaderElection() bool { return false }

// Start marks the manager as started and returns.
func (m *startedCheck) Start(context.Context) error {
	close(m.started)
	return nil
}

// check is the healthz.Checker of the readiness probe.
func (m *startedCheck) check(*http.Request) error {
	select {
	case <-m.started:
		return nil
	default:
		return errors.New("manager not started: caches not synced yet")
	}
}

// managerStarted adds to mgr a readiness check that passes once mgr has started, on the
// leader and the standbys alike. Add the result with mgr.AddReadyzCheck.
func managerStarted(mgr manager.Manager) (healthz.Checker, error) {
	m := &startedCheck{started: make(chan struct{})}
	if err := mgr.Add(m); err != nil {
		return nil, err
	}
	return m.check, nil
}
