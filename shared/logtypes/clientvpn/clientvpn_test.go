package clientvpn_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/clientvpn"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "clientvpn") }

func TestTransformNotApplicable(t *testing.T) {
	d := map[string]any{
		"username": "NA", "common-name": "NA", "client-ip": "NA", "connection-end-time": "NA",
		"connection-start-time": "2024-01-02 03:04:05", "connection-duration-seconds": "NA",
		"egress-bytes": "x", "ingress-bytes": "-1",
		"user":    map[string]any{"id": "NA", "name": "NA"},
		"related": map[string]any{"user": []any{"NA"}},
	}
	if err := clientvpn.Transform(d, &logtype.Result{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"client-ip", "connection-end-time", "connection-duration-seconds", "network", "event"} {
		if _, ok := d[k]; ok {
			t.Errorf("%s kept: %v", k, d[k])
		}
	}
	if u := d["user"].(map[string]any); len(u) != 0 {
		t.Errorf("user %v", u)
	}
	if r := d["related"].(map[string]any)["user"].([]any); len(r) != 0 {
		t.Errorf("related.user %v", r)
	}
	if d["connection-start-time"] != "2024-01-02T03:04:05+00:00" {
		t.Errorf("start %v", d["connection-start-time"])
	}
}
