// Command iocdownload is the IoC state machine's download step: one feed
// per Map item, stored raw in the geo bucket. The work is in shared/iocjob.
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
		log.Fatalf("iocdownload: configuration: %v", err)
	}
	lambda.Start(handler(job))
}

func handler(job *iocjob.Config) func(context.Context, iocjob.Source) (iocjob.Downloaded, error) {
	return job.Download
}
