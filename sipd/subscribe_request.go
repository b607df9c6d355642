package sipd

import (
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The SUBSCRIBE requests: the first one, to the device's registered Contact, and those
// within the dialog (refresh, end), to the device's Contact from its 2xx; each with the
// subscription's query body, as GB/T 28181 platforms send it every time:
//
//	SUBSCRIBE sip:<device>@<device ip:port>      Event: Catalog | presence | Alarm | MobilePosition
//	  From: <sip:<platform>@<realm>>;tag=...      To: <sip:<device>@<realm>>[;tag=...]
//	  Contact: <sip:<platform>@<our ip:port>>     Expires: 3600
//	  Content-Type: Application/MANSCDP+xml       <Query><CmdType>Catalog</CmdType>…

// buildSubscribe writes a SUBSCRIBE of sub to uri, asking for expires, with the body of
// sub.Request; it returns the request and its branch.
func (s *Server) buildSubscribe(sub Subscription, uri sip.Uri, dst source, expires time.Duration) ([]byte, string, error) {
	body, err := s.subscribeBody(sub)
	if err != nil {
		return nil, "", err
	}
	req := s.newDialogRequest(sip.SUBSCRIBE, uri, sub.dialog(), dst, sub.CSeq)
	host, port := s.viaAddr(dst.addr, dst.conn)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: host, Port: port}})
	req.AppendHeader(sip.NewHeader("Event", sub.Event))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Content-Type", "Application/MANSCDP+xml"))
	req.SetBody(body)
	branch, _ := paramValue(req.Via().Params, "branch")
	return requestBytes(req), branch, nil
}

// subscribeBody is the query body of sub's request, with a fresh SN.
func (s *Server) subscribeBody(sub Subscription) ([]byte, error) {
	sn := int(s.sub.sn.Add(1)%999_999_999) + 1
	r := sub.Request
	switch r.Kind {
	case SubscribeCatalog:
		return manscdp.EncodeCatalogQuery(sn, sub.DeviceID), nil
	case SubscribeAlarm:
		return manscdp.EncodeAlarmQuery(sn, manscdp.AlarmQuery{DeviceID: sub.DeviceID,
			StartPriority: r.MinPriority, EndPriority: r.MaxPriority, Methods: r.Methods}, nil)
	case SubscribeMobilePosition:
		return manscdp.EncodeMobilePositionQuery(sn, sub.DeviceID, max(r.Interval, time.Second))
	}
	return nil, fmt.Errorf("sipd: unknown subscription %q", r.Kind)
}

// requestURI is where a request outside a dialog goes: the device's registered Contact,
// else its device ID at the address it registered from.
func (s *Server) requestURI(b Binding, dst source) sip.Uri {
	var uri sip.Uri
	if err := sip.ParseUri(b.Contact, &uri); err != nil || uri.Host == "" {
		uri = sip.Uri{Scheme: "sip", User: b.DeviceID, Host: dst.addr.Addr().String(), Port: int(dst.addr.Port())}
	}
	return uri
}

// remoteTargetURI is where a request within a dialog goes: the device's Contact from its
// 2xx, else its ID at the address the dialog's requests go to.
func (s *Server) remoteTargetURI(target, deviceID string, dst source) sip.Uri {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil || uri.Host == "" {
		uri = sip.Uri{Scheme: "sip", User: deviceID, Host: dst.addr.Addr().String(), Port: int(dst.addr.Port())}
	}
	return uri
}
