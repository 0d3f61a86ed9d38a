package main

import (
	"context"
	"testing"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/iocjob"
)

// The scheduled invocation (events/iocplan-schedule.json carries no input).
func TestHandler(t *testing.T) {
	store := blobtest.NewMemory()
	store.Put(context.Background(), "geo", "IOC/TXT/mine.txt", []byte("8.8.4.4\n"))
	plan, err := handler(&iocjob.Config{Store: store, Bucket: "geo", Tor: true})(context.Background())
	if err != nil || len(plan.Sources) != 2 || plan.Sources[0].Source != "tor" || plan.Sources[1].Source != "custom" {
		t.Errorf("plan %+v %v", plan, err)
	}
}
