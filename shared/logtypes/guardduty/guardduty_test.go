package guardduty_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/guardduty"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "guardduty") }
