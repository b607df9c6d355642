// Command manager runs camera-operator: the Camera reconcilers and the embedded GB/T 28181
// SIP registrar. This file holds flags and wiring only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // GB devices set their clock from the Date header: zones must resolve in a scratch image.

	"github.com/go-logr/logr"
	_ "golang.org/x/crypto/x509roots/fallback" // Mozilla's roots, used only where the system has none (make image's base): HTTPS needs no CA bundle in the image.
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers"
	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/controllers/stream"
	"github.com/gb28181/camera-operator/internal/gcsettings"
	"github.com/gb28181/camera-operator/sipd"
)

// options are the operator's command-line flags.
type options struct {
	sipListen, sipID, sipRealm, sipTimezone string
	sipMinExpires, sipMaxExpires            time.Duration
	sipDefaultExpires                       time.Duration
	sipQop, sipSHA256                       bool
	keepaliveStatusInterval                 time.Duration
	livenessLeases                          bool
	maxConcurrentReconciles                 int
	maxCachedSecrets                        int
	maxStreamsPerCamera, sipMaxInvites      int
	kubeAPIQPS                              float64
	kubeAPIBurst                            int
	eventsPerSecond                         float64
	eventBurst                              int
	maxClockOffset                          time.Duration
	statusPacingQueueDelay                  time.Duration
	metricsAddr, probeAddr, pprofAddr       string
	leaderElect                             bool
	leaseDuration, renewDeadline            time.Duration
	retryPeriod                             time.Duration
	leaderElectionNamespace                 string
	shard                                   string
	sipService                              string
	podName, podNamespace, podIP            string
	watchNamespaces                         string
	logLevel, logFormat                     string
	// alarmSinkURL receives each alarm as a CloudEvent (empty: no sink).
	alarmSinkURL string
	// gc is the Go runtime's collector settings (gcsettings).
	gc gcsettings.Config
}

// newFlagSet defines the operator's flags on o. The defaults of the registrar's and the
// controllers' settings are taken from the packages that own them (sipd.Config,
// camera.Options, stream.Options), written nowhere else; testdata/defaults.json pins
// them all (TestDefaults).
func newFlagSet(o *options) *flag.FlagSet {
	sip, err := sipd.Config{}.WithDefaults()
	if err != nil {
		panic(err) // the zero Config is valid: only a broken default gets here
	}
	cam, st := camera.Options{}.WithDefaults(), stream.Options{}.WithDefaults()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.sipListen, "sip-listen", sip.ListenAddr, "host:port the SIP registrar listens on, over UDP and TCP.")
	fs.StringVar(&o.sipID, "sip-id", sip.ServerID, "The platform's own GB ID (type code 200, SIP server).")
	fs.StringVar(&o.sipRealm, "sip-realm", "", "Digest realm (default: the first 10 digits of --sip-id).")
	fs.StringVar(&o.sipTimezone, "sip-timezone", sip.Location.String(), "Zone of the devices' clocks: the Date header of REGISTER answers, which devices set their clock from, and the times of recordings (RecordInfo).")
	fs.DurationVar(&o.sipMinExpires, "sip-min-expires", sip.MinExpires, "Shortest registration granted; shorter requests get 423.")
	fs.DurationVar(&o.sipMaxExpires, "sip-max-expires", sip.MaxExpires, "Longest registration granted; longer requests are clamped.")
	fs.DurationVar(&o.sipDefaultExpires, "sip-default-expires", sip.DefaultExpires, "Registration granted when a device asks for none.")
	fs.BoolVar(&o.sipQop, "sip-qop", !sip.DisableQop, `Offer qop="auth" in digest challenges (answers without qop are accepted either way).`)
	fs.BoolVar(&o.sipSHA256, "sip-sha256", sip.SHA256, "Also offer an algorithm=SHA-256 challenge (RFC 7616/8760); MD5 is always offered.")
	fs.DurationVar(&o.keepaliveStatusInterval, "keepalive-status-interval", cam.KeepaliveStatusInterval, "While nothing else changes, a Camera's liveness (its Lease, or status.lastKeepaliveTime) is written at most this often.")
	fs.BoolVar(&o.livenessLeases, "liveness-leases", !cam.LivenessInStatus, "Record Cameras' liveness between status writes in a Lease named after each Camera, at a quarter of the API server's cost of a status write; the status's liveness fields are then written at least every 12 --keepalive-status-interval. False: in the status alone, every interval.")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", cam.MaxConcurrentReconciles, "Camera status workers; each mostly waits on the API server.")
	fs.DurationVar(&o.statusPacingQueueDelay, "status-pacing-queue-delay", cam.Pacing.QueueDelay, "While the registrar's UDP queue delay is over this, Camera status writes and the jobs that query and subscribe devices are paced so that SIP keeps the CPU; the backlog is written, queried and subscribed after (negative: never paced).")
	fs.IntVar(&o.maxCachedSecrets, "max-cached-secrets", cam.MaxCachedSecrets, "Most Secrets whose data is kept in memory (only Secrets that Cameras name are read); set above their number.")
	fs.IntVar(&o.maxStreamsPerCamera, "max-streams-per-camera", st.MaxStreamsPerCamera, "Most Streams of one Camera invited or playing at once; more report TooManyStreams.")
	fs.IntVar(&o.sipMaxInvites, "sip-max-invites", sip.MaxInvites, "Most live video INVITEs in flight; more wait and retry.")
	fs.Float64Var(&o.kubeAPIQPS, "kube-api-qps", -1, "Client-side limit of API requests per second (-1: none, the API server's priority and fairness applies).")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", 200, "Client-side burst of API requests above --kube-api-qps, when that is set.")
	fs.Float64Var(&o.eventsPerSecond, "events-per-second", cam.EventsPerSecond, "Budget of Kubernetes Events on all Cameras together; past it (and --event-burst), or while more than 100 devices wait for a status write, Events are dropped and counted.")
	fs.IntVar(&o.eventBurst, "event-burst", cam.EventBurst, "Events recorded at once above --events-per-second.")
	fs.DurationVar(&o.maxClockOffset, "max-clock-offset", cam.MaxClockOffset, "How far a device's clock may be off the operator's before its Camera's ClockSynchronized condition is False (recordings are searched by the device's clock).")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint (0 disables it).")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz probes.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "Address of Go's /debug/pprof profiles, for diagnosing CPU and memory use (0 disables it).")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader among replicas; only the leader serves SIP, writes status and (with --sip-service) is the SIP Service's endpoint.")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a leader that stopped renewing holds the Lease off the standbys: the longest fail-over after a crash.")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew before it gives up leading (shorter than the lease duration).")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "How often standbys try to take the Lease, and the leader to renew it.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: the pod's namespace).")
	fs.StringVar(&o.shard, "shard", "", "Serve only the Cameras labelled "+gbv1.ShardLabel+"=NAME, under a Lease of the shard's own (default: the Cameras without the label).")
	fs.StringVar(&o.sipService, "sip-service", "", "Name of the selector-less SIP Service whose EndpointSlice the leader points at its own pod (empty: none is managed).")
	fs.StringVar(&o.podName, "pod-name", os.Getenv("POD_NAME"), "This replica's pod, published as the SIP Service's endpoint while it leads (default: $POD_NAME).")
	fs.StringVar(&o.podNamespace, "pod-namespace", os.Getenv("POD_NAMESPACE"), "Namespace of this pod and of the SIP Service (default: $POD_NAMESPACE).")
	fs.StringVar(&o.podIP, "pod-ip", os.Getenv("POD_IP"), "This pod's IP, the SIP Service's endpoint while it leads (default: $POD_IP).")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces whose Cameras and Secrets are served (default: all).")
	fs.StringVar(&o.logLevel, "log-level", "info", "Log level: debug, info, warn or error.")
	fs.StringVar(&o.logFormat, "log-format", "json", "Log format: json or text.")
	// Alarms beyond Kubernetes Events.
	fs.StringVar(&o.alarmSinkURL, "alarm-sink-url", "", "URL each device alarm is POSTed to as a CloudEvent (structured JSON), with its Camera's namespace, name and device ID (empty: none).")
	fs.IntVar(&o.gc.GCPercent, "gc-percent", gcsettings.Defaults.GCPercent, "The Go collector's GOGC: how far, in percent, the heap grows over what is live before a collection (lower: less memory, more CPU). GOGC in the environment wins.")
	fs.Float64Var(&o.gc.MemoryLimitRatio, "memory-limit-ratio", gcsettings.Defaults.MemoryLimitRatio, "Share of the container's memory limit made the Go soft memory limit (0: none). GOMEMLIMIT in the environment wins.")
	return fs
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.shard != "" {
		// The name is a label value and part of the Lease's name.
		if errs := validation.IsDNS1123Label(o.shard); len(errs) > 0 {
			return o, fmt.Errorf("--shard %q: %s", o.shard, strings.Join(errs, "; "))
		}
	}
	if !(o.leaseDuration > o.renewDeadline && o.renewDeadline > o.retryPeriod && o.retryPeriod > 0) {
		return o, fmt.Errorf("leader election needs --leader-elect-lease-duration (%s) > --leader-elect-renew-deadline (%s) > --leader-elect-retry-period (%s) > 0",
			o.leaseDuration, o.renewDeadline, o.retryPeriod)
	}
	if err := o.sipEndpoints().Validate(); err != nil {
		return o, err
	}
	if _, err := (alarms.Config{URL: o.alarmSinkURL}).WithDefaults(); err != nil {
		return o, fmt.Errorf("--alarm-sink-url: %w", err)
	}
	if r := o.gc.MemoryLimitRatio; !(r >= 0 && r <= 1) {
		return o, fmt.Errorf("--memory-limit-ratio %v: not in [0, 1]", r)
	}
	return o, nil
}

// sipEndpoints is what the leader publishes as the SIP Service's endpoint.
func (o options) sipEndpoints() endpoints.Config {
	return endpoints.Config{
		Service:   o.sipService,
		Namespace: o.podNamespace,
		PodName:   o.podName,
		PodIP:     o.podIP,
		NodeName:  os.Getenv("NODE_NAME"),
	}
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	handlerOpts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, handlerOpts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, handlerOpts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither json nor text", format)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger, err := setupLogging(o)
	if err != nil {
		return err
	}
	gc, err := gcsettings.Apply(o.gc)
	if err != nil {
		return err
	}
	logger.Info("Go runtime memory settings", "gc", gc)
	zone, err := time.LoadLocation(o.sipTimezone)
	if err != nil {
		return fmt.Errorf("--sip-timezone: %w", err)
	}
	mgr, err := newManager(o)
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}

	if _, err := controllers.Setup(mgr, o.operatorConfig(zone, logger)); err != nil {
		return err
	}

	logger.Info("starting camera-operator", "shard", o.shard, "sipListen", o.sipListen, "sipID", o.sipID, "leaderElect", o.leaderElect, "sipService", o.sipService)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// setupLogging makes one logging pipeline: controller-runtime and client-go log through
// the same slog handler as the registrar.
func setupLogging(o options) (*slog.Logger, error) {
	logger, err := newLogger(o.logLevel, o.logFormat)
	if err != nil {
		return nil, err
	}
	log := logr.FromSlogHandler(logger.Handler())
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	slog.SetDefault(logger)
	return logger, nil
}

// newManager creates the controller-runtime manager: the controllers' scheme and cache
// (controllers.ManagerOptions), the API client's limits, metrics, probes and leader
// election.
func newManager(o options) (ctrl.Manager, error) {
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return nil, err
	}
	restConfig.QPS, restConfig.Burst = float32(o.kubeAPIQPS), o.kubeAPIBurst
	mopts := controllers.ManagerOptions(o.shard, splitList(o.watchNamespaces))
	mopts.Metrics = metricsserver.Options{BindAddress: o.metricsAddr}
	mopts.HealthProbeBindAddress = o.probeAddr
	mopts.PprofBindAddress = o.pprofAddr
	mopts.LeaderElection = o.leaderElect
	mopts.LeaderElectionNamespace = o.leaderElectionNamespace
	mopts.LeaseDuration, mopts.RenewDeadline, mopts.RetryPeriod = &o.leaseDuration, &o.renewDeadline, &o.retryPeriod
	// On a clean shutdown the leader-only runnables stop first (the SIP endpoint is
	// withdrawn, then the registrar stops) and only then is the lease released, so the
	// next leader starts at once rather than after the lease runs out, and never while
	// this one still answers.
	mopts.LeaderElectionReleaseOnCancel = true
	return ctrl.NewManager(restConfig, mopts)
}

// operatorConfig is the operator the flags describe.
func (o options) operatorConfig(zone *time.Location, logger *slog.Logger) controllers.Config {
	return controllers.Config{
		SIP: sipd.Config{
			ListenAddr:     o.sipListen,
			ServerID:       o.sipID,
			Realm:          o.sipRealm,
			Location:       zone,
			MinExpires:     o.sipMinExpires,
			MaxExpires:     o.sipMaxExpires,
			DefaultExpires: o.sipDefaultExpires,
			MaxInvites:     o.sipMaxInvites,
			DisableQop:     !o.sipQop,
			SHA256:         o.sipSHA256,
			Logger:         logger.With("component", "sipd"),
			Registerer:     metrics.Registry,
		},
		Camera: camera.Options{
			KeepaliveStatusInterval: o.keepaliveStatusInterval,
			LivenessInStatus:        !o.livenessLeases,
			MaxConcurrentReconciles: o.maxConcurrentReconciles,
			MaxCachedSecrets:        o.maxCachedSecrets,
			EventsPerSecond:         o.eventsPerSecond,
			EventBurst:              o.eventBurst,
			Shard:                   o.shard,
			MaxClockOffset:          o.maxClockOffset,
			Pacing:                  camera.PacingOptions{QueueDelay: o.statusPacingQueueDelay},
			Location:                zone, // devices keep the time of the Date header they set their clocks from
		},
		Stream:         stream.Options{MaxStreamsPerCamera: o.maxStreamsPerCamera},
		Endpoints:      o.sipEndpoints(),
		Alarms:         alarms.Config{URL: o.alarmSinkURL},
		LeaderElection: o.leaderElect,
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
