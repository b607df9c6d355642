// Command rtpdump receives a GB/T 28181 stream and writes its RTP payload, the MPEG-PS,
// to stdout, for a player or prober that reads Program Streams:
//
//	go run ./cmd/rtpdump --listen 127.0.0.1:30000 | ffplay -f mpeg -
//	go run ./cmd/rtpdump --listen 127.0.0.1:30000 --tcp | ffprobe -f mpeg -
//
// With --tcp it is the passive side of TCP/RTP/AVP: it listens and the device connects,
// each packet framed with a 2-byte length (RFC 4571). Packets are written in arrival
// order; on a lossy network use a media server instead (docs/streams.md).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gb28181/camera-operator/internal/rtprecv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:30000", "address to receive RTP on")
	tcp := flag.Bool("tcp", false, "receive over TCP (RFC 4571 framing; the device connects)")
	ssrc := flag.Uint("ssrc", 0, "keep only this SSRC (0: any)")
	flag.Parse()
	// Unbuffered: a player reading the pipe gets each packet as it arrives.
	r, err := rtprecv.ListenOn(*listen, uint32(*ssrc), *tcp, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtpdump:", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = r.Close()
	fmt.Fprintf(os.Stderr, "rtpdump: %d packets\n", r.Packets())
}
