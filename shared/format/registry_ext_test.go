package format_test

import (
	"testing"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
)

// Every built-in log type's format resolves: logtype's Validate and this
// registry agree on the names.
func TestBuiltinFormatsResolve(t *testing.T) {
	for _, def := range logtype.Builtin().All() {
		f, err := format.Resolve(def)
		if err != nil {
			t.Errorf("%s: %v", def.Name, err)
			continue
		}
		want := def.Format
		switch {
		case def.ViaCWL:
			want = "cwl(" + want + ")"
		case def.ViaFireLens:
			want = "firelens(" + want + ")"
		}
		if f.Name != want {
			t.Errorf("%s: resolved %s, want %s", def.Name, f.Name, want)
		}
	}
}
