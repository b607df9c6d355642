package sipd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func testCatalog(n int) []manscdp.CatalogItem {
	items := make([]manscdp.CatalogItem, n)
	for i := range items {
		items[i] = manscdp.CatalogItem{DeviceID: "3402000000131000000" + string(rune('0'+i)), Name: "通道" + string(rune('A'+i)), Status: "ON"}
	}
	return items
}

func TestQueries(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := devStore()
			s := sipdtest.StartT(t, sipd.Config{}, store)
			d := device(t, s, tr, devID, devPW)
			d.Info = manscdp.DeviceInfo{DeviceName: "门口", Manufacturer: "Hikvision", Model: "DS-2CD", Firmware: "V5.5", Channel: 1, Result: "OK"}
			d.Catalog = testCatalog(5)
			d.CatalogPartSize = 2
			ctx := testCtx(t)

			if _, err := s.QueryDeviceInfo(ctx, sipd.DeviceRef{ID: devID}); !errors.Is(err, sipd.ErrNotRegistered) {
				t.Fatalf("query of unregistered device: %v", err)
			}
			if res, err := d.Register(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("register: %v %v", res, err)
			}
			info, err := s.QueryDeviceInfo(ctx, sipd.DeviceRef{ID: devID})
			if err != nil {
				t.Fatal(err)
			}
			if info.DeviceName != "门口" || info.Manufacturer != "Hikvision" || info.Channel != 1 {
				t.Errorf("info %+v", info)
			}
			cat, err := s.QueryCatalog(ctx, sipd.DeviceRef{ID: devID})
			if err != nil {
				t.Fatal(err)
			}
			if cat.SumNum != 5 || len(cat.Items) != 5 || cat.Items[4].Name != "通道E" {
				t.Errorf("catalog %+v", cat)
			}

			d.SetCatalogParts(1)
			short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			cat, err = s.QueryCatalog(short, sipd.DeviceRef{ID: devID})
			if !errors.Is(err, sipd.ErrPartialCatalog) || cat == nil || len(cat.Items) != 2 || cat.SumNum != 5 {
				t.Fatalf("partial catalog: %+v %v", cat, err)
			}

			// Accepted and never answered: no catalog, not an empty one.
			d.SetCatalogParts(-1)
			silent, cancel := context.WithTimeout(ctx, 2*time.Second) // the 200 arrives well before, even on a loaded machine
			defer cancel()
			cat, err = s.QueryCatalog(silent, sipd.DeviceRef{ID: devID})
			if cat != nil || errors.Is(err, sipd.ErrPartialCatalog) || !errors.Is(err, sipd.ErrNoAnswer) {
				t.Fatalf("catalog never answered: %+v %v, want no catalog and ErrNoAnswer", cat, err)
			}
		})
	}
}
