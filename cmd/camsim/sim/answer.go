package sim

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// headerAllowance is what a MESSAGE's headers take besides its body, generously: the
// budget a catalog part must leave when it has to fit a UDP datagram.
const headerAllowance = 700

// handleMessage answers a MESSAGE the registrar sent to this device: 200 OK at once, then,
// for a query or a control, the device's own Response MESSAGE(s), as GB/T 28181 devices
// do.
func (d *Device) handleMessage(req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	m, err := manscdp.Decode(req.Body(), charsetParam(ct))
	if err != nil {
		d.log.Info("undecodable MESSAGE from the registrar", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad MANSCDP Body")
		return
	}
	if m.Root != "Query" && m.Root != "Control" {
		respond(tx, req, sip.StatusOK, "OK")
		return
	}
	select {
	case d.ep.answering <- struct{}{}:
	default:
		// Bounded: a flood of queries gets 503 instead of unbounded goroutines.
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Busy", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "5"))
		_ = tx.Respond(res)
		return
	}
	defer func() { <-d.ep.answering }()
	deviceControl, delay := m.Root == "Control" && m.CmdType == "DeviceControl", d.cfg.Control.ApplyDelay
	var applied controlOutcome
	if deviceControl && delay == 0 {
		applied = d.applyDeviceControl(m)
	}
	respond(tx, req, sip.StatusOK, "OK")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if deviceControl && delay > 0 {
		time.Sleep(delay) // bounded by maxApplyDelay, and by the answering slots
		applied = d.applyDeviceControl(m)
	}
	if m.Root == "Control" {
		if err := d.handleControl(ctx, m, applied); err != nil {
			d.log.Info("answering a control failed", "cmdType", m.CmdType, "sn", m.SN, "error", err)
		}
		return
	}
	switch m.CmdType {
	case "DeviceInfo":
		body, err := manscdp.EncodeDeviceInfoResponse(m.SN, d.Info(), d.cfg.Charset)
		if err == nil {
			err = d.sendMessage(ctx, body)
		}
		d.answered("DeviceInfo", m.SN, err)
	case "Catalog":
		d.answered("Catalog", m.SN, d.sendCatalog(ctx, m.SN))
	case "DeviceStatus":
		d.answered("DeviceStatus", m.SN, d.answerDeviceStatus(ctx, m))
	case "ConfigDownload":
		d.answered("ConfigDownload", m.SN, d.answerConfigDownload(ctx, m))
	case "PresetQuery":
		d.answered("PresetQuery", m.SN, d.answerPresetQuery(ctx, m))
	case "RecordInfo":
		d.answered("RecordInfo", m.SN, d.answerRecordInfo(ctx, m))
	case "MobilePosition":
		d.answered("MobilePosition", m.SN, d.answerPositionQuery(ctx, m))
	default:
		d.log.Debug("query not simulated", "cmdType", m.CmdType)
	}
}

func (d *Device) answered(cmd string, sn int, err error) {
	if err != nil {
		d.log.Info("answering query failed", "cmdType", cmd, "sn", sn, "error", err)
		return
	}
	d.queries.Add(1)
	d.stats.queries.Add(1)
}

// sendCatalog sends the catalog in parts of at most CatalogPage items, each part waiting
// for the registrar's 200 before the next, all with the query's SN and the total SumNum.
func (d *Device) sendCatalog(ctx context.Context, sn int) error {
	all := d.Catalog()
	return d.sendCatalogParts(all, func(part []manscdp.CatalogItem) ([]byte, error) {
		return manscdp.EncodeCatalogResponse(sn, d.cfg.ID, len(all), part, d.cfg.Charset)
	}, func(body []byte) error {
		return d.sendMessage(ctx, body)
	})
}

// sendCatalogParts cuts items into parts of at most CatalogPage items, encodes each and
// sends it. Over UDP a part is halved until its body fits sipgo's datagram limit with
// the headers a request carries.
func (d *Device) sendCatalogParts(items []manscdp.CatalogItem, encode func([]manscdp.CatalogItem) ([]byte, error), send func([]byte) error) error {
	for len(items) > 0 {
		n := min(d.cfg.CatalogPage, len(items))
		var body []byte
		for {
			var err error
			if body, err = encode(items[:n]); err != nil {
				return err
			}
			if d.ep.transport != "UDP" || n == 1 || len(body)+headerAllowance <= sip.UDPMTUSize-200 {
				break
			}
			n = (n + 1) / 2
		}
		if err := send(body); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// charsetParam extracts the charset parameter of a Content-Type value.
func charsetParam(ct string) string {
	for _, p := range strings.Split(ct, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
