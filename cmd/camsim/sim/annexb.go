package sim

import "bytes"

// An H.264 elementary stream in Annex B form is NAL units behind 00 00 01 (or
// 00 00 00 01) start codes. A device sends it a frame (access unit) at a time, so the
// clip is cut into access units here: a new one starts at a parameter set, SEI or
// delimiter that follows a picture, or at a picture that follows a picture (the clip is
// encoded with one slice per picture).

// accessUnit is one frame's NAL units, start codes included.
type accessUnit struct {
	data []byte
	key  bool // holds an IDR picture
}

// nalType is the nal_unit_type of the NAL unit starting after its start code.
func nalType(nal []byte) byte { return nal[0] & 0x1f }

// splitNALs returns the offsets of the start codes of b and the offsets of the NAL
// units' first bytes.
func splitNALs(b []byte) (starts, bodies []int) {
	for i := 0; i+3 <= len(b); {
		j := bytes.Index(b[i:], []byte{0, 0, 1})
		if j < 0 {
			break
		}
		at := i + j
		start := at
		if at > 0 && b[at-1] == 0 {
			start = at - 1
		}
		if at+3 < len(b) {
			starts = append(starts, start)
			bodies = append(bodies, at+3)
		}
		i = at + 3
	}
	return starts, bodies
}

// splitAccessUnits cuts an Annex B stream into access units.
func splitAccessUnits(b []byte) []accessUnit {
	starts, bodies := splitNALs(b)
	var aus []accessUnit
	cur := accessUnit{}
	curStart, hasPicture := -1, false
	for i := range starts {
		t := nalType(b[bodies[i]:])
		picture := t == 1 || t == 5
		if curStart >= 0 && hasPicture && (picture || t == 6 || t == 7 || t == 8 || t == 9) {
			cur.data = b[curStart:starts[i]]
			aus = append(aus, cur)
			cur, curStart, hasPicture = accessUnit{}, -1, false
		}
		if curStart < 0 {
			curStart = starts[i]
		}
		hasPicture = hasPicture || picture
		cur.key = cur.key || t == 5
	}
	if curStart >= 0 && hasPicture {
		cur.data = b[curStart:]
		aus = append(aus, cur)
	}
	return aus
}
