package format

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/siemloader/siem/shared/logtype"
)

// Format is one file format: how plain content is cut into records and
// how one record is decoded into its raw fields. Each built-in format
// registers itself from its own file; a log type names its format in
// format:, and via_cwl / via_firelens wrap it (CWL, FireLens).
type Format struct {
	// Name is what a log type's format: says.
	Name string
	// Frame returns the framer over plain (decompressed) content.
	Frame func(def *logtype.Definition, r io.Reader) Framer
	// Decode turns one framed record into its raw fields and what else
	// it learns of the record (Decoded). It is not called for records
	// whose Fields are set.
	Decode func(def *logtype.Definition, rec Record) (Decoded, error)
	// Routed, when set, is Decode for formats whose records may belong to
	// other log types than the object's (CloudWatch Logs envelopes): it
	// returns the log type the record was decoded as.
	Routed func(def *logtype.Definition, rec Record, route Router) (Decoded, *logtype.Definition, error)
	// Sniff, when set, recognizes this format's content by its first
	// bytes (at most 4), whatever the log type's format says: such
	// content is read with this format (VPC Flow Logs deliver text or
	// Parquet).
	Sniff func(head []byte) bool
	// Open, when set, reads the whole content at once instead of framing
	// it as a stream (Parquet: the footer is at the end). OpenObject
	// calls it for content Sniff recognizes, and for any content of a log
	// type of this format, which Open rejects when it is not its own.
	Open func(def *logtype.Definition, content *bufio.Reader) (Framer, error)
}

// WholeObject says the format is not read as a stream of records: the
// split step does not stage it, it cuts it by its own units (Parquet row
// groups) or leaves it whole.
func (f *Format) WholeObject() bool { return f.Open != nil }

// DecodeRouted decodes one framed record with this format (Decode, or
// Routed when the format routes its records).
func (f *Format) DecodeRouted(def *logtype.Definition, rec Record, route Router) (Decoded, *logtype.Definition, error) {
	if rec.Fields != nil {
		return Decoded{Fields: rec.Fields}, def, nil
	}
	if f.Routed != nil {
		return f.Routed(def, rec, route)
	}
	d, err := f.Decode(def, rec)
	return d, def, err
}

// registered is a format with its wrapped forms, built once.
type registered struct {
	plain, cwl, fireLens *Format
}

var (
	registerMu sync.Mutex
	// registry maps names to formats. It is replaced, never written, so
	// lookups read it without a lock.
	registry atomic.Pointer[map[string]*registered]
	// sniffers are the formats with Sniff, in registration order.
	sniffers atomic.Pointer[[]*Format]
)

// Register makes a format available to log types under its name. A
// format registered again under the same name replaces the first. It
// panics on a format without a name, Frame or Decode (a programming
// error, found at init).
func Register(f *Format) {
	if f == nil || f.Name == "" || f.Frame == nil || f.Decode == nil {
		panic("format: Register needs a Name, Frame and Decode")
	}
	registerMu.Lock()
	defer registerMu.Unlock()
	next := map[string]*registered{}
	if cur := registry.Load(); cur != nil {
		for k, v := range *cur {
			next[k] = v
		}
	}
	next[f.Name] = &registered{plain: f, cwl: CWL(f), fireLens: FireLens(f)}
	registry.Store(&next)
	var sn []*Format
	if cur := sniffers.Load(); cur != nil {
		for _, s := range *cur {
			if s.Name != f.Name {
				sn = append(sn, s)
			}
		}
	}
	if f.Sniff != nil {
		sn = append(sn, f)
	}
	sniffers.Store(&sn)
}

// Lookup returns the format registered under name, or nil.
func Lookup(name string) *Format {
	if r := lookup(name); r != nil {
		return r.plain
	}
	return nil
}

func lookup(name string) *registered {
	m := registry.Load()
	if m == nil {
		return nil
	}
	return (*m)[name]
}

// Names lists the registered formats, sorted.
func Names() []string {
	m := registry.Load()
	if m == nil {
		return nil
	}
	names := make([]string, 0, len(*m))
	for n := range *m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Sniff returns the registered format that recognizes head (the first
// bytes of an object, at most 4 are looked at), or nil.
func Sniff(head []byte) *Format {
	sn := sniffers.Load()
	if sn == nil {
		return nil
	}
	for _, f := range *sn {
		if f.Sniff(head) {
			return f
		}
	}
	return nil
}

// resolved is a definition's format as last resolved, with what it was
// resolved from: a definition changed since is resolved again.
type resolved struct {
	def      *logtype.Definition
	name     string
	cwl, fl  bool
	f        *Format
	registry *map[string]*registered
}

// lastResolved answers the common case (the definition of the record
// before) with one atomic load and no lock or map look-up.
// resolvedByDef answers the others without an allocation (log types
// decoded by turns); it is bounded, definitions made on the fly (tests)
// cannot grow it.
var (
	lastResolved  atomic.Pointer[resolved]
	resolvedMu    sync.Mutex
	resolvedByDef = map[*logtype.Definition]*resolved{}
)

// Resolve returns the format a log type's records are read with: its
// format: by name, wrapped for CloudWatch Logs (via_cwl) or FireLens
// (via_firelens). A name that is not registered is an error naming the log
// type, the format and the formats there are.
func Resolve(def *logtype.Definition) (*Format, error) {
	reg := registry.Load()
	if r := lastResolved.Load(); r != nil && r.def == def && r.name == def.Format && r.cwl == def.ViaCWL && r.fl == def.ViaFireLens && r.registry == reg {
		return r.f, nil
	}
	resolvedMu.Lock()
	r, ok := resolvedByDef[def]
	resolvedMu.Unlock()
	if ok && r.name == def.Format && r.cwl == def.ViaCWL && r.fl == def.ViaFireLens && r.registry == reg {
		lastResolved.Store(r)
		return r.f, nil
	}
	e := lookup(def.Format)
	if e == nil {
		return nil, fmt.Errorf("log type %q: format %q is not registered (formats: %s)", def.Name, def.Format, strings.Join(Names(), ", "))
	}
	f := e.plain
	switch {
	case def.ViaCWL:
		f = e.cwl
	case def.ViaFireLens:
		f = e.fireLens
	}
	r = &resolved{def: def, name: def.Format, cwl: def.ViaCWL, fl: def.ViaFireLens, f: f, registry: reg}
	resolvedMu.Lock()
	if len(resolvedByDef) >= 1024 {
		resolvedByDef = map[*logtype.Definition]*resolved{}
	}
	resolvedByDef[def] = r
	resolvedMu.Unlock()
	lastResolved.Store(r)
	return f, nil
}

// baseFormat is the definition's own format, not wrapped (the format of a
// CloudWatch Logs event's message once routed), or an error as Resolve's.
func baseFormat(def *logtype.Definition) (*Format, error) {
	if e := lookup(def.Format); e != nil {
		return e.plain, nil
	}
	return nil, fmt.Errorf("log type %q: format %q is not registered (formats: %s)", def.Name, def.Format, strings.Join(Names(), ", "))
}
