// Command iocplan is the IoC state machine's plan step: which threat feeds
// to download this run. The work is in shared/iocjob.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/siemloader/siem/shared/awsenv"
	"github.com/siemloader/siem/shared/iocjob"
)

func main() {
	job, err := awsenv.IoCJob(context.Background())
	if err != nil {
		log.Fatalf("iocplan: configuration: %v", err)
	}
	lambda.Start(handler(job))
}

func handler(job *iocjob.Config) func(context.Context) (iocjob.Plan, error) {
	return job.Plan
}
