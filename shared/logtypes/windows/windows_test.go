package windows_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/windows"
)

func TestGolden(t *testing.T) {
	for prefix, name := range map[string]string{"windows-event_": "windows-event", "directory-service_": "directory-service", "fsx-win_": "fsx-win"} {
		def := logtype.Builtin().Get(name)
		if got := logtype.Builtin().Detect(def.SampleKey); got != def {
			t.Errorf("%s detected as %v", def.SampleKey, got)
		}
		golden.RunMatching(t, name, "testdata", prefix, func(string) string { return def.SampleKey })
	}
}

// FuzzWinEvtXML starts from small events (the sample file's are over
// 700 bytes each, which the fuzzer's minimizer, n² runs per new input,
// made it spend its time on): the XML shapes the decoder meets, with the
// fields it maps.
func FuzzWinEvtXML(f *testing.F) {
	for _, s := range []string{
		`<Event><System><EventID>4663</EventID><TimeCreated SystemTime='2024-03-04T05:08:00.0000000Z'/><EventRecordID>3001</EventRecordID><Computer>fsx.corp</Computer></System><EventData><Data Name='SubjectUserName'>carol</Data><Data Name='IpAddress'>10.0.5.20</Data></EventData></Event>`,
		`<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='P'/><EventID Qualifiers='0'>4660</EventID><Channel>Security</Channel></System><EventData><Data Name='AccessList'>%%4416
				%%4419</Data><Data>x</Data></EventData></Event>`,
		"<Event><System><EventID>1</EventID></System></Event>\n<Event><System><EventID>2</Event>",
		`<Event><![CDATA[x]]><System/><UserData><A>&amp;&#x41;</A></UserData></Event>`,
	} {
		f.Add([]byte(s))
	}
	golden.Fuzz(f, "fsx-win", "AWSLogs/1/FSx/aws-fsx-audit/x", "testdata/fsx-win_*")
}
