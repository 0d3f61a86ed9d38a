package format

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/siemloader/siem/shared/logtype"
)

// FireLens (Fluent Bit in an ECS task) writes one JSON object per line:
// the container's log line under "log" and the task's metadata beside it.
// The log line is decoded with the log type's own format; the metadata
// become top-level fields of the record.

type fireLensLine struct {
	Log               *string `json:"log"`
	Source            string  `json:"source"`
	ContainerID       string  `json:"container_id"`
	ContainerName     string  `json:"container_name"`
	ECSCluster        string  `json:"ecs_cluster"`
	ECSTaskARN        string  `json:"ecs_task_arn"`
	ECSTaskDefinition string  `json:"ecs_task_definition"`
	EC2InstanceID     string  `json:"ec2_instance_id"`
}

// SkipContainerStderr is the skip reason of stderr lines of a log type set
// to ignore them (ignore_container_stderr).
const SkipContainerStderr = "container stderr (ignore_container_stderr)"

// MessageKey holds, in decoded fields, the log line a wrapped record
// carries; the normalizer makes it @message.
const MessageKey = "__message"

// fireLensFramer frames lines and marks stderr lines skipped when the log
// type ignores them.
type fireLensFramer struct {
	lines      *lineFramer
	skipStderr bool
}

func newFireLensFramer(def *logtype.Definition, r io.Reader) Framer {
	return &fireLensFramer{lines: &lineFramer{r: bufio.NewReaderSize(r, 256<<10)}, skipStderr: def.IgnoreContainerStderr}
}

func (f *fireLensFramer) Next() (Record, error) {
	rec, err := f.lines.Next()
	if err != nil || !f.skipStderr {
		return rec, err
	}
	var l fireLensLine
	if json.Unmarshal(rec.Raw, &l) == nil && l.Log != nil && l.Source == "stderr" {
		rec.Skip = SkipContainerStderr
	}
	return rec, nil
}

func decodeFireLens(def *logtype.Definition, rec Record) (map[string]any, error) {
	var l fireLensLine
	if len(rec.Raw) == 0 || rec.Raw[0] != '{' || json.Unmarshal(rec.Raw, &l) != nil || l.Log == nil {
		// Not a FireLens line: the log itself (a plain export).
		return decodeRecord(def, rec)
	}
	fields, err := decodeRecord(def, Record{Num: rec.Num, Raw: []byte(*l.Log), Header: rec.Header})
	if err != nil {
		if l.Source != "stderr" {
			return nil, err
		}
		// stderr is free text (stack traces, warnings): load it as a
		// message rather than lose it for not matching the log format.
		fields = map[string]any{"message": *l.Log, ProblemKey: "container stderr line does not match the log type's format: " + err.Error()}
	}
	for k, v := range map[string]string{
		"container_id": l.ContainerID, "container_name": l.ContainerName, "container_source": l.Source,
		"ecs_cluster": l.ECSCluster, "ecs_task_arn": l.ECSTaskARN, "ecs_task_definition": l.ECSTaskDefinition,
		"ec2_instance_id": l.EC2InstanceID,
	} {
		if v != "" {
			fields[k] = v
		}
	}
	fields[MessageKey] = *l.Log
	return fields, nil
}
