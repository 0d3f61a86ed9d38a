// Package normalize turns one decoded record into an ECS document: time,
// base fields, ECS mapping, static fields, the log type's transform, the
// deterministic id and the index name. Enrichment happens in a later step.
package normalize

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/exclude"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
)

// Source names the object the records come from.
type Source struct {
	Bucket, Key string
}

// Normalizer normalizes the records of one object of one log type.
type Normalizer struct {
	def       *logtype.Definition
	textPaths []textPath // def.JSONToText
	addrs     addrs      // the record's coerced addresses
	src       Source
	ingested  time.Time
	account   string
	region    string
	tsLoc     *time.Location
	idxLoc    *time.Location
	// keyTime is the time timestamp.from_key found in the S3 key.
	keyTime    time.Time
	hasKeyTime bool
	// near dates year-less timestamps: the day in the key's date path
	// (AWSLogs/.../2024/01/15/), else the ingest time.
	near time.Time

	// boxed are the values every document of the object gets, made
	// interfaces once rather than per document.
	boxed struct{ logType, bucket, key, ingested, region, account any }
	// vals is mapValues' scratch, one per mapping, reused from record to
	// record.
	vals   []any
	plan   []mapping
	static []staticField
	// ecsRoots are the top-level names ECS fields are written under; raw
	// fields of these names stay out of field_prefix.
	ecsRoots map[string]bool

	// route, when routing is on, is the log type of a CloudWatch Logs
	// event's group (Routing); others holds the normalizers of the log
	// types events were routed to, made on first use.
	route  format.Router
	others map[*logtype.Definition]*Normalizer

	// excl are the user's exclusion rules (Excluding); rules are this
	// log type's, nil when it has none.
	excl  *exclude.Set
	rules *exclude.TypeRules

	base [nBase]doc.Path

	// lastIndex is the index name of the last record (index).
	lastIndex indexName
	// limitPath is pruneAndLimit's key stack, reused.
	limitPath []string
	// result is the transform's, reused (transformed).
	result logtype.Result

	// transform is the definition's Go transform, looked up once.
	transform logtype.Transform
	// format is the definition's format, resolved once (New); nil when
	// it does not resolve (decode then reports why, per record).
	format *format.Format
	// objects are the ECS objects (event, source, ...) Records lends each
	// document and takes back once it is encoded.
	objects doc.Objects
}

// Excluding makes Records apply the exclusion rules of s (nil: none) to
// this normalizer's records. It returns n.
func (n *Normalizer) Excluding(s *exclude.Set) *Normalizer {
	n.excl, n.rules = s, s.For(n.def.Name)
	for _, o := range n.others {
		o.Excluding(s)
	}
	return n
}

// Routing makes the normalizer read each CloudWatch Logs event as the log
// type that claims its log group in reg (cwl_log_group), falling back to
// its own type. It returns n.
func (n *Normalizer) Routing(reg *logtype.Registry) *Normalizer {
	if reg == nil || !n.def.ViaCWL {
		return n
	}
	type key struct{ group, stream string }
	seen := map[key]*logtype.Definition{}
	n.route = func(group, stream string) *logtype.Definition {
		k := key{group, stream}
		d, ok := seen[k]
		if !ok {
			d = reg.RouteCWL(group, stream)
			if len(seen) < 1024 {
				seen[k] = d
			}
		}
		return d
	}
	return n
}

// For returns the normalizer of the same object for log type def: n
// itself for n's own type.
func (n *Normalizer) For(def *logtype.Definition) *Normalizer {
	if def == n.def || def == nil {
		return n
	}
	o := n.others[def]
	if o == nil {
		o = New(def, n.src, n.ingested).Excluding(n.excl)
		if n.others == nil {
			n.others = map[*logtype.Definition]*Normalizer{}
		}
		n.others[def] = o
	}
	return o
}

// Def is the log type n normalizes.
func (n *Normalizer) Def() *logtype.Definition { return n.def }

// mapping is one ECS target and where its value comes from, in a stable
// order (the definition's maps are unordered).
type mapping struct {
	target  string
	kind    ecs.Kind // the target's
	path    doc.Path
	sources []string
	list    bool
}

type staticField struct {
	target string
	path   doc.Path
	value  any
}

var (
	keyAccount = regexp.MustCompile(`\W([0-9]{12})/`)
	keyDate    = regexp.MustCompile(`/(20\d{2})/([01]\d)/([0-3]\d)/`)
	keyRegion  = regexp.MustCompile(`(global|(us|ap|ca|eu|il|me|mx|sa|af|cn)-(gov-)?[a-zA-Z]+-[0-9])`)
)

// New returns a normalizer. ingested is the event.ingested time, shared by
// all records of the object.
func New(def *logtype.Definition, src Source, ingested time.Time) *Normalizer {
	n := &Normalizer{def: def, src: src, ingested: ingested.UTC()}
	n.format, _ = format.Resolve(def)
	if def.Transform != "" {
		n.transform = logtype.LookupTransform(def.Transform)
	}
	for t, srcs := range def.ECS {
		n.plan = append(n.plan, mapping{target: t, kind: ecs.KindOf(t), sources: srcs})
	}
	for t, srcs := range def.ECSLists {
		n.plan = append(n.plan, mapping{target: t, kind: ecs.KindOf(t), sources: srcs, list: true})
	}
	sort.Slice(n.plan, func(i, j int) bool { return n.plan[i].target < n.plan[j].target })
	n.vals = make([]any, len(n.plan))
	for t, v := range def.Static {
		n.static = append(n.static, staticField{target: t, value: v})
	}
	sort.Slice(n.static, func(i, j int) bool { return n.static[i].target < n.static[j].target })
	n.compilePaths()
	n.textPaths = compileTextPaths(def.JSONToText)
	n.ecsRoots = map[string]bool{"event": true, "ecs": true, "cloud": true, "error": true, "related": true}
	for _, p := range n.plan {
		root, _, _ := strings.Cut(p.target, ".")
		n.ecsRoots[root] = true
	}
	for _, st := range n.static {
		root, _, _ := strings.Cut(st.target, ".")
		n.ecsRoots[root] = true
	}
	if m := keyAccount.FindStringSubmatch(src.Key); m != nil {
		n.account = m[1]
	}
	if m := keyRegion.FindStringSubmatch(src.Key); m != nil {
		n.region = m[1]
	}
	n.tsLoc, _ = logtype.ParseOffset(def.Timestamp.TZ)
	n.idxLoc, _ = logtype.ParseOffset(def.Index.TZ)
	if n.tsLoc == nil {
		n.tsLoc = time.UTC
	}
	if n.idxLoc == nil {
		n.idxLoc = time.UTC
	}
	n.boxed.logType, n.boxed.bucket, n.boxed.key = def.Name, src.Bucket, src.Key
	n.boxed.ingested, n.boxed.region, n.boxed.account = FormatTime(n.ingested), n.region, n.account
	n.keyTime, n.hasKeyTime = def.Timestamp.KeyTime(src.Key, n.tsLoc)
	n.near = n.ingested
	if m := keyDate.FindStringSubmatch(src.Key); m != nil {
		if t, err := time.Parse("2006/01/02", m[1]+"/"+m[2]+"/"+m[3]); err == nil && t.Before(n.ingested) {
			n.near = t.Add(24 * time.Hour)
		}
	}
	return n
}

// Indices into Normalizer.base: the fields Normalize writes into every
// document besides the mapping's, at baseTargets.
const (
	pathModule = iota
	pathIngested
	pathECSVersion
	pathProvider
	pathAccount
	pathRegion
	nBase
)

var baseTargets = [nBase]string{"event.module", "event.ingested", "ecs.version", "cloud.provider", "cloud.account.id", "cloud.region"}

// compilePaths splits every target once, sizing the objects they create
// for all the targets this log type writes.
func (n *Normalizer) compilePaths() {
	targets := append([]string(nil), baseTargets[:]...)
	for _, p := range n.plan {
		targets = append(targets, p.target)
	}
	for _, st := range n.static {
		targets = append(targets, st.target)
	}
	// Room for two more members per object: transforms add some.
	paths := doc.Paths(targets, 2)
	copy(n.base[:], paths)
	paths = paths[nBase:]
	for i := range n.plan {
		n.plan[i].path = paths[i]
	}
	paths = paths[len(n.plan):]
	for i := range n.static {
		n.static[i].path = paths[i]
	}
}

// Output is one normalized document with its destination.
type Output struct {
	Index string
	ID    string
	Doc   map[string]any
	// Def is the log type the document was normalized as (another than
	// the object's for a routed CloudWatch Logs event).
	Def *logtype.Definition
}

// Normalize builds the document for a record whose raw text is raw and
// that decoded as dec (dec.Fields becomes the document: raw fields stay at
// the top level, as the reference's dashboards expect). It fails only
// when the document cannot be given an id; a problem the mapping can live
// with (no timestamp, a transform error, dec.Problem) is written to
// error.message and the document still loads.
func (n *Normalizer) Normalize(raw []byte, dec format.Decoded) (Output, error) {
	return n.normalize(raw, dec, nil)
}

// normalize is Normalize creating the ECS objects from objs (nil: new
// ones, the document's to keep).
func (n *Normalizer) normalize(raw []byte, dec format.Decoded, objs *doc.Objects) (Output, error) {
	d := dec.Fields
	def := n.def
	var problems []string
	if dec.Problem != "" {
		problems = append(problems, dec.Problem)
	}
	invalidUTF8 := !utf8.Valid(raw)
	if invalidUTF8 {
		// The record loads, but its invalid bytes become U+FFFD in the
		// document: analysts must know the text is not the original.
		problems = append(problems, InvalidUTF8Message)
	}
	original := n.rename(d)
	cwl := dec.CWL
	if cwl != nil {
		// The envelope's values, readable by timestamp keys and the ECS
		// mapping (cwl_timestamp, cwl_accountid) but not kept as fields.
		d["cwl_timestamp"] = json.Number(fmt.Sprint(cwl.Timestamp))
		d["cwl_accountid"] = cwl.Owner
		d["cwl_id"] = cwl.ID
	}
	ts, err := n.timestamp(d)
	if err != nil {
		problems = append(problems, err.Error())
		ts = n.ingested
	}
	vals := n.mapValues(d)
	n.writeFields(d, message(raw, dec), ts, cwl, vals, objs)

	tr, ts, problems := n.transformed(d, ts, problems)
	for _, tp := range n.textPaths {
		tp.toText(d, 0)
	}
	addErrorMessage(d, problems)

	// The id hashes the record as framed.
	idInput := raw
	if cwl != nil {
		delete(d, "cwl_timestamp")
		delete(d, "cwl_accountid")
		delete(d, "cwl_id")
		// The event id tells apart identical messages (a repeated log line).
		idInput = append([]byte(cwl.Message), cwl.ID...)
	}
	id, err := n.id(d, idInput, &tr)
	if err != nil {
		return Output{}, err
	}
	d["@id"] = id
	if def.FieldPrefix != "" {
		n.prefix(d, original)
	}
	if invalidUTF8 {
		tag(d, TagInvalidUTF8) // after prefix: tags is ECS's, at the top
	}
	idx := n.index(tr.Index, ts)
	var notes []string
	notes, n.limitPath = pruneAndLimit(d, n.limitPath)
	addErrorMessage(d, notes)
	return Output{Index: idx, ID: id, Doc: d, Def: def}, nil
}

// message is the record's @message: the log line itself when the record
// came wrapped (CloudWatch Logs, FireLens), else the record as framed,
// as the decoder's string of it when it made one (no copy).
func message(raw []byte, dec format.Decoded) string {
	switch {
	case dec.CWL != nil:
		return dec.CWL.Message
	case dec.Message != nil:
		return *dec.Message
	case dec.Text != "":
		return dec.Text
	}
	return string(raw)
}

// rename applies the definition's renames to the raw fields and returns
// their names after it when field_prefix will move them (nil otherwise).
func (n *Normalizer) rename(d map[string]any) []string {
	def := n.def
	for newName, old := range def.Rename {
		if v, ok := d[old]; ok && doc.Present(v) {
			d[newName] = v
			delete(d, old)
		}
	}
	if def.FieldPrefix == "" {
		return nil
	}
	original := make([]string, 0, len(d))
	for k := range d {
		original = append(original, k)
	}
	return original
}

// transformed runs the log type's Go transform, if any, and takes the
// better event time it may give (an OCSF finding's last update: it moves
// @timestamp and the index date). What goes wrong is added to problems.
func (n *Normalizer) transformed(d map[string]any, ts time.Time, problems []string) (logtype.Result, time.Time, []string) {
	if n.transform == nil {
		return logtype.Result{}, ts, problems
	}
	// The result lives in n: a local handed to the transform (a func
	// value) would escape, an allocation per record.
	n.result = logtype.Result{}
	tr := &n.result
	name := n.def.Transform
	if err := n.transform(d, tr); err != nil {
		problems = append(problems, fmt.Sprintf("transform %s: %v", name, err))
	}
	if v := tr.Time; v != nil {
		if t, err := ParseTime(v, []string{"epoch", "iso8601"}, time.UTC); err == nil {
			ts = t
			d["@timestamp"] = TimeValue(ts)
		} else {
			problems = append(problems, fmt.Sprintf("transform %s: event time: %v", name, err))
		}
	}
	return *tr, ts, problems
}

// addErrorMessage appends notes to the document's error.message, after
// what the record or an earlier phase put there.
func addErrorMessage(d map[string]any, notes []string) {
	if len(notes) == 0 {
		return
	}
	msg := strings.Join(notes, "; ")
	if prev := doc.GetString(d, "error.message"); prev != "" {
		msg = prev + "; " + msg
	}
	doc.Set(d, "error.message", msg)
}

// mapValues computes every ECS target's value from the raw record as it
// came in, before any is written (a target may share a prefix with a raw
// source).
func (n *Normalizer) mapValues(d map[string]any) []any {
	vals := n.vals
	clear(vals)
	n.addrs.reset()
	for i, p := range n.plan {
		if p.list {
			if v := collect(d, p.kind, p.sources, &n.addrs); len(v) > 0 {
				vals[i] = v
			}
			continue
		}
		for _, src := range p.sources {
			v, ok := doc.Get(d, src)
			if !ok || !doc.Present(v) {
				continue
			}
			if cv, ok := n.addrs.coerce(p.kind, v); ok {
				vals[i] = cv
				break
			}
		}
	}
	return vals
}

// addrs remembers the addresses one record's mapping coerced, by the
// text they came as: source.ip's and destination.ip's come again in
// related.ip, and parsing an address is most of coercing it.
type addrs struct {
	n    int
	memo [4]coerced
}

type coerced struct {
	s  string
	v  any
	ok bool
}

// reset forgets the last record's (and lets go of their text).
func (a *addrs) reset() {
	if a.n > 0 {
		a.n, a.memo = 0, [4]coerced{}
	}
}

// coerce is ecs.CoerceAs, remembering what it made of an address.
func (a *addrs) coerce(k ecs.Kind, v any) (any, bool) {
	s, ok := v.(string)
	if k != ecs.IP || !ok {
		return ecs.CoerceAs(k, v)
	}
	for i := 0; i < a.n; i++ {
		if m := &a.memo[i]; m.s == s {
			return m.v, m.ok
		}
	}
	cv, ok := ecs.CoerceAs(k, v)
	if a.n < len(a.memo) {
		a.memo[a.n] = coerced{s, cv, ok}
		a.n++
	}
	return cv, ok
}

// writeFields writes the base fields (they win over raw fields of the same
// name), the mapped values, the account and region the key or envelope
// gives when the record has none, and the static fields.
func (n *Normalizer) writeFields(d map[string]any, message string, ts time.Time, cwl *format.CWLMeta, vals []any, objs *doc.Objects) {
	_, rawProvider := doc.Get(d, "cloud.provider")
	_, rawAccount := doc.Get(d, "cloud.account.id")
	_, rawRegion := doc.Get(d, "cloud.region")

	d["@message"] = message
	d["@timestamp"] = TimeValue(ts)
	d["@log_type"] = n.boxed.logType
	d["@log_s3bucket"] = n.boxed.bucket
	d["@log_s3key"] = n.boxed.key
	account := n.boxed.account
	if cwl != nil {
		d["@log_group"] = cwl.LogGroup
		d["@log_stream"] = cwl.LogStream
		if cwl.Owner != "" {
			account = cwl.Owner
		}
	}
	n.base[pathModule].SetWith(d, n.boxed.logType, objs)
	n.base[pathIngested].SetWith(d, n.boxed.ingested, objs)
	n.base[pathECSVersion].SetWith(d, ecs.Version, objs)
	if !rawProvider {
		n.base[pathProvider].SetWith(d, "aws", objs)
	}
	for i, p := range n.plan {
		if vals[i] != nil {
			p.path.SetWith(d, vals[i], objs)
		}
	}
	if !rawAccount && account != "" {
		if _, ok := doc.Get(d, "cloud.account.id"); !ok {
			n.base[pathAccount].SetWith(d, account, objs)
		}
	}
	if !rawRegion && n.region != "" {
		if _, ok := doc.Get(d, "cloud.region"); !ok {
			n.base[pathRegion].SetWith(d, n.boxed.region, objs)
		}
	}
	for _, st := range n.static {
		st.path.SetWith(d, st.value, objs)
	}
}

// TagInvalidUTF8 is added to the tags of a document whose record held
// bytes that are not UTF-8, and InvalidUTF8Message to its error.message.
const (
	TagInvalidUTF8     = "invalid_utf8"
	InvalidUTF8Message = "record holds invalid UTF-8: those bytes are U+FFFD in this document"
)

// tag appends t to the document's ECS tags (a list of keywords), making
// a single string tag a list; a tags field of another shape is left as
// it is (error.message still says what happened).
func tag(d map[string]any, t string) {
	switch v := d["tags"].(type) {
	case nil:
		d["tags"] = []any{t}
	case []any:
		d["tags"] = append(v, t)
	case string:
		d["tags"] = []any{v, t}
	}
}

// prefix moves the raw fields under the definition's field_prefix, except
// those whose name is also an ECS root this document uses (they hold ECS
// values now too and stay where ECS expects them).
func (n *Normalizer) prefix(d map[string]any, original []string) {
	box, _ := d[n.def.FieldPrefix].(map[string]any)
	if box == nil {
		box = map[string]any{}
	}
	for _, k := range original {
		if n.ecsRoots[k] || strings.HasPrefix(k, "@") || k == n.def.FieldPrefix {
			continue
		}
		if v, ok := d[k]; ok {
			box[k] = v
			delete(d, k)
		}
	}
	d[n.def.FieldPrefix] = box
}

// collect gathers a list target's values (related.ip, related.user)
// from its sources: coerced, non-empty, distinct and sorted. The values
// are kept as the interfaces Coerce gave, not boxed again.
func collect(d map[string]any, kind ecs.Kind, sources []string, a *addrs) []any {
	var out []any
	// A few values are told apart by a scan; a set is made only for a
	// long list (a record's hundreds of resource ARNs).
	var seen map[string]bool
	add := func(v any) {
		cv, ok := a.coerce(kind, v)
		if !ok {
			return
		}
		s, ok := cv.(string)
		if !ok || s == "" {
			return
		}
		if seen != nil {
			if seen[s] {
				return
			}
			seen[s] = true
		} else {
			for _, o := range out {
				if o.(string) == s {
					return
				}
			}
			if len(out) == 16 {
				seen = make(map[string]bool, 64)
				for _, o := range out {
					seen[o.(string)] = true
				}
				seen[s] = true
			}
		}
		if out == nil {
			// Room for a value per source, up to four (related.ip's
			// source and destination): growing from one cost an
			// allocation per value.
			out = make([]any, 0, min(max(2, len(sources)), 4))
		}
		out = append(out, cv)
	}
	for _, src := range sources {
		v, ok := doc.Get(d, src)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				add(e)
			}
		default:
			add(t)
		}
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}

func (n *Normalizer) timestamp(d map[string]any) (time.Time, error) {
	spec := n.def.Timestamp
	if n.hasKeyTime {
		return n.keyTime, nil
	}
	if len(spec.Keys) == 0 {
		if v, ok := d["@timestamp"]; ok && doc.Present(v) {
			return ParseTimeNear(v, spec.Formats, n.tsLoc, n.near)
		}
		return n.ingested, nil
	}
	for _, k := range spec.Keys {
		v, ok := joinedTime(d, k)
		if !ok || !doc.Present(v) {
			continue
		}
		t, err := ParseTimeNear(v, spec.Formats, n.tsLoc, n.near)
		if err != nil {
			return time.Time{}, fmt.Errorf("field %s: %w", k, err)
		}
		return t, nil
	}
	if spec.Optional {
		return n.ingested, nil
	}
	return time.Time{}, fmt.Errorf("no timestamp in %s; @timestamp set to ingest time", strings.Join(spec.Keys, ", "))
}

// joinedTime reads a timestamp key; "date+time" joins two fields with
// "T" (logs that write date and time in separate columns).
func joinedTime(d map[string]any, key string) (any, bool) {
	if !strings.Contains(key, "+") {
		return doc.Get(d, key)
	}
	parts := strings.Split(key, "+")
	var vals []string
	for _, p := range parts {
		s := doc.GetString(d, p)
		if s == "" {
			return nil, false
		}
		vals = append(vals, s)
	}
	return strings.Join(vals, "T"), true
}

// id is deterministic: the configured id field, else the md5 of the raw
// record (the reference's rule, so re-loading the same object overwrites
// instead of duplicating).
func (n *Normalizer) id(d map[string]any, raw []byte, tr *logtype.Result) (string, error) {
	var id string
	if tr.ID != "" {
		id = tr.ID
	} else if n.def.DocID != "" {
		v, ok := doc.Get(d, n.def.DocID)
		s := scalarString(v)
		if !ok || s == "" {
			// Fall back to the content hash rather than losing the record.
			sum := md5.Sum(raw)
			id = hex.EncodeToString(sum[:])
		} else {
			id = s
		}
	} else {
		sum := md5.Sum(raw)
		id = hex.EncodeToString(sum[:])
	}
	if tr.IDSuffix != "" {
		id += "_" + tr.IDSuffix
	} else if n.def.DocIDSuffix != "" {
		if v, ok := doc.Get(d, n.def.DocIDSuffix); ok {
			if s := scalarString(v); s != "" {
				id += "_" + s
			}
		}
	}
	if len(id) > 512 {
		return "", fmt.Errorf("document id longer than 512 bytes")
	}
	return id, nil
}

func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
}

// index returns the index name per rotation (reference-spec §2.15).
func (n *Normalizer) index(override string, ts time.Time) string {
	spec := n.def.Index
	name := spec.Name
	if override != "" {
		name = override
	}
	if spec.Rotation == "auto" {
		return name
	}
	if spec.Suffix != "" {
		name += "-" + spec.Suffix
	}
	t := ts
	if spec.Time == "event.ingested" {
		t = n.ingested
	}
	t = t.In(n.idxLoc)
	y, yd := t.Year(), t.YearDay()
	// The records of an object mostly fall on one day: the name is made
	// once per day and name, not per record.
	if c := &n.lastIndex; c.text != "" && c.year == y && c.yearDay == yd && c.override == override {
		return c.text
	}
	text := name + RotationSuffix(spec.Rotation, t)
	n.lastIndex = indexName{override: override, year: y, yearDay: yd, text: text}
	return text
}

// indexName is the index name last made, for a day of the index's time
// zone and the transform's override.
type indexName struct {
	override      string
	year, yearDay int
	text          string
}

// RotationSuffix is the date suffix of an index for a rotation.
func RotationSuffix(rotation string, t time.Time) string {
	switch rotation {
	case "daily":
		return t.Format("-2006-01-02")
	case "weekly":
		// Monday-based week of the year, 00-53 (strftime %W), as the reference.
		yd := t.YearDay() - 1
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return fmt.Sprintf("-%d-w%02d", t.Year(), (yd+7-wd)/7)
	case "yearly":
		return t.Format("-2006")
	default:
		return t.Format("-2006-01")
	}
}

// textPath is a json_to_text path split at its dots once (New), with
// rests[i] the path from parts[i] on, joined again.
type textPath struct {
	parts, rests []string
}

func compileTextPaths(paths []string) []textPath {
	out := make([]textPath, len(paths))
	for i, p := range paths {
		parts := strings.Split(p, ".")
		rests := make([]string, len(parts))
		for j := range parts {
			rests[j] = strings.Join(parts[j:], ".")
		}
		out[i] = textPath{parts, rests}
	}
	return out
}

// toText rewrites the value at the path from parts[i] on as text,
// descending into lists on the way.
func (tp textPath) toText(m map[string]any, i int) {
	head, more := tp.parts[i], i+1 < len(tp.parts)
	v, ok := m[head]
	if !ok {
		if more {
			// A literal key holding dots ("a.b") before descending.
			if lit, ok := m[tp.rests[i]]; ok {
				m[tp.rests[i]] = textOf(lit)
			}
		}
		return
	}
	if !more {
		m[head] = textOf(v)
		return
	}
	tp.each(v, i+1)
}

func (tp textPath) each(v any, i int) {
	switch t := v.(type) {
	case map[string]any:
		tp.toText(t, i)
	case []any:
		for _, e := range t {
			tp.each(e, i)
		}
	}
}

func textOf(v any) any {
	switch t := v.(type) {
	case nil, string:
		return v
	case json.Number:
		return t.String()
	case bool:
		return fmt.Sprint(t)
	case float64:
		return fmt.Sprint(t)
	default:
		b, err := doc.AppendJSON(nil, t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}
