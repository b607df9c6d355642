package sipd

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Config is everything an embedder sets, each bound with what happens at it;
// WithDefaults validates it and fills in every default, in one place.

// Config configures a Server. Zero values take the documented defaults.
type Config struct {
	// ListenAddr is the host:port both UDP and TCP listen on (default ":5060"; port 0
	// picks a free port, the same for both, see Server.UDPAddr / TCPAddr).
	ListenAddr string
	// AdvertiseAddr is the host:port the registrar puts in the Via of the requests it
	// sends (queries), when the listen address is a wildcard. Default: the local
	// address the kernel routes to the device from, with the listen port.
	AdvertiseAddr string
	// ServerID is the platform's own GB ID (default 34020000002000000001).
	ServerID string
	// Realm of the digest challenge (default: the first 10 digits of ServerID).
	Realm string
	// UserAgent is sent in the Server and User-Agent headers (default "camera-operator").
	UserAgent string
	// Location is the zone of the GB Date header (default Asia/Shanghai).
	Location *time.Location
	// MinExpires, MaxExpires and DefaultExpires bound the granted registration lifetime
	// (defaults 60s, 86400s, 3600s).
	MinExpires, MaxExpires, DefaultExpires time.Duration

	// DisableQop drops qop="auth" from the challenge (it is offered by default).
	DisableQop bool
	// SHA256 additionally offers an algorithm=SHA-256 challenge (RFC 7616/8760), before
	// the MD5 one.
	SHA256 bool
	// NonceKey is the HMAC key of the stateless nonces; replicas sharing it accept each
	// other's nonces. Default: 32 random bytes.
	NonceKey []byte
	// NonceLifetime is how long a nonce is accepted (default 5m); an older genuine one
	// gets 401 with stale=true.
	NonceLifetime time.Duration
	// NonceReuseWindow is how long after its first use a nonce is accepted again for a
	// retransmission: the same request (Via branch and CSeq) from the same source
	// address and port (default 32s, the UDP retransmission span). Any other reuse, a
	// replay from elsewhere above all, gets a stale 401 and leaves the binding as it was;
	// under qop a higher nc is always a fresh authentication.
	NonceReuseWindow time.Duration
	// MaxNonceEntries bounds the replay state (default 262144 nonces).
	MaxNonceEntries int

	// MaxAuthFailures failed REGISTERs for one device ID from one source address within
	// AuthFailureWindow lock that device out at that address for AuthCooldown: answered
	// 403 without computing a digest. The same device elsewhere, and other devices at
	// that address (behind one NAT), are not affected (see register_limiter.go).
	// Defaults 5, 1m, 5m.
	MaxAuthFailures   int
	AuthFailureWindow time.Duration
	AuthCooldown      time.Duration
	// MaxLimiterEntries bounds the limiter's (device, source address) pairs (default
	// 65536); past it, new failures go uncounted with a warning.
	MaxLimiterEntries int

	// RetryAfter is the Retry-After of 503 answers (default 5s).
	RetryAfter time.Duration
	// MaxMessageSize bounds one SIP message (default 65535 bytes); larger ones get 413
	// (TCP) or are dropped (UDP) with a log line.
	MaxMessageSize int
	// MaxTCPConns bounds the open TCP connections (default 16384).
	MaxTCPConns int
	// MaxTCPConnsPerAddr bounds the open TCP connections from one IP address (default
	// 64: a NAT in front of a few dozen devices), so that one host cannot take every
	// slot of MaxTCPConns; past it a new connection is closed at once, with a log line.
	MaxTCPConnsPerAddr int
	// KeepaliveInterval is the interval devices are configured to send keepalives at
	// (default 60s, GB/T 28181's default); the TCP idle timeout derives from it.
	KeepaliveInterval time.Duration
	// TCPIdleTimeout closes a TCP connection that sent nothing, not even a CRLF
	// keep-alive ping (RFC 5626), for this long (default 3 * KeepaliveInterval: a
	// device that missed three keepalives is offline anyway).
	TCPIdleTimeout time.Duration
	// MaxDevices bounds the devices the registrar tracks state for (default 1<<20).
	MaxDevices int
	// MaxQueries bounds the outstanding queries (default 1024); MaxCatalogItems the
	// items one catalog query collects (default 65536).
	MaxQueries      int
	MaxCatalogItems int
	// MaxCatalogParts bounds the response MESSAGEs one catalog query accepts (default
	// MaxCatalogItems: a device sends at least one item per part). Each costs 8 bytes
	// of duplicate detection whatever its Call-ID; parts past the bound are answered
	// 200 and ignored, and the query ends partial.
	MaxCatalogParts int
	// MaxCatalogBytes bounds the text of the items one catalog query holds (default
	// MaxCatalogItems * 256 bytes, 16 MiB: an item's fields take about 100); items past
	// it are ignored, and the query ends partial.
	MaxCatalogBytes int
	// MaxRecordItems bounds the items one RecordInfo query collects (default 65536),
	// and so its parts (at most as many: each carries an item or is ignored) and the
	// text of its items (256 bytes per item on average); past a bound the query ends
	// partial, as a catalog's does.
	MaxRecordItems int
	// QueryTimeout bounds a query whose context has no deadline (default 30s).
	QueryTimeout time.Duration
	// MaxInvites bounds the live video INVITEs in flight (default 64), and
	// MaxInvitesPerDevice those to one device (default 4), so that a device answering
	// 100 Trying and then nothing holds only its own share; past either Invite returns
	// ErrTooManyInvites at once and the caller retries later. An INVITE given up on
	// after a provisional answer keeps its slot until its CANCEL is done. MaxDialogs
	// bounds the live media dialogs the registrar holds, and the device-ended ones it
	// remembers until asked (default 4096 each); past it Invite returns
	// ErrTooManyDialogs.
	MaxInvites          int
	MaxInvitesPerDevice int
	MaxDialogs          int
	// MaxTransactions bounds the requests the registrar has sent and awaits an answer
	// to: queries, INVITEs, CANCELs and BYEs (default MaxQueries + 4*MaxInvites +
	// MaxDialogs); past it the request fails with ErrTooManyTransactions.
	MaxTransactions int
	// InviteTimeout bounds an INVITE whose context has no deadline (default 32s, Timer
	// B), provisional answers included.
	InviteTimeout time.Duration
	// SweepInterval is how often expired bindings are removed (default 1s).
	SweepInterval time.Duration
	// ListenAfter, when set, holds back binding the listeners until it is closed: the
	// operator closes it once the bindings are seeded from Camera status, so that a
	// restarted registrar's first answers already know the registered devices. Until
	// then a device's requests go unanswered and its retransmissions land later, instead
	// of drawing 503s that make it register again.
	ListenAfter <-chan struct{}
	// UDPReaders is the number of goroutines reading the UDP socket, a batch of
	// datagrams at a time (default 2: while one is descheduled the other keeps draining
	// the socket, whose overflow the kernel drops, keepalives of registered devices
	// among them). UDPWorkers is the number of goroutines handling what they read
	// (default GOMAXPROCS).
	UDPReaders int
	UDPWorkers int
	// MaxQueuedDatagrams bounds the UDP datagrams read but not yet handled (default
	// 2048, about 100 ms of work at full speed). They wait in a fair queue: datagrams
	// from registered devices first, then every other source in turn
	// (transport_udp_intake.go). Past the bound the registrar is over capacity and sheds
	// load: the heaviest sender's newest request is answered 503 with Retry-After
	// straight from its raw header lines, which costs a fraction of handling it, so
	// devices back off instead of retransmitting into a queue that only grows.
	MaxQueuedDatagrams int
	// MaxQueueDelay is how long a datagram may wait for a worker (default 400 ms, under
	// the 500 ms after which a UDP client retransmits). An older one is dropped
	// unhandled: its sender has retransmitted it by now, and the copy behind it in the
	// queue is the one worth answering. REGISTERs opening a registration are shed (503)
	// sooner, once their source's oldest has waited three quarters of it: they are the
	// work overload gives up first (transport_udp_intake.go).
	MaxQueueDelay time.Duration

	// Notifier is told which devices changed (default: nobody). It must not block.
	Notifier Notifier
	// Events receives what devices tell on their own: catalog changes, alarms and
	// positions in subscriptions' NOTIFYs, alarms and positions by MESSAGE, the end of a
	// subscription (default: nobody). See subscribe_events.go.
	Events EventHandler
	// MaxPendingEvents bounds the events answered but not yet handed to Events (default
	// 4096); past it new ones are dropped and counted, the devices answered all the same.
	MaxPendingEvents int
	// MaxSubscriptions bounds the subscriptions the registrar holds with devices (default
	// 65536), MaxSubscriptionsPerDevice those with one device (default 4: one per event
	// package, and one being replaced); past either Subscribe returns
	// ErrTooManySubscriptions.
	MaxSubscriptions          int
	MaxSubscriptionsPerDevice int
	// MaxNotifyBodySize bounds the body of a device's NOTIFY (default and most
	// manscdp.MaxBodySize, 64 KiB); a larger one gets 413.
	MaxNotifyBodySize int
	// KeepaliveHoldoff: after a keepalive was signalled to the Notifier, the next
	// keepalives of the same registration are not for this long (default 1s), leaving
	// the receiver time to answer with Server.Quiet; a device keeping alive faster than
	// its receiver reconciles then costs one signal, not one per keepalive.
	KeepaliveHoldoff time.Duration
	// Now is the registrar's clock (default time.Now). Every handler takes the time from
	// it, so tests can move time instead of sleeping.
	Now func() time.Time

	// Logger receives the registrar's logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the registrar's metrics (nil: no metrics).
	Registerer prometheus.Registerer
}

// defaultMaxInvites is the default of Config.MaxInvites.
const defaultMaxInvites = 64

// WithDefaults validates cfg and returns it with every zero field at its default: the
// one place the registrar's defaults are written (the operator's flags take theirs from
// here).
func (cfg Config) WithDefaults() (Config, error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = ":5060"
	}
	if _, _, err := net.SplitHostPort(cfg.ListenAddr); err != nil {
		return cfg, fmt.Errorf("sipd: listen address %q: %w", cfg.ListenAddr, err)
	}
	if cfg.AdvertiseAddr != "" {
		if _, err := netip.ParseAddrPort(cfg.AdvertiseAddr); err != nil {
			if _, _, err := net.SplitHostPort(cfg.AdvertiseAddr); err != nil {
				return cfg, fmt.Errorf("sipd: advertise address %q: %w", cfg.AdvertiseAddr, err)
			}
		}
	}
	if cfg.ServerID == "" {
		cfg.ServerID = "34020000002000000001"
	}
	if cfg.Realm == "" {
		cfg.Realm = cfg.ServerID
		if len(cfg.Realm) > 10 {
			cfg.Realm = cfg.Realm[:10]
		}
	}
	if !tokenSafe(cfg.Realm) || !tokenSafe(cfg.ServerID) {
		return cfg, errors.New("sipd: realm and server ID must be printable without quotes, backslashes or spaces")
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "camera-operator"
	}
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			// No tz database: Beijing time has had no DST since 1991.
			loc = time.FixedZone("CST", 8*3600)
		}
		cfg.Location = loc
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setInt := func(i *int, def int) {
		if *i <= 0 {
			*i = def
		}
	}
	setDur(&cfg.MinExpires, 60*time.Second)
	setDur(&cfg.MaxExpires, 86400*time.Second)
	setDur(&cfg.DefaultExpires, 3600*time.Second)
	if cfg.MinExpires > cfg.MaxExpires {
		return cfg, fmt.Errorf("sipd: MinExpires %v above MaxExpires %v", cfg.MinExpires, cfg.MaxExpires)
	}
	cfg.DefaultExpires = min(max(cfg.DefaultExpires, cfg.MinExpires), cfg.MaxExpires)
	if len(cfg.NonceKey) == 0 {
		cfg.NonceKey = make([]byte, 32)
		if _, err := rand.Read(cfg.NonceKey); err != nil {
			return cfg, fmt.Errorf("sipd: nonce key: %w", err)
		}
	}
	setDur(&cfg.NonceLifetime, 5*time.Minute)
	setDur(&cfg.NonceReuseWindow, txTimeout)
	setInt(&cfg.MaxNonceEntries, 1<<18)
	setInt(&cfg.MaxAuthFailures, 5)
	setDur(&cfg.AuthFailureWindow, time.Minute)
	setDur(&cfg.AuthCooldown, 5*time.Minute)
	setInt(&cfg.MaxLimiterEntries, 1<<16)
	setDur(&cfg.RetryAfter, 5*time.Second)
	setInt(&cfg.MaxMessageSize, 65535)
	setInt(&cfg.MaxTCPConns, 1<<14)
	setInt(&cfg.MaxTCPConnsPerAddr, 64)
	setDur(&cfg.KeepaliveInterval, time.Minute)
	setDur(&cfg.TCPIdleTimeout, 3*cfg.KeepaliveInterval)
	setInt(&cfg.MaxDevices, 1<<20)
	setInt(&cfg.MaxQueries, 1024)
	setInt(&cfg.MaxCatalogItems, 1<<16)
	setInt(&cfg.MaxCatalogParts, cfg.MaxCatalogItems)
	setInt(&cfg.MaxCatalogBytes, cfg.MaxCatalogItems*256)
	setInt(&cfg.MaxRecordItems, 1<<16)
	setDur(&cfg.QueryTimeout, 30*time.Second)
	setInt(&cfg.MaxInvites, defaultMaxInvites)
	setInt(&cfg.MaxInvitesPerDevice, 4)
	setInt(&cfg.MaxDialogs, 4096)
	setInt(&cfg.MaxTransactions, cfg.MaxQueries+4*cfg.MaxInvites+cfg.MaxDialogs)
	setDur(&cfg.InviteTimeout, txTimeout)
	setDur(&cfg.SweepInterval, time.Second)
	setDur(&cfg.KeepaliveHoldoff, time.Second)
	setInt(&cfg.UDPReaders, 2)
	setInt(&cfg.UDPWorkers, runtime.GOMAXPROCS(0))
	setInt(&cfg.MaxQueuedDatagrams, 2048)
	setDur(&cfg.MaxQueueDelay, 400*time.Millisecond)
	if cfg.Notifier == nil {
		cfg.Notifier = discardNotifier{}
	}
	if cfg.Events == nil {
		cfg.Events = discardEvents{}
	}
	setInt(&cfg.MaxPendingEvents, 4096)
	setInt(&cfg.MaxSubscriptions, 1<<16)
	setInt(&cfg.MaxSubscriptionsPerDevice, 4)
	setInt(&cfg.MaxNotifyBodySize, manscdp.MaxBodySize)
	cfg.MaxNotifyBodySize = min(cfg.MaxNotifyBodySize, manscdp.MaxBodySize)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

// tokenSafe reports whether s can be written inside a quoted header value as is.
func tokenSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == ',' {
			return false
		}
	}
	return s != ""
}
