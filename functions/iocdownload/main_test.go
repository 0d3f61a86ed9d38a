package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/iocjob"
)

func TestHandlerWithEvent(t *testing.T) {
	feed, err := os.ReadFile("../../shared/ioc/testdata/tor_exit-addresses.txt")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(feed) }))
	defer srv.Close()
	var src iocjob.Source
	b, _ := os.ReadFile("../../events/iocdownload-tor.json")
	if err := json.Unmarshal(b, &src); err != nil {
		t.Fatal(err)
	}
	store := blobtest.NewMemory()
	out, err := handler(&iocjob.Config{Store: store, Bucket: "geo", HTTP: srv.Client(), Tor: true, TorURL: srv.URL})(context.Background(), src)
	if err != nil || out.Files != 1 || out.Bytes != len(feed) {
		t.Errorf("%+v %v", out, err)
	}
	if _, err := store.Head(context.Background(), "geo", "IOC/tmp/tor/exit-addresses"); err != nil {
		t.Errorf("feed not stored: %v", err)
	}
}
