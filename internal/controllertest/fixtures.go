package controllertest

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// RegisteredStatus is the status the Camera controller writes for a registered camera
// with one channel, as large as a real one; round makes every write a change.
func RegisteredStatus(cam *gbv1.Camera, round int64) gbv1.CameraStatus {
	now := metav1.NewTime(time.Unix(1_700_000_000+round, 0))
	cond := func(typ, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: now, ObservedGeneration: 1}
	}
	return gbv1.CameraStatus{
		ObservedGeneration: 1, Shard: "bench", State: gbv1.StateRegistered, DeviceType: "IPC",
		Conditions: []metav1.Condition{
			cond(gbv1.ConditionCredentialsResolved, "Resolved", `password read from key "password" of Secret "s"`),
			cond(gbv1.ConditionRegistered, "Registered", "registered from 127.0.0.1:32864 over UDP"),
			cond(gbv1.ConditionReady, "Registered", "the device is registered and its keepalives arrive"),
		},
		Registration: &gbv1.Registration{RegisteredAt: now, ExpiresAt: metav1.NewTime(now.Add(time.Hour)), Expires: 3600,
			Transport: "UDP", RemoteAddr: "127.0.0.1:32864", Contact: "sip:" + cam.Spec.DeviceID + "@127.0.0.1:32864", UserAgent: "camsim"},
		LastKeepaliveTime: &now,
		DeviceInfo:        &gbv1.DeviceInfo{Name: "模拟IPC 000001", Manufacturer: "camsim 模拟器", Model: "SIM-IPC", Firmware: "V1.0.0", ChannelCount: 1},
		Channels: []gbv1.Channel{{ID: cam.Spec.DeviceID, Name: "通道1 东门入口", Status: "ON", Manufacturer: "camsim 模拟器",
			Model: "SIM-CAM", CivilCode: "340200", Address: "模拟路 1 号"}},
		ChannelCount: 1, CatalogUpdatedAt: &now,
	}
}
