package manscdp

import (
	"strings"
)

// The end of a playback or download (GB/T 28181-2016 §9.8.4): when the file runs out,
// the device sends, in a MESSAGE outside the media dialog,
//
//	<Notify><CmdType>MediaStatus</CmdType><SN/><DeviceID/><NotifyType>121</NotifyType></Notify>
//
// and the platform answers 200, then ends the dialog with BYE.

// NotifyTypeEndOfFile is the NotifyType of a MediaStatus Notify at the end of a file.
const NotifyTypeEndOfFile = 121

// EncodeMediaStatusNotify writes a device's end-of-file MediaStatus Notify.
func EncodeMediaStatusNotify(sn int, deviceID string, charset string) ([]byte, error) {
	if err := needID("MediaStatus", deviceID); err != nil {
		return nil, err
	}
	var b strings.Builder
	header(&b, "Notify", "MediaStatus", sn, deviceID)
	elemInt(&b, "NotifyType", NotifyTypeEndOfFile)
	closeTag(&b, "Notify")
	return finish(&b, charset)
}
