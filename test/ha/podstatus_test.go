package ha

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podObservation is what the stand-in kubelet knows of a Pod with one container at a
// moment: where it runs, whether its process runs, and the readiness probe's verdict.
type podObservation struct {
	container, image string
	podIP, hostIP    string
	started          time.Time // when the process started
	running          bool      // the process has not exited
	ready            bool      // the readiness probe's verdict (false once the process exited)
	readySince       time.Time // when ready last changed
}

// podStatus is the status the kubelet would write for o. The Deployment and ReplicaSet
// controllers read the Ready condition and its transition time (availability); the
// operator and the test read the Pod IP.
func podStatus(o podObservation) corev1.PodStatus {
	ready := o.running && o.ready
	state := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(o.started)}}
	if !o.running {
		state = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "Error", StartedAt: metav1.NewTime(o.started),
		}}
	}
	cond := func(t corev1.PodConditionType, ok bool, since time.Time) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(since)}
		if ok {
			c.Status = corev1.ConditionTrue
		}
		return c
	}
	return corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    o.hostIP,
		HostIPs:   []corev1.HostIP{{IP: o.hostIP}},
		PodIP:     o.podIP,
		PodIPs:    []corev1.PodIP{{IP: o.podIP}},
		StartTime: ptrTime(o.started),
		Conditions: []corev1.PodCondition{
			cond(corev1.PodScheduled, true, o.started),
			cond(corev1.PodInitialized, true, o.started),
			cond(corev1.ContainersReady, ready, o.readySince),
			cond(corev1.PodReady, ready, o.readySince),
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name:    o.container,
			Image:   o.image,
			ImageID: o.image,
			Ready:   ready,
			Started: &o.running,
			State:   state,
		}},
	}
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
