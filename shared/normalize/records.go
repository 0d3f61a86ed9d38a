package normalize

import (
	"errors"
	"io"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
)

// Sink receives what Records makes of each record: a document (its JSON
// source already encoded) or a dead letter with the reason.
type Sink interface {
	Document(rec format.Record, o Output, source []byte) error
	DeadLetter(num int, raw []byte, reason string) error
	// Skip counts a record that is deliberately not loaded, with why.
	Skip(num int, reason string) error
}

// Counter is a Sink that counts records matching a COUNT exclusion rule
// (they load as usual).
type Counter interface {
	Matched(rule string)
}

// Enriching is a Sink that adds to each normalized document before it is
// encoded (the fused load path runs the enrichers there, so a document is
// encoded once and never decoded again).
type Enriching interface {
	Sink
	Enrich(o *Output)
}

// Records runs every record the framer yields through decoding,
// normalization and encoding: the parse step's loop, shared by the Lambda
// step, the golden tests and the benchmarks so they all measure and check
// the same code. It returns the number of records read (a framing failure
// counts as one record, dead-lettered: the rest of the object). Errors are
// the sink's or the reader's (I/O), never a record's.
func Records(def *logtype.Definition, fr format.Framer, n *Normalizer, sink Sink) (int, error) {
	in := 0
	var buf []byte
	enrich, _ := sink.(Enriching)
	var count func(string)
	if c, ok := sink.(Counter); ok {
		count = c.Matched
	}
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			return in, nil
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			in++
			return in, sink.DeadLetter(fe.Num, nil, "unreadable from here to the end of the object: "+fe.Err.Error())
		}
		if err != nil {
			return in, err
		}
		in++
		if rec.Skip != "" {
			if err := sink.Skip(rec.Num, rec.Skip); err != nil {
				return in, err
			}
			continue
		}
		fields, rdef, err := format.DecodeRouted(def, rec, n.route)
		if err != nil {
			if err := sink.DeadLetter(rec.Num, rec.Raw, err.Error()); err != nil {
				return in, err
			}
			continue
		}
		nn := n.For(rdef)
		if m, ok := nn.rules.Raw(fields, count); ok {
			if err := sink.Skip(rec.Num, m.Reason()); err != nil {
				return in, err
			}
			continue
		}
		o, err := nn.Normalize(rec.Raw, fields)
		if err != nil {
			if err := sink.DeadLetter(rec.Num, rec.Raw, err.Error()); err != nil {
				return in, err
			}
			continue
		}
		if enrich != nil {
			enrich.Enrich(&o)
		}
		// Conditions see the final document (enriched on the fused path).
		if m, ok := nn.rules.Doc(o.Doc, count); ok {
			if err := sink.Skip(rec.Num, m.Reason()); err != nil {
				return in, err
			}
			continue
		}
		buf, err = doc.AppendJSON(buf[:0], o.Doc)
		if err != nil {
			if err := sink.DeadLetter(rec.Num, rec.Raw, "cannot serialize document: "+err.Error()); err != nil {
				return in, err
			}
			continue
		}
		if err := sink.Document(rec, o, buf); err != nil {
			return in, err
		}
	}
}
