package dependents

import (
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// RequestLogger is a controller's log constructor (builder.WithLogConstructor): the
// logger of a reconcile names the dependent it reconciles, as key=namespace/name;
// outside a reconcile (req nil) it is logger itself.
func RequestLogger(logger logr.Logger, key string) func(req *reconcile.Request) logr.Logger {
	return func(req *reconcile.Request) logr.Logger {
		if req == nil {
			return logger
		}
		return logger.WithValues(key, req.NamespacedName.String())
	}
}
