package download

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
)

func tarGz(t *testing.T, name string, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "GeoLite2_20240305/COPYRIGHT.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("c\n"))
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write(body)
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// MaxMind's test databases served as MaxMind serves the real ones; the
// ASN edition comes back corrupt, so its last good copy must stay.
func TestRunKeepsLastGoodCopy(t *testing.T) {
	city, err := os.ReadFile("../testdata/GeoLite2-City-Test.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	archives := map[string][]byte{
		"/GeoLite2-City": tarGz(t, "GeoLite2-City_20240305/GeoLite2-City.mmdb", city),
		"/GeoLite2-ASN":  tarGz(t, "GeoLite2-ASN_20240305/GeoLite2-ASN.mmdb", []byte("not a database")),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "123456" || p != "key-abc" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Write(archives[r.URL.Path])
	}))
	defer srv.Close()
	ctx := context.Background()
	store := blobtest.NewMemory()
	store.Put(ctx, "geo", "GeoLite2/GeoLite2-ASN.mmdb", []byte("last good copy"))
	creds, err := ParseCredentials(`{"account_id": "123456", "license_key": "key-abc"}`)
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Store: store, Bucket: "geo", HTTP: srv.Client(), URL: srv.URL + "/{edition}",
		Creds: func(context.Context) (Credentials, error) { return creds, nil }}
	res, err := c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated["GeoLite2-City"] != len(city) || !strings.Contains(res.Failed["GeoLite2-ASN"], "ASN database") {
		t.Errorf("result %+v", res)
	}
	rc, _ := store.Get(ctx, "geo", "GeoLite2/GeoLite2-ASN.mmdb")
	b := new(bytes.Buffer)
	b.ReadFrom(rc)
	if b.String() != "last good copy" {
		t.Errorf("corrupt download replaced the last good copy")
	}
	// Wrong key: nothing refreshed, an error for the schedule to show.
	c.Creds = func(context.Context) (Credentials, error) { return Credentials{"123456", "wrong"}, nil }
	if _, err := c.Run(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := ParseCredentials("just-a-key"); err == nil {
		t.Error("a key without an account id accepted")
	}
	if c, err := ParseCredentials("123456:key-abc"); err != nil || c.LicenseKey != "key-abc" {
		t.Errorf("id:key form: %+v %v", c, err)
	}
}
