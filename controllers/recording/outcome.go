package recording

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// How a query's outcome is written: the answer, whole or in part, or why there is none.
// Errors that say the device cannot be asked right now (its registration went away, the
// registrar's own bound) send the query back to Pending, to be sent again; the others
// finish it.

// maxConditionMessage bounds condition messages, which carry what devices answer.
const maxConditionMessage = 1024

// errNotSent marks an outcome of a query that was not answered because the registrar
// stops: the query stays Running, and the next leader sends it again.
var errNotSent = errors.New("the registrar stops; the query is sent again by the next leader")

// recordOutcome writes the outcome of a query sent at now into rq's status: ans and err
// are QueryRecordInfo's. It returns errNotSent when nothing is to be written.
func recordOutcome(rq *gbv1.RecordingQuery, ans *manscdp.RecordInfo, err error, loc *time.Location, now time.Time) error {
	var qe *sipd.QueryError
	switch {
	case errors.Is(err, sipd.ErrStopped), errors.Is(err, context.Canceled):
		return errNotSent
	case errors.Is(err, sipd.ErrNotRegistered):
		setPhase(rq, gbv1.RecordingQueryPending, gbv1.ReasonCameraNotRegistered, "the device's registration went away before the query: "+err.Error(), now)
	case errors.Is(err, sipd.ErrNotOwner):
		setPhase(rq, gbv1.RecordingQueryPending, gbv1.ReasonCameraConflict, "the device's registration belongs to another Camera", now)
	case errors.Is(err, sipd.ErrTooManyQueries), errors.Is(err, sipd.ErrTooManyTransactions):
		setPhase(rq, gbv1.RecordingQueryPending, gbv1.ReasonTooManyQueries, "the registrar's bound of queries in flight: "+err.Error(), now)
	case err == nil && ans != nil:
		n := fillAnswer(rq, ans, loc)
		setPhase(rq, gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, answeredMessage(rq, n), now)
	case errors.Is(err, sipd.ErrPartialRecordInfo) && ans != nil:
		n := fillAnswer(rq, ans, loc)
		setPhase(rq, gbv1.RecordingQueryPartial, gbv1.ReasonPartial,
			fmt.Sprintf("%d of the %d items the device announced arrived: %s", len(ans.Items), ans.SumNum, err.Error())+unreadableNote(n), now)
	case errors.As(err, &qe):
		setPhase(rq, gbv1.RecordingQueryFailed, gbv1.ReasonRejected, fmt.Sprintf("the device answered %d %s", qe.Code, qe.Reason), now)
	case err == nil:
		setPhase(rq, gbv1.RecordingQueryFailed, gbv1.ReasonNoAnswer, "the device sent no answer", now)
	default:
		setPhase(rq, gbv1.RecordingQueryFailed, gbv1.ReasonNoAnswer, err.Error(), now)
	}
	return nil
}

// fillAnswer writes the answer's items, coverage and counts into rq's status, and
// returns the items whose times could not be read.
func fillAnswer(rq *gbv1.RecordingQuery, ans *manscdp.RecordInfo, loc *time.Location) int {
	items, unreadable := answerItems(ans.Items, loc)
	s := &rq.Status
	s.SumNum = int32(min(ans.SumNum, 1<<30))
	s.Total = int32(len(items))
	s.Truncated = len(items) > gbv1.MaxRecordingItems
	s.Items = items[:min(len(items), gbv1.MaxRecordingItems)]
	cov := coverage(items, rq.Spec.TimeRange)
	s.CoverageSummary = coverageSummary(cov, rq.Spec.TimeRange)
	s.Coverage = cov[:min(len(cov), gbv1.MaxRecordingItems)]
	return unreadable
}

// answeredMessage is the Complete condition's message of a whole answer.
func answeredMessage(rq *gbv1.RecordingQuery, unreadable int) string {
	s := rq.Status
	msg := fmt.Sprintf("%d recordings, covering %s", s.Total, s.CoverageSummary)
	if s.Total == 0 {
		msg = "no recordings in the span"
	}
	if s.Truncated {
		msg += fmt.Sprintf("; the first %d listed", gbv1.MaxRecordingItems)
	}
	return msg + unreadableNote(unreadable)
}

func unreadableNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d items with unreadable times left out", n)
}

// setPhase sets rq's phase and its Complete condition; a finished phase gets its
// completion time.
func setPhase(rq *gbv1.RecordingQuery, phase gbv1.RecordingQueryPhase, reason, message string, now time.Time) {
	s := &rq.Status
	s.Phase = phase
	s.ObservedGeneration = rq.Generation
	status := metav1.ConditionFalse
	if phase == gbv1.RecordingQueryComplete {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{
		Type: gbv1.ConditionComplete, Status: status, Reason: reason,
		Message: devices.Clean(message, maxConditionMessage), ObservedGeneration: rq.Generation,
	})
	if finished(rq) && s.CompletionTime == nil {
		at := metav1.NewTime(now)
		s.CompletionTime = &at
	}
}

// finished: the query reached a phase it does not leave.
func finished(rq *gbv1.RecordingQuery) bool {
	switch rq.Status.Phase {
	case gbv1.RecordingQueryComplete, gbv1.RecordingQueryPartial, gbv1.RecordingQueryFailed:
		return true
	}
	return false
}

// completeReason is the reason of rq's Complete condition, "" without one.
func completeReason(rq *gbv1.RecordingQuery) string {
	if c := meta.FindStatusCondition(rq.Status.Conditions, gbv1.ConditionComplete); c != nil {
		return c.Reason
	}
	return ""
}
