package static_test

import (
	"strings"
	"testing"
)

// The backfill machine feeds the same ingest path: its substitutions name
// the ingest functions and state machine, its role may start and watch
// ingest executions (.sync:2 needs the events rule), its children are its
// own executions, and its List function may list the log bucket.
func TestTemplateBackfill(t *testing.T) {
	tpl := loadTemplate(t)
	sm := tpl.resource("BackfillStateMachine")
	if sm == nil {
		t.Fatal("no BackfillStateMachine")
	}
	subs := get(sm.Props, "DefinitionSubstitutions")
	for name, want := range map[string]string{
		"BackfillFunctionArn": "BackfillFunction.Arn", "LoadFunctionArn": "LoadFunction.Arn", "SplitFunctionArn": "SplitFunction.Arn",
		"IngestStateMachineArn": "IngestStateMachine", "BackfillMaxConcurrency": "BackfillMaxConcurrency",
	} {
		if _, target := reference(get(subs, name)); target != want {
			t.Errorf("DefinitionSubstitutions.%s -> %q, want %s", name, target, want)
		}
	}
	policies := nodeText(get(sm.Props, "Policies"))
	for _, want := range []string{"StepFunctionsExecutionPolicy", "IngestStateMachine.Name", "states:DescribeExecution", "StepFunctionsGetEventsForStepFunctionsExecutionRule", "BucketName: !Ref StagingBucket"} {
		if !strings.Contains(policies, want) {
			t.Errorf("BackfillStateMachine policies lack %s", want)
		}
	}
	if p := nodeText(tpl.resource("BackfillMapRunPolicy").Props); !strings.Contains(p, "BackfillStateMachineRole") || !strings.Contains(p, "!Ref BackfillStateMachine") {
		t.Errorf("BackfillMapRunPolicy does not let the machine run its own children:\n%s", p)
	}
	fn := nodeText(get(tpl.resource("BackfillFunction").Props, "Policies"))
	if !strings.Contains(fn, "S3ReadPolicy:\n    BucketName: !Ref LogBucket") || !strings.Contains(fn, "s3:ListBucket") {
		t.Errorf("BackfillFunction cannot list the log bucket and ExtraLogBuckets:\n%s", fn)
	}
}

// The exporter runs hourly, writes only its own prefix of the log bucket
// and reads the cluster (never writes it).
func TestTemplateIndexMetrics(t *testing.T) {
	tpl := loadTemplate(t)
	fn := tpl.resource("IndexMetricsFunction")
	if fn == nil {
		t.Fatal("no IndexMetricsFunction")
	}
	if s := path(fn.Props, "Events", "Hourly", "Properties", "ScheduleExpression"); s == nil || s.Value != "rate(1 hour)" {
		t.Error("IndexMetricsFunction is not scheduled rate(1 hour)")
	}
	pol := nodeText(get(fn.Props, "Policies"))
	if !strings.Contains(pol, "${LogBucket}/AWSLogs/${AWS::AccountId}/OpenSearch/metrics/*") || strings.Contains(pol, "es:ESHttpPost") || strings.Contains(pol, "es:ESHttpPut") {
		t.Errorf("IndexMetricsFunction policies:\n%s", pol)
	}
	if _, target := reference(path(fn.Props, "Environment", "Variables", "LOG_BUCKET")); target != "LogBucket" {
		t.Error("LOG_BUCKET is not the log bucket")
	}
}
