package manscdp

import (
	"fmt"
	"strings"
)

// A catalog subscription (GB/T 28181-2016 §9.11.1): the platform SUBSCRIBEs with
// Event: Catalog and a Catalog query body (EncodeCatalogQuery); the device then NOTIFYs
// changes in that dialog with the catalog's shape, each item carrying an <Event>:
//
//	<Notify><CmdType>Catalog</CmdType><SN/><DeviceID/><SumNum>1</SumNum>
//	<DeviceList Num="1"><Item><DeviceID/>…<Event>OFF</Event></Item></DeviceList></Notify>
//
// Decode reads it into Message.Catalog, with each item's Event.

// EncodeCatalogQuery writes a platform's Catalog query, also the body of a catalog
// SUBSCRIBE.
func EncodeCatalogQuery(sn int, deviceID string) []byte {
	return EncodeQuery("Catalog", sn, deviceID)
}

// EncodeCatalogNotify writes one part of a device's catalog Notify: sumNum is the size
// of the whole change, items this part's share, each with its Event.
func EncodeCatalogNotify(sn int, deviceID string, sumNum int, items []CatalogItem, charset string) ([]byte, error) {
	if err := needID("catalog Notify", deviceID); err != nil {
		return nil, err
	}
	if sumNum < len(items) {
		return nil, fmt.Errorf("%w: SumNum %d below the %d items of one part", ErrInvalid, sumNum, len(items))
	}
	for _, it := range items {
		if !validEvent(it.Event) {
			return nil, fmt.Errorf("%w: catalog Event %q", ErrInvalid, truncate(it.Event))
		}
	}
	var b strings.Builder
	header(&b, "Notify", "Catalog", sn, deviceID)
	elemInt(&b, "SumNum", sumNum)
	listOpen(&b, "DeviceList", len(items))
	for _, it := range items {
		writeCatalogItem(&b, &it, true)
	}
	b.WriteString("</DeviceList>\r\n")
	closeTag(&b, "Notify")
	return finish(&b, charset)
}
