// Package logtype is the registry of log types: how each is recognised from
// its S3 key, how its records are framed and decoded, how its timestamp is
// found, how it maps to ECS and which index it lands in. Definitions are data
// (YAML embedded by each log type package); a log type may add a small Go
// transform for what a mapping cannot say.
package logtype

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Definition describes one log type. Field names follow the YAML keys.
type Definition struct {
	Name string `yaml:"name"`
	// Order decides detection precedence: lower first, then name. The
	// built-in catalogue follows the reference's section order.
	Order int `yaml:"order"`
	// KeyPattern is an RE2 regex searched in the url-decoded S3 key.
	KeyPattern string `yaml:"s3_key"`
	// KeyIgnored, when it matches, skips the object with a recorded reason.
	KeyIgnored string `yaml:"s3_key_ignored"`

	// Format names the record framing: "json" (one or more JSON values,
	// records optionally under RecordsField; "a|b" names alternatives), "text" (one record per line,
	// decoded by Pattern or by the Go decoder named in Decoder),
	// "multiline" (as text, a record being the lines from one matching
	// MultilineFirstLine to the next), "csv" (a header line naming the
	// fields; Delimiter empty means whitespace), "parquet" (Apache Parquet
	// rows, typed like JSON). Parquet content is read as Parquet whatever
	// the format says: a text format's rows are given as its lines.
	Format       string `yaml:"format"`
	RecordsField string `yaml:"json_records"`
	Pattern      string `yaml:"pattern"`
	// MultilineFirstLine (format "multiline") is an RE2 regex matching the
	// first line of a record; the lines up to the next match belong to it.
	MultilineFirstLine string `yaml:"multiline_firstline"`
	Decoder            string `yaml:"decoder"`
	Delimiter          string `yaml:"delimiter"`
	HeaderLines        int    `yaml:"header_lines"`
	// Columns name the values of a "fields" line in order; a line may stop
	// after MinColumns of them (older versions of a format).
	Columns    []string `yaml:"columns"`
	MinColumns int      `yaml:"min_columns"`
	// HeaderMarker is the first field of a csv header line; such a line may
	// appear again mid-file (concatenated deliveries) and resets the header.
	HeaderMarker string `yaml:"header_marker"`
	// DefaultHeaders apply to csv records that come before any header line:
	// the one with as many names as the record has fields is used.
	DefaultHeaders []string `yaml:"default_headers"`
	// RequiredField marks a JSON value as a record when RecordsField is set
	// but absent (e.g. a bare CloudTrail event instead of a log file).
	RequiredField string `yaml:"required_field"`
	// ViaCWL: the object is CloudWatch Logs subscription data (as Firehose
	// delivers it); each log event's message is a record of Format.
	ViaCWL bool `yaml:"via_cwl"`
	// CWLLogGroup, an RE2 regex searched in a CloudWatch Logs envelope's
	// logGroup (and CWLLogStream in its logStream, when set), claims the
	// envelope's events for this log type whatever the object's type is:
	// one Firehose delivery may mix the log groups of a cluster
	// (/aws/rds/cluster/x/slowquery, /error, /audit).
	CWLLogGroup  string `yaml:"cwl_log_group"`
	CWLLogStream string `yaml:"cwl_log_stream"`
	// ViaFireLens: each line is a FireLens JSON object whose "log" is a
	// record of Format (one line; multiline apps should concatenate in
	// Fluent Bit); IgnoreContainerStderr counts stderr lines as skipped.
	ViaFireLens           bool `yaml:"via_firelens"`
	IgnoreContainerStderr bool `yaml:"ignore_container_stderr"`

	Timestamp TimestampSpec `yaml:"timestamp"`
	DocID     string        `yaml:"doc_id"`
	// DocIDSuffix names a field whose value is appended to the id.
	DocIDSuffix string    `yaml:"doc_id_suffix"`
	Index       IndexSpec `yaml:"index"`

	// ECS maps an ECS field to candidate source paths; the first present
	// value wins.
	ECS map[string][]string `yaml:"ecs"`
	// ECSLists maps a list-typed ECS field (related.ip) to sources whose
	// values are all collected, de-duplicated and sorted.
	ECSLists map[string][]string `yaml:"ecs_lists"`
	// Static sets constant ECS values.
	Static map[string]any `yaml:"static"`

	// Rename moves raw top-level fields before mapping: new name -> old name.
	Rename map[string]string `yaml:"rename"`
	// FieldPrefix moves the raw fields under this key after mapping, so
	// they cannot collide with ECS fields of other log types.
	FieldPrefix string `yaml:"field_prefix"`
	// JSONToText names raw paths whose values are written as text (objects
	// and lists as compact JSON, numbers and booleans as their literal):
	// fields a source writes with changing types would otherwise conflict
	// in the index mapping. A path through a list applies to every element.
	JSONToText []string `yaml:"json_to_text"`

	GeoIP        []string `yaml:"geoip"`
	IOCIP        []string `yaml:"ioc_ip"`
	IOCDomain    []string `yaml:"ioc_domain"`
	UserAgent    string   `yaml:"user_agent"`
	ClientIPXFF  []string `yaml:"clientip_xff"`
	Transform    string   `yaml:"transform"`
	ChunkRecords int      `yaml:"chunk_records"`
	Description  string   `yaml:"description"`
	SampleKey    string   `yaml:"sample_key"`

	keyRe     *regexp.Regexp
	ignoredRe *regexp.Regexp
	patternRe *regexp.Regexp
	// firstLineRe is MultilineFirstLine compiled.
	firstLineRe *regexp.Regexp
	groupRe     *regexp.Regexp
	streamRe    *regexp.Regexp
}

// TimestampSpec says where the record time is and how it is written.
type TimestampSpec struct {
	// Keys are candidate dotted paths; the first present value is used.
	Keys []string `yaml:"keys"`
	// Formats are tried in order: "iso8601", "epoch" (seconds, ms or µs by
	// magnitude) or a Go reference layout.
	Formats []string `yaml:"formats"`
	// TZ applies to naive timestamps, as "+09:00"; default UTC.
	TZ string `yaml:"tz"`
	// Optional: records without a timestamp (inventory snapshots) use the
	// ingest time without an error.message.
	Optional bool `yaml:"optional"`
	// FromKey is an RE2 regex with named groups year, month, day and
	// optionally hour, minute, second, searched in the S3 key: when it
	// matches, every record of the object gets that time (Config snapshots
	// are stamped with the snapshot's time, not each item's capture time).
	FromKey string `yaml:"from_key"`

	fromKeyRe *regexp.Regexp
}

// KeyTime returns the time FromKey finds in key (UTC unless tz is given).
func (t *TimestampSpec) KeyTime(key string, tz *time.Location) (time.Time, bool) {
	if t.fromKeyRe == nil {
		return time.Time{}, false
	}
	m := t.fromKeyRe.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	part := map[string]int{}
	for i, name := range t.fromKeyRe.SubexpNames() {
		if name == "" || m[i] == "" {
			continue
		}
		n := 0
		for _, c := range m[i] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n = n*10 + int(c-'0')
		}
		part[name] = n
	}
	if tz == nil {
		tz = time.UTC
	}
	tm := time.Date(part["year"], time.Month(part["month"]), part["day"], part["hour"], part["minute"], part["second"], 0, tz)
	// time.Date normalises out-of-range parts (month 13); such a key has
	// no valid time.
	if tm.Year() != part["year"] || int(tm.Month()) != part["month"] || tm.Day() != part["day"] || tm.Hour() != part["hour"] || tm.Minute() != part["minute"] || tm.Second() != part["second"] {
		return time.Time{}, false
	}
	return tm, true
}

// IndexSpec names the destination index and its rotation.
type IndexSpec struct {
	Name     string `yaml:"name"`
	Rotation string `yaml:"rotation"` // daily, weekly, monthly (default), yearly, auto
	Suffix   string `yaml:"suffix"`
	// Time selects the rotation clock: "@timestamp" (default) or "event.ingested".
	Time string `yaml:"time"`
	TZ   string `yaml:"tz"`
}

// KeyRegexp returns the compiled key pattern.
func (d *Definition) KeyRegexp() *regexp.Regexp { return d.keyRe }

// IgnoredRegexp returns the compiled ignore pattern, or nil.
func (d *Definition) IgnoredRegexp() *regexp.Regexp { return d.ignoredRe }

// FirstLineRegexp returns the compiled multiline first-line regex, or nil.
func (d *Definition) FirstLineRegexp() *regexp.Regexp { return d.firstLineRe }

// PatternRegexp returns the compiled record pattern, or nil.
func (d *Definition) PatternRegexp() *regexp.Regexp { return d.patternRe }

// Validate compiles the regexes and checks required fields, naming the entry
// and the field in every error.
func (d *Definition) Validate() error {
	if d.Name == "" {
		return fmt.Errorf("log type without a name")
	}
	// Phases in the order a reader of the YAML meets the fields: where the
	// objects are, how they are framed, their time, CloudWatch Logs, where
	// they are indexed, and the Go code they name.
	for _, phase := range []func() error{d.validateKeys, d.validateFormat, d.validateTimestamp, d.validateCWL, d.validateIndex, d.validateCode} {
		if err := phase(); err != nil {
			return err
		}
	}
	return nil
}

func (d *Definition) fail(field, format string, a ...any) error {
	return fmt.Errorf("log type %q: field %s: %s", d.Name, field, fmt.Sprintf(format, a...))
}

func (d *Definition) validateKeys() error {
	var err error
	if d.KeyPattern == "" {
		return d.fail("s3_key", "required")
	}
	if d.keyRe, err = regexp.Compile(d.KeyPattern); err != nil {
		return d.fail("s3_key", "%v", err)
	}
	if d.KeyIgnored != "" {
		if d.ignoredRe, err = regexp.Compile(d.KeyIgnored); err != nil {
			return d.fail("s3_key_ignored", "%v", err)
		}
	}
	return nil
}

// validateFormat checks the format is one the loader frames, with what
// framing it needs, and compiles the record pattern.
func (d *Definition) validateFormat() error {
	if d.MinColumns < 0 {
		return d.fail("min_columns", "must not be negative")
	}
	var err error
	switch d.Format {
	case "json", "csv", "cef", "parquet":
	case "fields":
		err = d.validateColumns()
	case "text":
		err = d.needPattern()
	case "multiline":
		err = d.validateMultiline()
	case "":
		return d.fail("format", "required")
	default:
		return d.fail("format", "unknown format %q", d.Format)
	}
	if err != nil {
		return err
	}
	if d.Pattern != "" {
		if d.patternRe, err = regexp.Compile(d.Pattern); err != nil {
			return d.fail("pattern", "%v", err)
		}
	}
	return nil
}

// validateColumns checks a fields log type names its columns: records
// are split into values, and the names say which value is which.
func (d *Definition) validateColumns() error {
	if len(d.Columns) == 0 {
		return d.fail("columns", "a fields log type needs its column names")
	}
	if d.MinColumns > len(d.Columns) {
		return d.fail("min_columns", "must be between 1 and the number of columns (%d)", len(d.Columns))
	}
	return nil
}

// needPattern checks a text or multiline log type says how to read a
// record: a pattern or a Go decoder.
func (d *Definition) needPattern() error {
	if d.Pattern == "" && d.Decoder == "" {
		return d.fail("pattern", "a %s log type needs a pattern or a decoder", d.Format)
	}
	return nil
}

// validateMultiline checks a multiline log type can read records and
// compiles the first-line regex that tells where one starts.
func (d *Definition) validateMultiline() error {
	if err := d.needPattern(); err != nil {
		return err
	}
	if d.MultilineFirstLine == "" {
		return d.fail("multiline_firstline", "a multiline log type needs the regex of a record's first line")
	}
	var err error
	if d.firstLineRe, err = regexp.Compile(d.MultilineFirstLine); err != nil {
		return d.fail("multiline_firstline", "%v", err)
	}
	return nil
}

func (d *Definition) validateTimestamp() error {
	if d.Timestamp.FromKey == "" {
		return nil
	}
	re, err := regexp.Compile(d.Timestamp.FromKey)
	if err != nil {
		return d.fail("timestamp.from_key", "%v", err)
	}
	names := map[string]bool{}
	for _, n := range re.SubexpNames() {
		names[n] = true
	}
	for _, need := range []string{"year", "month", "day"} {
		if !names[need] {
			return d.fail("timestamp.from_key", "needs a named group (?P<%s>...)", need)
		}
	}
	d.Timestamp.fromKeyRe = re
	return nil
}

func (d *Definition) validateCWL() error {
	var err error
	if d.CWLLogGroup != "" {
		if d.groupRe, err = regexp.Compile(d.CWLLogGroup); err != nil {
			return d.fail("cwl_log_group", "%v", err)
		}
	}
	if d.CWLLogStream != "" {
		if d.CWLLogGroup == "" {
			return d.fail("cwl_log_stream", "needs cwl_log_group")
		}
		if d.streamRe, err = regexp.Compile(d.CWLLogStream); err != nil {
			return d.fail("cwl_log_stream", "%v", err)
		}
	}
	if (d.CWLLogGroup != "") && !d.ViaCWL {
		return d.fail("cwl_log_group", "only for a log type read through CloudWatch Logs (via_cwl: true)")
	}
	if d.ViaCWL && d.ViaFireLens {
		return d.fail("via_firelens", "a log type comes either through CloudWatch Logs (via_cwl) or FireLens, not both")
	}
	return nil
}

func (d *Definition) validateIndex() error {
	if d.Index.Name == "" {
		return d.fail("index.name", "required")
	}
	switch d.Index.Rotation {
	case "", "daily", "weekly", "monthly", "yearly", "auto":
	default:
		return d.fail("index.rotation", "unknown rotation %q", d.Index.Rotation)
	}
	switch d.Index.Time {
	case "", "@timestamp", "event.ingested":
	default:
		return d.fail("index.time", "must be @timestamp or event.ingested")
	}
	for _, f := range []struct{ field, tz string }{{"index.tz", d.Index.TZ}, {"timestamp.tz", d.Timestamp.TZ}} {
		if _, err := ParseOffset(f.tz); err != nil {
			return d.fail(f.field, "%v", err)
		}
	}
	return nil
}

func (d *Definition) validateCode() error {
	if d.Decoder != "" && LookupDecoder(d.Decoder) == nil {
		return d.fail("decoder", "no decoder registered as %q", d.Decoder)
	}
	if d.Transform != "" && LookupTransform(d.Transform) == nil {
		return d.fail("transform", "no transform registered as %q", d.Transform)
	}
	return nil
}

// ParseOffset parses "+HH:MM"/"-HH:MM"/"Z"/"" into a fixed zone.
func ParseOffset(s string) (*time.Location, error) {
	if s == "" || s == "Z" || s == "UTC" || s == "+00:00" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not ±HH:MM", s)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}

// Decoder turns one raw record into its raw fields. Text log types whose
// shape a single regex cannot express (ALB's field generations) register one.
// line is the raw record as a string (values may be substrings of it);
// into, when not nil, is an empty map the decoder may fill and return
// instead of making one (the normalizer reuses it from record to record).
type Decoder func(line string, into map[string]any) (map[string]any, error)

// BytesDecoder is the Decoder of a decoder that reads the record's bytes
// and makes its own map (into is left unused).
func BytesDecoder(decode func(raw []byte) (map[string]any, error)) Decoder {
	return func(line string, _ map[string]any) (map[string]any, error) { return decode([]byte(line)) }
}

// Transform adjusts a normalised document after ECS mapping (the reference's
// sf_<type> scripts). What it decides about the document besides its
// fields (its id, index or event time) it writes to r, never to working
// keys of d.
type Transform func(d map[string]any, r *Result) error

// Result is what a transform decides about a document besides its fields.
// A zero field leaves the definition's rule in force.
type Result struct {
	// ID is the document id, instead of the doc_id field or the hash of
	// the record.
	ID string
	// IDSuffix is appended to the id after "_", instead of the value of
	// the definition's doc_id_suffix field (each update of a finding its
	// own document).
	IDSuffix string
	// Index is the index name (before rotation) instead of the
	// definition's.
	Index string
	// Time is a better event time than the mapped one (epoch or ISO 8601
	// text, or a JSON number): it moves @timestamp and the index date.
	Time any
}

var (
	mu         sync.RWMutex
	decoders   = map[string]Decoder{}
	transforms = map[string]Transform{}
	builtins   = map[string]*Definition{}
)

// RegisterDecoder makes a Go decoder available to definitions by name.
func RegisterDecoder(name string, d Decoder) {
	mu.Lock()
	defer mu.Unlock()
	decoders[name] = d
}

// RegisterTransform makes a Go transform available to definitions by name.
func RegisterTransform(name string, t Transform) {
	mu.Lock()
	defer mu.Unlock()
	transforms[name] = t
}

// LookupDecoder returns the decoder registered under name, or nil.
func LookupDecoder(name string) Decoder {
	mu.RLock()
	defer mu.RUnlock()
	return decoders[name]
}

// LookupTransform returns the transform registered under name, or nil.
func LookupTransform(name string) Transform {
	mu.RLock()
	defer mu.RUnlock()
	return transforms[name]
}

// Package is a built-in log type as its package holds it: the YAML
// definition and the Go code the definition names. Register binds them in
// one call, so a package never repeats its transform's or decoder's name.
type Package struct {
	YAML []byte
	// Variant, when set, is YAML whose settings replace YAML's (a log type
	// that differs from another only in where its objects are and how they
	// are framed).
	Variant []byte
	// Transform and Decoder are registered under the names the definition
	// gives in transform: and decoder:. A definition may also name one that
	// another package registers (web-access, shared by Apache and NGINX).
	Transform Transform
	Decoder   Decoder
}

// Register parses a built-in definition, registers its Go code and adds it
// to the catalogue. Log type packages call it from init; a broken built-in
// is a programming error, so it panics.
func Register(b Package) *Definition {
	var d Definition
	if err := yaml.Unmarshal(b.YAML, &d); err != nil {
		panic(fmt.Sprintf("logtype: built-in definition: %v", err))
	}
	if b.Variant != nil {
		if err := yaml.Unmarshal(b.Variant, &d); err != nil {
			panic(fmt.Sprintf("logtype: built-in variant: %v", err))
		}
	}
	if b.Transform != nil {
		if d.Transform == "" {
			panic(fmt.Sprintf("logtype: built-in %q: Go transform given but the definition names none", d.Name))
		}
		RegisterTransform(d.Transform, b.Transform)
	}
	if b.Decoder != nil {
		if d.Decoder == "" {
			panic(fmt.Sprintf("logtype: built-in %q: Go decoder given but the definition names none", d.Name))
		}
		RegisterDecoder(d.Decoder, b.Decoder)
	}
	if err := d.Validate(); err != nil {
		panic(fmt.Sprintf("logtype: built-in definition: %v", err))
	}
	mu.Lock()
	defer mu.Unlock()
	builtins[d.Name] = &d
	return &d
}

// Registry is an ordered, immutable set of definitions used for detection.
type Registry struct {
	defs   []*Definition
	byName map[string]*Definition
}

// Builtin returns a registry of every registered built-in definition.
func Builtin() *Registry {
	mu.RLock()
	defs := make([]*Definition, 0, len(builtins))
	for _, d := range builtins {
		defs = append(defs, d)
	}
	mu.RUnlock()
	return newRegistry(defs)
}

func newRegistry(defs []*Definition) *Registry {
	sort.SliceStable(defs, func(i, j int) bool {
		if defs[i].Order != defs[j].Order {
			return defs[i].Order < defs[j].Order
		}
		return defs[i].Name < defs[j].Name
	})
	r := &Registry{defs: defs, byName: map[string]*Definition{}}
	for _, d := range defs {
		r.byName[d.Name] = d
	}
	return r
}

// WithOverrides returns a registry where the given definitions replace those
// of the same name and new ones are added.
func (r *Registry) WithOverrides(over []*Definition) (*Registry, error) {
	merged := map[string]*Definition{}
	for _, d := range r.defs {
		merged[d.Name] = d
	}
	for _, d := range over {
		if err := d.Validate(); err != nil {
			return nil, err
		}
		merged[d.Name] = d
	}
	defs := make([]*Definition, 0, len(merged))
	for _, d := range merged {
		defs = append(defs, d)
	}
	return newRegistry(defs), nil
}

// Get returns the definition named name, or nil.
func (r *Registry) Get(name string) *Definition { return r.byName[name] }

// All returns the definitions in detection order.
func (r *Registry) All() []*Definition { return append([]*Definition(nil), r.defs...) }

// Detect returns the first definition whose key pattern is found in key.
func (r *Registry) Detect(key string) *Definition {
	if strings.HasSuffix(key, "/") {
		return nil
	}
	for _, d := range r.defs {
		if d.keyRe.MatchString(key) {
			return d
		}
	}
	return nil
}

// RouteCWL returns the log type that claims a CloudWatch Logs log group
// (and stream): the first definition, in detection order, whose
// cwl_log_group is found in group and whose cwl_log_stream, when set, is
// found in stream. nil when none does: the object's own type applies.
func (r *Registry) RouteCWL(group, stream string) *Definition {
	for _, d := range r.defs {
		if d.groupRe != nil && d.groupRe.MatchString(group) && (d.streamRe == nil || d.streamRe.MatchString(stream)) {
			return d
		}
	}
	return nil
}

// WithIndexSettings returns a registry whose log types all use the given
// rotation and rotation time zone (empty keeps each type's own). It is how
// a deployment sets rotation without editing definitions.
func (r *Registry) WithIndexSettings(rotation, tz string) (*Registry, error) {
	if rotation == "" && tz == "" {
		return r, nil
	}
	var over []*Definition
	for _, d := range r.defs {
		c := *d
		if rotation != "" {
			c.Index.Rotation = rotation
		}
		if tz != "" {
			c.Index.TZ = tz
		}
		over = append(over, &c)
	}
	return r.WithOverrides(over)
}
