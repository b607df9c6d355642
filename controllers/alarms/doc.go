// Package alarms is the operator's alarm sink for systems outside Kubernetes: each alarm
// a device raises (by MESSAGE or within an alarm subscription) is POSTed, with its
// Camera's namespace and name and its device ID, as a CloudEvent in structured JSON
// (https://cloudevents.io, through the CloudEvents Go SDK) to the URL of
// --alarm-sink-url.
//
// It owns the Sink: a bounded queue (Send never blocks; a full queue drops the alarm),
// a few workers that POST with retries and an exponential backoff, and the metrics of
// what was sent, what failed after its retries, and what was dropped. The Camera
// controller hands it the alarms (camera.DeviceEventOptions.AlarmSink); the Kubernetes
// Events, status and metrics of alarms are the Camera controller's.
package alarms
