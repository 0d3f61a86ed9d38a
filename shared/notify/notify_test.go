package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/notify"
	"github.com/siemloader/siem/shared/pipeline"
)

// An S3 event notification as a log archive bucket sends it to SQS (shape
// from the S3 user guide, "Event message structure"); the key is
// URL-encoded.
const s3Notification = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-15T00:05:00.000Z","eventName":"ObjectCreated:Put",
"userIdentity":{"principalId":"AWS:AROAEXAMPLE:regionalDeliverySession"},"requestParameters":{"sourceIPAddress":"10.0.0.1"},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810","x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"siem","bucket":{"name":"aws-controltower-logs-111122223333-us-east-1","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::aws-controltower-logs-111122223333-us-east-1"},
"object":{"key":"o-abc123def4/AWSLogs/o-abc123def4/222233334444/CloudTrail/us-east-1/2024/01/15/222233334444_CloudTrail_us-east-1_20240115T0005Z_AbCd.json.gz","size":1305,"eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"0055AED6DCD90281E5"}}},
{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"gone","sequencer":"01"}}}]}`

// A Security Lake subscriber's queue delivers EventBridge Object Created
// events.
const securityLakeEvent = `{"version":"0","id":"c5f1a1b2-1111-2222-3333-444455556666","detail-type":"Object Created","source":"aws.s3","account":"999988887777","time":"2024-03-05T10:00:00Z","region":"us-east-1",
"resources":["arn:aws:s3:::aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234"],
"detail":{"version":"0","bucket":{"name":"aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234"},"object":{"key":"aws/CLOUD_TRAIL_MGMT/2.0/region%3Dus-east-1/accountId%3D123456789012/eventDay%3D20240305/3ab4c5d6e7f8091a2b3c4d5e6f708192.gz.parquet","size":48213,"etag":"b1946ac92492d2347c6235b4d2611184","sequencer":"00617F08299329D189"},"request-id":"N4N7GDK58NMKJ12R","requester":"securitylake.amazonaws.com","reason":"PutObject"}}`

func TestParse(t *testing.T) {
	snsWrapped, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:111122223333:logs", "Message": s3Notification})
	size := int64(1305)
	ct := notify.Object{Bucket: "aws-controltower-logs-111122223333-us-east-1", Key: "o-abc123def4/AWSLogs/o-abc123def4/222233334444/CloudTrail/us-east-1/2024/01/15/222233334444_CloudTrail_us-east-1_20240115T0005Z_AbCd.json.gz", Size: &size, Version: "0055AED6DCD90281E5"}
	slSize := int64(48213)
	sl := notify.Object{Bucket: "aws-security-data-lake-us-east-1-abcdefghijklmnopqrstuvwxyz1234", Key: "aws/CLOUD_TRAIL_MGMT/2.0/region%3Dus-east-1/accountId%3D123456789012/eventDay%3D20240305/3ab4c5d6e7f8091a2b3c4d5e6f708192.gz.parquet", Size: &slSize, Version: "00617F08299329D189"}
	for name, tc := range map[string]struct {
		body string
		want []notify.Object
		err  bool
	}{
		"S3 notification (deletions ignored)": {body: s3Notification, want: []notify.Object{ct}},
		"SNS-wrapped S3 notification":         {body: string(snsWrapped), want: []notify.Object{ct}},
		"Security Lake EventBridge event":     {body: securityLakeEvent, want: []notify.Object{sl}},
		"S3 test event":                       {body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-15T00:00:00.000Z","Bucket":"b","RequestId":"r","HostId":"h"}`},
		"not JSON":                            {body: `hello`, err: true},
		"unknown JSON":                        {body: `{"detail-type":"Scheduled Event"}`, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := notify.Parse(tc.body)
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error: %v", err, tc.err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("objects %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The execution input is what split reads, and the key is decoded once.
func TestInputIsWhatSplitReads(t *testing.T) {
	objs, err := notify.Parse(securityLakeEvent)
	if err != nil {
		t.Fatal(err)
	}
	var in pipeline.SplitInput
	if err := json.Unmarshal([]byte(notify.Input(objs[0])), &in); err != nil {
		t.Fatal(err)
	}
	src, err := in.Source()
	if err != nil {
		t.Fatal(err)
	}
	if src.Key != "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=123456789012/eventDay=20240305/3ab4c5d6e7f8091a2b3c4d5e6f708192.gz.parquet" || in.Detail.Object.Size == nil || *in.Detail.Object.Size != 48213 {
		t.Errorf("split reads %+v (size %v)", src, in.Detail.Object.Size)
	}
}

type starter struct {
	names  []string
	inputs []string
	fail   bool
}

func (s *starter) Start(_ context.Context, name, input string) error {
	if s.fail {
		return errors.New("ThrottlingException: rate exceeded")
	}
	s.names = append(s.names, name)
	s.inputs = append(s.inputs, input)
	return nil
}

// A big object (above ObjectMaxBytes) starts its own execution, named the
// same when the same write is announced twice; messages that fail are
// reported for redelivery.
func TestHandle(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", Body: s3Notification},
		{MessageId: "2", Body: s3Notification}, // at-least-once delivery
		{MessageId: "3", Body: securityLakeEvent},
		{MessageId: "4", Body: "garbage"},
	}}
	st := &starter{}
	d := notify.Dispatcher{Starter: st, Batching: notify.Batching{ObjectMaxBytes: 1000}}
	resp := d.Handle(context.Background(), ev)
	if len(st.names) != 2 || st.names[0] == st.names[1] || !strings.HasPrefix(st.names[0], "obj-") {
		t.Errorf("execution names %v: want one per distinct object, the duplicate loaded once", st.names)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "4" {
		t.Errorf("failures %+v, want message 4", resp.BatchItemFailures)
	}
	d.Starter = &starter{fail: true}
	resp = d.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 4 {
		t.Errorf("throttled: failures %+v, want all 4 messages redelivered", resp.BatchItemFailures)
	}
}

// eventBridgeMessage is the ingest queue's message for one object of the
// log bucket: the EventBridge event as the rule delivers it.
func eventBridgeMessage(id, key string, size int64) events.SQSMessage {
	body, _ := json.Marshal(map[string]any{
		"version": "0", "detail-type": "Object Created", "source": "aws.s3",
		"detail": map[string]any{"bucket": map[string]any{"name": "logs"},
			"object": map[string]any{"key": key, "size": size, "sequencer": "00" + id}},
	})
	return events.SQSMessage{MessageId: id, Body: string(body)}
}

// Small objects are grouped under the count and byte bounds, big ones go
// alone; every batch input is what the load step reads, keys decoded.
func TestDispatchBatches(t *testing.T) {
	var recs []events.SQSMessage
	for i := range 25 {
		recs = append(recs, eventBridgeMessage(fmt.Sprint("m", i), fmt.Sprintf("AWSLogs/1/CloudTrail/us-east-1/2024/01/15/f%%3D%02d.json.gz", i), 100))
	}
	recs = append(recs, eventBridgeMessage("big", "AWSLogs/1/vpcflowlogs/big.log.gz", 5<<20))
	recs = append(recs, recs[3]) // redelivered within the batch
	st := &starter{}
	d := notify.Dispatcher{Starter: st, Batching: notify.Batching{MaxObjects: 10, MaxBytes: 1 << 20, ObjectMaxBytes: 1 << 20}}
	p := d.Plan(events.SQSEvent{Records: recs})
	if p.Messages != 27 || p.Objects != 26 || len(p.Failed) != 0 {
		t.Fatalf("plan: %d messages, %d objects, failed %v", p.Messages, p.Objects, p.Failed)
	}
	var sizes []int
	for _, e := range p.Executions {
		sizes = append(sizes, e.Objects)
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 1, 5}) {
		t.Errorf("execution sizes %v, want [10 10 1 5] (the big object alone, as it comes)", sizes)
	}
	resp := d.Handle(context.Background(), events.SQSEvent{Records: recs})
	if len(resp.BatchItemFailures) != 0 || len(st.names) != 4 {
		t.Fatalf("failures %v, started %v", resp.BatchItemFailures, st.names)
	}
	var in pipeline.BatchInput
	if err := json.Unmarshal([]byte(st.inputs[0]), &in); err != nil || len(in.Objects) != 10 {
		t.Fatalf("batch input %s: %v", st.inputs[0], err)
	}
	src, err := in.Objects[0].Source()
	if err != nil || src.Key != "AWSLogs/1/CloudTrail/us-east-1/2024/01/15/f=00.json.gz" || in.Objects[0].Size == nil || *in.Objects[0].Size != 100 {
		t.Errorf("first object %+v (%v): want the decoded key and the size", src, err)
	}
	if !strings.HasPrefix(st.names[0], "batch-10-") || len(st.names[0]) > 80 {
		t.Errorf("batch name %q", st.names[0])
	}

	// The same SQS batch delivered again starts executions of the same
	// names: Step Functions refuses the duplicates.
	again := &starter{}
	d.Starter = again
	d.Handle(context.Background(), events.SQSEvent{Records: recs})
	if !reflect.DeepEqual(again.names, st.names) {
		t.Errorf("redelivery named %v, first delivery %v", again.names, st.names)
	}

	// Bytes bound: 4 objects of 400 KiB under 1 MiB go 2 by 2.
	recs = nil
	for i := range 4 {
		recs = append(recs, eventBridgeMessage(fmt.Sprint("b", i), fmt.Sprint("AWSLogs/1/CloudTrail/x", i), 400<<10))
	}
	p = d.Plan(events.SQSEvent{Records: recs})
	if len(p.Executions) != 2 || p.Executions[0].Objects != 2 || p.Executions[0].Bytes != 800<<10 {
		t.Errorf("byte-bounded plan %+v", p.Executions)
	}
}

// One failed batch start returns exactly the messages of that batch.
func TestDispatchFailedBatchReturnsItsMessages(t *testing.T) {
	var recs []events.SQSMessage
	for i := range 4 {
		recs = append(recs, eventBridgeMessage(fmt.Sprint("m", i), fmt.Sprint("k", i), 10))
	}
	st := &failSecond{}
	d := notify.Dispatcher{Starter: st, Batching: notify.Batching{MaxObjects: 2}}
	resp := d.Handle(context.Background(), events.SQSEvent{Records: recs})
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if !reflect.DeepEqual(ids, []string{"m2", "m3"}) {
		t.Errorf("returned %v, want the second batch's messages m2 m3", ids)
	}
}

type failSecond struct{ n int }

func (f *failSecond) Start(context.Context, string, string) error {
	f.n++
	if f.n == 2 {
		return errors.New("ExecutionLimitExceeded")
	}
	return nil
}

// One EMF line per dispatcher invocation, with the queue lag of the oldest
// message.
func TestDispatchMetrics(t *testing.T) {
	var buf bytes.Buffer
	now := time.UnixMilli(1705277160000)
	recs := []events.SQSMessage{eventBridgeMessage("a", "k1", 10), eventBridgeMessage("b", "k2", 10), {MessageId: "c", Body: "garbage"}}
	recs[0].Attributes = map[string]string{"SentTimestamp": "1705277100000"} // 60 s ago
	recs[1].Attributes = map[string]string{"SentTimestamp": "1705277130000"}
	d := notify.Dispatcher{Starter: &starter{}, Metrics: &emf.Writer{Out: &buf}, Now: func() time.Time { return now }}
	d.Handle(context.Background(), events.SQSEvent{Records: recs})
	var l map[string]any
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		t.Fatalf("%s: %v", buf.String(), err)
	}
	want := map[string]float64{"Messages": 3, "ObjectsAnnounced": 2, "ExecutionsStarted": 1, "ExecutionStartFailures": 0, "UnreadableMessages": 1, "QueueLagSeconds": 60}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, l[k], v, buf.String())
		}
	}
	if l["Function"] != "dispatch" {
		t.Errorf("dimension Function = %v", l["Function"])
	}
}
