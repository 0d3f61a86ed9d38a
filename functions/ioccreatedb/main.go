// Command ioccreatedb is the IoC state machine's last step: build the
// threat-intel database from the downloaded feeds and the user's files.
// The work is in shared/iocjob.
package main

import (
	"context"
	"encoding/json"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/iocjob"
)

func main() {
	job, err := awsenv.IoCJob(context.Background())
	if err != nil {
		log.Fatalf("ioccreatedb: configuration: %v", err)
	}
	lambda.Start(handler(job))
}

func handler(job *iocjob.Config) func(context.Context, []json.RawMessage) (iocjob.Built, error) {
	return job.CreateDB
}
