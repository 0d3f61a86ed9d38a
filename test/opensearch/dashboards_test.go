package opensearch

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/logtype"
)

// dashboardsClient is the docker-compose Dashboards (DASHBOARDS_URL, e.g.
// http://localhost:5601; user:password@ for basic auth).
func dashboardsClient(t *testing.T) *bulk.Client {
	t.Helper()
	raw := os.Getenv("DASHBOARDS_URL")
	if raw == "" {
		t.Skip("DASHBOARDS_URL is not set: no Dashboards to import into (docker compose up -d; DASHBOARDS_URL=http://localhost:5601 make test-opensearch)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bulk.Config{Endpoint: u.Scheme + "://" + u.Host + u.Path, Auth: "none"}
	if u.User != nil {
		cfg.Auth, cfg.Username = "basic", u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	c, err := bulk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The bundle imports with no error, twice (overwrite: the second import
// replaces, it does not duplicate), and every dashboard is then found by
// its id.
func TestDashboardsImport(t *testing.T) {
	c := dashboardsClient(t)
	ctx := context.Background()
	reg := logtype.Builtin()
	im := &dashboards.Importer{Sender: c}
	want := len(dashboards.Objects(reg))
	for i := range 2 {
		n, err := im.Deploy(ctx, reg)
		if err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
		if n != want {
			t.Errorf("import %d: %d objects imported, want %d", i+1, n, want)
		}
	}
	status, body, err := c.Send(ctx, "GET", "/api/saved_objects/_find?type=dashboard&per_page=1000&search_fields=title&search=SIEM*", nil, nil)
	if err != nil || status != 200 {
		t.Fatalf("find dashboards: %d %v %.300s", status, err, body)
	}
	var found struct {
		Total        int `json:"total"`
		SavedObjects []struct {
			ID string `json:"id"`
		} `json:"saved_objects"`
	}
	if err := json.Unmarshal(body, &found); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, o := range found.SavedObjects {
		if strings.HasPrefix(o.ID, "siem-dash-") {
			ids[o.ID]++
		}
	}
	for _, d := range dashboards.Dashboards {
		if ids["siem-dash-"+d.ID] != 1 {
			t.Errorf("dashboard siem-dash-%s found %d times", d.ID, ids["siem-dash-"+d.ID])
		}
	}
}
