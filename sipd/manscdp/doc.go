// Package manscdp encodes and decodes the MANSCDP XML bodies of GB/T 28181 (Query,
// Response, Notify, Control) in both directions, and their charsets: bodies are
// declared GB2312 but arrive as GBK, GB18030 or UTF-8, sometimes mislabelled. It has no
// SIP or Kubernetes imports; the registrar (sipd), the controllers and the simulator
// (cmd/camsim) build on it.
//
// It owns:
//   - Decode, for every body either side receives, into a Message with typed fields:
//     DeviceInfo, Catalog (a query's parts and a subscription's Notify with each item's
//     Event), DeviceStatus, BasicParam (ConfigDownload, DeviceConfig), RecordInfo,
//     PresetQuery, Alarm, MediaStatus, MobilePosition, and the queries and controls a
//     device receives (RecordQuery, AlarmQuery, Interval, ConfigType, Control).
//   - The platform's encoders (EncodeDeviceStatusQuery, EncodeRecordInfoQuery,
//     EncodeAlarmQuery, EncodeDeviceControl, EncodeDeviceConfig, ...): typed inputs,
//     checked against the standard, always declared GB2312.
//   - The device's encoders (EncodeDeviceStatusResponse, EncodeRecordInfoParts,
//     EncodeAlarmNotify, EncodeCatalogNotify, ...) in the charset the device uses.
//   - PTZCmd (Annex A.3), the 8-byte front-end command, both ways.
//   - MANSCDP times (FormatTime, ParseTime): local wall-clock text whose zone only the
//     caller knows, so decoded bodies keep it as sent.
//
// Plain bodies (nearly all: elements holding text without markup, nested, with a Num
// attribute on a list) are read by a hand-written scanner into the same tree
// encoding/xml would build (plain.go); every other body is read by encoding/xml.
//
// Outside input is bounded: a body is at most MaxBodySize bytes, nests at most 16
// elements deep, holds at most one element per 12 bytes and no DOCTYPE; decoding one
// allocates at most some 24 times its size, and the strings it returns are exact
// copies, holding nothing else alive.
package manscdp
