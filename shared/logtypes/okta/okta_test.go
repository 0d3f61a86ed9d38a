package okta_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/okta"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "okta") }
