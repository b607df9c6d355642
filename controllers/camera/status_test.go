package camera

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

const ipcID = "34020000001320000001"

func liveBinding(registered, lastKeepalive time.Time) *sipd.Binding {
	return &sipd.Binding{
		DeviceID: ipcID, Transport: "udp", RemoteAddr: "192.0.2.10:5060",
		Contact: "<sip:" + ipcID + "@192.0.2.10:5060>", UserAgent: "IP Camera",
		RegisteredAt: registered, ExpiresAt: registered.Add(time.Hour), Expires: time.Hour,
		LastKeepalive: lastKeepalive,
	}
}

func baseObservation() observation {
	return observation{
		now:        t0,
		generation: 2,
		deviceID:   ipcID,
		spec: gbv1.CameraSpec{
			DeviceID:  ipcID,
			Keepalive: gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: 60 * time.Second}, TimeoutCount: 3},
		},
		creds: secretResolution{ok: true, reason: gbv1.ReasonResolved, message: "ok"},
	}
}

func TestBuildStatus(t *testing.T) {
	type want struct {
		state      gbv1.CameraState
		ready      metav1.ConditionStatus
		readyRsn   string
		regRsn     string
		credRsn    string
		next       time.Time
		hasReg     bool
		msgContain string
	}
	tests := []struct {
		name   string
		mutate func(*observation)
		want   want
	}{
		{
			name:   "never seen: Pending",
			mutate: func(o *observation) {},
			want:   want{state: gbv1.StatePending, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonPending, regRsn: gbv1.ReasonPending, credRsn: gbv1.ReasonResolved},
		},
		{
			name: "missing Secret: Pending, Ready says why",
			mutate: func(o *observation) {
				o.creds = secretResolution{reason: gbv1.ReasonSecretNotFound, message: `Secret "s" not found`}
			},
			want: want{state: gbv1.StatePending, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonSecretNotFound, regRsn: gbv1.ReasonPending, credRsn: gbv1.ReasonSecretNotFound},
		},
		{
			name: "registered, keepalive recent: Registered, requeue at the keepalive deadline",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-10*time.Minute), t0.Add(-30*time.Second))
			},
			want: want{state: gbv1.StateRegistered, ready: metav1.ConditionTrue, readyRsn: gbv1.ReasonRegistered, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(150 * time.Second), hasReg: true},
		},
		{
			name: "registered just now without keepalive yet: deadline counts from registration",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-time.Second), time.Time{})
			},
			want: want{state: gbv1.StateRegistered, ready: metav1.ConditionTrue, readyRsn: gbv1.ReasonRegistered, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(179 * time.Second), hasReg: true},
		},
		{
			name: "keepalives stopped for interval x count: Offline, still Registered",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-10*time.Minute), t0.Add(-3*time.Minute))
			},
			want: want{state: gbv1.StateOffline, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonKeepaliveTimeout, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(50 * time.Minute), hasReg: true, msgContain: "no keepalive since"},
		},
		{
			name: "a refresh REGISTER counts as liveness",
			mutate: func(o *observation) {
				b := liveBinding(t0.Add(-10*time.Minute), t0.Add(-5*time.Minute))
				b.ExpiresAt = t0.Add(-10 * time.Second).Add(time.Hour) // refreshed 10s ago
				o.device.Binding = b
			},
			want: want{state: gbv1.StateRegistered, ready: metav1.ConditionTrue, readyRsn: gbv1.ReasonRegistered, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(170 * time.Second), hasReg: true},
		},
		{
			name: "seeded as Registered: the timeout counts from the takeover",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-time.Hour+time.Minute), t0.Add(-4*time.Minute))
				o.watchedSince = t0.Add(-time.Minute)
			},
			want: want{state: gbv1.StateRegistered, ready: metav1.ConditionTrue, readyRsn: gbv1.ReasonRegistered, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(time.Minute), hasReg: true},
		},
		{
			name: "binding past its expiry not yet swept: Expired",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-2*time.Hour), t0.Add(-time.Hour-time.Minute))
			},
			want: want{state: gbv1.StateExpired, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonRegistrationExpired, regRsn: gbv1.ReasonRegistrationExpired, credRsn: gbv1.ReasonResolved},
		},
		{
			name: "registrar says expired",
			mutate: func(o *observation) {
				o.device.LastExpired = t0.Add(-time.Second)
			},
			want: want{state: gbv1.StateExpired, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonRegistrationExpired, regRsn: gbv1.ReasonRegistrationExpired, credRsn: gbv1.ReasonResolved},
		},
		{
			name: "unregistered after an expiry: the latest wins",
			mutate: func(o *observation) {
				o.device.LastExpired = t0.Add(-time.Hour)
				o.device.LastUnregistered = t0.Add(-time.Second)
			},
			want: want{state: gbv1.StateUnregistered, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonUnregistered, regRsn: gbv1.ReasonUnregistered, credRsn: gbv1.ReasonResolved},
		},
		{
			name: "auth failure after an unregistration",
			mutate: func(o *observation) {
				o.device.LastUnregistered = t0.Add(-time.Minute)
				o.device.LastAuthFailure = t0.Add(-time.Second)
				o.device.AuthFailureReason = "wrong password"
			},
			want: want{state: gbv1.StateAuthFailed, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonAuthenticationFailed, regRsn: gbv1.ReasonAuthenticationFailed, credRsn: gbv1.ReasonResolved,
				msgContain: "wrong password"},
		},
		{
			name: "auth failure while a registration is live: still Registered",
			mutate: func(o *observation) {
				o.device.Binding = liveBinding(t0.Add(-10*time.Minute), t0.Add(-30*time.Second))
				o.device.LastAuthFailure = t0.Add(-time.Second)
			},
			want: want{state: gbv1.StateRegistered, ready: metav1.ConditionTrue, readyRsn: gbv1.ReasonRegistered, regRsn: gbv1.ReasonRegistered, credRsn: gbv1.ReasonResolved,
				next: t0.Add(150 * time.Second), hasReg: true},
		},
		{
			name: "suspended wins over a live binding",
			mutate: func(o *observation) {
				o.spec.Suspend = true
				o.device.Binding = liveBinding(t0.Add(-10*time.Minute), t0.Add(-30*time.Second))
			},
			want: want{state: gbv1.StateSuspended, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonSuspended, regRsn: gbv1.ReasonSuspended, credRsn: gbv1.ReasonResolved},
		},
		{
			name: "duplicate: Conflict names the winner, registration cleared",
			mutate: func(o *observation) {
				o.winner = "the older Camera older"
				o.old.Registration = &gbv1.Registration{RemoteAddr: "x"}
			},
			want: want{state: gbv1.StateConflict, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonDuplicateDeviceID, regRsn: gbv1.ReasonDuplicateDeviceID, credRsn: gbv1.ReasonResolved,
				msgContain: "the older Camera older"},
		},
		{
			name: "registrar knows nothing, status said Registered and its expiry passed: Expired",
			mutate: func(o *observation) {
				o.old.State = gbv1.StateRegistered
				o.old.Registration = &gbv1.Registration{ExpiresAt: metav1.NewTime(t0.Add(-time.Minute))}
			},
			want: want{state: gbv1.StateExpired, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonRegistrationExpired, regRsn: gbv1.ReasonRegistrationExpired, credRsn: gbv1.ReasonResolved, hasReg: true},
		},
		{
			name: "registrar knows nothing, status said Unregistered: kept",
			mutate: func(o *observation) {
				o.old.State = gbv1.StateUnregistered
				o.old.Conditions = []metav1.Condition{{Type: gbv1.ConditionRegistered, Status: metav1.ConditionFalse, Reason: gbv1.ReasonUnregistered, Message: "earlier"}}
			},
			want: want{state: gbv1.StateUnregistered, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonUnregistered, regRsn: gbv1.ReasonUnregistered, credRsn: gbv1.ReasonResolved,
				msgContain: "earlier"},
		},
		{
			name: "relabelled from another shard while Registered there: Unregistered, ShardChanged",
			mutate: func(o *observation) {
				o.shard = "east"
				o.old.Shard = "west"
				o.old.State = gbv1.StateRegistered
				o.old.Registration = &gbv1.Registration{ExpiresAt: metav1.NewTime(t0.Add(time.Hour))}
			},
			want: want{state: gbv1.StateUnregistered, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonShardChanged, regRsn: gbv1.ReasonShardChanged, credRsn: gbv1.ReasonResolved,
				hasReg: true, msgContain: `from shard "west" to shard "east"`},
		},
		{
			name: "moved out of the shards to the unsharded operator while Offline: ShardChanged",
			mutate: func(o *observation) {
				o.old.Shard = "west"
				o.old.State = gbv1.StateOffline
				o.old.Registration = &gbv1.Registration{ExpiresAt: metav1.NewTime(t0.Add(time.Hour))}
			},
			want: want{state: gbv1.StateUnregistered, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonShardChanged, regRsn: gbv1.ReasonShardChanged, credRsn: gbv1.ReasonResolved,
				hasReg: true, msgContain: `to shard (none)`},
		},
		{
			name: "same shard, registrar knows nothing, status said Registered: Unregistered (a takeover, not a move)",
			mutate: func(o *observation) {
				o.shard, o.old.Shard = "east", "east"
				o.old.State = gbv1.StateRegistered
				o.old.Registration = &gbv1.Registration{ExpiresAt: metav1.NewTime(t0.Add(time.Hour))}
			},
			want: want{state: gbv1.StateUnregistered, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonUnregistered, regRsn: gbv1.ReasonUnregistered, credRsn: gbv1.ReasonResolved, hasReg: true},
		},
		{
			name: "unsuspended, nothing known: Pending",
			mutate: func(o *observation) {
				o.old.State = gbv1.StateSuspended
			},
			want: want{state: gbv1.StatePending, ready: metav1.ConditionFalse, readyRsn: gbv1.ReasonPending, regRsn: gbv1.ReasonPending, credRsn: gbv1.ReasonResolved},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseObservation()
			tc.mutate(&o)
			st, next := buildStatus(o)
			if st.State != tc.want.state {
				t.Errorf("state = %s, want %s", st.State, tc.want.state)
			}
			ready := meta.FindStatusCondition(st.Conditions, gbv1.ConditionReady)
			reg := meta.FindStatusCondition(st.Conditions, gbv1.ConditionRegistered)
			cred := meta.FindStatusCondition(st.Conditions, gbv1.ConditionCredentialsResolved)
			if ready == nil || reg == nil || cred == nil {
				t.Fatalf("missing conditions: %+v", st.Conditions)
			}
			if ready.Status != tc.want.ready || ready.Reason != tc.want.readyRsn {
				t.Errorf("Ready = %s/%s, want %s/%s", ready.Status, ready.Reason, tc.want.ready, tc.want.readyRsn)
			}
			if reg.Reason != tc.want.regRsn {
				t.Errorf("Registered reason = %s, want %s", reg.Reason, tc.want.regRsn)
			}
			if (reg.Status == metav1.ConditionTrue) != (tc.want.regRsn == gbv1.ReasonRegistered) {
				t.Errorf("Registered status = %s with reason %s", reg.Status, reg.Reason)
			}
			if cred.Reason != tc.want.credRsn {
				t.Errorf("CredentialsResolved reason = %s, want %s", cred.Reason, tc.want.credRsn)
			}
			for _, c := range st.Conditions {
				if c.ObservedGeneration != 2 {
					t.Errorf("condition %s observedGeneration = %d", c.Type, c.ObservedGeneration)
				}
			}
			if st.ObservedGeneration != 2 {
				t.Errorf("observedGeneration = %d", st.ObservedGeneration)
			}
			if !next.Equal(tc.want.next) {
				t.Errorf("next = %v, want %v", next, tc.want.next)
			}
			if (st.Registration != nil) != tc.want.hasReg {
				t.Errorf("registration = %+v, want present=%v", st.Registration, tc.want.hasReg)
			}
			if tc.want.msgContain != "" && !strings.Contains(reg.Message+" "+ready.Message, tc.want.msgContain) {
				t.Errorf("messages %q / %q lack %q", reg.Message, ready.Message, tc.want.msgContain)
			}
			if st.Shard != o.shard {
				t.Errorf("shard = %q, want this operator's %q", st.Shard, o.shard)
			}
			if st.DeviceType != "IPC" {
				t.Errorf("deviceType = %q", st.DeviceType)
			}
		})
	}
}

func TestBuildStatusRegistrationFields(t *testing.T) {
	o := baseObservation()
	b := liveBinding(t0.Add(-10*time.Minute+300*time.Millisecond), t0.Add(-30*time.Second+700*time.Millisecond))
	b.UserAgent = strings.Repeat("é", 200) + "\x00"
	b.Transport = "tcp"
	o.device.Binding = b
	st, _ := buildStatus(o)
	r := st.Registration
	if r.Transport != gbv1.TransportTCP || r.RemoteAddr != "192.0.2.10:5060" || r.Expires != 3600 {
		t.Errorf("registration = %+v", r)
	}
	if !r.RegisteredAt.Time.Equal(t0.Add(-10 * time.Minute)) {
		t.Errorf("registeredAt %v not truncated to the second", r.RegisteredAt)
	}
	if len(r.UserAgent) > 256 || strings.ContainsRune(r.UserAgent, 0) || !strings.HasPrefix(r.UserAgent, "é") {
		t.Errorf("user agent not bounded/cleaned: %d bytes", len(r.UserAgent))
	}
	if st.LastKeepaliveTime == nil || !st.LastKeepaliveTime.Time.Equal(t0.Add(-30*time.Second)) {
		t.Errorf("lastKeepaliveTime = %v", st.LastKeepaliveTime)
	}
}

func TestBuildStatusKeepsConditionTransitionTime(t *testing.T) {
	o := baseObservation()
	o.device.Binding = liveBinding(t0.Add(-10*time.Minute), t0.Add(-30*time.Second))
	first, _ := buildStatus(o)
	o.old = first
	o.now = t0.Add(time.Minute)
	o.device.Binding.LastKeepalive = t0.Add(50 * time.Second)
	second, _ := buildStatus(o)
	for _, typ := range []string{gbv1.ConditionReady, gbv1.ConditionRegistered, gbv1.ConditionCredentialsResolved} {
		a, b := meta.FindStatusCondition(first.Conditions, typ), meta.FindStatusCondition(second.Conditions, typ)
		if !a.LastTransitionTime.Equal(&b.LastTransitionTime) {
			t.Errorf("%s lastTransitionTime moved without a transition: %v -> %v", typ, a.LastTransitionTime, b.LastTransitionTime)
		}
	}
}

func TestBuildStatusQueryResults(t *testing.T) {
	o := baseObservation()
	o.device.Binding = liveBinding(t0.Add(-time.Minute), t0)
	o.query = queryResult{
		info: &manscdp.DeviceInfo{DeviceName: "gate", Manufacturer: "Hikvision", Model: "DS-2CD", Firmware: "V5.5", Channel: 2},
		catalog: &manscdp.Catalog{SumNum: 2, Items: []manscdp.CatalogItem{
			{DeviceID: "34020000001310000002", Name: "b", Status: "ON"},
			{DeviceID: "34020000001310000001", Name: "a", Status: "OFF"},
		}},
		catalogAt: t0,
	}
	st, _ := buildStatus(o)
	if st.DeviceInfo == nil || st.DeviceInfo.Manufacturer != "Hikvision" || st.DeviceInfo.ChannelCount != 2 {
		t.Errorf("deviceInfo = %+v", st.DeviceInfo)
	}
	if st.ChannelCount != 2 || len(st.Channels) != 2 || st.Channels[0].Name != "a" {
		t.Errorf("channels = %+v count %d", st.Channels, st.ChannelCount)
	}
	if st.CatalogUpdatedAt == nil || !st.CatalogUpdatedAt.Time.Equal(t0) {
		t.Errorf("catalogUpdatedAt = %v", st.CatalogUpdatedAt)
	}

	// Without answers in memory (a new leader) the status keeps the earlier ones.
	o.old = st
	o.query = queryResult{}
	kept, _ := buildStatus(o)
	if kept.DeviceInfo == nil || kept.ChannelCount != 2 {
		t.Errorf("earlier answers lost: %+v", kept)
	}
}

func TestKeepaliveTimeoutDefaults(t *testing.T) {
	tests := []struct {
		spec gbv1.KeepaliveSpec
		want time.Duration
	}{
		{gbv1.KeepaliveSpec{}, 3 * time.Minute},
		{gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: 5 * time.Second}}, 15 * time.Second},
		{gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: 5 * time.Second}, TimeoutCount: 1}, 5 * time.Second},
	}
	for _, tc := range tests {
		if got := keepaliveTimeout(tc.spec, nil); got != tc.want {
			t.Errorf("keepaliveTimeout(%+v) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\r\nb\x7f", 10, "ab"},
		{"\xff\xfeok", 10, "\uFFFD" + "ok"},
		{"日本語", 4, "日"},
		{"日本語", 6, "日本"},
		{"abcdef", 3, "abc"},
	}
	for _, tc := range tests {
		if got := devices.Clean(tc.in, tc.max); got != tc.want {
			t.Errorf("devices.Clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// An unregistration ends the registration on record: its address stays, but expiresAt
// no longer says it runs until later.
func TestBuildStatusUnregisteredEndsRegistration(t *testing.T) {
	o := baseObservation()
	reg := registrationFromBinding(liveBinding(t0.Add(-10*time.Minute), time.Time{}))
	o.old.State = gbv1.StateRegistered
	o.old.Registration = reg
	o.device.LastUnregistered = t0.Add(-time.Second)

	st, _ := buildStatus(o)
	if st.State != gbv1.StateUnregistered {
		t.Fatalf("state = %s, want Unregistered", st.State)
	}
	if st.Registration == nil || st.Registration.RemoteAddr != reg.RemoteAddr {
		t.Fatalf("the last registration's address was lost: %+v", st.Registration)
	}
	if want := toTime(o.device.LastUnregistered); !st.Registration.ExpiresAt.Equal(&want) {
		t.Errorf("expiresAt = %s, want the unregistration time %s", st.Registration.ExpiresAt, want)
	}
}

func TestSeedBindingOnlyFromThisShard(t *testing.T) {
	registered := func(shard string) *gbv1.Camera {
		return &gbv1.Camera{
			Spec: gbv1.CameraSpec{DeviceID: ipcID},
			Status: gbv1.CameraStatus{
				Shard: shard,
				State: gbv1.StateRegistered,
				Registration: &gbv1.Registration{
					RemoteAddr: "192.0.2.10:5060", Transport: gbv1.TransportUDP, Expires: 3600,
					RegisteredAt: metav1.NewTime(t0.Add(-time.Minute)), ExpiresAt: metav1.NewTime(t0.Add(time.Hour)),
				},
			},
		}
	}
	tests := []struct {
		name        string
		statusShard string
		ourShard    string
		want        bool
	}{
		{"unsharded, written unsharded", "", "", true},
		{"shard, written by it", "east", "east", true},
		{"shard, written by another shard", "west", "east", false},
		{"shard, written unsharded", "", "east", false},
		{"unsharded, written by a shard", "west", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := seedBinding(registered(tc.statusShard), tc.ourShard, t0)
			if ok != tc.want {
				t.Errorf("seeded = %v, want %v", ok, tc.want)
			}
		})
	}
}
