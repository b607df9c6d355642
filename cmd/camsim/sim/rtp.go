package sim

import "encoding/binary"

// RTP (RFC 3550) as GB/T 28181 devices send it: version 2, no padding, extension or
// CSRCs, payload type 96 (PS), a 90 kHz timestamp shared by all packets of a frame, the
// marker bit on a frame's last packet, and the SSRC the platform put in y=.

const (
	rtpHeaderLen = 12
	// rtpPayloadPS is the payload type GB/T 28181 assigns to MPEG-PS.
	rtpPayloadPS = 96
	// maxRTPPayload keeps packets, with their IP and UDP headers, under a 1500-byte MTU.
	maxRTPPayload = 1400
)

// packetizer cuts frames into RTP packets.
type packetizer struct {
	ssrc uint32
	seq  uint16
}

// packets returns the RTP packets of one frame, each a fresh slice.
func (p *packetizer) packets(frame []byte, timestamp uint32) [][]byte {
	var out [][]byte
	for len(frame) > 0 {
		n := min(len(frame), maxRTPPayload)
		pkt := make([]byte, rtpHeaderLen, rtpHeaderLen+n)
		pkt[0] = 0x80
		pkt[1] = rtpPayloadPS
		if n == len(frame) {
			pkt[1] |= 0x80 // marker: the frame's last packet
		}
		binary.BigEndian.PutUint16(pkt[2:], p.seq)
		binary.BigEndian.PutUint32(pkt[4:], timestamp)
		binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
		out = append(out, append(pkt, frame[:n]...))
		frame = frame[n:]
		p.seq++
	}
	return out
}
