package moto

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
)

// A log archive's S3 notification, delivered twice on its SQS queue (SQS
// is at-least-once) with an S3 test event, starts one ingest execution on
// moto, which loads the object from the archive bucket in a batch.
func TestNotificationsStartIngest(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	s.Reset()
	const archive = "aws-controltower-logs-111122223333-us-east-1"
	const key = "o-abc123def4/AWSLogs/o-abc123def4/222233334444/CloudTrail/us-east-1/2024/01/15/222233334444_CloudTrail_us-east-1_20240115T0005Z_AbCdEfGh.json.gz"
	body := gzipped(cloudTrailLog())
	s.CreateBucket(archive, stagingBucket)
	s.PutObject(archive, key, body)
	sm := s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())

	sink := bulktest.NewMemorySink()
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{
		Store:         blob.S3{Client: s.S3},
		StagingBucket: stagingBucket,
		Indexer:       sink,
		Now:           func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	serveSteps(s, steps)

	notification, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": archive}, "object": map[string]any{"key": key, "size": len(body), "sequencer": "0055AED6DCD90281E5"}},
	}}})
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "a", Body: string(notification), EventSource: "aws:sqs"},
		{MessageId: "b", Body: string(notification), EventSource: "aws:sqs"},
		{MessageId: "c", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"` + archive + `"}`, EventSource: "aws:sqs"},
	}}
	resp := notify.Dispatcher{Starter: notify.SFN{Client: s.SFN, StateMachineArn: sm.ARN}}.Handle(t.Context(), ev)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failed messages %+v", resp.BatchItemFailures)
	}
	list, err := s.SFN.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 {
		t.Fatalf("%d executions, want 1 for a notification delivered twice", len(list.Executions))
	}
	e := sm.Wait(aws.ToString(list.Executions[0].ExecutionArn))
	if !e.Succeeded() {
		t.Fatalf("execution %s: %s %s", e.Status, e.Error, truncate(e.Cause, 1000))
	}
	// A small object goes in a batch execution (of one here).
	if !strings.HasPrefix(e.Name, "batch-1-") {
		t.Errorf("execution name %s", e.Name)
	}
	docs := sink.Docs()
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	var src map[string]any
	json.Unmarshal(docs[0].Source, &src)
	if src["@log_s3bucket"] != archive || src["@log_s3key"] != key || src["@log_type"] != "cloudtrail" {
		t.Errorf("document names %v %v %v", src["@log_s3bucket"], src["@log_s3key"], src["@log_type"])
	}
}

// A Security Lake subscriber's EventBridge event (URL-encoded Hive key)
// starts an execution that loads the OCSF Parquet object into its
// category's index.
func TestSecurityLakeNotificationOnMoto(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	s.Reset()
	const lake = "aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234"
	const key = "ext/SSC/1.0/region=us-east-1/accountId=123456789012/eventDay=20221115/3ab4c5d6e7f8091a2b3c4d5e6f708192.gz.parquet"
	body, err := os.ReadFile("../../shared/logtypes/ocsf/testdata/securitylake/ocsfex_malware_infection_detected_sample.parquet")
	if err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(lake, stagingBucket)
	s.PutObject(lake, key, body)
	sm := s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())
	sink := bulktest.NewMemorySink()
	steps, err := pipeline.NewSteps(pipeline.StepsConfig{Store: blob.S3{Client: s.S3}, StagingBucket: stagingBucket, Indexer: sink})
	if err != nil {
		t.Fatal(err)
	}
	serveSteps(s, steps)
	event, _ := json.Marshal(map[string]any{
		"version": "0", "id": "c5f1a1b2-1111-2222-3333-444455556666", "detail-type": "Object Created", "source": "aws.s3",
		"account": "999988887777", "time": "2024-03-05T10:00:00Z", "region": "us-east-1", "resources": []string{"arn:aws:s3:::" + lake},
		"detail": map[string]any{"bucket": map[string]any{"name": lake}, "object": map[string]any{
			"key": strings.ReplaceAll(key, "=", "%3D"), "size": len(body), "sequencer": "00617F08299329D189"}},
	})
	resp := notify.Dispatcher{Starter: notify.SFN{Client: s.SFN, StateMachineArn: sm.ARN}}.Handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "sl-1", Body: string(event)}}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failed messages %+v", resp.BatchItemFailures)
	}
	list, err := s.SFN.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm.ARN)})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("executions: %v %v", list, err)
	}
	e := sm.Wait(aws.ToString(list.Executions[0].ExecutionArn))
	if !e.Succeeded() {
		t.Fatalf("execution %s: %s %s", e.Status, e.Error, truncate(e.Cause, 1000))
	}
	docs := sink.Docs()
	if len(docs) != 4 {
		t.Fatalf("%d documents, want the file's 4 rows", len(docs))
	}
	for _, d := range docs {
		var src map[string]any
		json.Unmarshal(d.Source, &src)
		if d.Index != "log-ocsf-findings-2022-11" || src["@log_s3key"] != key || src["@log_type"] != "ocsf-findings" {
			t.Errorf("document %s in %s: key %v, type %v", d.ID, d.Index, src["@log_s3key"], src["@log_type"])
		}
	}
}
