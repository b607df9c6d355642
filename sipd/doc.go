// Package sipd is the operator's GB/T 28181 SIP registrar: the wire. It owns the SIP
// listeners (UDP and TCP on one port), digest authentication and its stateless nonces,
// the brute-force limiter, the table of live registrations (bindings), keepalives, and
// the MANSCDP queries sent to registered devices, the media dialogs it makes with
// them (live video (点播) and the playback and download of recordings: INVITE, ACK,
// INFO and BYE), and its subscriptions to them (SUBSCRIBE and their NOTIFYs) with what
// devices tell on their own: catalog changes, alarms and positions. Messages are parsed
// and represented with github.com/emiago/sipgo; the listeners are its own and stateless
// (see transport.go), so that no table outside traffic can grow is left unbounded.
//
// It imports nothing from Kubernetes. The controllers feed it credentials through the
// CredentialStore interface, seed its bindings from Camera status at start-up, and learn
// what happened from its coalescing event stream, reading the current state of a device
// with Server.Device. sipd never writes Camera status itself.
//
// Its files are named by layer, as sipgo names its own:
//
//   - server.go, config.go: the Server, New and Start; Config and all its defaults.
//   - transport*.go: the listeners. transport.go what UDP and TCP share (source, send);
//     transport_udp.go the readers and workers, transport_udp_intake.go the fair queue
//     between them, transport_udp_opens.go which datagrams open new work,
//     transport_udp_shed.go the 503s of overload; transport_tcp.go the connections and
//     their framing.
//   - handle.go: the entry point of every message, dispatching requests by method and
//     responses to their dialog or transaction; request_wellformed.go and
//     header_lenient.go read what devices send, response.go writes the answers.
//   - register_*.go: REGISTER. register_handler.go the flow and identifying the device,
//     register_authenticate.go its digest check, register_bind.go applying it;
//     register_digest.go, register_nonce.go, register_replay.go and
//     register_limiter.go the digest, the stateless nonces, the replay guard and the
//     brute-force limiter.
//   - binding*.go: the registrations. binding.go the public types and Server methods,
//     binding_table.go the table, binding_heap.go its heaps, binding_natrebind.go,
//     binding_silence.go and binding_sweep.go NAT rebinding, silence watches, expiry.
//   - message_*.go: MESSAGE. message_handler.go routes it; message_sender.go checks the
//     sender, message_manscdp.go decodes the body, message_keepalive.go records
//     keepalives; message_query.go sends a query or command and waits for its
//     answer, message_query_table.go matches Responses to it, message_answer.go
//     assembles them (one MESSAGE, or parts counted by SumNum); message_catalog.go,
//     message_device.go (DeviceStatus, ConfigDownload, DeviceConfig, DeviceControl,
//     PresetQuery) and message_record.go (RecordInfo) are the typed queries;
//     message_mediastatus.go takes the end of a playback (MediaStatus 121);
//     message_alarm.go serves alarms and positions sent by MESSAGE.
//   - transaction_client.go: the one client transaction under every request the
//     registrar sends (retransmission with T1/T2, Timer B/F, response matching);
//     request_outgoing.go what those requests share.
//   - dialog*.go: live video, playback and download. dialog.go the Dialog type,
//     dialog_invite.go INVITE, dialog_playback.go the offer of a recording,
//     dialog_info.go the INFO that steers a playback (MANSRTSP), dialog_request.go ACK,
//     CANCEL and in-dialog requests, dialog_bye.go BYE either way, dialog_table.go the
//     live dialogs, dialog_invite_slots.go the bounds of INVITEs in flight,
//     dialog_abandoned.go late answers to abandoned INVITEs.
//   - subscribe*.go: subscriptions (RFC 6665, GB/T 28181 §9.11). subscribe.go the
//     Subscription type, Subscribe, RefreshSubscription and Unsubscribe,
//     subscribe_request.go the SUBSCRIBE requests, subscribe_table.go the live ones,
//     subscribe_notify.go the device's NOTIFYs, subscribe_events.go the Events they and
//     alarm MESSAGEs tell the controllers (Config.Events), subscribe_parts.go what the
//     Server holds of them.
//   - credentials.go, notify.go, owner.go, errors.go: the seams with the controllers
//     and the errors they see; metrics.go, recover.go, logthrottle.go, devicetext.go
//     and fnv.go what every layer uses.
//
// Its tests, named after the files they test, start registrars with sipdtest, as every
// other package's do, and talk to them through the simulator or over bare loopback
// sockets (package sipd_test); export_test.go lends them the few internals they reach.
// Unit tests of one internal part (nonces, the replay guard, the limiter, the intake,
// the 503 writer) stay in package sipd.
package sipd
