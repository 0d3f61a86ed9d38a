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

// fireLensFramer frames lines and marks stderr lines skipped when the log
// type ignores them.
type fireLensFramer struct {
	lines      *lineFramer
	skipStderr bool
}

// FireLens wraps a format for FireLens output (via_firelens): each line
// is a JSON object whose "log" is a record of inner; the task's metadata
// become fields. A line that is not a FireLens object is decoded by inner
// as it is (a plain export). Lines are framed one by one whatever inner
// frames.
func FireLens(inner *Format) *Format {
	return &Format{
		Name: "firelens(" + inner.Name + ")",
		Frame: func(def *logtype.Definition, r io.Reader) Framer {
			return &fireLensFramer{lines: &lineFramer{r: bufio.NewReaderSize(r, 256<<10)}, skipStderr: def.IgnoreContainerStderr}
		},
		Decode: func(def *logtype.Definition, rec Record) (Decoded, error) {
			return decodeFireLens(inner, def, rec)
		},
	}
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

// decodeFireLens decodes the log line with inner; the line itself is the
// Decoded's Message (normalize makes it @message).
func decodeFireLens(inner *Format, def *logtype.Definition, rec Record) (Decoded, error) {
	var l fireLensLine
	if len(rec.Raw) == 0 || rec.Raw[0] != '{' || json.Unmarshal(rec.Raw, &l) != nil || l.Log == nil {
		// Not a FireLens line: the log itself (a plain export).
		return inner.Decode(def, rec)
	}
	d, err := inner.Decode(def, Record{Num: rec.Num, Raw: []byte(*l.Log), Header: rec.Header})
	if err != nil {
		if l.Source != "stderr" {
			return Decoded{}, err
		}
		// stderr is free text (stack traces, warnings): load it as a
		// message rather than lose it for not matching the log format.
		d = Decoded{Fields: map[string]any{"message": *l.Log}, Problem: "container stderr line does not match the log type's format: " + err.Error()}
	}
	fields := d.Fields
	for k, v := range map[string]string{
		"container_id": l.ContainerID, "container_name": l.ContainerName, "container_source": l.Source,
		"ecs_cluster": l.ECSCluster, "ecs_task_arn": l.ECSTaskARN, "ecs_task_definition": l.ECSTaskDefinition,
		"ec2_instance_id": l.EC2InstanceID,
	} {
		if v != "" {
			fields[k] = v
		}
	}
	d.Message = l.Log
	return d, nil
}
