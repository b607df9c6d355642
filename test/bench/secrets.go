package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The size of the cluster's unrelated Secrets: Helm keeps a release's manifests in
// Secrets of about this size, and a real cluster holds hundreds.
const (
	unrelatedSecrets     = 100
	unrelatedSecretBytes = 900_000
	unrelatedNamespace   = "bench-unrelated"
)

// unrelatedSecrets adds Secrets no Camera names to the cluster of the empty operator and
// returns its memory after them: the operator caches Secret metadata only, so their
// data must not reach its memory.
func (b *bench) unrelatedSecrets(ctx context.Context) (*memory, error) {
	slog.Info("unrelated Secrets", "count", unrelatedSecrets, "bytes", unrelatedSecretBytes)
	if err := b.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: unrelatedNamespace}}); err != nil {
		return nil, err
	}
	blob := bytes.Repeat([]byte("h"), unrelatedSecretBytes)
	for i := range unrelatedSecrets {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: unrelatedNamespace, Name: fmt.Sprintf("sh.helm.release.v1.unrelated.v%d", i+1)},
			Data:       map[string][]byte{"release": blob},
		}
		if err := b.kube.Create(ctx, s); err != nil {
			return nil, err
		}
	}
	sleepCtx(ctx, 5*time.Second) // the watch delivers them; a cache of data would grow now
	mem, err := b.op.memory(ctx)
	if err != nil {
		return nil, err
	}
	return &mem, nil
}
