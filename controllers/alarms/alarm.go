package alarms

import (
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// The CloudEvent of an alarm:
//
//	{"specversion":"1.0","id":"<uuid>","type":"io.gb28181.camera.alarm",
//	 "source":"/apis/gb28181.io/v1alpha1/namespaces/<ns>/cameras/<name>",
//	 "subject":"<device ID>","time":"<received>","datacontenttype":"application/json",
//	 "data":{"namespace":"<ns>","name":"<name>","deviceID":"…","channelID":"…",
//	         "priority":1,"method":5,"type":"2","time":"…","description":"…",…}}

// EventType is the CloudEvents type of an alarm.
const EventType = "io.gb28181.camera.alarm"

// Alarm is one alarm of a device with its Camera: the CloudEvent's data.
type Alarm struct {
	// Namespace and Name are the Camera's; DeviceID its spec.deviceID.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	DeviceID  string `json:"deviceID"`
	// ChannelID is the channel (or device) that raised it.
	ChannelID string `json:"channelID,omitempty"`
	// Priority is 1 (the highest) to 4; Method 1 telephone, 2 device, 3 SMS, 4 GPS,
	// 5 video, 6 device fault, 7 other; Type the device's alarm type within the method.
	Priority int    `json:"priority,omitempty"`
	Method   int    `json:"method,omitempty"`
	Type     string `json:"type,omitempty"`
	// Time is when it happened by the device's clock (nil when it gave none).
	Time        *time.Time `json:"time,omitempty"`
	Description string     `json:"description,omitempty"`
	Longitude   string     `json:"longitude,omitempty"`
	Latitude    string     `json:"latitude,omitempty"`
	// ReceivedAt is when the operator received it.
	ReceivedAt time.Time `json:"receivedAt"`
}

// Source is the CloudEvents source of the Camera's alarms: its API path.
func (a Alarm) Source() string {
	return fmt.Sprintf("/apis/gb28181.io/v1alpha1/namespaces/%s/cameras/%s", a.Namespace, a.Name)
}

// cloudEvent is a as a CloudEvent; the client gives it its ID.
func (a Alarm) cloudEvent() (cloudevents.Event, error) {
	ev := cloudevents.NewEvent()
	ev.SetType(EventType)
	ev.SetSource(a.Source())
	ev.SetSubject(a.DeviceID)
	ev.SetTime(a.ReceivedAt)
	if err := ev.SetData(cloudevents.ApplicationJSON, a); err != nil {
		return ev, fmt.Errorf("alarm of %s/%s as a CloudEvent: %w", a.Namespace, a.Name, err)
	}
	return ev, nil
}
