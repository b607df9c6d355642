package sipd

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The Server: its state, New, and Start, which binds the listeners (transport.go) and
// runs the UDP readers and workers, the TCP acceptor and the sweeper until its context
// ends; and the accessors of what it listens on.

// Server is the SIP registrar. Create it with New and run it with Start.
type Server struct {
	cfg      Config
	store    CredentialStore
	notifier Notifier
	now      func() time.Time
	log      *slog.Logger
	parser   *sip.Parser
	metrics  *metrics

	nonces *nonceMinter
	replay *replayTracker
	// hashSeed keys the hashes of requests the replay tracker compares.
	hashSeed maphash.Seed
	limiter  *limiter
	table    *bindingTable
	queries  *queryTable
	txs      *clientTxs   // requests sent and awaiting an answer (transaction_client.go)
	dialogs  *dialogTable // media dialogs (dialog_table.go)
	invites  *inviteSlots // INVITEs in flight (dialog_invite_slots.go)

	// sub holds the subscriptions and the device events (subscribe_parts.go).
	sub *subscriptionParts

	// overlongLog, movedLog and oversizeLog throttle the logs of bodies longer than
	// their Content-Length, of MESSAGEs from another address than the registration, and
	// of datagrams over MaxMessageSize.
	overlongLog, movedLog, oversizeLog logThrottle
	// shedLog throttles the log of shed load.
	shedLog logThrottle
	// queueDelay is the latest wait of a UDP datagram for a worker (QueueDelay).
	queueDelay queueDelayGauge
	// registeredLog bounds the Info lines of new registrations (registrationLogRate).
	registeredLog *lineBudget

	// Precomputed header values of the hot path.
	opaque         string
	retryAfter     string
	minExpiresText string
	allowHeader    string

	started atomic.Bool
	ready   chan struct{}
	// stopping is closed when Start's context ends: every request waiting for an
	// answer gives up.
	stopping chan struct{}
	udp      *net.UDPConn
	tcp      *net.TCPListener
	conns    *tcpConns
	wg       sync.WaitGroup
}

// New validates cfg and returns a Server that will serve store's devices.
func New(cfg Config, store CredentialStore) (*Server, error) {
	if store == nil {
		return nil, errors.New("sipd: nil CredentialStore")
	}
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		store:    store,
		notifier: cfg.Notifier,
		now:      cfg.Now,
		log:      cfg.Logger,
		parser:   sip.NewParser(),
		metrics:  m,
		nonces:   newNonceMinter(cfg.NonceKey, cfg.NonceLifetime),
		replay:   newReplayTracker(cfg.NonceLifetime, cfg.MaxNonceEntries),
		hashSeed: maphash.MakeSeed(),
		limiter:  newLimiter(cfg.MaxAuthFailures, cfg.AuthFailureWindow, cfg.AuthCooldown, cfg.MaxLimiterEntries),
		table:    newBindingTable(cfg.MaxDevices, cfg.KeepaliveHoldoff, m.activeBindings),
		ready:    make(chan struct{}),
		stopping: make(chan struct{}),
		conns:    newTCPConns(cfg.MaxTCPConns, cfg.MaxTCPConnsPerAddr, m.tcpConns),
	}
	s.parser.MaxMessageLength = cfg.MaxMessageSize
	s.registeredLog = newLineBudget(registrationLogRate, registrationLogBurst)
	s.queries = newQueryTable(cfg.MaxQueries)
	s.txs = newClientTxs(cfg.MaxTransactions)
	s.dialogs, s.invites = newDialogTable(cfg.MaxDialogs), newInviteSlots(cfg.MaxInvites, cfg.MaxInvitesPerDevice)
	if s.sub, err = newSubscriptionParts(cfg); err != nil {
		return nil, err
	}
	s.opaque = s.nonces.opaque(cfg.Realm)
	s.retryAfter = fmt.Sprint(int((cfg.RetryAfter + time.Second - 1) / time.Second))
	s.minExpiresText = fmt.Sprint(int(cfg.MinExpires / time.Second))
	s.allowHeader = "REGISTER, MESSAGE, OPTIONS, ACK, BYE, NOTIFY"
	return s, nil
}

// Start listens and serves until ctx is done. It implements controller-runtime's
// manager.Runnable.
func (s *Server) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("sipd: server already started")
	}
	if s.cfg.ListenAfter != nil {
		select {
		case <-s.cfg.ListenAfter:
		case <-ctx.Done():
			return nil
		}
	}
	udp, tcp, err := listenPair(s.cfg.ListenAddr)
	if err != nil {
		return err
	}
	s.udp, s.tcp = udp, tcp
	s.log.Info("SIP registrar listening", "udp", udp.LocalAddr().String(), "tcp", tcp.Addr().String(), "realm", s.cfg.Realm, "serverID", s.cfg.ServerID)
	close(s.ready)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := newIntake(s.cfg.MaxQueuedDatagrams, openingDelay(s.cfg.MaxQueueDelay))
	for range s.cfg.UDPReaders {
		s.goRun(func() { s.readUDP(in) })
	}
	for range s.cfg.UDPWorkers {
		s.goRun(func() { s.handleUDP(in) })
	}
	s.goRun(func() { s.serveTCP() })
	s.goRun(func() { s.sweep(runCtx) })
	s.goRun(s.deliverEvents)

	<-ctx.Done()
	s.log.Info("SIP registrar stopping")
	_ = udp.Close()
	_ = tcp.Close()
	s.conns.closeAll()
	s.queries.closeAll()
	close(s.stopping)
	cancel()
	s.wg.Wait()
	return nil
}

func (s *Server) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// NeedLeaderElection makes only the elected leader serve SIP.
func (s *Server) NeedLeaderElection() bool { return true }

// Ready is closed once the listeners are bound.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// UDPAddr and TCPAddr are the bound listener addresses, valid after Ready.
func (s *Server) UDPAddr() string {
	select {
	case <-s.ready:
		return s.udp.LocalAddr().String()
	default:
		return ""
	}
}

// TCPAddr is the bound TCP listener address, valid after Ready.
func (s *Server) TCPAddr() string {
	select {
	case <-s.ready:
		return s.tcp.Addr().String()
	default:
		return ""
	}
}

// Realm is the registrar's SIP domain ID; generated SSRCs carry part of it.
func (s *Server) Realm() string { return s.cfg.Realm }

// Location is the devices' time zone (Config.Location): the zone of the Date header
// they set their clocks from, and so of the local times their MANSCDP bodies carry.
func (s *Server) Location() *time.Location { return s.cfg.Location }
