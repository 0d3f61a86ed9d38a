package ostemplate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

// The generated requests are reviewed: testdata/plan.<service>.golden.json.
func TestPlanGolden(t *testing.T) {
	for _, svc := range []string{"es", "aoss"} {
		calls, err := Plan(logtype.Builtin(), Options{Service: svc, Replicas: 1, RetentionDays: 90})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.MarshalIndent(calls, "", "  ")
		path := filepath.Join("testdata", "plan."+svc+".golden.json")
		if golden.Updating() {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(path, append(got, '\n'), 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(got)) != strings.TrimSpace(string(want)) {
			t.Errorf("%s differs from the reviewed plan; run with -update and review the diff", path)
		}
	}
}

func client(t *testing.T, url string) *bulk.Client {
	c, err := bulk.New(bulk.Config{Endpoint: url, Auth: "none"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Applying twice succeeds and changes nothing the second time: the ISM
// policy is updated with its sequence number, write aliases exist once.
func TestApplyIsIdempotent(t *testing.T) {
	fake, srv := newFakeCluster(t)
	reg, err := logtype.Builtin().WithIndexSettings("auto", "")
	if err != nil {
		t.Fatal(err)
	}
	calls, err := Plan(reg, Options{RetentionDays: 30, BackendRoles: []string{"arn:aws:iam::123456789012:role/siem-IndexFunctionRole-1"}})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, srv.URL)
	for i := 0; i < 2; i++ {
		if err := Apply(context.Background(), c, calls); err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
	}
	if fake.aliases["log-aws-cloudtrail"] != "log-aws-cloudtrail-000001" || fake.policies[PolicyName] != 2 {
		t.Errorf("aliases %v, policy versions %v", fake.aliases, fake.policies)
	}
	if len(fake.roles) != 2 || len(fake.mappings) != 1 { // one role, applied twice
		t.Errorf("security: roles %v, mapped %v", fake.roles, fake.mappings)
	}
	if len(fake.templates) < len(indexBases(reg)) {
		t.Errorf("%d index templates for %d indices", len(fake.templates), len(indexBases(reg)))
	}
}

// Every document the golden samples produce fits the mappings: the fake
// cluster refuses what OpenSearch would (an ip that is no address, a date
// that does not parse, text in a number, an object against a value).
func TestGoldenDocumentsFitTheMappings(t *testing.T) {
	fake, srv := newFakeCluster(t)
	calls, err := Plan(logtype.Builtin(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, srv.URL)
	if err := Apply(context.Background(), c, calls); err != nil {
		t.Fatal(err)
	}
	docs, files, err := golden.BulkDocs("../logtypes/*/testdata/*.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Index(context.Background(), docs)
	if err != nil || res.Indexed != len(docs) {
		t.Fatalf("indexed %d of %d: %v", res.Indexed, len(docs), err)
	}
	for _, r := range fake.refused {
		t.Error(r)
	}
	t.Logf("%d documents from %d golden files checked against %d mapped fields", fake.docs, files, len(fake.mapped))
}

// The fake refuses what OpenSearch would: the checks above can fail.
func TestFakeClusterRefusesBadDocuments(t *testing.T) {
	fake, srv := newFakeCluster(t)
	calls, _ := Plan(logtype.Builtin(), Options{})
	c := client(t, srv.URL)
	if err := Apply(context.Background(), c, calls); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		`{"source": {"ip": "not-an-ip"}}`,
		`{"@timestamp": "yesterday"}`,
		`{"destination": {"port": "https"}}`,
		`{"source": {"geo": {"location": "51.5,-0.1"}}}`,
		`{"source": "10.0.0.1"}`,
		`{"event": {"duration": {"ms": 5}}}`,
	}
	var docs []bulk.Doc
	for i, b := range bad {
		docs = append(docs, bulk.Doc{Index: "log-test-2024-01", ID: string(rune('a' + i)), Source: json.RawMessage(b)})
	}
	if _, err := c.Index(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	if len(fake.refused) != len(bad) {
		t.Errorf("refused %d of %d: %v", len(fake.refused), len(bad), fake.refused)
	}
}

// stub answers 403 on the security API and 200 elsewhere.
type stub struct{ calls []string }

func (s *stub) Request(_ context.Context, method, path string, _ []byte) (int, []byte, error) {
	s.calls = append(s.calls, method+" "+path)
	if strings.HasPrefix(path, "/_plugins/_security/") {
		return 403, []byte(`{"error":"no permissions"}`), nil
	}
	if method == "HEAD" || method == "GET" {
		return 404, nil, nil
	}
	return 200, nil, nil
}

// Without the right to administer security the role mapping is skipped
// and everything after it still applies.
func TestSecurityRefusalIsNotFatal(t *testing.T) {
	calls, _ := Plan(logtype.Builtin(), Options{BackendRoles: []string{"arn:aws:iam::1:role/x"}})
	s := &stub{}
	if err := Apply(context.Background(), s, calls); err != nil {
		t.Fatal(err)
	}
	if last := s.calls[len(s.calls)-1]; last != "PUT "+SecurityMappingPath {
		t.Errorf("last call %s", last)
	}
}
