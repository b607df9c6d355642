// Command camsim simulates GB/T 28181 devices toward a SIP registrar: one device, or a
// fleet with --count for load. It registers with digest authentication, refreshes,
// sends keepalives, answers queries (DeviceInfo, Catalog, DeviceStatus, ConfigDownload,
// PresetQuery, RecordInfo) and controls (DeviceControl, DeviceConfig), takes
// subscriptions, plays live video, recordings and downloads, and unregisters on SIGINT
// or SIGTERM. --once registers every device once, prints the figures and unregisters
// (the benchmark mode). By default a progress line goes to stderr and the summary to
// stdout as text, for people; --output json writes both to stdout as JSON lines
// (sim.Report), for programs, with a line of kind "device" each time a device's state
// changes (a control, a subscription, an alarm). docs/camsim.md describes every flag.
//
//	go run ./cmd/camsim --server 127.0.0.1:5060 --id 34020000001320000001 --password secret
//	go run ./cmd/camsim --count 10000 --once --output json --rate 12000 --password secret
//	go run ./cmd/camsim --password secret --record-span 24h --alarm-interval 30s --catalog-flap 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // --timezone works where the system has no zone database

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

func main() {
	// sipgo refuses UDP messages over 1300 bytes; on loopback and LANs a catalog part of
	// --catalog-page items is fine in one datagram, as devices send them. (Set here, before
	// any socket exists, rather than in run, which tests call.)
	sip.UDPMTUSize = 65000
	// sipgo's connection-level code logs through its package default, including
	// harmless warnings when connections are torn down at exit; keep only errors.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dc       sim.Config
		fc       sim.FleetConfig
		once     = fs.Bool("once", false, "register every device once, report, unregister and exit")
		output   = fs.String("output", "text", "text: a progress line on stderr and the summary on stdout, for people; json: progress and summary as JSON lines on stdout, for programs")
		duration = fs.Duration("duration", 0, "stop after this long (0: run until SIGINT/SIGTERM)")
		progress = fs.Duration("progress", time.Second, "interval of the progress reports (0: none)")
		logLevel = fs.String("log-level", "warn", "log level: debug, info, warn, error")
		timezone = fs.String("timezone", "Asia/Shanghai", "zone of the device clock and of the MANSCDP times it reads and writes")
	)
	fs.StringVar(&dc.Server, "server", "127.0.0.1:5060", "registrar host:port")
	fs.StringVar(&dc.Transport, "transport", "udp", "udp or tcp")
	fs.StringVar(&dc.LocalIP, "local-ip", "", "local address to send from (default: the one routing to --server)")
	fs.StringVar(&dc.ID, "id", "34020000001320000001", "device ID (the first one with --count)")
	fs.StringVar(&dc.Username, "user", "", "digest user name (default: the device ID)")
	fs.StringVar(&dc.Password, "password", "", "digest password (every device uses it)")
	fs.StringVar(&dc.ServerID, "server-id", sim.DefaultServerID, "platform GB ID (Request-URI user)")
	fs.StringVar(&dc.Domain, "domain", "", "SIP domain (default: first 10 digits of --server-id)")
	fs.StringVar(&dc.Algorithm, "algorithm", "MD5", "digest algorithm: MD5 or SHA-256")
	fs.BoolVar(&dc.NoQop, "no-qop", false, "answer qop challenges without qop, like old firmware")
	fs.BoolVar(&dc.ReuseNonce, "reuse-nonce", false, "refresh with the last nonce and the next nonce count, like pjsip")
	fs.DurationVar(&dc.Expires, "expires", time.Hour, "registration lifetime asked for")
	fs.DurationVar(&dc.KeepaliveInterval, "keepalive-interval", time.Minute, "keepalive period")
	fs.IntVar(&dc.KeepaliveMaxMiss, "keepalive-max-miss", 3, "unanswered keepalives before registering again")
	fs.DurationVar(&dc.RetryMin, "retry-min", time.Minute, "first wait after a failed registration (GB/T 28181: at least 60s)")
	fs.DurationVar(&dc.RetryMax, "retry-max", 10*time.Minute, "longest wait between registration attempts")
	fs.DurationVar(&dc.RequestTimeout, "timeout", 10*time.Second, "timeout of one SIP exchange")
	fs.IntVar(&dc.Channels, "channels", 0, "simulate an NVR with this many channels (0: an IPC)")
	fs.IntVar(&dc.CatalogPage, "catalog-page", 20, "catalog items per Response MESSAGE")
	fs.StringVar(&dc.Charset, "charset", "gb2312", "body charset: gb2312 or utf-8")
	fs.DurationVar(&dc.Media.ByeAfter, "bye-after", 0, "end each live video stream with a BYE after this long (0: never)")
	fs.IntVar(&dc.Media.MaxStreams, "max-streams", 4, "live video, playback and download streams a device plays at once; more INVITEs get 486")
	fs.BoolVar(&dc.WVPCompat, "wvp-compat", false, "answer INVITEs like a simulator built for WVP-GB28181-pro: To without a tag, a=recvonly, a 20-digit y=")
	fs.DurationVar(&dc.ClockSkew, "clock-skew", 0, "keep the device clock this far ahead of the registrar's Date (negative: behind), like a device whose clock setting failed")
	fs.DurationVar(&dc.Control.RebootDelay, "reboot-delay", 3*time.Second, "how long a reboot (TeleBoot, --reboot-on-config) keeps a device down before it registers again")
	fs.BoolVar(&dc.Control.RebootOnConfig, "reboot-on-config", false, "answer a DeviceConfig with nothing but its 200, apply it and reboot, like some vendors")
	fs.DurationVar(&dc.Control.ApplyDelay, "control-apply-delay", 0, "apply each DeviceControl this long after its MESSAGE's 200, like devices that store a preset after answering (0: before the 200)")
	fs.BoolVar(&dc.Control.IgnoreConfig, "ignore-config", false, "take a DeviceConfig (answer OK, or reboot with --reboot-on-config) but keep the device's settings, like firmware that ignores the platform's")
	fs.IntVar(&dc.Subscriptions.Refuse, "subscribe-refuse", 0, "answer every SUBSCRIBE with this status, like old devices (489, 501; 0: accept)")
	fs.IntVar(&dc.Subscriptions.Max, "max-subscriptions", 8, "live subscriptions a device keeps; more get 503")
	fs.DurationVar(&dc.Subscriptions.MaxExpires, "subscription-max-expires", time.Hour, "longest subscription a device grants")
	fs.DurationVar(&dc.Subscriptions.CatalogFlap, "catalog-flap", 0, "take the first channel OFF and back ON every other period of this length, notifying catalog subscribers (0: never)")
	fs.DurationVar(&dc.Subscriptions.CatalogChurn, "catalog-churn", 0, "add a channel in one period of this length and remove it in the next, notifying catalog subscribers (0: never)")
	fs.DurationVar(&dc.Alarms.Interval, "alarm-interval", 0, "raise an alarm this often while armed (GuardCmd SetGuard), by NOTIFY to alarm subscribers or else by MESSAGE (0: never)")
	fs.BoolVar(&dc.Alarms.WithoutGuard, "alarm-without-guard", false, "raise alarms without being armed, like some devices")
	fs.DurationVar(&dc.Records.Span, "record-span", 0, "hold recordings of every channel over the last span of the device clock, for RecordInfo, playback and download (0: none)")
	fs.DurationVar(&dc.Records.Segment, "record-segment", 30*time.Minute, "length of one recording")
	fs.DurationVar(&dc.Records.Gap, "record-gap", 0, "pause between two recordings")
	fs.IntVar(&dc.Records.Page, "record-page", 8, "RecordInfo items per Response MESSAGE")
	fs.StringVar(&dc.Records.Order, "record-order", "in", "order of a RecordInfo answer's parts: in, reverse or shuffle")
	fs.IntVar(&dc.Records.DropPart, "record-drop-part", 0, "leave out this part (from 1) of every RecordInfo answer that has it (0: none)")
	fs.IntVar(&dc.Records.MaxItems, "record-max-items", 1000, "most items of one RecordInfo answer")
	fs.IntVar(&fc.Count, "count", 1, "number of devices (IDs counted up from --id)")
	fs.IntVar(&fc.Endpoints, "endpoints", 64, "local sockets/connections the devices are spread over")
	fs.IntVar(&fc.Workers, "workers", 256, "SIP exchanges in flight at once")
	fs.Float64Var(&fc.Rate, "rate", 0, "REGISTERs per second across all devices (0: unlimited)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "camsim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "camsim: --output: %q is neither text nor json\n", *output)
		return 2
	}
	asJSON := *output == "json"
	var level slog.Level
	var err error
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "camsim: --log-level: %v\n", err)
		return 2
	}
	if dc.Location, err = time.LoadLocation(*timezone); err != nil {
		fmt.Fprintf(stderr, "camsim: --timezone: %v\n", err)
		return 2
	}
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	dc.Logger = logger
	if asJSON {
		dc.OnState = jsonState(stdout)
	} else {
		dc.OnState = textState(stderr)
	}

	fc.Device = dc
	fleet, err := sim.NewFleet(fc)
	if err != nil {
		fmt.Fprintf(stderr, "camsim: %v\n", err)
		return 2
	}
	defer fleet.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	report := textProgress(stderr)
	if asJSON {
		report = jsonProgress(stdout)
	}
	stopProgress := startProgress(fleet, *progress, report)
	code := 0
	if *once {
		n := fleet.RegisterAll(ctx)
		stopProgress()
		sum := fleet.Summary() // the registration phase's figures, before unregistering
		uctx, cancel := context.WithTimeout(context.Background(), 2*dc.RequestTimeout+time.Duration(fc.Count)*time.Millisecond)
		fleet.UnregisterAll(uctx)
		cancel()
		after := fleet.Summary()
		sum.Unregistered, sum.UnregisterFailed = after.Unregistered, after.UnregisterFailed
		printSummary(stdout, sum, asJSON)
		if n < fc.Count {
			code = 1
		}
	} else {
		fleet.Run(ctx, 2*dc.RequestTimeout+time.Duration(fc.Count)*time.Millisecond)
		stopProgress()
		printSummary(stdout, fleet.Summary(), asJSON)
	}
	return code
}

// startProgress calls report with the fleet's figures every interval, and with
// done=true once when stopped.
func startProgress(fleet *sim.Fleet, interval time.Duration, report func(r sim.Report, done bool)) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		var last sim.Summary
		lastAt := time.Now()
		for {
			select {
			case <-done:
				report(sim.Report{}, true)
				return
			case now := <-t.C:
				s := fleet.Summary()
				rate := float64(s.Registered-last.Registered) / now.Sub(lastAt).Seconds()
				report(sim.Report{Kind: sim.ReportProgress, At: now, RecentPerSecond: rate, Summary: s}, false)
				last, lastAt = s, now
			}
		}
	}()
	return func() {
		select {
		case <-done:
		default:
			close(done)
			<-finished
		}
	}
}

// textProgress writes the progress line for people on w: rewritten in place on a
// terminal, one line per report otherwise (logs, CI).
func textProgress(w io.Writer) func(sim.Report, bool) {
	tty := isTerminal(w)
	return func(r sim.Report, done bool) {
		if done {
			if tty {
				fmt.Fprintln(w)
			}
			return
		}
		s := r.Summary
		line := fmt.Sprintf("registered %d/%d  failed %d  %.0f reg/s  p50 %.1fms p99 %.1fms  keepalives %d ok %d failed  queries %d",
			s.Registered, s.Devices, s.Failed, r.RecentPerSecond, s.LatencyMs.P50, s.LatencyMs.P99, s.KeepalivesOK, s.KeepalivesFailed, s.QueriesAnswered)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(w, line)
		}
	}
}

// lockedWriter serialises the lines that progress reports, device states and logs
// write from their goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// textState writes a line for people on w each time a device's state changes: what it
// was told, and where it stands.
func textState(w io.Writer) func(sim.DeviceState) {
	tty := isTerminal(w)
	return func(s sim.DeviceState) {
		var b strings.Builder
		fmt.Fprintf(&b, "device %s: %s; armed %v, recording %v", s.ID, s.LastCommand, s.Armed, s.Recording)
		if len(s.Alarming) > 0 {
			fmt.Fprintf(&b, ", alarming %s", strings.Join(s.Alarming, ","))
		}
		ids := make([]string, 0, len(s.PTZ))
		for id := range s.PTZ {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			p := s.PTZ[id]
			fmt.Fprintf(&b, ", %s pan %.1f tilt %.1f zoom %.1f", id, p.Pan, p.Tilt, p.Zoom)
			if p.Moving() {
				b.WriteString(" moving")
			}
			if len(p.Presets) > 0 {
				fmt.Fprintf(&b, " presets %d", len(p.Presets))
			}
		}
		fmt.Fprintf(&b, ", keepalive %v, %d subscriptions, %d streams", s.KeepaliveInterval, len(s.Subscriptions), s.Streams)
		line := b.String()
		if tty {
			line = "\r\033[K" + line // over the progress line, which the next report redraws
		}
		fmt.Fprintln(w, line)
	}
}

// jsonState writes each device state as a JSON line of kind "device" on w.
func jsonState(w io.Writer) func(sim.DeviceState) {
	return func(s sim.DeviceState) {
		if err := sim.WriteReport(w, sim.Report{Kind: sim.ReportDevice, At: time.Now(), Device: &s}); err != nil {
			fmt.Fprintf(os.Stderr, "camsim: %v\n", err)
		}
	}
}

// jsonProgress writes each progress report as a JSON line on w.
func jsonProgress(w io.Writer) func(sim.Report, bool) {
	return func(r sim.Report, done bool) {
		if !done {
			if err := sim.WriteReport(w, r); err != nil {
				fmt.Fprintf(os.Stderr, "camsim: %v\n", err)
			}
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func printSummary(w io.Writer, s sim.Summary, asJSON bool) {
	if asJSON {
		if err := sim.WriteReport(w, sim.Report{Kind: sim.ReportSummary, At: time.Now(), Summary: s}); err != nil {
			fmt.Fprintf(os.Stderr, "camsim: %v\n", err)
		}
		return
	}
	fmt.Fprintf(w, "devices                 %d (%s)\n", s.Devices, s.Transport)
	fmt.Fprintf(w, "registrations           %d ok, %d failed\n", s.Registered, s.Failed)
	if len(s.Failures) > 0 {
		keys := make([]string, 0, len(s.Failures))
		for k := range s.Failures {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %d", k, s.Failures[k])
		}
		fmt.Fprintf(w, "failures by status      %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "registrations/s         %.0f (over %.2fs)\n", s.RegistrationsPerSecond, s.ElapsedSeconds)
	fmt.Fprintf(w, "REGISTER→200 latency    p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms\n",
		s.LatencyMs.P50, s.LatencyMs.P90, s.LatencyMs.P99, s.LatencyMs.Max)
	fmt.Fprintf(w, "unregistrations         %d ok, %d failed\n", s.Unregistered, s.UnregisterFailed)
	fmt.Fprintf(w, "keepalives              %d ok, %d failed\n", s.KeepalivesOK, s.KeepalivesFailed)
	fmt.Fprintf(w, "queries answered        %d\n", s.QueriesAnswered)
}
