package command

import (
	"context"
	"errors"
	"fmt"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// What the registrar's answer to a DeviceControl means for the command.

// sendResult is what became of one DeviceControl.
type sendResult int

const (
	// answered: the device accepted the command.
	answered sendResult = iota
	// notSent: the registrar sent nothing (a bound, no registration); the command may
	// wait and go later.
	notSent
	// failed: the device refused it, or did not answer in time.
	failed
	// interrupted: the registrar is stopping (this replica no longer leads); whatever
	// happened is for the next leader to find in status.
	interrupted
)

// outcome is the meaning of a Control error.
type outcome struct {
	result          sendResult
	reason, message string
	// deviceResult is the device's Result when it sent one (ERROR).
	deviceResult string
}

// outcomeOf reads the error of a Control that sent what (for messages).
func outcomeOf(err error, what string) outcome {
	var re *sipd.ResultError
	var qe *sipd.QueryError
	switch {
	case err == nil:
		return outcome{result: answered}
	case errors.Is(err, sipd.ErrStopped), errors.Is(err, context.Canceled):
		return outcome{result: interrupted, reason: gbv1.ReasonInterrupted, message: "the operator stopped while sending " + what}
	case errors.Is(err, sipd.ErrTooManyQueries), errors.Is(err, sipd.ErrTooManyTransactions):
		return outcome{result: notSent, reason: gbv1.ReasonTooManyCommands, message: "the registrar is at its bound of requests in flight: " + err.Error()}
	case errors.Is(err, sipd.ErrNotRegistered):
		return outcome{result: notSent, reason: gbv1.ReasonCameraNotRegistered, message: "the device is not registered"}
	case errors.Is(err, sipd.ErrNotOwner):
		return outcome{result: failed, reason: gbv1.ReasonCameraConflict, message: "the device's registration belongs to another Camera, which claims its device ID"}
	case errors.As(err, &re):
		return outcome{result: failed, reason: gbv1.ReasonDeviceRefused, deviceResult: re.Result,
			message: fmt.Sprintf("the device answered %s with Result %s", what, re.Result)}
	case errors.As(err, &qe):
		return outcome{result: failed, reason: gbv1.ReasonDeviceRefused,
			message: fmt.Sprintf("the device answered %s with %d %s", what, qe.Code, qe.Reason)}
	case errors.Is(err, sipd.ErrNoAnswer), errors.Is(err, sipd.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return outcome{result: failed, reason: gbv1.ReasonTimeout, message: "no answer to " + what + ": " + err.Error()}
	}
	return outcome{result: failed, reason: gbv1.ReasonUnreachable, message: err.Error()}
}
