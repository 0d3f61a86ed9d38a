package networkfirewall_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/networkfirewall"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "networkfirewall") }
