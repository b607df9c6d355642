package sim

import "encoding/binary"

// GB/T 28181 carries video in an MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5). Each
// frame is written as:
//
//	pack header   00 00 01 BA  with the SCR (90 kHz)
//	system header 00 00 01 BB  key frames only: bounds and the one video stream
//	PSM           00 00 01 BC  key frames only: stream E0 is H.264 (stream_type 0x1B)
//	PES           00 00 01 E0  the frame, with its PTS; split in PES packets of at most
//	                           maxPESPayload bytes, the PTS on the first one
//
// A receiver joining mid-stream can decode from the next key frame, where the system
// header and PSM tell it what the stream holds.

const (
	// muxRate is the pack header's program_mux_rate and the system header's rate_bound,
	// in units of 50 bytes/s: 6106 is about 2.4 Mbit/s, a generous bound for the clip.
	muxRate = 6106
	// maxPESPayload keeps PES_packet_length (16 bits) in range with the header bytes.
	maxPESPayload = 65535 - 8
	// streamTypeH264 is the PSM stream_type of H.264 video.
	streamTypeH264 = 0x1b
	// videoStreamID is the PES stream_id of the first video stream.
	videoStreamID = 0xe0
)

// muxPS appends one access unit as a Program Stream pack, stamped with pts (90 kHz).
func muxPS(dst []byte, au accessUnit, pts uint64) []byte {
	dst = appendPackHeader(dst, pts)
	if au.key {
		dst = appendSystemHeader(dst)
		dst = appendPSM(dst)
	}
	data := au.data
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), maxPESPayload)
		dst = appendPES(dst, data[:n], pts, first)
		data = data[n:]
	}
	return dst
}

// appendPackHeader writes an MPEG-2 pack header with scr as the SCR base and no
// stuffing.
func appendPackHeader(dst []byte, scr uint64) []byte {
	return append(dst, 0, 0, 1, 0xba,
		0x44|byte(scr>>27)&0x38|byte(scr>>28)&0x03,
		byte(scr>>20),
		byte(scr>>12)&0xf8|0x04|byte(scr>>13)&0x03,
		byte(scr>>5),
		byte(scr<<3)&0xf8|0x04, // SCR extension 0
		0x01,
		byte(muxRate>>14), byte(muxRate>>6&0xff), byte(muxRate<<2&0xff)|0x03,
		0xf8, // reserved, no stuffing
	)
}

// appendSystemHeader declares one video stream and no audio.
func appendSystemHeader(dst []byte) []byte {
	const sizeBound = 1024 // in 1024-byte units: a 1 MiB decoder buffer
	return append(dst, 0, 0, 1, 0xbb,
		0, 9, // header_length: 6 bytes + one stream entry
		0x80|byte(muxRate>>15)&0x7f, byte(muxRate>>7&0xff), byte(muxRate<<1&0xff)|0x01,
		0x00,                                                                   // audio_bound 0, fixed_flag 0, CSPS_flag 0
		0xe1,                                                                   // audio and video locked, marker, video_bound 1
		0x7f,                                                                   // no packet rate restriction, reserved
		videoStreamID, 0xe0|0x20|byte(sizeBound>>8)&0x1f, byte(sizeBound&0xff), // scale 1 (1024 bytes)
	)
}

// appendPSM writes the program stream map naming stream E0 as H.264.
func appendPSM(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 1, 0xbc,
		0, 14, // program_stream_map_length: the 14 bytes that follow
		0xe0, // current_next_indicator, version 0
		0xff, // reserved, marker
		0, 0, // program_stream_info_length
		0, 4, // elementary_stream_map_length
		streamTypeH264, videoStreamID, 0, 0,
	)
	return binary.BigEndian.AppendUint32(dst, crc32MPEG(dst[start:]))
}

// appendPES writes one video PES packet, with a PTS when withPTS.
func appendPES(dst, payload []byte, pts uint64, withPTS bool) []byte {
	header := []byte{0x80, 0x00, 0x00} // '10', no scrambling; no PTS; header data length 0
	if withPTS {
		header = []byte{0x80, 0x80, 5,
			0x21 | byte(pts>>29)&0x0e, byte(pts >> 22), byte(pts>>14) | 0x01, byte(pts >> 7), byte(pts<<1) | 0x01}
	}
	length := len(header) + len(payload)
	dst = append(dst, 0, 0, 1, videoStreamID, byte(length>>8), byte(length))
	dst = append(dst, header...)
	return append(dst, payload...)
}

// crc32MPEG is the CRC-32 of MPEG-2 sections: polynomial 0x04C11DB7, most significant
// bit first, initial value all ones, no final inversion. The CRC covers the section
// from its start code prefix, as ffmpeg and GB/T 28181 platforms compute it for PSM.
func crc32MPEG(b []byte) uint32 {
	crc := uint32(0xffffffff)
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
