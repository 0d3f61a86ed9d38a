package nlb_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/nlb"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "nlb") }
