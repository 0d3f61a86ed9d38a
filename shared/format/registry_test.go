package format

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
)

func TestRegistryLookup(t *testing.T) {
	want := []string{"cef", "csv", "fields", "json", "multiline", "parquet", "text"}
	if got := strings.Join(Names(), ","); got != strings.Join(want, ",") {
		t.Errorf("registered %s, want %s", got, strings.Join(want, ","))
	}
	for _, n := range want {
		if f := Lookup(n); f == nil || f.Name != n {
			t.Errorf("Lookup(%q) = %v", n, f)
		}
	}
	if Lookup("xml") != nil {
		t.Error("Lookup of an unregistered name")
	}
	if !Parquet.WholeObject() || JSON.WholeObject() || CWL(Parquet).WholeObject() {
		t.Error("only Parquet itself is read whole")
	}
	if Sniff([]byte("PAR1")) != Parquet || Sniff([]byte(`{"a"`)) != nil {
		t.Error("Sniff")
	}
}

func TestUnknownFormat(t *testing.T) {
	def := &logtype.Definition{Name: "odd", Format: "xml"}
	_, err := Resolve(def)
	if err == nil || !strings.Contains(err.Error(), `log type "odd": format "xml" is not registered`) || !strings.Contains(err.Error(), "json") {
		t.Fatalf("Resolve: %v", err)
	}
	if _, err := Decode(def, Record{Num: 1, Raw: []byte("<a/>")}); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("Decode: %v", err)
	}
	_, err = NewFramer(def, strings.NewReader("<a/>\n")).Next()
	if fe, ok := err.(*FrameError); !ok || !strings.Contains(fe.Error(), `"xml"`) {
		t.Errorf("NewFramer: %v", err)
	}
	fr, err := OpenObject(def, strings.NewReader("<a/>\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Next(); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("OpenObject: %v", err)
	}
	// The definition fixed in place is resolved again.
	def.Format = "json"
	if f, err := Resolve(def); err != nil || f != JSON {
		t.Errorf("after the fix: %v %v", f, err)
	}
}

func validDef(t *testing.T, d *logtype.Definition) *logtype.Definition {
	t.Helper()
	d.KeyPattern, d.Index = "x/", logtype.IndexSpec{Name: "log-x"}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func frameDecode(t *testing.T, f *Format, def *logtype.Definition, in string) []Decoded {
	t.Helper()
	fr := f.Frame(def, strings.NewReader(in))
	var out []Decoded
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		fields, _, err := f.DecodeRouted(def, rec, nil)
		if err != nil {
			t.Fatalf("record %d: %v", rec.Num, err)
		}
		out = append(out, fields)
	}
}

// A wrapper takes any format: CloudWatch Logs over JSON, FireLens over
// text, each through Register's prebuilt wrapper and built by hand.
func TestWrappersCompose(t *testing.T) {
	cwlDef := validDef(t, &logtype.Definition{Name: "cj", Format: "json", ViaCWL: true})
	env := `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","logEvents":[{"id":"e1","timestamp":1,"message":"{\"a\":1}"},{"id":"e2","timestamp":2,"message":"{\"a\":2}"}]}`
	resolved, err := Resolve(cwlDef)
	if err != nil || resolved.Name != "cwl(json)" {
		t.Fatalf("%v %v", resolved, err)
	}
	for _, f := range []*Format{resolved, CWL(JSON)} {
		got := frameDecode(t, f, cwlDef, env)
		if len(got) != 2 || got[1].Fields["a"] == nil || got[1].CWL.ID != "e2" {
			t.Errorf("%s: %v", f.Name, got)
		}
	}

	flDef := validDef(t, &logtype.Definition{Name: "ft", Format: "text", Pattern: `(?P<verb>\w+) (?P<path>\S+)`, ViaFireLens: true})
	line := `{"log":"GET /x","source":"stdout","container_name":"web"}` + "\n"
	resolved, err = Resolve(flDef)
	if err != nil || resolved.Name != "firelens(text)" {
		t.Fatalf("%v %v", resolved, err)
	}
	for _, f := range []*Format{resolved, FireLens(Text)} {
		got := frameDecode(t, f, flDef, line)
		if len(got) != 1 || got[0].Fields["path"] != "/x" || got[0].Fields["container_name"] != "web" || got[0].Message == nil || *got[0].Message != "GET /x" {
			t.Errorf("%s: %v", f.Name, got)
		}
	}

	// Wrappers nest: FireLens lines carrying CloudWatch Logs events is
	// not a delivery AWS makes, but the values compose.
	if f := FireLens(CWL(JSON)); f.Name != "firelens(cwl(json))" {
		t.Errorf("nested name %s", f.Name)
	}
}

// A registered format is found by name; registering again replaces it.
func TestRegisterCustom(t *testing.T) {
	upper := &Format{
		Name:  "test-upper",
		Frame: newLineFramer,
		Decode: func(_ *logtype.Definition, rec Record) (Decoded, error) {
			return Decoded{Fields: map[string]any{"up": string(bytes.ToUpper(rec.Raw))}}, nil
		},
	}
	Register(upper)
	defer func() {
		registerMu.Lock()
		next := map[string]*registered{}
		for k, v := range *registry.Load() {
			if k != upper.Name {
				next[k] = v
			}
		}
		registry.Store(&next)
		registerMu.Unlock()
	}()
	def := &logtype.Definition{Name: "u", Format: "test-upper"}
	fields, err := decodeMap(def, Record{Num: 1, Raw: []byte("abc")})
	if err != nil || fields["up"] != "ABC" {
		t.Fatalf("%v %v", fields, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Register without Decode did not panic")
		}
	}()
	Register(&Format{Name: "broken", Frame: newLineFramer})
}

// Resolving the format of the record before costs no allocation.
func TestResolveNoAlloc(t *testing.T) {
	a := validDef(t, &logtype.Definition{Name: "a", Format: "json"})
	b := validDef(t, &logtype.Definition{Name: "b", Format: "csv", ViaCWL: true})
	_, _ = Resolve(a)
	_, _ = Resolve(b)
	if n := testing.AllocsPerRun(100, func() { _, _ = Resolve(a); _, _ = Resolve(a) }); n != 0 {
		t.Errorf("same definition: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Resolve(a); _, _ = Resolve(b) }); n != 0 {
		t.Errorf("definitions by turns: %v allocs", n)
	}
}
