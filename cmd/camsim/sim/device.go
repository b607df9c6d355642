package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/gbid"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Config describes one simulated device. Zero values take the documented defaults.
type Config struct {
	// ID is the device's GB ID (or any SIP user name).
	ID string
	// Username is the digest user name (default ID). Password is the digest password.
	Username, Password string
	// ServerID is the platform's GB ID, the user part of the REGISTER and MESSAGE
	// Request-URI (default 34020000002000000001). Domain is the SIP domain of the URIs
	// (default: the first 10 digits of ServerID).
	ServerID, Domain string
	// Algorithm is the digest algorithm the device answers: "MD5" (default) or "SHA-256".
	// A challenge offering only other algorithms fails the registration, as it would on
	// a device that lacks them.
	Algorithm string
	// NoQop answers qop challenges without qop, like old firmware does.
	NoQop bool
	// ReuseNonce makes a refresh or unregistration reuse the last nonce with the next
	// nonce count, as pjsip-based devices do, instead of waiting for a fresh challenge.
	ReuseNonce bool
	// Expires is the registration lifetime asked for (default 3600s).
	Expires time.Duration
	// KeepaliveInterval is the keepalive period (default 60s); KeepaliveMaxMiss the
	// number of unanswered keepalives after which the device registers again (default 3).
	KeepaliveInterval time.Duration
	KeepaliveMaxMiss  int
	// RetryMin and RetryMax bound the exponential backoff after a failed registration
	// (defaults 60s, as GB/T 28181 requires, and 10m).
	RetryMin, RetryMax time.Duration
	// RequestTimeout bounds each SIP transaction (default 10s).
	RequestTimeout time.Duration
	// Channels > 0 makes the device an NVR with that many channels; 0 an IPC whose
	// catalog is its own single channel.
	Channels int
	// CatalogPage is the number of catalog items per Response MESSAGE (default 20). Over
	// UDP a part is further split to fit sipgo's datagram limit (sip.UDPMTUSize).
	CatalogPage int
	// Charset of the bodies the device sends: "gb2312" (default) or "utf-8".
	Charset string
	// Media configures live video, playback and download (see invite.go, playback.go).
	Media MediaConfig
	// WVPCompat makes the 200 OK to an INVITE look like a simulator built for
	// WVP-GB28181-pro: To without a tag, a=recvonly in the SDP answer and a 20-digit y=.
	WVPCompat bool
	// Location is the zone of the device's clock and of the MANSCDP times it reads and
	// writes (default China Standard Time, as GB/T 28181 platforms assume).
	Location *time.Location
	// ClockSkew keeps the device's clock this far ahead of the time it sets from the
	// registrar's Date header (negative: behind), as on a device whose clock setting
	// failed: its DeviceStatus, alarms, positions and recordings carry the skewed clock.
	ClockSkew time.Duration
	// Control configures how the device takes controls: reboots (see control.go).
	Control ControlConfig
	// Subscriptions configures the device's answers to SUBSCRIBE and its catalog events
	// (see subscribe.go).
	Subscriptions SubscriptionConfig
	// Alarms configures the alarms the device raises (see alarm.go).
	Alarms AlarmConfig
	// Records configures the device's recordings: its timeline and RecordInfo answers
	// (see records.go). Without a span the device has no recordings.
	Records RecordConfig
	// OnState, when set, is called with the device's state after each control,
	// configuration, subscription change or alarm it takes, for a user to watch (camsim
	// prints it). It is called from the goroutine answering the platform: keep it quick.
	OnState func(DeviceState)

	// Endpoint is the socket to use, shared with other devices; nil makes the device
	// open its own toward Server over Transport from LocalIP (see EndpointConfig).
	Endpoint                   *Endpoint
	Server, Transport, LocalIP string
	// Stats receives the device's figures (nil: a Stats of its own).
	Stats *Stats
	// Logger receives the device's logs (default slog.Default()).
	Logger *slog.Logger
}

// DefaultServerID is the platform ID most GB/T 28181 tools default to.
const DefaultServerID = "34020000002000000001"

func (c *Config) setDefaults() error {
	if c.ID == "" {
		return errors.New("sim: device ID is required")
	}
	if c.Username == "" {
		c.Username = c.ID
	}
	if c.ServerID == "" {
		c.ServerID = DefaultServerID
	}
	if c.Domain == "" {
		if len(c.ServerID) >= 10 {
			c.Domain = c.ServerID[:10]
		} else {
			c.Domain = c.ServerID
		}
	}
	switch strings.ToUpper(c.Algorithm) {
	case "":
		c.Algorithm = "MD5"
	case "MD5", "SHA-256":
		c.Algorithm = strings.ToUpper(c.Algorithm)
	default:
		return fmt.Errorf("sim: unsupported digest algorithm %q (MD5 or SHA-256)", c.Algorithm)
	}
	if c.Expires <= 0 {
		c.Expires = time.Hour
	}
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = time.Minute
	}
	if c.KeepaliveMaxMiss <= 0 {
		c.KeepaliveMaxMiss = 3
	}
	if c.RetryMin <= 0 {
		c.RetryMin = time.Minute
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(c.RetryMin, 10*time.Minute)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.Channels < 0 {
		return fmt.Errorf("sim: negative channel count %d", c.Channels)
	}
	if c.CatalogPage <= 0 {
		c.CatalogPage = 20
	}
	switch strings.ToLower(c.Charset) {
	case "", "gb2312":
		c.Charset = "gb2312"
	case "utf-8", "utf8":
		c.Charset = "utf-8"
	default:
		return fmt.Errorf("sim: unsupported charset %q (gb2312 or utf-8)", c.Charset)
	}
	if c.Location == nil {
		c.Location = ChinaStandardTime
	}
	if err := c.Control.setDefaults(); err != nil {
		return err
	}
	if err := c.Subscriptions.setDefaults(); err != nil {
		return err
	}
	if err := c.Alarms.setDefaults(); err != nil {
		return err
	}
	if err := c.Records.setDefaults(); err != nil {
		return err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = NewStats()
	}
	return nil
}

// Device is one simulated GB/T 28181 device. Its methods are safe for concurrent use;
// SIP operations of one device are serialised, as on a real device.
type Device struct {
	cfg   Config
	ep    *Endpoint
	ownEP bool
	stats *Stats
	log   *slog.Logger

	op sync.Mutex // held for a whole REGISTER exchange (with its challenge round trip)

	// Registration dialog state, guarded by op.
	callID, fromTag string
	cseq            uint32
	chal            *challenge // last challenge answered, for ReuseNonce
	nc              uint32

	mu         sync.Mutex // guards the fields below, read by observers
	registered bool
	expiresAt  time.Time
	granted    time.Duration
	regLocal   string         // local address the registration was made from
	basic      *basicSettings // what a DeviceConfig set; nil: the Config's values
	waker      waker          // what runs the device's life (Run, Fleet), to reschedule it

	// born is when the device was made, in Unix ns: the epoch of its catalog events and
	// its drive (a time.Time would cost a fleet 16 bytes more a device).
	born        int64
	clockOffset atomic.Int64 // the device clock's lead over this machine's, in ns (clock.go)
	extra       extraState   // controls, subscriptions, alarms, reboots: made on first use

	sn      atomic.Int64  // SN of the device's own Notify bodies
	msgSeq  atomic.Uint32 // CSeq of out-of-dialog MESSAGEs
	queries atomic.Int64  // queries answered

	life lifecycle // used by Run and Fleet only
	slot fleetSlot // a Fleet's schedule of the device, guarded by the schedule
}

// NewDevice creates a device (and its own Endpoint when cfg.Endpoint is nil). It sends
// nothing until Register or Run.
func NewDevice(cfg Config) (*Device, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	d := &Device{
		cfg:     cfg,
		ep:      cfg.Endpoint,
		stats:   cfg.Stats,
		log:     cfg.Logger.With("device", cfg.ID),
		callID:  newToken(16) + "@camsim",
		fromTag: newToken(8),
		cseq:    1,
		born:    time.Now().UnixNano(),
	}
	if d.ep == nil {
		ep, err := NewEndpoint(EndpointConfig{Server: cfg.Server, Transport: cfg.Transport, LocalIP: cfg.LocalIP, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		d.ep, d.ownEP = ep, true
	}
	if err := d.ep.add(d); err != nil {
		if d.ownEP {
			d.ep.Close()
		}
		return nil, err
	}
	return d, nil
}

// ID is the device's ID.
func (d *Device) ID() string { return d.cfg.ID }

// Endpoint is the socket the device uses.
func (d *Device) Endpoint() *Endpoint { return d.ep }

// Info is what the device answers to a DeviceInfo query: its name is the one a
// DeviceConfig last set, if any.
func (d *Device) Info() manscdp.DeviceInfo {
	info := deviceInfo(d.cfg)
	if name := d.settings().name; name != "" {
		info.DeviceName = name
	}
	return info
}

// Catalog is the device's whole catalog, as it answers a Catalog query now: with
// Subscriptions.CatalogFlap its first channel is OFF every other period, with
// CatalogChurn an added channel comes and goes (catalogevents.go). It is built when
// asked, so that a fleet of NVRs does not hold every channel in memory.
func (d *Device) Catalog() []manscdp.CatalogItem { return d.catalogAt(time.Now()) }

// QueriesAnswered counts the queries the device answered.
func (d *Device) QueriesAnswered() int64 { return d.queries.Load() }

// Registered reports whether the device holds a registration it believes is live.
func (d *Device) Registered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.registered && time.Now().Before(d.expiresAt)
}

// Close detaches the device from its endpoint (closing it when it is the device's own).
// It does not unregister; call Unregister first for a clean goodbye.
func (d *Device) Close() error {
	d.stopStreams()
	d.closeExtra()
	d.ep.remove(d)
	if d.ownEP {
		return d.ep.Close()
	}
	return nil
}

// Registration is the outcome of a successful REGISTER exchange.
type Registration struct {
	// Expires is the lifetime the registrar granted (0 after an unregistration).
	Expires time.Duration
	// Date is the registrar's Date header, which GB devices set their clock from.
	Date string
	// Latency is the time from the first REGISTER sent to the final 200 OK, digest
	// challenge round trip included.
	Latency time.Duration
	// Challenged is true when the registrar asked for (fresh) credentials on the way.
	Challenged bool
}

// StatusError is a final non-2xx answer from the registrar.
type StatusError struct {
	Method string
	Code   int
	Reason string
	// RetryAfter is the Retry-After header, if any (0 otherwise).
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("sim: %s answered %d %s", e.Method, e.Code, e.Reason)
}

// StatusCode returns the SIP status of a *StatusError in err's chain, or 0.
func StatusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// ErrNoAlgorithm is returned when the registrar offers no challenge in the device's
// configured digest algorithm.
var ErrNoAlgorithm = errors.New("sim: registrar offers no challenge in the configured algorithm")

// Register registers (or refreshes) the device: REGISTER, answer the digest challenge,
// 200 OK. It returns *StatusError for a final failure answer and wraps ErrTimeout when
// the registrar stays silent.
func (d *Device) Register(ctx context.Context) (Registration, error) {
	return d.register(ctx, d.settings().expires)
}

// Unregister ends the registration (REGISTER with Expires: 0, authenticated).
func (d *Device) Unregister(ctx context.Context) error {
	_, err := d.register(ctx, 0)
	return err
}

func (d *Device) register(ctx context.Context, expires time.Duration) (Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()

	start := time.Now()
	reg, err := d.registerLocked(ctx, expires)
	reg.Latency = time.Since(start)
	if errors.Is(err, context.Canceled) {
		// Stopped by the caller (SIGINT): not the registrar's failure.
		return reg, err
	}
	if expires > 0 {
		d.stats.recordRegister(reg.Latency, err)
	} else {
		d.stats.recordUnregister(err)
	}
	if err != nil {
		d.log.Info("REGISTER failed", "expires", expires, "error", err)
	}
	return reg, err
}

func (d *Device) registerLocked(ctx context.Context, expires time.Duration) (Registration, error) {
	var reg Registration
	local, err := d.ep.contactAddr(ctx)
	if err != nil {
		return reg, err
	}
	auth := ""
	if d.cfg.ReuseNonce && d.chal != nil {
		d.nc++
		if auth, err = d.authorize(*d.chal, d.nc); err != nil {
			return reg, err
		}
	}
	freshAuth := false // an Authorization answering a fresh challenge was sent
	staleRetried, tooBriefRetried := false, false
	for {
		d.cseq++
		req := d.newRegister(local, expires, auth)
		res, err := d.ep.do(ctx, req)
		if err != nil {
			return reg, err
		}
		switch code := res.StatusCode; {
		case code >= 200 && code < 300:
			reg.Expires = grantedExpires(res, expires)
			if h := res.GetHeader("Date"); h != nil {
				reg.Date = h.Value()
				d.setClock(reg.Date)
			}
			d.mu.Lock()
			d.registered = expires > 0
			d.granted = reg.Expires
			d.expiresAt = time.Now().Add(reg.Expires)
			d.regLocal = local
			d.mu.Unlock()
			if expires > 0 {
				d.registeredNow()
			}
			return reg, nil

		case code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired:
			ch, err := d.pickChallenge(res)
			if err != nil {
				return reg, err
			}
			switch {
			case !freshAuth:
				// First challenge, or the reused nonce was refused: answer it.
			case ch.stale && !staleRetried:
				staleRetried = true
			default:
				return reg, statusError(res)
			}
			reg.Challenged = true
			d.chal, d.nc = &ch, 1
			if auth, err = d.authorize(ch, 1); err != nil {
				return reg, err
			}
			freshAuth = true

		case code == sip.StatusIntervalToBrief && expires > 0 && !tooBriefRetried:
			// 423: ask again for at least Min-Expires, as RFC 3261 §10.2.8 says.
			tooBriefRetried = true
			h := res.GetHeader("Min-Expires")
			if h == nil {
				return reg, statusError(res)
			}
			n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
			if err != nil || n <= 0 {
				return reg, statusError(res)
			}
			expires = time.Duration(n) * time.Second
			if d.chal != nil {
				// The credentials stay valid; a new nonce count keeps them fresh.
				d.nc++
				if auth, err = d.authorize(*d.chal, d.nc); err != nil {
					return reg, err
				}
			}

		default:
			if code >= 400 {
				// The registration is gone or refused: forget it.
				d.mu.Lock()
				d.registered = false
				d.mu.Unlock()
			}
			return reg, statusError(res)
		}
	}
}

// pickChallenge returns the challenge in the device's algorithm among those offered
// (RFC 8760 registrars may offer SHA-256 and MD5 at once).
func (d *Device) pickChallenge(res *sip.Response) (challenge, error) {
	name := "WWW-Authenticate"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		name = "Proxy-Authenticate"
	}
	var offered []string
	for _, h := range res.GetHeaders(name) {
		ch, err := parseChallenge(h.Value())
		if err != nil {
			continue
		}
		if strings.EqualFold(strings.TrimSuffix(strings.ToUpper(ch.algorithm), "-SESS"), d.cfg.Algorithm) {
			return ch, nil
		}
		offered = append(offered, ch.algorithm)
	}
	if len(offered) == 0 {
		return challenge{}, fmt.Errorf("sim: %d without a usable Digest challenge", res.StatusCode)
	}
	return challenge{}, fmt.Errorf("%w: want %s, offered %s", ErrNoAlgorithm, d.cfg.Algorithm, strings.Join(offered, ", "))
}

func (d *Device) authorize(ch challenge, nc uint32) (string, error) {
	uri := d.registerURI()
	return authorization(ch, credentials{
		username: d.cfg.Username,
		password: d.cfg.Password,
		method:   "REGISTER",
		uri:      uri.String(),
		useQop:   !d.cfg.NoQop,
		nc:       nc,
	})
}

// registerURI is sip:<platform ID>@<domain>, as GB devices address their platform.
func (d *Device) registerURI() sip.Uri {
	return sip.Uri{Scheme: "sip", User: d.cfg.ServerID, Host: d.cfg.Domain}
}

func (d *Device) newRegister(local string, expires time.Duration, auth string) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, d.registerURI())
	self := sip.Uri{Scheme: "sip", User: d.cfg.ID, Host: d.cfg.Domain}
	from := &sip.FromHeader{Address: self, Params: sip.NewParams()}
	from.Params.Add("tag", d.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: self, Params: sip.NewParams()})
	callID := sip.CallIDHeader(d.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.REGISTER})
	contact := &sip.ContactHeader{Address: d.contactURI(local)}
	req.AppendHeader(contact)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("User-Agent", d.ep.cfg.UserAgent))
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	if auth != "" {
		req.AppendHeader(sip.NewHeader("Authorization", auth))
	}
	req.SetBody(nil)
	return req
}

func (d *Device) contactURI(local string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: d.cfg.ID}
	host, port, err := sip.ParseAddr(local)
	if err == nil {
		u.Host, u.Port = host, port
	} else {
		u.Host = d.ep.localIP
	}
	if d.ep.transport == "TCP" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	}
	return u
}

// grantedExpires reads the lifetime a 200 OK granted: our Contact's expires parameter
// first (RFC 3261 §10.2.4), then the Expires header, then what was asked.
func grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			if v, ok := c.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

func statusError(res *sip.Response) error {
	se := &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason}
	if cseq := res.CSeq(); cseq != nil {
		se.Method = string(cseq.MethodName)
	}
	if h := res.GetHeader("Retry-After"); h != nil {
		v := strings.TrimSpace(h.Value())
		if i := strings.IndexAny(v, " ;("); i >= 0 {
			v = v[:i]
		}
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			se.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return se
}

// Keepalive sends one keepalive Notify and waits for the registrar's answer: nil on
// 200, *StatusError otherwise (404 means the registrar has no registration for us).
func (d *Device) Keepalive(ctx context.Context) error {
	body, err := manscdp.EncodeKeepalive(int(d.sn.Add(1)), d.cfg.ID, d.cfg.Charset)
	if err != nil {
		return err
	}
	err = d.sendMessage(ctx, body)
	if err != nil && ctx.Err() != nil {
		// Cut short by the caller (the fleet stopping): neither answered nor failed.
		return err
	}
	d.stats.recordKeepalive(err)
	return err
}

// sendMessage sends a MANSCDP MESSAGE to the platform and waits for its 200.
func (d *Device) sendMessage(ctx context.Context, body []byte) error {
	return d.sendRequest(ctx, d.newMessage(body))
}

// sendRequest sends one of the device's requests to the platform and waits for its 2xx.
func (d *Device) sendRequest(ctx context.Context, req *sip.Request) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	res, err := d.ep.do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	return statusError(res)
}

// platformURI is sip:<platform ID>@<domain>, where the device's MESSAGEs go.
func (d *Device) platformURI() sip.Uri {
	return sip.Uri{Scheme: "sip", User: d.cfg.ServerID, Host: d.cfg.Domain}
}

// newMessage is an out-of-dialog MANSCDP MESSAGE to the platform.
func (d *Device) newMessage(body []byte) *sip.Request {
	platform := d.platformURI()
	req := sip.NewRequest(sip.MESSAGE, platform)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.ID, Host: d.cfg.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", newToken(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: platform, Params: sip.NewParams()})
	callID := sip.CallIDHeader(newToken(16) + "@camsim")
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.msgSeq.Add(1), MethodName: sip.MESSAGE})
	d.commonHeaders(req)
	ct := sip.ContentTypeHeader("Application/MANSCDP+xml")
	req.AppendHeader(&ct)
	req.SetBody(body)
	return req
}

// commonHeaders adds what every request of the device carries.
func (d *Device) commonHeaders(req *sip.Request) {
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("User-Agent", d.ep.cfg.UserAgent))
}

// deviceInfo and catalog build what the device answers. Names are Chinese so that
// charset handling is exercised end to end; one uses a character outside GB2312 (but
// inside GBK), as real devices do while declaring GB2312.
func deviceInfo(cfg Config) manscdp.DeviceInfo {
	kind := "IPC"
	if cfg.Channels > 0 {
		kind = "NVR"
	}
	return manscdp.DeviceInfo{
		DeviceID:     cfg.ID,
		DeviceName:   "模拟" + kind + " " + tail(cfg.ID, 6),
		Manufacturer: "camsim 模拟器",
		Model:        "SIM-" + kind,
		Firmware:     "V1.0.0",
		Channel:      max(cfg.Channels, 1),
		Result:       "OK",
	}
}

func catalog(cfg Config) []manscdp.CatalogItem {
	civil := ""
	if p, err := gbid.Parse(cfg.ID); err == nil {
		civil = p.Center[:6]
	}
	if cfg.Channels == 0 {
		return []manscdp.CatalogItem{channelItem(cfg, cfg.ID, 0, civil)}
	}
	items := make([]manscdp.CatalogItem, cfg.Channels)
	for i := range items {
		items[i] = channelItem(cfg, ChannelID(cfg.ID, cfg.Channels, i), i, civil)
	}
	return items
}

var channelNames = []string{"东门入口", "西门广场", "南侧停车场", "北区走廊", "一楼大厅", "電梯間", "收费站", "仓库后门"}

func channelItem(cfg Config, id string, i int, civil string) manscdp.CatalogItem {
	parent := ""
	if cfg.Channels > 0 {
		parent = cfg.ID
	}
	return manscdp.CatalogItem{
		DeviceID:     id,
		Name:         channelName(i),
		Manufacturer: "camsim 模拟器",
		Model:        "SIM-CAM",
		Owner:        "Owner",
		CivilCode:    civil,
		Address:      channelAddress(i),
		Parental:     0,
		ParentID:     parent,
		RegisterWay:  1,
		Secrecy:      0,
		Status:       "ON",
	}
}

// channelName and channelAddress are channel i's (from 0) Name and Address.
func channelName(i int) string {
	return fmt.Sprintf("通道%d %s", i+1, channelNames[i%len(channelNames)])
}

func channelAddress(i int) string { return "模拟路 " + strconv.Itoa(i+1) + " 号" }

// ChannelID is the ID of channel i (from 0) of an NVR with n channels: the NVR's ID with
// the type code 131 (camera) and a serial of nvrSerial*n+i+1, which keeps the channels
// of consecutive NVRs distinct while the serials fit in six digits. Non-GB device IDs get
// "<id>-<i+1>".
func ChannelID(nvrID string, n, i int) string {
	p, err := gbid.Parse(nvrID)
	if err != nil {
		return nvrID + "-" + strconv.Itoa(i+1)
	}
	serial, _ := strconv.Atoi(p.Serial)
	return fmt.Sprintf("%s%s131%s%06d", p.Center, p.Industry, p.Network, (serial*n+i+1)%1000000)
}

// channelNumber is ChannelID's inverse: the i for which ChannelID(nvrID, n, i) is id.
// It parses id rather than trying every channel, so that finding the device of a
// request among a fleet's thousands of NVRs costs a parse per device, not one per
// channel.
func channelNumber(nvrID string, n int, id string) (int, bool) {
	if n <= 0 {
		return 0, false
	}
	p, err := gbid.Parse(nvrID)
	if err != nil {
		rest, ok := strings.CutPrefix(id, nvrID+"-")
		k, err := strconv.Atoi(rest)
		if !ok || err != nil || k < 1 || k > n || strconv.Itoa(k) != rest {
			return 0, false
		}
		return k - 1, true
	}
	c, err := gbid.Parse(id)
	if err != nil || c.Center != p.Center || c.Industry != p.Industry || c.Type != "131" || c.Network != p.Network {
		return 0, false
	}
	serial, _ := strconv.Atoi(p.Serial)
	got, _ := strconv.Atoi(c.Serial)
	const serials = 1000000
	i := ((got-serial*n-1)%serials + serials) % serials
	if i >= n {
		return 0, false
	}
	return i, true
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
