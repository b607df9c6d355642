package sim

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestCRC32MPEG(t *testing.T) {
	// The CRC-32/MPEG-2 check value.
	if got := crc32MPEG([]byte("123456789")); got != 0x0376e6e7 {
		t.Errorf("crc32MPEG(123456789) = %#x, want 0x0376e6e7", got)
	}
}

func TestSplitAccessUnits(t *testing.T) {
	aus := splitAccessUnits(clip)
	// The clip is 2 s at 25 fps with a key frame every 25 frames.
	if len(aus) != 50 {
		t.Fatalf("%d access units, want 50", len(aus))
	}
	keys := 0
	total := 0
	for i, au := range aus {
		if au.key {
			keys++
			if i%25 != 0 {
				t.Errorf("key frame at %d", i)
			}
		}
		if !bytes.HasPrefix(au.data, []byte{0, 0, 1}) && !bytes.HasPrefix(au.data, []byte{0, 0, 0, 1}) {
			t.Errorf("access unit %d does not start with a start code", i)
		}
		total += len(au.data)
	}
	if keys != 2 {
		t.Errorf("%d key frames, want 2", keys)
	}
	if total != len(clip) {
		t.Errorf("access units hold %d bytes of %d", total, len(clip))
	}
}

func TestMuxPSLayout(t *testing.T) {
	tests := []struct {
		name      string
		au        accessUnit
		wantCodes []byte // stream IDs after 00 00 01, in order
	}{
		{"key frame", accessUnit{data: []byte{0, 0, 0, 1, 0x65, 1, 2, 3}, key: true}, []byte{0xba, 0xbb, 0xbc, 0xe0}},
		{"other frame", accessUnit{data: []byte{0, 0, 0, 1, 0x41, 1, 2, 3}}, []byte{0xba, 0xe0}},
		{"large frame", accessUnit{data: make([]byte, maxPESPayload+10)}, []byte{0xba, 0xe0, 0xe0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const pts = 0x1_2345_6789 & (1<<33 - 1)
			ps := muxPS(nil, tc.au, pts)
			var codes []byte
			payload := 0
			for i := 0; i < len(ps); {
				if !bytes.HasPrefix(ps[i:], []byte{0, 0, 1}) {
					t.Fatalf("no start code at %d", i)
				}
				code := ps[i+3]
				codes = append(codes, code)
				switch code {
				case 0xba:
					if got := packSCR(ps[i:]); got != pts {
						t.Errorf("SCR %#x, want %#x", got, pts)
					}
					i += 14
				default:
					n := int(binary.BigEndian.Uint16(ps[i+4:]))
					if code == 0xe0 {
						hdr := 3 + int(ps[i+8])
						if len(codes) == 2 || (tc.au.key && len(codes) == 4) {
							if got := pesPTS(ps[i+9:]); got != pts {
								t.Errorf("PTS %#x, want %#x", got, pts)
							}
						}
						payload += n - hdr
					}
					i += 6 + n
				}
			}
			if !bytes.Equal(codes, tc.wantCodes) {
				t.Errorf("stream IDs % x, want % x", codes, tc.wantCodes)
			}
			if payload != len(tc.au.data) {
				t.Errorf("PES payload %d bytes, want %d", payload, len(tc.au.data))
			}
		})
	}
}

func packSCR(b []byte) uint64 {
	return uint64(b[4]&0x38)<<27 | uint64(b[4]&0x03)<<28 | uint64(b[5])<<20 |
		uint64(b[6]&0xf8)<<12 | uint64(b[6]&0x03)<<13 | uint64(b[7])<<5 | uint64(b[8])>>3
}

func pesPTS(b []byte) uint64 {
	return uint64(b[0]&0x0e)<<29 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1)
}

func TestPacketizer(t *testing.T) {
	p := packetizer{ssrc: 200000001, seq: 65535}
	frame := make([]byte, 2*maxRTPPayload+1)
	pkts := p.packets(frame, 3600)
	if len(pkts) != 3 {
		t.Fatalf("%d packets, want 3", len(pkts))
	}
	for i, pkt := range pkts {
		if pkt[0] != 0x80 || pkt[1]&0x7f != 96 {
			t.Errorf("packet %d: header % x", i, pkt[:2])
		}
		if marker := pkt[1]&0x80 != 0; marker != (i == 2) {
			t.Errorf("packet %d: marker %v", i, marker)
		}
		if seq := binary.BigEndian.Uint16(pkt[2:]); seq != uint16(65535+i) {
			t.Errorf("packet %d: seq %d", i, seq)
		}
		if ts := binary.BigEndian.Uint32(pkt[4:]); ts != 3600 {
			t.Errorf("packet %d: timestamp %d", i, ts)
		}
		if ssrc := binary.BigEndian.Uint32(pkt[8:]); ssrc != 200000001 {
			t.Errorf("packet %d: ssrc %d", i, ssrc)
		}
		if len(pkt) > rtpHeaderLen+maxRTPPayload {
			t.Errorf("packet %d: %d bytes", i, len(pkt))
		}
	}
}
