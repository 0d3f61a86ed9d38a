package inspector_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/inspector"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "inspector") }
