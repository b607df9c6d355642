package sipd_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestRegistrationsKeepNoRequestText: what the registrar keeps of a registration (the
// binding, the nonce's replay record) must not hold on to the text of the REGISTER it
// came from. Devices whose Authorization header carries a 2 KB extra parameter must cost
// no more heap than devices without it.
func TestRegistrationsKeepNoRequestText(t *testing.T) {
	const devices = 500
	pad := strings.Repeat("p", 2048)
	store := sipdtest.NewStore(nil)
	ids := func(first int) []string {
		out := make([]string, devices)
		for i := range out {
			out[i] = fmt.Sprintf("340200000013200%05d", first+i)
			store.SetPassword(out[i], devPW)
		}
		return out
	}
	plain, padded := ids(0), ids(devices)
	s := sipdtest.StartT(t, sipd.Config{}, store)
	p := dialRaw(t, s, "udp")
	port := p.localPort()

	registerAll := func(ids []string, extraParam string) int64 {
		before := heapInUse()
		for i, id := range ids {
			nonce := challengeNonce(t, p.exchange(registerTextFor(id, port, fmt.Sprintf("c%d", i), 1, "3600", "")))
			req := authRequestFor(s, id, devPW, port, fmt.Sprintf("a%d", i), nonce, "00000001", 2, "3600")
			req = strings.Replace(req, `cnonce="abcdef"`, `cnonce="abcdef"`+extraParam, 1)
			if res := p.exchange(req); res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", id, res.StatusCode, res.Reason)
			}
		}
		return heapInUse() - before
	}
	plainBytes := registerAll(plain, "")
	paddedBytes := registerAll(padded, `, x-pad="`+pad+`"`)
	t.Logf("heap per device: %d bytes plain, %d bytes with a 2 KB Authorization parameter", plainBytes/devices, paddedBytes/devices)
	if extra := (paddedBytes - plainBytes) / devices; extra > 256 {
		t.Fatalf("a device with a 2 KB longer REGISTER costs %d bytes more: the registrar keeps request text", extra)
	}
}
