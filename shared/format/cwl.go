package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/siemloader/siem/shared/logtype"
)

// CloudWatch Logs subscription data, as Firehose delivers it to S3: JSON
// envelopes {messageType, owner, logGroup, logStream, logEvents[]}, often
// concatenated without separators. Each log event is one record; its
// message is then decoded with the log type's own format.

// cwlEvent is the framed form of one log event: the event with its
// envelope, compact JSON on one line, so a staged chunk keeps everything
// the record needs.
type cwlEvent struct {
	// Tag marks the framed form (it is marshalled first), telling it from
	// a record that came as it is.
	Tag       string `json:"@cwl"`
	Owner     string `json:"owner,omitempty"`
	LogGroup  string `json:"logGroup,omitempty"`
	LogStream string `json:"logStream,omitempty"`
	ID        string `json:"id,omitempty"`
	Timestamp int64  `json:"timestamp,omitempty"`
	Message   string `json:"message"`
}

type cwlEnvelope struct {
	MessageType string          `json:"messageType"`
	Owner       string          `json:"owner"`
	LogGroup    string          `json:"logGroup"`
	LogStream   string          `json:"logStream"`
	LogEvents   json.RawMessage `json:"logEvents"`
}

// SkipControlMessage is the skip reason of CloudWatch Logs' own events
// (destination health checks), which are not log records.
const SkipControlMessage = "CloudWatch Logs control message"

// cwlFramer yields one record per log event of each envelope.
type cwlFramer struct {
	values  *jsonFramer
	pending []Record
	n       int
}

// cwlTag starts every framed log event.
var cwlTag = []byte(`{"@cwl":"event",`)

// CWL wraps a format for CloudWatch Logs subscription data (via_cwl):
// each log event is a record, its message a record of inner. Content that
// does not start with a JSON object is the log itself (exported or copied
// without the subscription), framed and decoded by inner. An event whose
// log group another log type claims (cwl_log_group) is decoded as that
// type, with that type's own format.
func CWL(inner *Format) *Format {
	w := &cwlFormat{inner: inner, innerJSON: inner.Name == JSONName}
	return &Format{
		Name:  "cwl(" + inner.Name + ")",
		Frame: w.frame,
		Decode: func(def *logtype.Definition, rec Record) (Decoded, error) {
			d, _, err := w.decode(def, rec, nil)
			return d, err
		},
		Routed: w.decode,
	}
}

type cwlFormat struct {
	inner *Format
	// innerJSON: a JSON object that is not an envelope is a record of
	// inner (a JSON log delivered without the subscription).
	innerJSON bool
}

// frame frames subscription data, or the log itself with inner.
func (w *cwlFormat) frame(def *logtype.Definition, r io.Reader) Framer {
	br := bufio.NewReaderSize(r, 64<<10)
	// Look past leading blank lines without consuming them (line numbers
	// of a plain log must stay right).
	for i := 1; i <= br.Size(); i++ {
		b, _ := br.Peek(i)
		if len(b) < i {
			break
		}
		if c := b[i-1]; !isSpace(c) {
			if c == '{' {
				return &cwlFramer{values: newJSONFramer(br, "")}
			}
			break
		}
	}
	return w.inner.Frame(def, br)
}

func (f *cwlFramer) Next() (Record, error) {
	for len(f.pending) == 0 {
		v, err := f.values.Next()
		if err != nil {
			if fe, ok := err.(*FrameError); ok {
				fe.Num = f.n + 1
			}
			return Record{}, err
		}
		f.frame(v.Raw)
	}
	r := f.pending[0]
	f.pending = f.pending[1:]
	return r, nil
}

// frame turns one top-level value into records. A value that is not a
// subscription envelope becomes one record as it is: Decode reads it with
// the log type's format (a JSON log delivered without the subscription)
// or rejects it with the reason, so it is dead-lettered, not lost.
func (f *cwlFramer) frame(raw []byte) {
	var env cwlEnvelope
	var events []cwlEvent
	err := json.Unmarshal(raw, &env)
	if err == nil && env.LogEvents != nil {
		err = json.Unmarshal(env.LogEvents, &events)
	}
	if err != nil || env.LogEvents == nil || (env.MessageType != "DATA_MESSAGE" && env.MessageType != "CONTROL_MESSAGE") {
		f.n++
		f.pending = append(f.pending, Record{Num: f.n, Raw: raw})
		return
	}
	for _, e := range events {
		f.n++
		if env.MessageType == "CONTROL_MESSAGE" {
			f.pending = append(f.pending, Record{Num: f.n, Raw: []byte(e.Message), Skip: SkipControlMessage})
			continue
		}
		e.Tag, e.Owner, e.LogGroup, e.LogStream = "event", env.Owner, env.LogGroup, env.LogStream
		b, _ := json.Marshal(e)
		f.pending = append(f.pending, Record{Num: f.n, Raw: b})
	}
}

// CWLMeta is what a CloudWatch Logs record carries besides its message:
// Decode hands it to the normalizer as Decoded.CWL.
type CWLMeta struct {
	Owner, LogGroup, LogStream, ID string
	Timestamp                      int64 // epoch ms
	Message                        string
}

func (w *cwlFormat) decode(def *logtype.Definition, rec Record, route Router) (Decoded, *logtype.Definition, error) {
	if rec.Fields != nil {
		return Decoded{Fields: rec.Fields}, def, nil
	}
	if !bytes.HasPrefix(rec.Raw, cwlTag) {
		// A record that came as it is: a plain log line, or a JSON record
		// of a JSON log type. A JSON object in a text log type's
		// subscription data is neither.
		if w.innerJSON || len(rec.Raw) == 0 || rec.Raw[0] != '{' {
			d, err := w.inner.Decode(def, rec)
			return d, def, err
		}
		return Decoded{}, def, fmt.Errorf("not a CloudWatch Logs subscription message (expected {messageType, logGroup, logEvents[...]})")
	}
	var e cwlEvent
	if err := json.Unmarshal(rec.Raw, &e); err != nil {
		return Decoded{}, def, fmt.Errorf("framed CloudWatch Logs event: %w", err)
	}
	routed := false
	if route != nil {
		if d := route(e.LogGroup, e.LogStream); d != nil && d != def {
			def, routed = d, true
		}
	}
	f := w.inner
	if routed {
		// The event is the routed log type's: its own format reads it.
		var err error
		if f, err = baseFormat(def); err != nil {
			return Decoded{}, def, err
		}
	}
	inner := Record{Num: rec.Num, Raw: bytes.TrimSpace([]byte(e.Message)), Header: rec.Header}
	d, err := f.Decode(def, inner)
	if err != nil {
		switch {
		case routed:
			err = fmt.Errorf("%w (log group %s is read as %s: its cwl_log_group matches)", err, e.LogGroup, def.Name)
		case route != nil && def.CWLLogGroup != "" && e.LogGroup != "":
			// The object's type names its groups and this is not one.
			err = fmt.Errorf("%w (log group %s matches no log type's cwl_log_group; read as %s, the object's log type)", err, e.LogGroup, def.Name)
		}
		return Decoded{}, def, err
	}
	d.CWL = &CWLMeta{Owner: e.Owner, LogGroup: e.LogGroup, LogStream: e.LogStream, ID: e.ID, Timestamp: e.Timestamp, Message: e.Message}
	return d, def, nil
}
