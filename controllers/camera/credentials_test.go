package camera

import (
	"errors"
	"testing"

	"github.com/gb28181/camera-operator/sipd"
)

func TestStoreNotReadyBeforeSeeding(t *testing.T) {
	store := newCredentialStore(nil, nil)
	if _, err := store.LookupCredentials("34020000001320000001"); !errors.Is(err, sipd.ErrStoreNotReady) {
		t.Fatalf("lookup before seeding: %v, want ErrStoreNotReady", err)
	}
	if store.isReady() {
		t.Fatal("the store serves before seeding")
	}
	store.markReady()
	if !store.isReady() {
		t.Fatal("the store does not serve after seeding")
	}
}
