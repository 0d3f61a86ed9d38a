package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/geoip/download"
)

// MaxMind unreachable: the scheduled run fails visibly, nothing is lost.
func TestHandlerReportsFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) }))
	defer srv.Close()
	cfg := &download.Config{Store: blobtest.NewMemory(), Bucket: "geo", HTTP: srv.Client(), URL: srv.URL + "/{edition}",
		Creds: func(context.Context) (download.Credentials, error) {
			return download.Credentials{AccountID: "1", LicenseKey: "k"}, nil
		}}
	res, err := handler(cfg)(context.Background())
	if err == nil || len(res.Failed) != 2 {
		t.Errorf("%+v %v", res, err)
	}
}
