package sipd

import (
	"context"
	"errors"
	"fmt"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The Catalog: the channels of a device, in parts (message_answer.go) bounded by
// MaxCatalogItems, MaxCatalogParts and MaxCatalogBytes.

// QueryCatalog asks a registered device for its Catalog and joins the response parts by
// SN until SumNum items arrived. When ctx ends after some parts arrived it returns their
// items with ErrPartialCatalog; when it ends before any, it returns no catalog and the
// error (ErrNoAnswer when the device accepted the query): an empty catalog would read
// as a device without channels. It acts only through a binding dev.Owner holds.
func (s *Server) QueryCatalog(ctx context.Context, dev DeviceRef) (*manscdp.Catalog, error) {
	a := &catalogAnswer{parts[manscdp.CatalogItem]{limits: s.catalogLimits(), size: catalogItemBytes}}
	err := s.query(ctx, dev, exchange{
		cmd:    "Catalog",
		target: dev.ID,
		body:   func(sn int) ([]byte, error) { return manscdp.EncodeQuery("Catalog", sn, dev.ID), nil },
		answer: a,
	})
	c := &manscdp.Catalog{DeviceID: dev.ID, SumNum: a.sumNum, Items: a.items}
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, errIncomplete) && a.seen != nil:
		s.log.Info("catalog incomplete", "device", dev.ID, "received", len(c.Items), "sumNum", c.SumNum)
		return c, fmt.Errorf("%w: %d of %d items from %s", ErrPartialCatalog, len(c.Items), c.SumNum, dev.ID)
	}
	return nil, err
}

// catalogAnswer joins the parts of a Catalog.
type catalogAnswer struct {
	parts[manscdp.CatalogItem]
}

func (a *catalogAnswer) add(msg *manscdp.Message, partID uint64) bool {
	if msg.Catalog == nil {
		return false
	}
	return a.parts.add(partID, msg.Catalog.SumNum, msg.Catalog.Items)
}

func (s *Server) catalogLimits() partLimits {
	return partLimits{items: s.cfg.MaxCatalogItems, parts: s.cfg.MaxCatalogParts, bytes: s.cfg.MaxCatalogBytes}
}

// catalogItemBytes is the text an item holds.
func catalogItemBytes(it *manscdp.CatalogItem) int {
	return len(it.DeviceID) + len(it.Name) + len(it.Manufacturer) + len(it.Model) + len(it.Owner) +
		len(it.CivilCode) + len(it.Address) + len(it.ParentID) + len(it.Status)
}
