package manscdp

import (
	"fmt"
	"strings"
)

// Answers that carry only a <Result>: a device's answer to a DeviceControl that needs
// one (RecordCmd, GuardCmd, AlarmCmd, HomePosition) or to a DeviceConfig, the body of a
// device's 200 OK to a subscription (Catalog, Alarm, MobilePosition), and the
// platform's answer to an alarm:
//
//	<Response><CmdType>DeviceControl</CmdType><SN/><DeviceID/><Result>OK</Result></Response>
//
// Decode puts the result in Message.Result.

// EncodeResultResponse writes a <Response> of cmdType carrying only ok as its Result.
// cmdType is one of DeviceControl, DeviceConfig, Catalog, Alarm, MobilePosition.
func EncodeResultResponse(cmdType string, sn int, deviceID string, ok bool, charset string) ([]byte, error) {
	if err := oneOf("CmdType of a result", cmdType, "DeviceControl", "DeviceConfig", "Catalog", "Alarm", "MobilePosition"); err != nil {
		return nil, err
	}
	if err := needID(cmdType+" result", deviceID); err != nil {
		return nil, err
	}
	var b strings.Builder
	header(&b, "Response", cmdType, sn, deviceID)
	elem(&b, "Result", resultText(ok))
	closeTag(&b, "Response")
	return finish(&b, charset)
}

// EncodeAlarmResponse writes the platform's answer to a device's alarm Notify: Result
// OK, with the alarm's SN and DeviceID.
func EncodeAlarmResponse(sn int, deviceID string) ([]byte, error) {
	body, err := EncodeResultResponse("Alarm", sn, deviceID, true, CharsetGB2312)
	if err != nil {
		return nil, fmt.Errorf("alarm response: %w", err)
	}
	return body, nil
}
