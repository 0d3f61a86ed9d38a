package bulk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Send passes the caller's headers and query through, puts the endpoint's
// path in front of the request's (a Dashboards base such as /_dashboards),
// and signs the exact body with SigV4.
func TestSendHeadersPathAndSignature(t *testing.T) {
	type got struct {
		method, path, query string
		header              http.Header
		body                []byte
	}
	var reqs []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs = append(reqs, got{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		w.WriteHeader(207)
		io.WriteString(w, `{"ok":1}`)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL + "/base/", Auth: "sigv4", AWSConfig: staticAWS("eu-west-1")})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("--b\r\nmultipart\r\n--b--\r\n")
	status, resp, err := c.Send(context.Background(), "POST", "/api/x/_import?overwrite=true",
		http.Header{"Content-Type": {"multipart/form-data; boundary=b"}, "osd-xsrf": {"true"}}, body)
	if err != nil || status != 207 || string(resp) != `{"ok":1}` {
		t.Fatalf("Send = %d %q %v", status, resp, err)
	}
	r := reqs[0]
	if r.method != "POST" || r.path != "/base/api/x/_import" || r.query != "overwrite=true" {
		t.Errorf("request %s %s?%s", r.method, r.path, r.query)
	}
	if r.header.Get("Content-Type") != "multipart/form-data; boundary=b" || r.header.Get("Osd-Xsrf") != "true" {
		t.Errorf("headers %v", r.header)
	}
	sum := sha256.Sum256(body)
	if string(r.body) != string(body) || r.header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) {
		t.Errorf("body %q signed as %s", r.body, r.header.Get("X-Amz-Content-Sha256"))
	}
	if !strings.Contains(r.header.Get("Authorization"), "/eu-west-1/es/aws4_request") {
		t.Errorf("Authorization %q", r.header.Get("Authorization"))
	}
	// Request keeps its JSON content type.
	if _, _, err := c.Request(context.Background(), "PUT", "/t", []byte(`{}`)); err != nil || reqs[1].header.Get("Content-Type") != "application/json" {
		t.Errorf("Request: %v %v", err, reqs[1].header)
	}
}
