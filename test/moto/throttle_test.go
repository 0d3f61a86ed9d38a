package moto

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/siemloader/siem/shared/throttle"
)

type alerts struct{ subjects, messages []string }

func (a *alerts) Notify(_ context.Context, subject, message string) error {
	a.subjects, a.messages = append(a.subjects, subject), append(a.messages, message)
	return nil
}

// The pause switch against moto's Lambda and SQS APIs: the free-storage
// alarm going to ALARM disables the dispatcher's queue mapping and holds
// the load function at concurrency 0 while the queued messages stay in
// the queue; OK restores both. Each change is announced.
func TestPauseSwitchOnMoto(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	s.Reset()
	ctx := t.Context()
	lc := lambda.NewFromConfig(s.Config)
	sq := sqs.NewFromConfig(s.Config)
	ic := iam.NewFromConfig(s.Config)

	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("siem-fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	for _, fn := range []string{"siem-dispatch", "siem-load"} {
		if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: role.Role.Arn,
			Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}}); err != nil {
			t.Fatalf("create %s: %v", fn, err)
		}
	}
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("siem-ingest")})
	if err != nil {
		t.Fatal(err)
	}
	qa, _ := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	queueARN := qa.Attributes["QueueArn"]
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("siem-dispatch"),
		EventSourceArn: aws.String(queueARN), BatchSize: aws.Int32(10), Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("siem-load"), ReservedConcurrentExecutions: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	sw := throttle.Switch{Lambda: lc, Dispatcher: "siem-dispatch", Loader: "siem-load", Concurrency: 10}
	st, err := sw.State(ctx)
	if err != nil || st.Paused || !st.Mappings[queueARN] || st.LoadConcurrency != 10 {
		t.Fatalf("before: %+v %v", st, err)
	}

	alarm := func(state string) []byte {
		return []byte(`{"version":"0","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012","region":"us-east-1",
"detail":{"alarmName":"siem-FreeStorageSpaceTooLow","state":{"value":"` + state + `","reason":"Threshold Crossed: 1 datapoint [150.0] was less than the threshold (200.0)."}}}`)
	}
	a := &alerts{}
	res, err := throttle.Handle(ctx, sw, a, alarm("ALARM"))
	if err != nil || res.Action != "pause" || !res.State.Paused || res.State.Mappings[queueARN] || res.State.LoadConcurrency != 0 {
		t.Fatalf("ALARM: %+v %v", res, err)
	}
	// Objects announced while paused wait in the queue.
	for range 3 {
		sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(objectCreated(logBucket, cloudTrailKey, 100))})
	}
	qa, _ = sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if qa.Attributes["ApproximateNumberOfMessages"] != "3" {
		t.Errorf("queue holds %s messages while paused, want 3", qa.Attributes["ApproximateNumberOfMessages"])
	}
	// A second ALARM (or a repeated invocation) changes nothing and
	// announces nothing.
	if res, err = throttle.Handle(ctx, sw, a, alarm("ALARM")); err != nil || !res.State.Paused {
		t.Fatalf("ALARM again: %+v %v", res, err)
	}
	if res, err = throttle.Handle(ctx, sw, a, alarm("INSUFFICIENT_DATA")); err != nil || res.Action != "status" || !res.State.Paused {
		t.Fatalf("INSUFFICIENT_DATA: %+v %v", res, err)
	}
	res, err = throttle.Handle(ctx, sw, a, alarm("OK"))
	if err != nil || res.Action != "resume" || res.State.Paused || !res.State.Mappings[queueARN] || res.State.LoadConcurrency != 10 {
		t.Fatalf("OK: %+v %v", res, err)
	}
	if len(a.subjects) != 2 || !strings.HasPrefix(a.subjects[0], "SIEM loader paused 123456789012 us-east-1") || !strings.HasPrefix(a.subjects[1], "SIEM loader resumed") {
		t.Errorf("alerts %q", a.subjects)
	}
	if !strings.Contains(a.messages[0], "siem-FreeStorageSpaceTooLow") || !strings.Contains(a.messages[0], "Pausing the loader") {
		t.Errorf("pause alert says neither why nor where to read: %s", a.messages[0])
	}
	// An operator's pause works the same way.
	if res, err = throttle.Handle(ctx, sw, nil, []byte(`{"action":"pause","reason":"cluster upgrade"}`)); err != nil || !res.State.Paused {
		t.Fatalf("operator pause: %+v %v", res, err)
	}
	if _, err = throttle.Handle(ctx, sw, nil, []byte(`{"action":"stop"}`)); err == nil {
		t.Error("an unknown action must fail")
	}
}
