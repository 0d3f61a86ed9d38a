package s3accesslog_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/s3accesslog"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "s3accesslog") }

func FuzzS3AccessLog(f *testing.F) {
	golden.Fuzz(f, "s3accesslog", "logs/2024-03-12-09-20-00-0A1B2C3D4E5F6A7B", "testdata/*.log")
}
