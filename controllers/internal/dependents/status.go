package dependents

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WriteStatus writes obj's status with write when it differs from orig's; status gives
// the status field of an object of the kind. The status may hold what only this
// reconcile knows (what a device just answered, a dialog just made), which no later
// reconcile could learn again: a conflict (a label or the spec changed meanwhile) must
// not lose it. On a conflict WriteStatus reads the newest copy of obj from latest, puts
// the status onto it, makes obj that copy and writes again, as often as
// retry.DefaultRetry allows. Any other error of write, or of the read, is returned as
// it is.
func WriteStatus[T any, S any, P interface {
	*T
	client.Object
}](ctx context.Context, latest client.Reader, orig, obj P, status func(P) *S, write func() error) error {
	if equality.Semantic.DeepEqual(*status(orig), *status(obj)) {
		return nil
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		err := write()
		if !kerrors.IsConflict(err) {
			return err
		}
		newest := P(new(T))
		if gerr := latest.Get(ctx, client.ObjectKeyFromObject(obj), newest); gerr != nil {
			return gerr
		}
		*status(newest) = *status(obj)
		*obj = *newest
		return err
	})
}
