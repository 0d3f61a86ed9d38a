package msk_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/msk"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "msk") }
