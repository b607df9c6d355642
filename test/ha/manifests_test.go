package ha

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The objects of the test, as the chart would make them in its namespace.
const (
	namespace  = "camera-system"
	deployName = "camera-operator"
	sipService = "camera-operator-sip"
	nodeName   = "ha-node"
	leaseName  = "camera-operator.gb28181.io"
	cameraName = "lobby"
	deviceID   = "34020000001320000001"
	devicePass = "ha-Pa55word"
	secretName = "lobby-creds"
	replicas   = 2
)

// ports are where every Pod listens on its own IP: the same numbers in every Pod, as
// containerPorts are, picked free when the test starts.
type ports struct{ sip, metrics, probes int32 }

// deployment is the chart's Deployment with what this test changes: two replicas, a
// rollout that keeps both serving (maxSurge 1, maxUnavailable 0), probes every second
// instead of every five so the test takes seconds, and the listen addresses on the
// Pod's own loopback address ($POD_BIND_IP, from the stand-in kubelet), since every Pod
// shares the host's network here. leaseArgs are the manager's lease
// timing flags, when it has them.
func deployment(p ports, leaseArgs []string) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": "camera-operator"}
	args := []string{
		fmt.Sprintf("--sip-listen=$(%s):%d", bindIPEnv, p.sip),
		fmt.Sprintf("--metrics-bind-address=$(%s):%d", bindIPEnv, p.metrics),
		fmt.Sprintf("--health-probe-bind-address=$(%s):%d", bindIPEnv, p.probes),
		"--leader-elect=true",
		"--leader-election-namespace=$(POD_NAMESPACE)",
		"--sip-service=" + sipService,
		"--log-format=text",
	}
	args = append(args, leaseArgs...)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: deployName, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromInt32(1)),
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
				},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](10),
					Containers: []corev1.Container{{
						Name:  "manager",
						Image: "camera-operator:latest",
						Args:  args,
						Env: []corev1.EnvVar{
							fieldEnv("POD_NAME", "metadata.name"),
							fieldEnv("POD_NAMESPACE", "metadata.namespace"),
							fieldEnv("POD_IP", "status.podIP"),
							fieldEnv("NODE_NAME", "spec.nodeName"),
						},
						Ports: []corev1.ContainerPort{
							{Name: "sip-udp", ContainerPort: p.sip, Protocol: corev1.ProtocolUDP},
							{Name: "sip-tcp", ContainerPort: p.sip, Protocol: corev1.ProtocolTCP},
							{Name: "metrics", ContainerPort: p.metrics, Protocol: corev1.ProtocolTCP},
							{Name: "probes", ContainerPort: p.probes, Protocol: corev1.ProtocolTCP},
						},
						LivenessProbe:  httpProbe("/healthz", 5),
						ReadinessProbe: httpProbe("/readyz", 0),
					}},
				},
			},
		},
	}
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

func httpProbe(path string, initialDelay int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("probes")}},
		InitialDelaySeconds: initialDelay,
		PeriodSeconds:       1,
		TimeoutSeconds:      1,
		FailureThreshold:    3,
		SuccessThreshold:    1,
	}
}

// service is the chart's SIP Service: no selector, since the leader writes its
// EndpointSlice, and the ports named as the leader names them.
func service(p ports) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: sipService, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{
				{Name: "sip-udp", Port: 5060, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(p.sip)},
				{Name: "sip-tcp", Port: 5060, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(p.sip)},
			},
		},
	}
}

// node is the one Node the test's Pods are bound to, Ready as its kubelet would report.
func node() *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
}

func nodeReady() corev1.NodeStatus {
	return corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
	}
}

// camera and its Secret: the device the test registers through the Service.
func camera() *gbv1.Camera {
	return &gbv1.Camera{
		ObjectMeta: metav1.ObjectMeta{Name: cameraName, Namespace: namespace},
		Spec: gbv1.CameraSpec{
			DeviceID:             deviceID,
			CredentialsSecretRef: gbv1.SecretKeySelector{Name: secretName},
		},
	}
}

func secret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: namespace},
		StringData: map[string]string{"password": devicePass},
	}
}

func namespaceObj() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
}

// restartedAt is the annotation `kubectl rollout restart` sets: a change of the Pod
// template, so a rollout.
func restartedAt(n int) map[string]string {
	return map[string]string{"kubectl.kubernetes.io/restartedAt": "ha-test-" + strconv.Itoa(n)}
}
