package ha

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// leaderGauge is the line of a manager's /metrics that says it holds the Lease:
// controller-runtime's leader_election_master_status for the operator's Lease.
const leaderGauge = `leader_election_master_status{name="` + leaseName + `"} 1`

// leader is the Pod whose process says, on its own metrics endpoint, that it holds
// the Lease. The Lease's holderIdentity would not tell: it names the host, which every
// process here shares. Exactly one running Pod must say so.
func (e *env) leader() (*container, error) {
	client := &http.Client{Timeout: time.Second}
	var leaders []*container
	for _, c := range e.kubelet.running() {
		lead, err := holdsLease(client, "http://"+net.JoinHostPort(c.local, strconv.Itoa(int(e.ports.metrics)))+"/metrics")
		if err != nil {
			return nil, fmt.Errorf("Pod %s: %w", c.pod, err)
		}
		if lead {
			leaders = append(leaders, c)
		}
	}
	if len(leaders) != 1 {
		return nil, fmt.Errorf("%d Pods hold the Lease (%s), want 1", len(leaders), podNames(leaders))
	}
	return leaders[0], nil
}

func holdsLease(client *http.Client, url string) (bool, error) {
	resp, err := client.Get(url)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if sc.Text() == leaderGauge {
			return true, nil
		}
	}
	return false, sc.Err()
}

// serviceAddr is where the SIP Service sends UDP: the one ready address of the
// EndpointSlices labelled with its name, and their sip-udp port, as kube-proxy would
// read them. Any other count of addresses is an error: the Service must route to one
// replica.
func (e *env) serviceAddr(ctx context.Context) (string, error) {
	var slices discoveryv1.EndpointSliceList
	if err := e.c.List(ctx, &slices, client.InNamespace(namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: sipService}); err != nil {
		return "", err
	}
	var addrs []string
	var port int32
	for _, s := range slices.Items {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			addrs = append(addrs, ep.Addresses...)
		}
		for _, p := range s.Ports {
			if p.Name != nil && *p.Name == "sip-udp" && p.Port != nil {
				port = *p.Port
			}
		}
	}
	switch {
	case len(slices.Items) == 0:
		return "", errors.New("no EndpointSlice of the SIP Service")
	case len(addrs) != 1:
		return "", fmt.Errorf("the SIP Service's EndpointSlices hold %d ready addresses %v, want 1", len(addrs), addrs)
	case port == 0:
		return "", errors.New("the SIP Service's EndpointSlices have no sip-udp port")
	}
	return net.JoinHostPort(addrs[0], strconv.Itoa(int(port))), nil
}

// serviceOnLeader is the Service's address once it is the leader's Pod IP and SIP
// port, and the leader; an error says what differs. The address is a Pod IP: reach it
// through the Pod network's route.
func (e *env) serviceOnLeader(ctx context.Context) (string, *container, error) {
	lead, err := e.leader()
	if err != nil {
		return "", nil, err
	}
	addr, err := e.serviceAddr(ctx)
	if err != nil {
		return "", nil, err
	}
	want := net.JoinHostPort(lead.ip, strconv.Itoa(int(e.ports.sip)))
	if addr != want {
		return "", nil, fmt.Errorf("the SIP Service routes to %s, the leader %s listens on %s", addr, lead.pod, want)
	}
	return addr, lead, nil
}

// podNames lists the Pods of containers, for messages.
func podNames(cs []*container) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.pod
	}
	return strings.Join(names, ", ")
}
