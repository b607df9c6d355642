package e2e

import (
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// testWrongPassword: a device with the wrong password is refused with 403 and its Camera
// turns AuthFailed; once the Secret holds the device's password, the device registers,
// without restarting anything. The device tries once with the wrong password: the
// registrar blocks a source address after a few failures, and every device here shares
// 127.0.0.1.
func testWrongPassword(t *testing.T, e *env) {
	const ns, id, devicePassword = "e2e-auth", "34020000001320000201", "what-the-device-has"
	e.apply(t, namespace(ns)+secret(ns, "creds", "what-the-secret-says")+
		camera(cameraSpec{ns: ns, name: "gate-ipc", deviceID: id, secret: "creds"}))

	refused := e.startCamsim(t, "gate-ipc refused", "--id", id, "--password", devicePassword, "--once")
	s := refused.wait(t, 30*time.Second, false)
	if s.Registered != 0 || s.Failed != 1 || s.Failures["403"] != 1 {
		t.Fatalf("want one registration refused with 403: %s", summaryString(s))
	}
	e.wait(t, ns, "jsonpath={.status.state}=AuthFailed", 30*time.Second, "camera/gate-ipc")
	if got := e.condition(t, ns, "gate-ipc", gbv1.ConditionRegistered); got != "False/"+gbv1.ReasonAuthenticationFailed {
		t.Errorf("Registered condition %s, want False/AuthenticationFailed", got)
	}
	if got := e.condition(t, ns, "gate-ipc", gbv1.ConditionCredentialsResolved); got != "True/"+gbv1.ReasonResolved {
		t.Errorf("CredentialsResolved condition %s: the Secret exists, only its password is wrong", got)
	}

	e.apply(t, secret(ns, "creds", devicePassword))
	// The operator learns of the new Secret through its watch, a moment after kubectl
	// returns: a device quick enough to beat it is refused once more and retries.
	d := e.startCamsim(t, "gate-ipc", "--id", id, "--password", devicePassword, "--retry-min", "1s", "--retry-max", "2s")
	e.wait(t, ns, "condition=Ready", 60*time.Second, "camera/gate-ipc")
	if s := d.interrupt(t); s.Registered != 1 || s.Unregistered != 1 || s.Failed > 1 {
		t.Errorf("after the Secret was fixed: %s", summaryString(s))
	}
}
