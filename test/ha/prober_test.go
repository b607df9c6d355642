package ha

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// prober runs one HTTP probe of a container the way the kubelet does: not before the
// initial delay, every period, each attempt bounded by the timeout; the verdict turns
// true after successThreshold successes in a row and false after failureThreshold
// failures in a row.
type prober struct {
	url    string
	spec   corev1.Probe
	client *http.Client
	due    time.Time

	successes, failures int32
	ok                  bool
	lastErr             error
}

// newProber is the probe spec of a container on the Pod IP ip; initially is the
// verdict before any attempt (false for readiness, true for liveness).
func newProber(spec *corev1.Probe, c corev1.Container, ip string, started time.Time, initially bool) (*prober, error) {
	if spec == nil || spec.HTTPGet == nil {
		return nil, fmt.Errorf("container %s: only HTTP probes are run here", c.Name)
	}
	port, err := containerPort(c, spec.HTTPGet.Port)
	if err != nil {
		return nil, err
	}
	return &prober{
		url:    "http://" + net.JoinHostPort(ip, strconv.Itoa(int(port))) + spec.HTTPGet.Path,
		spec:   *spec,
		client: &http.Client{Timeout: time.Duration(max(spec.TimeoutSeconds, 1)) * time.Second},
		due:    started.Add(time.Duration(spec.InitialDelaySeconds) * time.Second),
		ok:     initially,
	}, nil
}

// probe makes an attempt when one is due and reports whether the verdict changed.
func (p *prober) probe(now time.Time) bool {
	if now.Before(p.due) {
		return false
	}
	p.due = now.Add(time.Duration(max(p.spec.PeriodSeconds, 1)) * time.Second)
	p.lastErr = p.get()
	before := p.ok
	if p.lastErr == nil {
		p.successes, p.failures = p.successes+1, 0
		if p.successes >= max(p.spec.SuccessThreshold, 1) {
			p.ok = true
		}
	} else {
		p.successes, p.failures = 0, p.failures+1
		if p.failures >= max(p.spec.FailureThreshold, 1) {
			p.ok = false
		}
	}
	return p.ok != before
}

// get is one attempt: any status from 200 to 399 succeeds, as for the kubelet.
func (p *prober) get() error {
	resp, err := p.client.Get(p.url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("%s: %s", p.url, resp.Status)
	}
	return nil
}

// containerPort resolves a probe's port, a number or the name of a container port.
func containerPort(c corev1.Container, port intstr.IntOrString) (int32, error) {
	if port.Type == intstr.Int {
		return port.IntVal, nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("container %s has no port named %q", c.Name, port.StrVal)
}
