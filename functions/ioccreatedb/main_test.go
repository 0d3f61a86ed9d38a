package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/iocjob"
)

// events/ioccreatedb-downloads.json: Tor downloaded, Feodo caught after a
// 503; the database is built from what the bucket holds.
func TestHandlerWithEvent(t *testing.T) {
	ctx := context.Background()
	var downloads []json.RawMessage
	b, _ := os.ReadFile("../../events/ioccreatedb-downloads.json")
	if err := json.Unmarshal(b, &downloads); err != nil {
		t.Fatal(err)
	}
	store := blobtest.NewMemory()
	tor, _ := os.ReadFile("../../shared/ioc/testdata/tor_exit-addresses.txt")
	store.Put(ctx, "geo", "IOC/tmp/tor/exit-addresses", tor)
	built, err := handler(&iocjob.Config{Store: store, Bucket: "geo", Tor: true, Feodo: true})(ctx, downloads)
	if err != nil || built.Sources["torproject.org"] != 44 || len(built.Failed) != 1 || built.Failed[0] != "feodo" {
		t.Fatalf("%+v %v", built, err)
	}
	if _, err := store.Head(ctx, "geo", ioc.VersionKey); err != nil {
		t.Errorf("no version marker: %v", err)
	}
}
