package manscdp

import (
	"bytes"
	"unicode/utf8"
)

// Nearly every body a registrar reads is plain XML: a keepalive, a query, an answer, a
// catalog part, a record list, elements nested a few levels holding text without
// markup, and a Num attribute on a list. encoding/xml reads one with some twelve bytes
// of tokens and buffers per byte of body (a catalog part of 120 items: 12,400
// allocations), and during a registration storm the answers to the registrar's queries
// were a tenth of the operator's CPU and a fifth of its garbage. parsePlain reads such a
// body by hand into the same tree parseTree builds, its elements allocated together (at
// once for most bodies). It gives up on anything else, which parseTree then reads as
// before: a declaration it does not recognise, a comment, CDATA, an entity, a
// processing instruction, a namespace prefix, text beside child elements, a control
// character, a carriage return or invalid UTF-8 in a value, an attribute other than
// name="plain text". The fast path decides nothing parseTree would decide otherwise
// (FuzzParsePlainMatchesParseTree). A plain body over parseTree's bounds (depth, element
// count) it refuses itself, with parseTree's error, at the element where parseTree
// would: a hostile body of tiny elements costs one parse, not two.

// slabChunk is how many elements parsePlain allocates at once past its first estimate.
const slabChunk = 32

// parsePlain reads text as plain XML into an element tree (plain), or refuses it as
// parseTree would (err), or reports neither when text is anything else.
func parsePlain(text []byte) (root *element, plain bool, err error) {
	rest, ok := skipProlog(text)
	if !ok || len(rest) == 0 || rest[0] != '<' {
		return nil, false, nil
	}
	// Bodies with an entity, a comment, CDATA, a directive or a processing instruction
	// are left to parseTree before anything is allocated. '!' and '?' are rare in
	// MANSCDP text, so the slower search for "<!" and "<?" seldom runs.
	if bytes.IndexByte(rest, '&') >= 0 ||
		bytes.IndexByte(rest, '!') >= 0 && bytes.Contains(rest, []byte("<!")) ||
		bytes.IndexByte(rest, '?') >= 0 && bytes.Contains(rest, []byte("<?")) {
		return nil, false, nil
	}
	// Every element but a self-closing one has two '<': half of them is room for all
	// elements of most bodies, in one allocation; the rest come in chunks. Past the
	// limit parseTree refuses the body anyway.
	elements, limit := 0, maxElements(len(text))
	slab := make([]element, 0, min(bytes.Count(rest, []byte("<"))/2+1, limit))
	var stackSpace [maxDepth]openElement
	stack := stackSpace[:0]
	for {
		if len(stack) > 0 {
			i := bytes.IndexByte(rest, '<')
			if i < 0 {
				return nil, false, nil // parseTree: unexpected end
			}
			if i > 0 && !placeText(stack[len(stack)-1].e, rest[:i]) {
				return nil, false, nil
			}
			rest = rest[i:]
		}
		if len(rest) > 1 && rest[1] == '/' {
			name, after, ok := readCloseTag(rest)
			if !ok || len(stack) == 0 || !bytes.EqualFold(name, []byte(stack[len(stack)-1].e.name)) {
				return nil, false, nil
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				// Whatever follows the root is ignored, as parseTree ignores it.
				return root, true, nil
			}
			rest = after
			continue
		}
		// The tag is read before the bounds are checked: parseTree counts an element
		// once encoding/xml has read its start tag whole.
		var tag element
		closed, after, ok := readStartTag(rest, &tag)
		if !ok {
			return nil, false, nil
		}
		switch {
		case len(stack) == maxDepth:
			return nil, false, errTooDeep()
		case elements == limit:
			return nil, false, errTooManyElements(limit, len(text))
		}
		if len(slab) == cap(slab) {
			slab = make([]element, 0, slabChunk) // the elements so far keep the old one
		}
		elements++
		slab = append(slab, tag)
		e := &slab[len(slab)-1]
		rest = after
		if len(stack) == 0 {
			root = e
		} else {
			p := &stack[len(stack)-1]
			if len(p.e.text) > 0 {
				return nil, false, nil // text beside child elements
			}
			if p.last == nil {
				p.e.first = e
			} else {
				p.last.next = e
			}
			p.last = e
		}
		if closed {
			if len(stack) == 0 {
				return root, true, nil
			}
			continue
		}
		stack = append(stack, openElement{e: e})
	}
}

// placeText gives e the text between two of its tags, as parseTree would: nothing for
// whitespace while e has no text, the text itself when e has neither text nor children.
// It reports false for text parsePlain leaves to parseTree.
func placeText(e *element, text []byte) bool {
	// parseTree skips whitespace while an element has no text: XML's, carriage
	// returns included, at once; Unicode's only once plainText has checked it, since
	// some of it (a vertical tab) is a character encoding/xml refuses.
	if len(trimXMLSpace(text)) == 0 {
		return len(e.text) == 0
	}
	if !plainText(text) {
		return false
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return len(e.text) == 0
	}
	if len(e.text) > 0 || e.first != nil {
		return false // text beside child elements
	}
	e.text = text
	return true
}

// plainText reports whether text needs nothing encoding/xml would change or refuse:
// no markup ('&', and ']' of a CDATA end), no carriage return (encoding/xml turns
// "\r\n" into "\n"), no control character but tab and line feed, valid UTF-8 of
// characters XML allows.
func plainText(text []byte) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c == '&' || c == ']' || c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return false
		}
		i += size
	}
	return true
}

// isXMLChar reports whether r is a character XML 1.0 allows beyond ASCII, as
// encoding/xml checks it.
func isXMLChar(r rune) bool {
	return r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// readStartTag reads <name attr="value" ...> or <name .../> into e (its name and its
// Num attribute) and returns whether the element closed itself, and what follows.
func readStartTag(b []byte, e *element) (closed bool, rest []byte, ok bool) {
	if len(b) < 3 || b[0] != '<' {
		return false, nil, false
	}
	n := nameLen(b[1:])
	if n == 0 {
		return false, nil, false
	}
	e.name = elementName(b[1 : 1+n])
	rest = b[1+n:]
	for {
		sp := len(rest)
		rest = trimXMLSpace(rest)
		switch {
		case len(rest) == 0:
			return false, nil, false
		case rest[0] == '>':
			return false, rest[1:], true
		case rest[0] == '/':
			if len(rest) < 2 || rest[1] != '>' {
				return false, nil, false
			}
			return true, rest[2:], true
		case sp == len(rest):
			return false, nil, false // an attribute must follow a space
		}
		name, value, after, ok := readAttr(rest)
		if !ok {
			return false, nil, false
		}
		if bytes.EqualFold(name, []byte("Num")) {
			// The last one wins, as in parseTree.
			e.attrs = &elementAttrs{num: string(value)}
		}
		rest = after
	}
}

// readAttr reads name="value" (or 'value'), with spaces around the equals sign allowed,
// the value printable ASCII without markup.
func readAttr(b []byte) (name, value, rest []byte, ok bool) {
	n := nameLen(b)
	if n == 0 {
		return nil, nil, nil, false
	}
	name, rest = b[:n], trimXMLSpace(b[n:])
	if len(rest) == 0 || rest[0] != '=' {
		return nil, nil, nil, false
	}
	rest = trimXMLSpace(rest[1:])
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return nil, nil, nil, false
	}
	quote := rest[0]
	end := bytes.IndexByte(rest[1:], quote)
	if end < 0 {
		return nil, nil, nil, false
	}
	value = rest[1 : 1+end]
	for _, c := range value {
		if c < 0x20 || c > 0x7e || c == '<' || c == '&' {
			return nil, nil, nil, false
		}
	}
	return name, value, rest[2+end:], true
}

// skipProlog skips the whitespace and the XML declaration before the root. Only a
// declaration of version 1.0 with plain attributes is skipped; anything else is left
// to parseTree.
func skipProlog(text []byte) ([]byte, bool) {
	rest := trimXMLSpace(text)
	if !bytes.HasPrefix(rest, []byte("<?")) {
		return rest, true
	}
	end := bytes.Index(rest, []byte("?>"))
	if end < 0 || !bytes.HasPrefix(rest, []byte("<?xml ")) {
		return nil, false
	}
	decl := rest[len("<?xml "):end]
	if bytes.Count(decl, []byte("version")) != 1 ||
		!(bytes.Contains(decl, []byte(`version="1.0"`)) || bytes.Contains(decl, []byte(`version='1.0'`))) {
		return nil, false
	}
	for _, c := range decl {
		if !isPlainDeclByte(c) {
			return nil, false
		}
	}
	return trimXMLSpace(rest[end+len("?>"):]), true
}

// isPlainDeclByte reports whether c may appear in a declaration parsePlain skips:
// letters, digits, spaces, quotes, '=', '-', '_' and '.'.
func isPlainDeclByte(c byte) bool {
	return isNameByte(c) || c == ' ' || c == '"' || c == '\'' || c == '=' || c == '-' || c == '.'
}

// readCloseTag reads </name> and returns the name and what follows.
func readCloseTag(b []byte) (name, rest []byte, ok bool) {
	if len(b) < 4 || b[0] != '<' || b[1] != '/' {
		return nil, nil, false
	}
	n := nameLen(b[2:])
	if n == 0 || 2+n >= len(b) || b[2+n] != '>' {
		return nil, nil, false
	}
	return b[2 : 2+n], b[3+n:], true
}

// nameLen is the length of the element name b starts with: a letter, then letters and
// digits. Names with a namespace prefix, dots or dashes are left to parseTree.
func nameLen(b []byte) int {
	if len(b) == 0 || !isLetter(b[0]) {
		return 0
	}
	n := 1
	for n < len(b) && isAlnum(b[n]) {
		n++
	}
	return n
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isAlnum(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' }

func isNameByte(c byte) bool { return isAlnum(c) || c == '_' }

// trimXMLSpace trims the XML whitespace (space, tab, CR, LF) b starts with.
func trimXMLSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// knownNames are the element names of the bodies a registrar reads, spelled as the
// standard spells them: an element so named takes its name from here instead of
// allocating a copy.
var knownNames = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{
		"Address", "AlarmDescription", "AlarmMethod", "AlarmPriority", "AlarmTime",
		"AlarmType", "AlarmTypeParam", "Alarmstatus", "Altitude", "BasicParam", "Block",
		"CertNum", "Certifiable", "Channel", "CivilCode", "CmdType", "ConfigType", "Control",
		"ControlPriority", "DeviceID", "DeviceList", "DeviceName", "DeviceTime", "Direction",
		"DomainName", "DutyStatus", "Enabled", "Encode", "EndAlarmPriority", "EndAlarmTime",
		"EndTime", "ErrCode", "ErrTime", "Event", "EventType", "Expiration", "FilePath",
		"FileSize", "Firmware", "HeartBeatCount", "HeartBeatInterval", "IPAddress", "Info",
		"Interval", "Item", "Latitude", "Length", "LengthX", "LengthY", "Longitude",
		"Manufacturer", "MidPointX", "MidPointY", "Model", "Name", "Notify", "NotifyType",
		"Online", "Owner", "PTZType", "ParentID", "Parental", "Password", "Port",
		"PositionCapability", "PresetID", "PresetIndex", "PresetList", "PresetName", "Query",
		"Reason", "Record", "RecordList", "RecorderID", "RegisterWay", "ResetTime",
		"Response", "Result", "SIPServerID", "SIPServerIP", "SIPServerPort", "SN",
		"SafetyWay", "Secrecy", "Speed", "StartAlarmPriority", "StartAlarmTime", "StartTime",
		"Status", "SumNum", "Time", "Type", "Width",
	} {
		m[n] = n
	}
	return m
}()

// elementName returns b as a string, without allocating for the known names.
func elementName(b []byte) string {
	if n, ok := knownNames[string(b)]; ok {
		return n
	}
	return string(b)
}
