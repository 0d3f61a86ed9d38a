package iocjob

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/ioc"
)

const feeds = "../ioc/testdata/"

// feedServer serves the test feeds the way the public sites do; fail
// makes a path answer 503.
func feedServer(t *testing.T, fail *atomic.Value) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(path, file string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if f, _ := fail.Load().(string); f == path {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			if strings.HasPrefix(path, "/api/") && r.Header.Get("X-OTX-API-KEY") != "k-123" {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			b, err := os.ReadFile(feeds + file)
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Last-Modified", "Mon, 04 Mar 2024 05:06:07 GMT")
			w.Write(b)
		})
	}
	serve("/exit-addresses", "tor_exit-addresses.txt")
	serve("/ipblocklist.json", "feodo_ipblocklist_own.json")
	serve("/api/v1/pulses/57204e9b3c4c3e015d93cb12", "otx_pulse.json")
	mux.HandleFunc("/api/v1/pulses/subscribed_pulse_ids", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-OTX-API-KEY") != "k-123" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"results": []string{"57204e9b3c4c3e015d93cb12"}, "next": nil})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPlanDownloadCreateDB(t *testing.T) {
	ctx := context.Background()
	var fail atomic.Value
	srv := feedServer(t, &fail)
	store := blobtest.NewMemory()
	stix, _ := os.ReadFile(feeds + "stix21_apt1.json")
	store.Put(ctx, "geo", "IOC/STIX2/apt1.json", stix)
	store.Put(ctx, "geo", "IOC/TXT/", nil) // a folder marker is no file
	store.Put(ctx, "geo", "IOC/TXT/soc/blocklist.txt", []byte("# ours\n8.8.4.4\nbad.example\n"))
	c := &Config{Store: store, Bucket: "geo", HTTP: srv.Client(), Tor: true, Feodo: true,
		OTXKey: func(context.Context) (string, error) { return "k-123", nil },
		TorURL: srv.URL + "/exit-addresses", FeodoURL: srv.URL + "/ipblocklist.json", OTXURL: srv.URL,
		Now: func() time.Time { return time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC) }}

	plan, err := c.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range plan.Sources {
		names = append(names, s.Source)
	}
	if strings.Join(names, ",") != "tor,feodo,otx,custom" || len(plan.Sources[2].IDs) != 1 {
		t.Fatalf("plan %+v", plan)
	}
	var results []json.RawMessage
	for _, s := range plan.Sources {
		d, err := c.Download(ctx, s)
		if err != nil {
			t.Fatalf("download %s: %v", s.Source, err)
		}
		b, _ := json.Marshal(d)
		results = append(results, b)
	}
	built, err := c.CreateDB(ctx, results)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"built-in": 1, "torproject.org": 44, "abuse.ch": 2, "AlienVault_OTX": 5, "custom": 7, "soc": 2}
	for k, v := range want {
		if built.Sources[k] != v {
			t.Errorf("sources %v, want %v", built.Sources, want)
			break
		}
	}
	rc, err := store.Get(ctx, "geo", ioc.DBKey)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ioc.Load(rc)
	if err != nil || db.Version != built.Version {
		t.Fatalf("stored database: %v %v", db, err)
	}
	if got := db.LookupIP(netip.MustParseAddr("45.61.136.200")); len(got) != 1 || got[0].Modified != "2024-03-04T05:06:07Z" {
		t.Errorf("Feodo with Last-Modified: %+v", got)
	}
	if got := db.LookupDomain("bad.example"); len(got) != 1 || got[0].Provider != "soc" || got[0].Name != "blocklist.txt" {
		t.Errorf("custom TXT provider from its folder: %+v", got)
	}

	// Next run: Tor is down. Its download fails (the state machine
	// catches it) and the database keeps the previous copy's addresses.
	fail.Store("/exit-addresses")
	if _, err := c.Download(ctx, Source{Source: SourceTor}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("failed download: %v", err)
	}
	again, err := c.CreateDB(ctx, []json.RawMessage{json.RawMessage(`{"source":"tor","error":{"Error":"States.TaskFailed"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Sources["torproject.org"] != 44 || len(again.Failed) != 1 || again.Version != built.Version {
		t.Errorf("after a failed download: %+v", again)
	}
}

func TestPlanNothingDue(t *testing.T) {
	c := &Config{Store: blobtest.NewMemory(), Bucket: "geo", OTXKey: func(context.Context) (string, error) { return "", nil }}
	plan, err := c.Plan(context.Background())
	if err != nil || len(plan.Sources) != 0 || plan.Skipped["otx"] != "no API key" {
		t.Errorf("plan %+v %v", plan, err)
	}
	b, _ := json.Marshal(plan)
	if !strings.Contains(string(b), `"sources":[]`) {
		t.Errorf("empty plan must keep an empty list for the Choice state: %s", b)
	}
}
