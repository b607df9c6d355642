package endpoints

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// The SIP Service has no selector: the elected leader writes its one EndpointSlice,
// pointing at its own Pod IP, so the Service follows the lease and every replica can be
// Ready (readiness.go). The slice is written only by the lease holder: this runnable
// needs leader election, and controller-runtime stops it, or exits, when the lease is
// lost, before a new leader can acquire it (a lease is only taken over once it has run
// out, past the old holder's renew deadline, or after the holder released it on a clean
// shutdown, which happens only after this runnable has returned).
//
// The runnable runs the registrar itself, so that the order is fixed:
//
//	lead -> seed (ListenAfter) -> registrar listening -> slice points here
//	shutdown -> slice withdrawn -> registrar stops -> lease released
//
// A device is never sent to a leader that does not listen yet, nor to one that stopped.
// Reads go to the API server directly (the manager's API reader), not through an
// informer: the operator keeps no cache of EndpointSlices. The permission is a Role in
// the operator's own namespace ("system" is the placeholder config/default rewrites); it
// includes delete only to replace a slice of the other address type, which is immutable.
//
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;create;update;delete,namespace=system

// Config names the SIP Service whose endpoints the leader manages and the pod
// this replica runs in, as the downward API gives it.
type Config struct {
	// Service is the name of the selector-less SIP Service, in Namespace. Empty: the
	// operator publishes nothing (a Service selecting the pods, or none, routes SIP).
	Service string
	// Namespace, PodName and PodIP are this replica's pod.
	Namespace, PodName, PodIP string
	// NodeName, when set, is recorded on the endpoint for topology-aware routing.
	NodeName string
	// Resync is how often the leader re-asserts the slice, restoring it when it was
	// deleted or changed by someone else. Default 30s.
	Resync time.Duration
}

// WithDefaults returns e with its zero fields at their defaults.
func (e Config) WithDefaults() Config {
	if e.Resync <= 0 {
		e.Resync = 30 * time.Second
	}
	return e
}

// Timing of the writes, beyond Resync.
const (
	// publishRetry is the wait after a failed write before the next attempt.
	publishRetry = 2 * time.Second
	// withdrawTimeout bounds the withdrawal on shutdown, which must not hold up the
	// registrar's stop and the lease's release for long.
	withdrawTimeout = 5 * time.Second
)

// Enabled reports whether the leader publishes endpoints.
func (e Config) Enabled() bool { return e.Service != "" }

// Validate reports what is missing for the leader to publish itself; nothing is needed
// when publishing is disabled.
func (e Config) Validate() error {
	if !e.Enabled() {
		return nil
	}
	var errs []error
	for _, f := range []struct{ name, value string }{
		{"pod namespace (--pod-namespace or POD_NAMESPACE)", e.Namespace},
		{"pod name (--pod-name or POD_NAME)", e.PodName},
		{"pod IP (--pod-ip or POD_IP)", e.PodIP},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if e.PodIP != "" {
		// The API server refuses these in an EndpointSlice; better said at startup.
		switch ip := net.ParseIP(e.PodIP); {
		case ip == nil:
			errs = append(errs, fmt.Errorf("pod IP %q is not an IP address", e.PodIP))
		case ip.IsUnspecified() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast():
			errs = append(errs, fmt.Errorf("pod IP %s cannot be an endpoint (unspecified, loopback, link-local or multicast)", e.PodIP))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("publishing the endpoints of SIP Service %q: %w", e.Service, err)
	}
	return nil
}

// registrar is the registrar as the publisher runs it; *sipd.Server implements it.
type registrar interface {
	// Start serves until ctx is done.
	Start(ctx context.Context) error
	// Ready is closed once the registrar listens: after seeding.
	Ready() <-chan struct{}
	// UDPAddr is the bound UDP address, valid after Ready; TCP is on the same port.
	UDPAddr() string
}

// AddRegistrar adds the registrar to mgr, on the elected leader only. With endpoints
// enabled, the registrar runs inside the publisher of the SIP Service's EndpointSlice;
// otherwise it is added alone.
func AddRegistrar(mgr manager.Manager, srv registrar, endpoints Config) error {
	if !endpoints.Enabled() {
		return mgr.Add(srv) // a runnable without NeedLeaderElection needs it
	}
	if err := endpoints.Validate(); err != nil {
		return err
	}
	endpoints = endpoints.WithDefaults()
	return mgr.Add(&endpointPublisher{
		ep:     endpoints,
		srv:    srv,
		reader: mgr.GetAPIReader(),
		writer: mgr.GetClient(),
		logger: mgr.GetLogger().WithName("sip-endpoints").WithValues("service", endpoints.Service, "pod", endpoints.PodName),
	})
}

// endpointPublisher runs the registrar and, while it serves, keeps the SIP Service's
// EndpointSlice pointing at this pod.
type endpointPublisher struct {
	ep     Config
	srv    registrar
	reader client.Reader // the API server, uncached
	writer client.Client
	logger logr.Logger
	// published is true from the first successful assert to the withdrawal.
	published bool
}

// NeedLeaderElection: only the lease holder serves SIP and writes the slice.
func (p *endpointPublisher) NeedLeaderElection() bool { return true }

// Start runs the registrar, publishes this pod once it listens, and on shutdown
// withdraws the pod before stopping the registrar.
func (p *endpointPublisher) Start(ctx context.Context) error {
	// The registrar outlives ctx by the withdrawal: it is stopped after it.
	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	srvDone := make(chan error, 1)
	go func() { srvDone <- p.srv.Start(srvCtx) }()

	select {
	case <-p.srv.Ready():
	case err := <-srvDone:
		return registrarStopped(err)
	case <-ctx.Done():
		stopSrv()
		return <-srvDone
	}
	port, err := portOf(p.srv.UDPAddr())
	if err != nil {
		stopSrv()
		return errors.Join(err, <-srvDone)
	}

	want := SliceFor(p.ep, port)
	srvStopped, srvErr := p.publishUntilDone(ctx, srvDone, want)
	p.withdraw(ctx)
	stopSrv()
	if srvStopped {
		return registrarStopped(srvErr)
	}
	return <-srvDone
}

// registrarStopped is the error of a registrar that stopped while the leader still led.
func registrarStopped(err error) error {
	if err == nil {
		err = errors.New("returned")
	}
	return fmt.Errorf("SIP registrar stopped: %w", err)
}

// publishUntilDone asserts want now and every Resync (sooner after a failure) until ctx
// is done or the registrar stops, in which case it returns the registrar's result.
func (p *endpointPublisher) publishUntilDone(ctx context.Context, srvDone <-chan error, want *discoveryv1.EndpointSlice) (srvStopped bool, srvErr error) {
	next := time.NewTimer(0)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-srvDone:
			return true, err
		case <-next.C:
		}
		wait := p.ep.Resync
		if err := p.assert(ctx, want); err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			p.logger.Error(err, "publishing this pod as the SIP Service's endpoint", "retryIn", publishRetry)
			wait = publishRetry
		}
		next.Reset(wait)
	}
}

// assert makes the slice want: created when missing, overwritten when it differs (the
// previous leader's, or changed by hand), recreated when its address type is not
// want's. Writes are conditional on the resourceVersion read, and retried on a race.
func (p *endpointPublisher) assert(ctx context.Context, want *discoveryv1.EndpointSlice) error {
	err := retry.OnError(retry.DefaultRetry, raced, func() error {
		var cur discoveryv1.EndpointSlice
		err := p.reader.Get(ctx, client.ObjectKeyFromObject(want), &cur)
		switch {
		case apierrors.IsNotFound(err):
			return p.writer.Create(ctx, want.DeepCopy())
		case err != nil:
			return err
		case !sliceNeedsWrite(&cur, want):
			return nil
		case cur.AddressType != want.AddressType:
			// Immutable: replace the slice, unless it changed since it was read.
			if err := p.writer.Delete(ctx, &cur, client.Preconditions{UID: &cur.UID, ResourceVersion: &cur.ResourceVersion}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			return p.writer.Create(ctx, want.DeepCopy())
		}
		applySlice(&cur, want)
		return p.writer.Update(ctx, &cur)
	})
	if err != nil {
		return err
	}
	if !p.published {
		p.logger.Info("this pod is the SIP Service's endpoint", "slice", want.Name, "address", p.ep.PodIP)
		p.published = true
		sipEndpointLeader.Set(1)
	}
	return nil
}

// withdraw empties the slice if it still points at this pod, so traffic stops reaching
// a registrar about to stop rather than when the next leader publishes itself. Best
// effort, under a short deadline of its own: ctx is already done.
func (p *endpointPublisher) withdraw(ctx context.Context) {
	p.published = false
	sipEndpointLeader.Set(0)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), withdrawTimeout)
	defer cancel()
	key := client.ObjectKey{Namespace: p.ep.Namespace, Name: SliceName(p.ep.Service)}
	withdrawn := false
	err := retry.OnError(retry.DefaultRetry, raced, func() error {
		var cur discoveryv1.EndpointSlice
		if err := p.reader.Get(wctx, key, &cur); err != nil {
			return client.IgnoreNotFound(err)
		}
		if !pointsAt(&cur, p.ep.Namespace, p.ep.PodName) {
			return nil // a newer leader's already
		}
		cur.Endpoints = []discoveryv1.Endpoint{}
		if err := p.writer.Update(wctx, &cur); err != nil {
			return err
		}
		withdrawn = true
		return nil
	})
	switch {
	case err != nil:
		p.logger.Error(err, "withdrawing this pod from the SIP Service's endpoints; the next leader will overwrite it")
	case withdrawn:
		p.logger.Info("withdrew this pod from the SIP Service's endpoints", "slice", key.Name)
	}
}

// raced reports errors of a write that lost a race with another writer: read again and
// retry.
func raced(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }

// portOf is the port of a host:port address.
func portOf(addr string) (int32, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("SIP listen address %q: %w", addr, err)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("SIP listen address %q: no port", addr)
	}
	return int32(n), nil
}
