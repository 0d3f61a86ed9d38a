package indexmetrics_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/indexmetrics"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "index-metrics") }
