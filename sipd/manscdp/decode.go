package manscdp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxBodySize bounds a MANSCDP body. The largest legitimate body, one part of a catalog,
// stays far below it (devices split catalogs to fit a UDP datagram); larger bodies are
// rejected before any decoding work.
const MaxBodySize = 64 << 10

// maxDepth bounds element nesting. MANSCDP nests four levels deep (Response, DeviceList,
// Item, Info; Notify, Info, AlarmTypeParam, EventType); anything much deeper is not a
// device talking.
const maxDepth = 16

// Errors of Decode. Match them with errors.Is.
var (
	// ErrTooLarge: the body exceeds MaxBodySize.
	ErrTooLarge = errors.New("manscdp: body too large")
	// ErrMalformed: the body is not a MANSCDP document (broken XML, no root, no CmdType,
	// a non-numeric SN or SumNum).
	ErrMalformed = errors.New("manscdp: malformed body")
	// ErrForbidden: the body carries a DOCTYPE or another directive. Entity declarations
	// are never expanded; such bodies are refused outright rather than half-read.
	ErrForbidden = errors.New("manscdp: DOCTYPE and directives are not accepted")
)

// Message is a decoded MANSCDP body.
type Message struct {
	// Root is the document element, canonically cased: "Query", "Response", "Notify",
	// "Control" (other roots are returned as sent).
	Root string
	// CmdType is canonically cased for the known commands ("Keepalive", "DeviceInfo",
	// "Catalog", "Alarm", ...), as sent otherwise.
	CmdType  string
	SN       int
	DeviceID string
	// Status is the root's <Status>, as sent: a keepalive's ("OK"), a DeviceStatus
	// answer's.
	Status string
	// DeviceInfo is set for Response/DeviceInfo.
	DeviceInfo *DeviceInfo
	// Catalog is set for Response/Catalog: SumNum and the Items of this part only.
	Catalog *Catalog
	// ListNum is the Num attribute of the body's list (a Catalog part's DeviceList, a
	// RecordList, a PresetList, an Alarmstatus), 0 when absent. It is informative: the
	// typed field holds what the body really carried.
	ListNum int
	// Result is the <Result> of a Response (OK or ERROR), upper-cased: the answer to a
	// DeviceControl, DeviceConfig, ConfigDownload, DeviceStatus or a subscription. For
	// DeviceInfo it stays in DeviceInfo.Result.
	Result string

	// DeviceStatus is set for Response/DeviceStatus.
	DeviceStatus *DeviceStatus
	// BasicParam is set for Response/ConfigDownload and Control/DeviceConfig when the
	// body carries a <BasicParam> block.
	BasicParam *BasicParam
	// Records is set for Response/RecordInfo: SumNum and the Items of this part only.
	Records *RecordInfo
	// Presets is set for Response/PresetQuery.
	Presets *PresetList
	// Alarm is set for Notify/Alarm and Response/Alarm bodies that carry alarm fields.
	Alarm *Alarm
	// NotifyType is the <NotifyType> of Notify/MediaStatus (NotifyTypeEndOfFile), 0 when
	// absent or not a number.
	NotifyType int
	// Position is set for Notify/MobilePosition.
	Position *MobilePosition

	// RecordQuery is set for Query/RecordInfo: what a platform asks a device.
	RecordQuery *RecordQueryBody
	// AlarmQuery is set for Query/Alarm (an alarm query or an alarm SUBSCRIBE's body).
	AlarmQuery *AlarmQueryBody
	// Interval is the <Interval> of Query/MobilePosition in seconds, 0 when absent.
	Interval int
	// ConfigType is the <ConfigType> of Query/ConfigDownload, as sent.
	ConfigType string
	// Control is the command of Control/DeviceControl, nil when the body carries none
	// this package knows.
	Control ControlCommand

	// Charset is what the body was read as (CharsetUTF8 or CharsetGB18030, or the
	// declared label for a pure ASCII body), useful to answer a device in kind.
	Charset string
}

// Decode decodes a MANSCDP body whatever its charset. charset is the Content-Type's
// charset parameter and may be empty; the XML declaration's encoding takes precedence
// over it. See toUTF8 for how mislabelled bodies are read.
//
// Decode is lenient where devices are sloppy (case of element names and CmdType,
// surrounding whitespace, unknown entities left as text, trailing bytes after the root
// element) and strict where a body could cost the registrar: size, depth, element and
// attribute density (ErrTooLarge, like size), directives.
func Decode(body []byte, charset string) (*Message, error) {
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), MaxBodySize)
	}
	label := declaredEncoding(body)
	if label == "" {
		label = charset
	}
	text, cs, err := toUTF8(body, label)
	if err != nil {
		return nil, err
	}
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
	// encoding/xml reads a start tag's attributes whole before returning it, 48 bytes
	// each and more as its slice grows: <a b="" b="" ...> would cost 45 times its
	// size. MANSCDP uses one attribute (Num), so an equals sign every 12 bytes is
	// already far beyond any real body.
	if eq, limit := bytes.Count(text, []byte("=")), maxElements(len(text)); eq > limit {
		return nil, fmt.Errorf("%w: %d equals signs in %d bytes, limit %d", ErrTooLarge, eq, len(text), limit)
	}
	root, plain, err := parsePlain(text)
	if err != nil {
		return nil, err
	}
	if !plain {
		if root, err = parseTree(text); err != nil {
			return nil, err
		}
	}
	m := &Message{Root: canonical(root.name, knownRoots), Charset: cs}
	m.CmdType = canonical(root.field("CmdType"), knownCmdTypes)
	if alias, ok := cmdTypeAliases[strings.ToLower(m.CmdType)]; ok {
		m.CmdType = alias
	}
	if m.CmdType == "" {
		return nil, fmt.Errorf("%w: <%s> has no CmdType", ErrMalformed, root.name)
	}
	if m.SN, _, err = root.intField("SN"); err != nil {
		return nil, err
	}
	m.DeviceID = root.field("DeviceID")
	m.Status = root.field("Status")
	switch m.Root {
	case "Response":
		err = decodeResponse(root, m)
	case "Notify":
		err = decodeNotify(root, m)
	case "Query":
		err = decodeQuery(root, m)
	case "Control":
		err = decodeControl(root, m)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeResponse(root *element, m *Message) error {
	if m.CmdType == "DeviceInfo" {
		m.DeviceInfo = &DeviceInfo{
			DeviceID:     m.DeviceID,
			DeviceName:   root.field("DeviceName"),
			Manufacturer: root.field("Manufacturer"),
			Model:        root.field("Model"),
			Firmware:     root.field("Firmware"),
			Channel:      root.lenientInt("Channel"),
			Result:       root.field("Result"),
		}
		return nil
	}
	m.Result = root.upperField("Result")
	switch m.CmdType {
	case "Catalog":
		return decodeCatalog(root, m, false)
	case "DeviceStatus":
		decodeDeviceStatus(root, m)
	case "ConfigDownload":
		decodeBasicParam(root, m)
	case "RecordInfo":
		return decodeRecordInfo(root, m)
	case "PresetQuery":
		decodePresets(root, m)
	case "Alarm":
		decodeAlarm(root, m)
	}
	return nil
}

func decodeNotify(root *element, m *Message) error {
	switch m.CmdType {
	case "Catalog":
		return decodeCatalog(root, m, true)
	case "Alarm":
		decodeAlarm(root, m)
	case "MediaStatus":
		m.NotifyType = root.lenientInt("NotifyType")
	case "MobilePosition":
		decodePosition(root, m)
	}
	return nil
}

func decodeQuery(root *element, m *Message) error {
	switch m.CmdType {
	case "RecordInfo":
		decodeRecordQuery(root, m)
	case "Alarm":
		decodeAlarmQuery(root, m)
	case "MobilePosition":
		m.Interval = root.lenientInt("Interval")
	case "ConfigDownload":
		m.ConfigType = root.field("ConfigType")
	}
	return nil
}

func decodeControl(root *element, m *Message) error {
	switch m.CmdType {
	case "DeviceControl":
		return decodeDeviceControl(root, m)
	case "DeviceConfig":
		decodeBasicParam(root, m)
	}
	return nil
}

// decodeCatalog reads a catalog part: a query's Response, or a subscription's Notify
// whose items also carry an <Event>. Event is read only for Notify, so that a
// Response's items hold exactly the fields the registrar accounts for.
func decodeCatalog(root *element, m *Message, events bool) error {
	c := &Catalog{DeviceID: m.DeviceID}
	if list := root.child("DeviceList"); list != nil {
		m.ListNum = list.numAttr()
		items := list.items()
		c.Items = sized[CatalogItem](items)
		for _, it := range items {
			item := CatalogItem{
				DeviceID:     it.field("DeviceID"),
				Name:         it.field("Name"),
				Manufacturer: it.field("Manufacturer"),
				Model:        it.field("Model"),
				Owner:        it.field("Owner"),
				CivilCode:    it.field("CivilCode"),
				Address:      it.field("Address"),
				Parental:     it.lenientInt("Parental"),
				ParentID:     it.field("ParentID"),
				RegisterWay:  it.lenientInt("RegisterWay"),
				Secrecy:      it.lenientInt("Secrecy"),
				Status:       it.field("Status"),
			}
			if events {
				item.Event = it.upperField("Event")
			}
			c.Items = append(c.Items, item)
		}
	}
	sum, err := sumNum(root, len(c.Items))
	if err != nil {
		return err
	}
	c.SumNum = sum
	m.Catalog = c
	return nil
}

// sumNum reads a multi-part answer's SumNum. Without one, the part is all there is.
func sumNum(root *element, items int) (int, error) {
	sum, ok, err := root.intField("SumNum")
	if err != nil {
		return 0, err
	}
	if !ok {
		return items, nil
	}
	if sum < 0 {
		return 0, fmt.Errorf("%w: negative SumNum %d", ErrMalformed, sum)
	}
	return sum, nil
}

// element is a node of the parsed document: its name, its direct text, its children
// (a linked list, so that a parent with many children leaves no grown slices behind)
// and, rarely, its Num attribute, the only attribute MANSCDP uses. An element costs 64
// bytes; the tree is bounded by maxElements, MaxBodySize and maxDepth.
type element struct {
	name        string
	text        []byte
	first, next *element
	attrs       *elementAttrs
}

// elementAttrs holds the attributes read, for the few elements that have one.
type elementAttrs struct {
	num string
}

// maxElements bounds the elements of a body of n bytes. Each element costs the
// decoder some 160 bytes (the tree node and encoding/xml's tokens), so a body of tiny
// elements (<a/> is four bytes) would cost 40 times its size. Real bodies spend 19
// bytes or more per element on average (<PresetID>1</PresetID>, <Owner></Owner> with
// its CRLF), so one element per 12 bytes leaves them room and caps that cost at about
// 13 times the body.
func maxElements(n int) int {
	return n/12 + 64
}

// errTooDeep and errTooManyElements are how parseTree and parsePlain refuse a body over
// maxDepth and maxElements, alike.
func errTooDeep() error {
	return fmt.Errorf("%w: nesting deeper than %d", ErrMalformed, maxDepth)
}

func errTooManyElements(limit, size int) error {
	return fmt.Errorf("%w: more than %d elements in %d bytes", ErrTooLarge, limit, size)
}

// openElement is an element being parsed and its last child so far.
type openElement struct {
	e, last *element
}

// parseTree reads the first element of text and everything inside it.
func parseTree(text []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(text))
	// The bytes are UTF-8 already; the declaration's label only described the original.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	// Non-strict: an unknown entity or a stray '&' in a device name stays literal text
	// instead of failing the whole body. No entity map is set, so nothing is expanded.
	d.Strict = false
	var stack []openElement
	var root *element
	elements, limit := 0, maxElements(len(text))
	for {
		// RawToken: tag matching is checked below, ignoring case (<SN>1</sn> is fine);
		// Token in non-strict mode would silently "repair" mismatched tags instead.
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if root == nil {
				return nil, fmt.Errorf("%w: no root element", ErrMalformed)
			}
			return nil, fmt.Errorf("%w: unexpected end inside <%s>", ErrMalformed, stack[len(stack)-1].e.name)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, ErrForbidden
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, errTooDeep()
			}
			if elements++; elements > limit {
				return nil, errTooManyElements(limit, len(text))
			}
			e := &element{name: t.Name.Local}
			for _, a := range t.Attr {
				if strings.EqualFold(a.Name.Local, "Num") {
					e.attrs = &elementAttrs{num: a.Value}
				}
			}
			if len(stack) == 0 {
				root = e
			} else {
				p := &stack[len(stack)-1]
				if p.last == nil {
					p.e.first = e
				} else {
					p.last.next = e
				}
				p.last = e
			}
			stack = append(stack, openElement{e: e})
		case xml.EndElement:
			if len(stack) == 0 || !strings.EqualFold(stack[len(stack)-1].e.name, t.Name.Local) {
				return nil, fmt.Errorf("%w: unbalanced </%s>", ErrMalformed, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				// Done: whatever follows the root (some firmware appends NULs) is ignored.
				return root, nil
			}
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			top := stack[len(stack)-1].e
			// Leading whitespace is trimmed on reading anyway; skipping it spares an
			// allocation for every element that holds only children and line breaks.
			if len(top.text) == 0 && len(bytes.TrimSpace(t)) == 0 {
				continue
			}
			top.text = append(top.text, t...)
		}
	}
}

// child returns the first child element named name, ignoring case.
func (e *element) child(name string) *element {
	for c := e.first; c != nil; c = c.next {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// items returns the list's <Item> children that carry at least one element: an empty
// <Item/> says nothing, and skipping it keeps a body of them from costing a typed item
// (up to 200 bytes) per 7 bytes of input.
func (e *element) items() []*element {
	n := 0
	for c := e.first; c != nil; c = c.next {
		if c.isItem() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	items := make([]*element, 0, n)
	for c := e.first; c != nil; c = c.next {
		if c.isItem() {
			items = append(items, c)
		}
	}
	return items
}

// sized returns a slice with room for one T per item, nil for none.
func sized[T any](items []*element) []T {
	if len(items) == 0 {
		return nil
	}
	return make([]T, 0, len(items))
}

func (e *element) isItem() bool {
	return e.first != nil && strings.EqualFold(e.name, "Item")
}

// field returns the trimmed text of the child element name, or "". The string is a
// copy of exactly that text: what a caller keeps holds neither the body nor the
// surrounding whitespace.
func (e *element) field(name string) string {
	c := e.child(name)
	if c == nil {
		return ""
	}
	return string(bytes.TrimSpace(c.text))
}

// upperField is field with ASCII letters upper-cased, for the enumerations devices
// write in any case (OK, ONLINE, ON, ONDUTY, ADD...).
func (e *element) upperField(name string) string {
	return asciiUpper(e.field(name))
}

// numAttr parses the Num attribute of a list element, 0 when absent or not a number.
func (e *element) numAttr() int {
	if e.attrs == nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(e.attrs.num))
	return n
}

// lenientFloat parses an informative decimal field; junk, NaN and infinities read as 0.
func (e *element) lenientFloat(name string) float64 {
	b := e.raw(name)
	for _, c := range b {
		// Only what a decimal can contain: anything else would cost strconv an
		// error value to refuse.
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return 0
		}
	}
	if len(b) == 0 {
		return 0
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// lenientInt64 is lenientInt for sizes that may exceed 32 bits.
func (e *element) lenientInt64(name string) int64 {
	n, _ := atoi(e.raw(name))
	return int64(n)
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// raw returns the trimmed text of the child element name, without copying it: for
// parsing, never to keep.
func (e *element) raw(name string) []byte {
	c := e.child(name)
	if c == nil {
		return nil
	}
	return bytes.TrimSpace(c.text)
}

// intField parses the child element name as a decimal integer. ok is false when the
// element is absent or empty; a present but non-numeric value is an error.
func (e *element) intField(name string) (n int, ok bool, err error) {
	b := e.raw(name)
	if len(b) == 0 {
		return 0, false, nil
	}
	n, ok = atoi(b)
	if !ok {
		return 0, false, fmt.Errorf("%w: <%s>%s</%s> is not a number", ErrMalformed, name, truncate(string(b)), name)
	}
	return n, true, nil
}

// lenientInt parses an informative numeric field; junk reads as 0 rather than losing the
// message.
func (e *element) lenientInt(name string) int {
	n, _ := atoi(e.raw(name))
	return n
}

// atoi parses an optionally signed decimal integer of at most 18 digits. Unlike
// strconv.Atoi it allocates nothing on failure: items full of junk numbers must not
// cost an error value each.
func atoi(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

var knownRoots = caseMap("Query", "Response", "Notify", "Control")

var knownCmdTypes = caseMap(
	"Keepalive", "DeviceInfo", "DeviceStatus", "Catalog", "RecordInfo", "Alarm",
	"ConfigDownload", "PresetQuery", "MobilePosition", "MediaStatus", "Broadcast",
	"DeviceControl", "DeviceConfig", "HomePositionQuery", "CruiseTrackListQuery",
	"CruiseTrackQuery", "PTZPosition", "SDCardStatus",
)

// cmdTypeAliases maps misspellings seen in the field to the canonical name: the 2011
// edition of the standard spells the preset query PersetQuery, and devices built to it
// still do.
var cmdTypeAliases = map[string]string{"persetquery": "PresetQuery"}

func caseMap(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// canonical returns the canonical spelling of a known name, or s trimmed.
func canonical(s string, known map[string]string) string {
	s = strings.TrimSpace(s)
	if c, ok := known[strings.ToLower(s)]; ok {
		return c
	}
	return s
}
