package indexmetrics_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/indexmetrics"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "index-metrics") }
