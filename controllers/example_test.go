package controllers_test

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/gb28181/camera-operator/controllers"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/sipd"
)

// The operator in a program of one's own: a manager made with the controllers' options,
// then one call that wires the registrar and every controller. (It needs a cluster, so
// it is compiled here, not run.)
func ExampleSetup() {
	mopts := controllers.ManagerOptions("", nil) // the unsharded operator, every namespace
	mopts.LeaderElection = true
	mopts.LeaderElectionNamespace = "camera-operator-system"
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), mopts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	op, err := controllers.Setup(mgr, controllers.Config{
		SIP:            sipd.Config{ListenAddr: ":5060", ServerID: "34020000002000000001"},
		Camera:         camera.Options{MaxConcurrentReconciles: 64},
		LeaderElection: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	go func() {
		<-op.Registrar.Ready() // on the leader, once its registrations are seeded
		fmt.Println("SIP on", op.Registrar.UDPAddr())
	}()
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
