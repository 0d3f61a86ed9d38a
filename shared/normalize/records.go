package normalize

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
)

// Sink receives what Records makes of each record: a document (its JSON
// source already encoded) or a dead letter with the reason. Document must
// not keep o.Doc (its objects are reused for the next record), only
// copies of what it reads.
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
// normalization and encoding: the loop of the load step, shared by the
// Lambda function, the local runner, the golden tests and the benchmarks
// so they all measure and check the same code. It returns the number of
// records read (a framing failure counts as one record, dead-lettered:
// the rest of the object). Errors are the sink's or the reader's (I/O),
// never a record's.
func Records(def *logtype.Definition, fr format.Framer, n *Normalizer, sink Sink) (int, error) {
	in := 0
	var buf []byte
	// One encoder per object: its documents share their shape.
	var enc doc.Encoder
	enrich, _ := sink.(Enriching)
	var count func(string)
	if c, ok := sink.(Counter); ok {
		count = c.Matched
	}
	// The last document's map and objects are taken back once it is done
	// with (encoded, skipped or dead-lettered), for the next record:
	// Sink.Document must not keep o.Doc. A routed event's objects are
	// its log type's normalizer's.
	var lent *doc.Objects
	for {
		n.objects.Reuse()
		if lent != nil && lent != &n.objects {
			lent.Reuse()
		}
		lent = nil
		rec, err := fr.Next()
		if err == io.EOF {
			return in, nil
		}
		var fe *format.FrameError
		if errors.As(err, &fe) {
			in++
			return in, sink.DeadLetter(fe.Num, nil, FrameReason(fe))
		}
		if err != nil {
			return in, err
		}
		in++
		if rec.Error != "" {
			// Framed but not to decode (over the record limit): its
			// start is the raw, the reason says why.
			if err := sink.DeadLetter(rec.Num, rec.Raw, rec.Error); err != nil {
				return in, err
			}
			continue
		}
		if rec.Skip != "" {
			if err := sink.Skip(rec.Num, rec.Skip); err != nil {
				return in, err
			}
			continue
		}
		rec.Into = n.objects.Top()
		dec, rdef, err := n.decode(def, rec)
		if err != nil {
			if err := sink.DeadLetter(rec.Num, rec.Raw, err.Error()); err != nil {
				return in, err
			}
			continue
		}
		nn := n.For(rdef)
		if m, ok := nn.rules.Raw(dec.Fields, count); ok {
			if err := sink.Skip(rec.Num, m.Reason()); err != nil {
				return in, err
			}
			continue
		}
		lent = &nn.objects
		o, err := nn.normalize(rec.Raw, dec, lent)
		if err != nil {
			if err := sink.DeadLetter(rec.Num, rec.Raw, err.Error()); err != nil {
				return in, err
			}
			continue
		}
		if enrich != nil {
			enrich.Enrich(&o)
		}
		// Conditions see the final document (enriched, on the load path).
		if m, ok := nn.rules.Doc(o.Doc, count); ok {
			if err := sink.Skip(rec.Num, m.Reason()); err != nil {
				return in, err
			}
			continue
		}
		buf, err = enc.Append(buf[:0], o.Doc)
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

// decode decodes one record of log type def with the format n resolved
// once (New) rather than resolving it per record. A routed CloudWatch
// Logs event comes back as the log type that claims its group, decoded
// with that type's format. A def other than n's, or one whose format did
// not resolve, goes through format.DecodeRouted (which says why).
func (n *Normalizer) decode(def *logtype.Definition, rec format.Record) (format.Decoded, *logtype.Definition, error) {
	if def != n.def || n.format == nil {
		return format.DecodeRouted(def, rec, n.route)
	}
	return n.format.DecodeRouted(def, rec, n.route)
}

// FrameReason is the dead-letter reason of the rest of an object that
// could not be framed. A limit reached says which, and a damaged stream
// (a gzip cut short or corrupt) says where reading stopped, in bytes of
// the decompressed content and records: what came before it loaded.
func FrameReason(fe *format.FrameError) string {
	const unreadable = "unreadable from here to the end of the object: "
	var corrupt flate.CorruptInputError
	switch {
	case format.IsLimit(fe.Err):
		return fmt.Sprintf("%v; reading stopped at byte %d of the content, record %d (the records before it loaded)", fe.Err, fe.Offset, fe.Num)
	case errors.Is(fe.Err, io.ErrUnexpectedEOF), errors.Is(fe.Err, gzip.ErrChecksum), errors.As(fe.Err, &corrupt):
		return fmt.Sprintf("%s%v: the object is truncated or damaged; reading stopped at byte %d of the decompressed content, record %d (the records before it loaded)",
			unreadable, fe.Err, fe.Offset, fe.Num)
	}
	return unreadable + fe.Err.Error()
}
