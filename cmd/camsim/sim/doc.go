// Package sim simulates GB/T 28181 devices (IPCs and NVRs) toward a SIP registrar: digest
// registration (MD5 or SHA-256, with or without qop), refresh before expiry, keepalives,
// unregistration, retry with backoff, and answers to DeviceInfo and Catalog queries, with
// bodies in GB2312 or UTF-8; and live video: an INVITE is answered like a camera, with the
// test clip as H.264 in MPEG-PS over RTP (invite.go, media.go, ps.go).
//
// A Device is one simulated device, usable directly from Go tests. An Endpoint is the
// local SIP socket (a sipgo user agent) that devices send from and receive queries on;
// a Device makes its own unless given a shared one, which is how a Fleet simulates
// thousands of devices over a few sockets. A Fleet drives many devices through a bounded
// worker pool and a single timer heap, and records registration figures in Stats. A
// Scripted device is for tests that drive each exchange by hand and look at the raw
// answers.
package sim
