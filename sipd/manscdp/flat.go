package manscdp

import "bytes"

// Most bodies a registrar reads are flat: a keepalive, a query, a short answer, one
// root holding a few elements of plain text. encoding/xml reads one with some 1.5 KB of
// tokens and buffers, and at thousands of keepalives a second that garbage is most of
// what the operator's collector chases. parseFlat reads such a body by hand into the
// same tree parseTree builds, and gives up on anything else (a declaration it does not
// recognise, a comment, an attribute, nesting below the root's children, an entity, a
// control character, a carriage return in a value), which parseTree then reads as
// before: the fast path decides nothing parseTree would decide otherwise
// (FuzzParseFlatMatchesParseTree).

// parseFlat reads text as a root element whose children hold text only, and reports
// false when text is anything else.
func parseFlat(text []byte) (*element, bool) {
	rest, ok := skipProlog(text)
	if !ok {
		return nil, false
	}
	name, rest, ok := readOpenTag(rest)
	if !ok {
		return nil, false
	}
	root := &element{name: string(name)}
	limit := maxElements(len(text))
	var last *element
	for elements := 1; ; elements++ {
		if elements > limit {
			return nil, false // parseTree refuses the body as too large
		}
		rest = trimXMLSpace(rest)
		if bytes.HasPrefix(rest, []byte("</")) {
			end, _, ok := readCloseTag(rest)
			if !ok || !bytes.EqualFold(end, name) {
				return nil, false
			}
			// Whatever follows the root is ignored, as parseTree ignores it.
			return root, true
		}
		child, after, ok := leaf(rest)
		if !ok {
			return nil, false
		}
		if last == nil {
			root.first = child
		} else {
			last.next = child
		}
		last, rest = child, after
	}
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

// isPlainDeclByte reports whether c may appear in a declaration parseFlat skips:
// letters, digits, spaces, quotes, '=', '-', '_' and '.'.
func isPlainDeclByte(c byte) bool {
	return isNameByte(c) || c == ' ' || c == '"' || c == '\'' || c == '=' || c == '-' || c == '.'
}

// leaf reads <name>text</name>, the text free of markup, and returns the element and
// what follows it.
func leaf(b []byte) (*element, []byte, bool) {
	name, rest, ok := readOpenTag(b)
	if !ok {
		return nil, nil, false
	}
	n := bytes.IndexByte(rest, '<')
	if n < 0 {
		return nil, nil, false
	}
	text := rest[:n]
	for _, c := range text {
		if !isPlainTextByte(c) {
			return nil, nil, false
		}
	}
	end, after, ok := readCloseTag(rest[n:])
	if !ok || !bytes.EqualFold(end, name) {
		return nil, nil, false
	}
	e := &element{name: string(name)}
	// parseTree keeps no text for an element holding only whitespace.
	if len(trimXMLSpace(text)) > 0 {
		e.text = text
	}
	return e, after, true
}

// isPlainTextByte reports whether c may appear in a value parseFlat reads: printable
// ASCII but for markup ('<', '&', and ']' of a CDATA end), tabs and line feeds. A
// carriage return is excluded: encoding/xml turns "\r\n" into "\n" in text.
func isPlainTextByte(c byte) bool {
	switch {
	case c == '\t' || c == '\n':
		return true
	case c < 0x20 || c > 0x7e:
		return false
	}
	return c != '<' && c != '&' && c != ']'
}

// readOpenTag reads <name> and returns the name and what follows.
func readOpenTag(b []byte) (name, rest []byte, ok bool) {
	if len(b) < 3 || b[0] != '<' {
		return nil, nil, false
	}
	n := nameLen(b[1:])
	if n == 0 || 1+n >= len(b) || b[1+n] != '>' {
		return nil, nil, false
	}
	return b[1 : 1+n], b[2+n:], true
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
