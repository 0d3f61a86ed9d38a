package s3accesslog_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/s3accesslog"
)

func TestGolden(t *testing.T) {
	key := logtype.Builtin().Get("s3accesslog").SampleKey
	golden.Run(t, "s3accesslog", "testdata", func(string) string { return key })
}

func TestDetectedFromItsKey(t *testing.T) {
	d := logtype.Builtin().Get("s3accesslog")
	if got := logtype.Builtin().Detect(d.SampleKey); got != d {
		t.Errorf("%s detected as %v", d.SampleKey, got)
	}
}

func FuzzS3AccessLog(f *testing.F) {
	golden.Fuzz(f, "s3accesslog", "logs/2024-03-12-09-20-00-0A1B2C3D4E5F6A7B", "testdata/*.log")
}
