package controllers

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// streamReads counts the operator's reads of Streams from the API server.
type streamReads struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (s *streamReads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/streams/") {
		s.n.Add(1)
	}
	return s.next.RoundTrip(req)
}

// TestNotificationsCostNoStreamReads: 50 notifications (alarms, unauthenticated in
// GB/T 28181) from a registered device with a Stream cause no read of the Stream from
// the API server: they signal no change, and Stream reconciles read the cache.
func TestNotificationsCostNoStreamReads(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	reads := &streamReads{}
	cfg := rest.CopyConfig(controllertest.RestConfig(t))
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { reads.next = rt; return reads }
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, restConfig: cfg, streams: &fastStreams})
	const id = "34020000001320000411"
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "ipc", id, "sip", func(cam *gbv1.Camera) { cam.Spec.Catalog.Disabled = true })
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("register: %d", code)
	}
	waitCamera(t, c, ns, "ipc", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
	createStream(t, c, ns, "live", "ipc", 9, func(st *gbv1.Stream) { st.Spec.Suspend = true })
	waitStream(t, c, ns, "live", gbv1.StreamStopped, gbv1.ReasonStreamSuspended)
	time.Sleep(time.Second) // the Stream's own writes settle

	before := reads.n.Load()
	alarm := []byte(`<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>` + id + `</DeviceID><AlarmPriority>1</AlarmPriority><AlarmMethod>2</AlarmMethod></Notify>`)
	for range 50 {
		res, err := dev.SendMessage(ctxT(t), alarm)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("alarm: %v %v", res, err)
		}
	}
	time.Sleep(time.Second) // time for the reconciles they would cause
	if n := reads.n.Load() - before; n != 0 {
		t.Errorf("50 notifications cost %d reads of the Stream from the API server", n)
	}
}
