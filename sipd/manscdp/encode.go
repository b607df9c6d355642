package manscdp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalid is returned by the typed encoders for a value the standard does not allow
// (an out-of-range priority, a preset index of 0, a missing device ID...): they refuse
// to build a body a device would reject or misread.
var ErrInvalid = errors.New("manscdp: invalid value")

// Field is one child element of an encoded body, in order.
type Field struct {
	Name  string
	Value string
}

// Encode writes a MANSCDP document: root (Query, Response, Notify, Control) with CmdType,
// SN, DeviceID and then fields, in charset ("" meaning GB2312, or GBK, GB18030, UTF-8).
// The XML declaration states the charset actually used. A value that charset cannot
// represent is an error wrapping ErrCharset; a result over MaxBodySize, ErrTooLarge.
func Encode(root, cmdType string, sn int, deviceID string, fields []Field, charset string) ([]byte, error) {
	var b strings.Builder
	open(&b, root)
	elem(&b, "CmdType", cmdType)
	elem(&b, "SN", strconv.Itoa(sn))
	elem(&b, "DeviceID", deviceID)
	for _, f := range fields {
		elem(&b, f.Name, f.Value)
	}
	closeTag(&b, root)
	return finish(&b, charset)
}

// EncodeQuery writes a platform's <Query> (DeviceInfo, Catalog, ...). Queries carry only
// ASCII, so they are always declared GB2312, as every device expects.
func EncodeQuery(cmdType string, sn int, deviceID string) []byte {
	body, err := Encode("Query", cmdType, sn, deviceID, nil, CharsetGB2312)
	if err != nil {
		// Only a non-ASCII device ID outside GBK can get here; send it as UTF-8, declared
		// so, rather than nothing.
		body, _ = Encode("Query", cmdType, sn, deviceID, nil, CharsetUTF8)
	}
	return body
}

// EncodeKeepalive writes a device's keepalive <Notify> with Status OK.
func EncodeKeepalive(sn int, deviceID string, charset string) ([]byte, error) {
	return Encode("Notify", "Keepalive", sn, deviceID, []Field{{"Status", "OK"}}, charset)
}

// EncodeDeviceInfoResponse writes a device's answer to a DeviceInfo query. An empty
// Result is written as "OK".
func EncodeDeviceInfoResponse(sn int, info DeviceInfo, charset string) ([]byte, error) {
	result := info.Result
	if result == "" {
		result = "OK"
	}
	return Encode("Response", "DeviceInfo", sn, info.DeviceID, []Field{
		{"DeviceName", info.DeviceName},
		{"Result", result},
		{"Manufacturer", info.Manufacturer},
		{"Model", info.Model},
		{"Firmware", info.Firmware},
		{"Channel", strconv.Itoa(info.Channel)},
	}, charset)
}

// EncodeCatalogResponse writes one part of a device's catalog: sumNum is the size of the
// whole catalog, items this part's share of it.
func EncodeCatalogResponse(sn int, deviceID string, sumNum int, items []CatalogItem, charset string) ([]byte, error) {
	var b strings.Builder
	open(&b, "Response")
	elem(&b, "CmdType", "Catalog")
	elem(&b, "SN", strconv.Itoa(sn))
	elem(&b, "DeviceID", deviceID)
	elem(&b, "SumNum", strconv.Itoa(sumNum))
	fmt.Fprintf(&b, "<DeviceList Num=\"%d\">\r\n", len(items))
	for _, it := range items {
		writeCatalogItem(&b, &it, false)
	}
	b.WriteString("</DeviceList>\r\n")
	closeTag(&b, "Response")
	return finish(&b, charset)
}

// writeCatalogItem writes one catalog item, and its Event for a Notify.
func writeCatalogItem(b *strings.Builder, it *CatalogItem, event bool) {
	open(b, "Item")
	elem(b, "DeviceID", it.DeviceID)
	elem(b, "Name", it.Name)
	elem(b, "Manufacturer", it.Manufacturer)
	elem(b, "Model", it.Model)
	elem(b, "Owner", it.Owner)
	elem(b, "CivilCode", it.CivilCode)
	elem(b, "Address", it.Address)
	elem(b, "Parental", strconv.Itoa(it.Parental))
	elem(b, "ParentID", it.ParentID)
	elem(b, "RegisterWay", strconv.Itoa(it.RegisterWay))
	elem(b, "Secrecy", strconv.Itoa(it.Secrecy))
	elem(b, "Status", it.Status)
	if event {
		elem(b, "Event", it.Event)
	}
	closeTag(b, "Item")
}

// Lines end in CRLF, as devices write them; it costs nothing and some platforms' regex
// parsers expect it.
func open(b *strings.Builder, name string) {
	b.WriteString("<" + name + ">\r\n")
}

func closeTag(b *strings.Builder, name string) {
	b.WriteString("</" + name + ">\r\n")
}

func elem(b *strings.Builder, name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value)) // writes to a strings.Builder never fail
	b.WriteString("</" + name + ">\r\n")
}

// finish prepends the declaration and converts the UTF-8 document to charset.
func finish(b *strings.Builder, charset string) ([]byte, error) {
	enc, label, err := encoderFor(charset)
	if err != nil {
		return nil, err
	}
	const declStart, declEnd = `<?xml version="1.0" encoding="`, "\"?>\r\n"
	out := make([]byte, 0, len(declStart)+len(label)+len(declEnd)+b.Len())
	out = append(out, declStart...)
	out = append(out, label...)
	out = append(out, declEnd...)
	out = append(out, b.String()...)
	// GB2312, GBK and GB18030 extend ASCII: an ASCII document (every query, most
	// answers) is its own encoding, and need not go through the encoder's buffers.
	if enc != nil && !isASCII(out) {
		if out, err = enc.Bytes(out); err != nil {
			return nil, fmt.Errorf("%w: text not representable in %s: %v", ErrCharset, label, err)
		}
	}
	if len(out) > MaxBodySize {
		return nil, fmt.Errorf("%w: encoded body of %d bytes, limit %d", ErrTooLarge, len(out), MaxBodySize)
	}
	return out, nil
}

// header opens root and writes the three elements every body starts with.
func header(b *strings.Builder, root, cmdType string, sn int, deviceID string) {
	open(b, root)
	elem(b, "CmdType", cmdType)
	elem(b, "SN", strconv.Itoa(sn))
	elem(b, "DeviceID", deviceID)
}

func elemInt(b *strings.Builder, name string, v int) {
	elem(b, name, strconv.Itoa(v))
}

// elemFloat writes the shortest decimal that reads back as v.
func elemFloat(b *strings.Builder, name string, v float64) {
	elem(b, name, strconv.FormatFloat(v, 'f', -1, 64))
}

// elemIf writes the element only when value is not empty.
func elemIf(b *strings.Builder, name, value string) {
	if value != "" {
		elem(b, name, value)
	}
}

// listOpen writes a list element with its Num attribute.
func listOpen(b *strings.Builder, name string, num int) {
	fmt.Fprintf(b, "<%s Num=\"%d\">\r\n", name, num)
}

// needID refuses a body without the DeviceID every MANSCDP body must carry.
func needID(what, deviceID string) error {
	if strings.TrimSpace(deviceID) == "" {
		return fmt.Errorf("%w: %s without a DeviceID", ErrInvalid, what)
	}
	return nil
}

// inRange checks an integer the standard bounds.
func inRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%w: %s %d outside %d-%d", ErrInvalid, name, v, lo, hi)
	}
	return nil
}

// platformBody finishes a body a platform sends: declared GB2312, as every device
// expects.
func platformBody(b *strings.Builder) ([]byte, error) {
	return finish(b, CharsetGB2312)
}

// resultText is the <Result> of an answer.
func resultText(ok bool) string {
	if ok {
		return ResultOK
	}
	return ResultError
}

// Values of <Result>.
const (
	ResultOK    = "OK"
	ResultError = "ERROR"
)
