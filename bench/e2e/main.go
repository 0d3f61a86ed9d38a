// Command e2e measures `siem load` end to end (read, decompress, frame,
// parse, enrich, encode, write) on big inputs it builds itself from the
// project's samples, on one core and on all cores, and prints a table next
// to the parse-only figures of the same records and to the Python
// reference's. `make bench` runs it after the parse benchmarks.
//
//	go run ./bench/e2e [-quick] [-runs N] [-inputs DIR] [-out DIR]
//
// Inputs are cached in DIR (default $TMPDIR/siem-bench-inputs). The
// documents go to -out (default: under the inputs' DIR), which the table
// names: VPC and ALB write 12x and 7x their plain size, so on a slow disk
// their rows measure the disk too, and -out on a tmpfs (/dev/shm) keeps
// it out of the figures. Peak RSS is
// the child process's maximum resident set (its VmHWM), so it counts
// everything the loader holds. With -runs N each row is measured N times,
// one core and all cores in turn: the table keeps the fastest run's
// rates (a shared machine's speed drifts between runs) and the highest
// peak RSS of all of them.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/normalize"
)

// input is one generated object and how to read it.
type input struct {
	name    string
	logType string
	key     string // object key (the file's path under the input dir)
	plain   int64  // uncompressed bytes to generate
	lines   int    // or records/lines to generate
	refRate float64
	build   func(w io.Writer, in *input) error
}

// Reference figures: the Python es-loader on one core, as measured for
// issue 13 on this project's machine kind.
const (
	refCloudTrail = 4491
	refVPC        = 7566
	refALB        = 7115
)

type generator struct {
	cloudTrail [][]byte // one JSON record each
	vpc        []string
	alb        []string
	notes      []string
	// ctSource names where the CloudTrail records came from (part of the
	// cached file's name, so a cache built from other records is not reused).
	ctSource string
}

func main() {
	quick := flag.Bool("quick", false, "skip the 1 GB CloudTrail row")
	runs := flag.Int("runs", 1, "measure each row this many times: fastest rate, highest peak RSS")
	dir := flag.String("inputs", filepath.Join(os.TempDir(), "siem-bench-inputs"), "where generated inputs are cached")
	outDir := flag.String("out", "", "where siem load writes the documents (default: under -inputs); a tmpfs such as /dev/shm keeps the disk out of the figures")
	flag.Parse()
	if *outDir == "" {
		*outDir = *dir
	}
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	g, err := loadSamples(root)
	if err != nil {
		fail(err)
	}
	for _, n := range g.notes {
		fmt.Println(n)
	}
	inputs := []*input{
		{name: "CloudTrail 10 MB", logType: "cloudtrail", plain: 10 << 20, refRate: refCloudTrail, build: g.buildCloudTrail},
		{name: "CloudTrail 100 MB", logType: "cloudtrail", plain: 100 << 20, refRate: refCloudTrail, build: g.buildCloudTrail},
		{name: "CloudTrail 1 GB", logType: "cloudtrail", plain: 1 << 30, refRate: refCloudTrail, build: g.buildCloudTrail},
		{name: "VPC flow 1M lines", logType: "vpcflowlogs", lines: 1_000_000, refRate: refVPC, build: g.buildVPC},
		{name: "ALB 500k lines", logType: "alb", lines: 500_000, refRate: refALB, build: g.buildALB},
	}
	if *quick {
		inputs = append(inputs[:2], inputs[3:]...)
	}
	bin := filepath.Join(*dir, "siem")
	for _, d := range []string{*dir, *outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			fail(err)
		}
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/siem")
	build.Dir, build.Stdout, build.Stderr = root, os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fail(fmt.Errorf("building siem: %w", err))
	}
	var rows []row
	for _, in := range inputs {
		path, err := g.ensure(*dir, in)
		if err != nil {
			fail(err)
		}
		coreCounts := []int{1, runtime.NumCPU()}
		best := make([]row, len(coreCounts))
		parse := 0.0
		for run := 0; run < max(1, *runs); run++ {
			p, err := parseOnly(path, in)
			if err != nil {
				fail(err)
			}
			parse = max(parse, p)
			for i, cores := range coreCounts {
				r, err := loadOnce(bin, *dir, *outDir, path, in, cores)
				if err != nil {
					fail(err)
				}
				fmt.Fprintf(os.Stderr, "  %-20s %d core(s): %.0f records/s, peak RSS %.0f MB\n", in.name, cores, r.rate(), float64(r.rssKB)/1024)
				best[i] = better(best[i], r)
			}
		}
		for _, r := range best {
			r.parseRate = parse
			rows = append(rows, r)
		}
	}
	printTable(os.Stdout, rows, max(1, *runs), sinkPlace(*outDir))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "e2e:", err)
	os.Exit(1)
}

// repoRoot is the module root (the folder holding go.mod).
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = p
	}
}

// loadSamples reads the records the inputs repeat. CloudTrail takes the
// 2,900 real events of the Invictus dataset when ../shared/corpus is there
// (a developer's machine, CI) and the project's own samples otherwise.
func loadSamples(root string) (*generator, error) {
	g := &generator{}
	corpus := filepath.Join(root, "..", "shared", "corpus", "cloudtrail", "invictus_aws_dataset_all_records.ndjson")
	if b, err := os.ReadFile(corpus); err == nil {
		for _, l := range bytes.Split(b, []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) > 0 {
				g.cloudTrail = append(g.cloudTrail, l)
			}
		}
		g.ctSource = "corpus"
		g.notes = append(g.notes, fmt.Sprintf("CloudTrail records: %d real events of the Invictus corpus (%s)", len(g.cloudTrail), corpus))
	} else {
		msgs, err := documentMessages(root, "shared/logtypes/cloudtrail/testdata/*.golden.json")
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			g.cloudTrail = append(g.cloudTrail, []byte(m))
		}
		g.ctSource = "samples"
		g.notes = append(g.notes, fmt.Sprintf("WARNING: ../shared/corpus is absent: CloudTrail inputs repeat only the project's %d sample records (less varied than real logs; figures are not comparable with the table in the README)", len(g.cloudTrail)))
	}
	var err error
	if g.vpc, err = sampleLines(root, "shared/logtypes/vpcflow/testdata/panther_*.log"); err != nil {
		return nil, err
	}
	if g.alb, err = documentMessages(root, "shared/logtypes/alb/testdata/*.golden.json"); err != nil {
		return nil, err
	}
	if len(g.cloudTrail) == 0 || len(g.vpc) == 0 || len(g.alb) == 0 {
		return nil, fmt.Errorf("samples missing: %d CloudTrail, %d VPC, %d ALB", len(g.cloudTrail), len(g.vpc), len(g.alb))
	}
	return g, nil
}

// sampleLines are the record lines of sample files (headers left out).
func sampleLines(root, glob string) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(root, glob))
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "version ") {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// documentMessages are the @message of the reviewed golden documents:
// lines known to load (the samples also hold lines made to fail).
func documentMessages(root, glob string) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(root, glob))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var res struct {
			Documents []struct {
				Source struct {
					Message string `json:"@message"`
				} `json:"_source"`
			} `json:"documents"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, d := range res.Documents {
			out = append(out, d.Source.Message)
		}
	}
	return out, nil
}

var eventID = regexp.MustCompile(`"eventID"\s*:\s*"[0-9a-f]{8}`)

func (g *generator) buildCloudTrail(w io.Writer, in *input) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`{"Records":[`)
	var n int64
	for i := 0; n < in.plain; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		// A distinct eventID per copy, as in real logs (it is the _id).
		rec := g.cloudTrail[i%len(g.cloudTrail)]
		if loc := eventID.FindIndex(rec); loc != nil {
			bw.Write(rec[:loc[1]-8])
			fmt.Fprintf(bw, "%08x", i)
			bw.Write(rec[loc[1]:])
		} else {
			bw.Write(rec)
		}
		n += int64(len(rec)) + 1
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

const vpcHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func (g *generator) buildVPC(w io.Writer, in *input) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(vpcHeader + "\n")
	for i := 0; i < in.lines; i++ {
		bw.WriteString(g.vpc[i%len(g.vpc)])
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func (g *generator) buildALB(w io.Writer, in *input) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := 0; i < in.lines; i++ {
		bw.WriteString(g.alb[i%len(g.alb)])
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ensure writes the input (gzip, as AWS delivers it) under dir with a key
// the log type is detected from, unless it is already there.
func (g *generator) ensure(dir string, in *input) (string, error) {
	def := logtype.Builtin().Get(in.logType)
	slug := strings.NewReplacer(" ", "-", "/", "-").Replace(strings.ToLower(in.name))
	if in.logType == "cloudtrail" {
		slug += "-" + g.ctSource
	}
	key := samplePath(def.SampleKey, slug)
	in.key = key
	path := filepath.Join(dir, "in", slug, filepath.FromSlash(key))
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "building %s -> %s\n", in.name, path)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err := in.build(zw, in); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(path+".tmp", path)
}

// samplePath is the type's sample key with a distinct file name, ending
// in .gz.
func samplePath(sampleKey, slug string) string {
	d, base := filepath.Split(sampleKey)
	base = strings.TrimSuffix(base, ".gz")
	return d + slug + "_" + base + ".gz"
}

// parseOnly is the load step's per-record work over the same input in
// this process, on one goroutine: framing, decoding, normalization and
// encoding, without reading from disk or writing anything.
func parseOnly(path string, in *input) (float64, error) {
	def := logtype.Builtin().Get(in.logType)
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	start := time.Now()
	fr, err := format.OpenObject(def, f)
	if err != nil {
		return 0, err
	}
	var c counter
	n, err := normalize.Records(def, fr, normalize.New(def, normalize.Source{Bucket: "local", Key: in.key}, time.Now()), &c)
	if err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

type counter struct{ docs, dead int }

func (c *counter) Document(format.Record, normalize.Output, []byte) error { c.docs++; return nil }
func (c *counter) DeadLetter(int, []byte, string) error                   { c.dead++; return nil }
func (c *counter) Skip(int, string) error                                 { return nil }

type row struct {
	in        *input
	cores     int
	records   int
	indexed   int
	seconds   float64
	rssKB     int64
	gzBytes   int64
	plain     int64
	outBytes  int64
	parseRate float64
}

func (r row) rate() float64 { return float64(r.records) / r.seconds }

// loadOnce runs siem load on the input with the given cores, writing the
// documents under outDir, and reads the summary and the child's peak RSS.
func loadOnce(bin, dir, outDir, path string, in *input, cores int) (row, error) {
	out := filepath.Join(outDir, "out")
	os.RemoveAll(out)
	defer os.RemoveAll(out)
	summary := filepath.Join(dir, "summary.json")
	args := []string{"load", "--quiet", "--out", out, "--summary", summary, "--workers", fmt.Sprint(cores), path}
	cmd := exec.Command(bin, args...)
	if cores == 1 {
		if ts, err := exec.LookPath("taskset"); err == nil {
			cmd = exec.Command(ts, append([]string{"-c", "0", bin}, args...)...)
		}
	}
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", cores))
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return row{}, err
	}
	// getrusage's maxrss would count this process's memory (a child's
	// high-water mark starts from its parent's at fork), so the child's own
	// VmHWM is read while it runs; it only grows.
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var max int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := vmHWM(cmd.Process.Pid); kb > max {
				max = kb
			}
			select {
			case <-done:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	r := row{in: in, cores: cores, seconds: time.Since(start).Seconds(), rssKB: <-peak}
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		return r, err
	}
	var s struct {
		RecordsIn int `json:"records_in"`
		Indexed   int `json:"indexed"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return r, err
	}
	r.records, r.indexed = s.RecordsIn, s.Indexed
	if st, err := os.Stat(path); err == nil {
		r.gzBytes = st.Size()
	}
	r.plain, _ = plainSize(path)
	filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".ndjson") && !strings.Contains(p, "dead-letter") {
			if info, err := e.Info(); err == nil {
				r.outBytes += info.Size()
			}
		}
		return nil
	})
	return r, nil
}

// vmHWM is a process's peak resident set in KiB (0 once it is gone).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}

func plainSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, zr)
}

// better is the faster of two runs of a row (the first when a is unset),
// with the higher peak RSS of the two.
func better(a, b row) row {
	if a.in == nil {
		return b
	}
	rss := max(a.rssKB, b.rssKB)
	if b.seconds < a.seconds {
		a = b
	}
	a.rssKB = rss
	return a
}

// sinkPlace says where the documents were written and on what file
// system (tmpfs: the rows leave the disk out).
func sinkPlace(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if t := fsType(dir); t != "" {
		return "file sink in " + dir + " (" + t + ")"
	}
	return "file sink in " + dir
}

// fsType is the type of the file system holding dir, from the longest
// mount point of /proc/mounts that contains it ("" when unknown).
func fsType(dir string) string {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return ""
	}
	best, typ := "", ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		inside := dir == mp || mp == "/" || strings.HasPrefix(dir, mp+"/")
		if inside && len(mp) > len(best) {
			best, typ = mp, f[2]
		}
	}
	return typ
}

func printTable(w io.Writer, rows []row, runs int, sink string) {
	best := ""
	if runs > 1 {
		best = fmt.Sprintf("; fastest of %d runs, highest peak RSS", runs)
	}
	fmt.Fprintf(w, "\nend to end: siem load, %s, gzip inputs (%s, %d cores, %s%s)\n\n", sink, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"), best)
	fmt.Fprintf(w, "| input | cores | records | records/s | MB/s (plain) | peak RSS | bytes out/in (plain) | parse-only records/s (1 core) | x reference (1 core) |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ref := "-"
		if r.cores == 1 {
			ref = fmt.Sprintf("%.1fx of %.0f", r.rate()/r.in.refRate, r.in.refRate)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.1f | %.0f MB | %.2f | %.0f | %s |\n",
			r.in.name, r.cores, r.records, r.rate(), float64(r.plain)/1e6/r.seconds, float64(r.rssKB)/1024, float64(r.outBytes)/float64(r.plain), r.parseRate, ref)
		if r.indexed != r.records {
			fmt.Fprintf(w, "|   (%d of %d records indexed) |||||||||\n", r.indexed, r.records)
		}
	}
}
