package normalize

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

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
	l := &recordLoop{def: def, n: n, sink: sink}
	l.enrich, _ = sink.(Enriching)
	if c, ok := sink.(Counter); ok {
		l.count = c.Matched
	}
	in := 0
	for {
		l.reuse()
		rec, err := fr.Next()
		if err == io.EOF {
			return in, nil
		}
		if err != nil {
			// (Only here: errors.As makes fe escape, an allocation
			// per record if it ran for every one.)
			var fe *format.FrameError
			if errors.As(err, &fe) {
				in++
				return in, sink.DeadLetter(fe.Num, nil, FrameReason(fe))
			}
			return in, err
		}
		in++
		if err := l.record(rec); err != nil {
			return in, err
		}
	}
}

// recordLoop is what Records keeps from one record to the next.
type recordLoop struct {
	def    *logtype.Definition
	n      *Normalizer
	sink   Sink
	enrich Enriching    // nil: the sink does not enrich
	count  func(string) // nil: the sink does not count COUNT rules
	// One encoder per object: its documents share their shape.
	enc doc.Encoder
	buf []byte
	// lent are the objects the last document got: a routed event's are
	// its log type's normalizer's.
	lent *doc.Objects
	out  Output // the record's, reused
}

// reuse takes the last document's map and objects back once it is done
// with (encoded, skipped or dead-lettered), for the next record:
// Sink.Document must not keep o.Doc.
func (l *recordLoop) reuse() {
	l.n.objects.Reuse()
	if l.lent != nil && l.lent != &l.n.objects {
		l.lent.Reuse()
	}
	l.lent = nil
}

// record takes one framed record through decoding, the exclusion rules,
// normalization, enrichment and encoding to the sink. Errors are the
// sink's, never the record's.
func (l *recordLoop) record(rec format.Record) error {
	switch {
	case rec.Error != "":
		// Framed but not to decode (over the record limit): its start
		// is the raw, the reason says why.
		return l.sink.DeadLetter(rec.Num, rec.Raw, rec.Error)
	case rec.Skip != "":
		return l.sink.Skip(rec.Num, rec.Skip)
	}
	rec.Into = l.n.objects.Top()
	dec, rdef, err := l.n.decode(l.def, rec)
	if err != nil {
		return l.sink.DeadLetter(rec.Num, rec.Raw, err.Error())
	}
	nn := l.n.For(rdef)
	if m, ok := nn.rules.Raw(dec.Fields, l.count); ok {
		return l.sink.Skip(rec.Num, m.Reason())
	}
	l.lent = &nn.objects
	// The output lives in l: handed to the enricher by pointer, a local
	// would escape, an allocation per record.
	o := &l.out
	if *o, err = nn.normalize(rec.Raw, dec, l.lent); err != nil {
		return l.sink.DeadLetter(rec.Num, rec.Raw, err.Error())
	}
	if l.enrich != nil {
		l.enrich.Enrich(o)
	}
	// Conditions see the final document (enriched on the fused path).
	if m, ok := nn.rules.Doc(o.Doc, l.count); ok {
		return l.sink.Skip(rec.Num, m.Reason())
	}
	if l.buf, err = l.enc.Append(l.buf[:0], o.Doc); err != nil {
		return l.sink.DeadLetter(rec.Num, rec.Raw, "cannot serialize document: "+err.Error())
	}
	return l.sink.Document(rec, *o, l.buf)
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
