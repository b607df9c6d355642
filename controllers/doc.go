// Package controllers wires the operator: the SIP registrar (package sipd) and the
// controllers that bridge it to the Kubernetes API, one package each, as cert-manager
// keeps one controller per package:
//
//	controllers/             Setup(mgr, Config): the wiring order; ManagerOptions: the cache
//	  cacheindex/            indexes of cached objects read on hot paths: objects under buckets of their keys
//	  devices/               the device-change signal, the device index, elect, shards
//	  camera/                Camera status: registrations, queries, subscriptions, alarms, seeding, Secrets
//	  command/               CameraCommands: PTZ, presets, reboots and other device controls
//	  stream/                Streams: live video by INVITE/ACK/BYE, playback and download
//	  recording/             RecordingQueries: a device's recordings by RecordInfo
//	  endpoints/             the leader's EndpointSlice of the SIP Service
//	  alarms/                the alarm sink: alarms as CloudEvents to a URL
//	  internal/dependents/   the steps the Stream, command and recording controllers share
//	  internal/statuswrites/ the count of status writes by kind and outcome
//
// Each controller package has a doc.go saying what it owns, a reconciler that gathers,
// decides (pure, table-tested) and writes, its Events and its unit tests. The tests here
// run the operator as Setup wires it against a real kube-apiserver and etcd (envtest)
// and real SIP devices on loopback, one namespace per test.
//
// Setup also adds the health and readiness checks. Readiness says that a replica is
// healthy, not that it leads (readiness.go): every replica is Ready, so a Deployment of
// several is Available, and the leader routes SIP to itself through the SIP Service's
// EndpointSlice (package endpoints, docs/ha.md).
package controllers
