package moto

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/ioc"
	"github.com/siemloader/siem/shared/iocjob"
)

// The project's IoC state machine on moto: plan -> Map of downloads (the
// feeds served by an in-process server) -> createdb.

const (
	iocASL    = "../../statemachines/ioc.asl.json"
	geoBucket = "siem-geo-123456789012"
	iocFeeds  = "../../shared/ioc/testdata/"
)

// feedSite serves the Tor and Feodo test feeds; down lists paths that
// answer 503.
func feedSite(t *testing.T, down map[string]bool) *httptest.Server {
	t.Helper()
	files := map[string]string{"/exit-addresses": "tor_exit-addresses.txt", "/ipblocklist.json": "feodo_ipblocklist_own.json"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok || down[r.URL.Path] {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		b, err := os.ReadFile(iocFeeds + f)
		if err != nil {
			t.Error(err)
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIoCStateMachine(t *testing.T) {
	srv := Start(t, nil)
	stix, err := os.ReadFile(iocFeeds + "stix21_apt1.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		tor, feodo  bool
		down        map[string]bool
		custom      bool
		previous    bool // an earlier run's Feodo copy is in IOC/tmp/
		states      []string
		sources     map[string]int // nil: no database built
		failed      []string
		invocations map[string]int
	}{
		{
			name: "AllFeeds", tor: true, feodo: true, custom: true,
			states:      []string{"Plan", "AnyDue", "Download", "DownloadSource", "DownloadSource", "DownloadSource", "CreateDB"},
			sources:     map[string]int{"built-in": 1, "torproject.org": 44, "abuse.ch": 2, "custom": 7},
			invocations: map[string]int{"iocplan": 1, "iocdownload": 3, "ioccreatedb": 1},
		},
		{
			// Feodo Tracker is down: its download fails, the Map's Catch
			// keeps the run going and the database keeps the previous copy.
			name: "FeedDownKeepsPreviousCopy", tor: true, feodo: true, previous: true,
			down:        map[string]bool{"/ipblocklist.json": true},
			states:      []string{"Plan", "AnyDue", "Download", "DownloadSource", "DownloadSource", "KeepPreviousCopy", "CreateDB"},
			sources:     map[string]int{"built-in": 1, "torproject.org": 44, "abuse.ch": 2},
			failed:      []string{"feodo"},
			invocations: map[string]int{"iocplan": 1, "iocdownload": 2, "ioccreatedb": 1},
		},
		{
			name:        "NothingDue",
			states:      []string{"Plan", "AnyDue", "NothingDue"},
			invocations: map[string]int{"iocplan": 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := srv.For(t)
			s.Reset()
			s.CreateBucket(geoBucket)
			ctx := context.Background()
			if tc.custom {
				s.PutObject(geoBucket, "IOC/STIX2/apt1.json", stix)
			}
			if tc.previous {
				b, _ := os.ReadFile(iocFeeds + "feodo_ipblocklist_own.json")
				s.PutObject(geoBucket, "IOC/tmp/feodo/ipblocklist.json", b)
			}
			site := feedSite(t, tc.down)
			job := &iocjob.Config{Store: blob.S3{Client: s.S3}, Bucket: geoBucket, HTTP: site.Client(), Tor: tc.tor, Feodo: tc.feodo,
				TorURL: site.URL + "/exit-addresses", FeodoURL: site.URL + "/ipblocklist.json",
				Now: func() time.Time { return time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC) }}
			s.Handle("iocplan", func(ctx context.Context, _ []byte) ([]byte, error) {
				p, err := job.Plan(ctx)
				if err != nil {
					return nil, err
				}
				return json.Marshal(p)
			})
			s.Handle("iocdownload", func(ctx context.Context, payload []byte) ([]byte, error) {
				var src iocjob.Source
				if err := json.Unmarshal(payload, &src); err != nil {
					return nil, err
				}
				d, err := job.Download(ctx, src)
				if err != nil {
					return nil, err
				}
				return json.Marshal(d)
			})
			s.Handle("ioccreatedb", func(ctx context.Context, payload []byte) ([]byte, error) {
				var downloads []json.RawMessage
				if err := json.Unmarshal(payload, &downloads); err != nil {
					return nil, err
				}
				b, err := job.CreateDB(ctx, downloads)
				if err != nil {
					return nil, err
				}
				return json.Marshal(b)
			})
			sm := s.CreateStateMachineFile("ioc", iocASL, map[string]string{
				"IocPlanFunctionArn": LambdaARN("iocplan"), "IocDownloadFunctionArn": LambdaARN("iocdownload"), "IocCreateDBFunctionArn": LambdaARN("ioccreatedb"),
			})
			e := sm.Run("ioc-"+strings.ToLower(tc.name), map[string]any{})
			if !e.Succeeded() {
				t.Fatalf("execution %s: %s %s", e.Status, e.Error, truncate(e.Cause, 1000))
			}
			// Map items may run in any order: compare the states as sets.
			sorted := func(l []string) []string { l = append([]string(nil), l...); sort.Strings(l); return l }
			if got := e.States(); !reflect.DeepEqual(sorted(got), sorted(tc.states)) {
				t.Errorf("states %v, want %v", got, tc.states)
			}
			if got := s.InvocationCounts(); !reflect.DeepEqual(got, tc.invocations) {
				t.Errorf("invocations %v, want %v", got, tc.invocations)
			}
			if tc.sources == nil {
				if _, ok := s.GetObject(geoBucket, ioc.DBKey); ok {
					t.Error("a database was built with nothing due")
				}
				return
			}
			var built iocjob.Built
			if err := json.Unmarshal(e.Output, &built); err != nil {
				t.Fatalf("output %s: %v", e.Output, err)
			}
			if !reflect.DeepEqual(built.Sources, tc.sources) || !reflect.DeepEqual(built.Failed, tc.failed) {
				t.Errorf("built %+v, want sources %v, failed %v", built, tc.sources, tc.failed)
			}
			body, ok := s.GetObject(geoBucket, ioc.DBKey)
			version, ok2 := s.GetObject(geoBucket, ioc.VersionKey)
			if !ok || !ok2 {
				t.Fatal("database or version marker not stored")
			}
			db, err := ioc.Load(strings.NewReader(string(body)))
			if err != nil || db.Version != built.Version || strings.TrimSpace(string(version)) != built.Version {
				t.Errorf("stored database %v (%v), marker %q, output version %s", db, err, version, built.Version)
			}
			// The enrich step's loader picks it up.
			src := &ioc.Source{Store: blob.S3{Client: s.S3}, Bucket: geoBucket}
			if got := src.DB(ctx); got == nil || got.Version != built.Version {
				t.Errorf("enrich-side loader: %v", got)
			}
		})
	}
}
