// Package sim simulates GB/T 28181 devices (IPCs and NVRs) toward a SIP registrar: digest
// registration (MD5 or SHA-256, with or without qop), refresh before expiry, keepalives,
// unregistration, retry with backoff, and answers to DeviceInfo and Catalog queries, with
// bodies in GB2312 or UTF-8; and live video: an INVITE is answered like a camera, with the
// test clip as H.264 in MPEG-PS over RTP (invite.go, media.go, ps.go).
//
// Beyond live video a device behaves like a real one in more ways, each configured in
// Config and off (or harmless) by default:
//   - queries and controls (answer.go, status.go, basicparam.go, control.go, ptz.go):
//     DeviceStatus, ConfigDownload and DeviceConfig of BasicParam (applied to its own
//     keepalive schedule), PresetQuery, and every DeviceControl, PTZ kept as a position
//     moving at the commanded speeds; reboots (reboot.go);
//   - subscriptions (subscribe.go, catalogevents.go, alarm.go, position.go): Catalog,
//     Alarm and MobilePosition dialogs with their NOTIFYs; alarms only while armed;
//   - recordings (records.go): a timeline per channel answered in RecordInfo parts, and
//     playback and download INVITEs steered by MANSRTSP INFO (playback.go);
//   - WVPCompat: INVITE answers shaped like a simulator built for WVP-GB28181-pro.
//
// What a device remembers beyond its registration lives in a state made on its first
// control or subscription (state.go), and its clock is set from the registrar's Date
// (clock.go), so a fleet that uses none of it pays no goroutine, timer or state for it.
//
// A Device is one simulated device, usable directly from Go tests. An Endpoint is the
// local SIP socket (a sipgo user agent) that devices send from and receive queries on;
// a Device makes its own unless given a shared one, which is how a Fleet simulates
// thousands of devices over a few sockets. A Fleet drives many devices through a bounded
// worker pool and a single timer heap, and records registration figures in Stats. A
// Scripted device is for tests that drive each exchange by hand and look at the raw
// answers.
package sim
