package dashboards

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/logtype"
)

// ImportPath is the saved objects import API of OpenSearch Dashboards,
// relative to the Dashboards base (/_dashboards on an Amazon OpenSearch
// Service domain). overwrite=true replaces objects with the same id, so
// importing the bundle again changes nothing and never duplicates.
const ImportPath = "/api/saved_objects/_import?overwrite=true"

// ManualImportDoc points at the README section a user follows where the
// configurator cannot import (OpenSearch Serverless).
const ManualImportDoc = "README.md, Dashboards > Manual import: siem dashboards --out siem-dashboards.ndjson, then Dashboards Management > Saved objects > Import with overwrite"

// Sender sends one request with the caller's headers (bulk.Client
// implements it).
type Sender interface {
	Send(ctx context.Context, method, path string, header http.Header, body []byte) (int, []byte, error)
}

// Import modes (DASHBOARDS_IMPORT).
const (
	ModeImport = "true"  // import; an error fails the deploy
	ModeWarn   = "warn"  // import; an error is logged, the deploy goes on
	ModeOff    = "false" // no import
)

// Importer imports the bundle into OpenSearch Dashboards.
type Importer struct {
	Sender Sender
	// Base is put in front of ImportPath: "/_dashboards" when Sender talks
	// to the OpenSearch endpoint of a domain, "" when it talks to a
	// Dashboards URL.
	Base string
	// Tenant is the securitytenant header (fine-grained access control
	// multi-tenancy); default "global", the tenant every user sees.
	Tenant string
	// Service "aoss" (OpenSearch Serverless) has no import API the
	// configurator can call: Deploy skips with a log line.
	Service string
	Mode    string // ModeImport (default), ModeWarn or ModeOff
	// Attempts on 429/5xx and connection errors (Dashboards answers 503
	// until it is ready, e.g. right after the domain is created); default 4.
	Attempts int
	Sleep    func(ctx context.Context, d time.Duration) error
}

// ObjectError is one object the import refused.
type ObjectError struct {
	Type   string // saved object type
	ID     string
	Title  string
	Reason string // the error type and its details
}

func (e ObjectError) String() string {
	return fmt.Sprintf("%s/%s (%s): %s", e.Type, e.ID, e.Title, e.Reason)
}

// ImportError reports a response that was not a clean success.
type ImportError struct {
	Status       int
	SuccessCount int
	Objects      []ObjectError // per-object errors of a 200 response
	Message      string        // the body's message (non-2xx) or an excerpt
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dashboards import: HTTP %d", e.Status)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Objects) > 0 {
		fmt.Fprintf(&b, ": %d objects imported, %d refused:", e.SuccessCount, len(e.Objects))
		for i, o := range e.Objects {
			if i == 5 {
				fmt.Fprintf(&b, " ... and %d more", len(e.Objects)-i)
				break
			}
			b.WriteString(" " + o.String() + ";")
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}

// importResponse is the API's answer: HTTP 200 with success=false and
// errors[] when some objects were refused; a non-2xx body carries
// statusCode/error/message.
type importResponse struct {
	Success      bool `json:"success"`
	SuccessCount int  `json:"successCount"`
	Errors       []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		Title string `json:"title"`
		Error struct {
			Type       string `json:"type"`
			Message    string `json:"message"`
			References []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"references"`
		} `json:"error"`
	} `json:"errors"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

// Body returns the multipart/form-data body of an import (one "file" part
// holding the NDJSON) and its content type.
func Body(bundle []byte) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="siem-dashboards.ndjson"`)
	h.Set("Content-Type", "application/ndjson")
	part, _ := w.CreatePart(h) // writes to a bytes.Buffer cannot fail
	part.Write(bundle)
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// Import posts bundle to the import API and returns how many objects it
// imported. A non-2xx answer or any refused object is an *ImportError.
func (im *Importer) Import(ctx context.Context, bundle []byte) (int, error) {
	body, ctype := Body(bundle)
	header := http.Header{
		"Content-Type": {ctype},
		// Dashboards refuses API writes without its XSRF header.
		"Osd-Xsrf":       {"true"},
		"Securitytenant": {cmp.Or(im.Tenant, "global")},
	}
	attempts := im.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	sleep := im.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var (
		status int
		resp   []byte
		err    error
	)
	for i := range attempts {
		if i > 0 {
			if err := sleep(ctx, time.Duration(1<<i)*time.Second); err != nil {
				return 0, err
			}
		}
		status, resp, err = im.Sender.Send(ctx, http.MethodPost, im.Base+ImportPath, header, body)
		if err == nil && status != 429 && status < 500 {
			break
		}
		slog.Warn("dashboards import: retrying", "attempt", i+1, "status", status, "error", err)
	}
	if err != nil {
		return 0, fmt.Errorf("dashboards import: %w", err)
	}
	var r importResponse
	jsonErr := json.Unmarshal(resp, &r)
	if status < 200 || status > 299 {
		msg := cmp.Or(r.Message, r.Error)
		if jsonErr != nil || msg == "" {
			msg = excerpt(resp)
		}
		return 0, &ImportError{Status: status, Message: msg}
	}
	if jsonErr != nil {
		return 0, &ImportError{Status: status, Message: "unreadable response: " + excerpt(resp)}
	}
	if r.Success && len(r.Errors) == 0 {
		return r.SuccessCount, nil
	}
	ie := &ImportError{Status: status, SuccessCount: r.SuccessCount}
	for _, e := range r.Errors {
		reason := e.Error.Type
		if e.Error.Message != "" {
			reason += " " + e.Error.Message
		}
		for _, ref := range e.Error.References {
			reason += " " + ref.Type + "/" + ref.ID
		}
		ie.Objects = append(ie.Objects, ObjectError{Type: e.Type, ID: e.ID, Title: e.Title, Reason: reason})
	}
	if len(ie.Objects) == 0 {
		ie.Message = "success=false without errors: " + excerpt(resp)
	}
	return r.SuccessCount, ie
}

// Deploy is what the configurator runs on every deploy: the registry's
// bundle imported with overwrite (idempotent), skipped for OpenSearch
// Serverless (logged with the manual steps) or when Mode is ModeOff. It
// returns the number of objects imported.
func (im *Importer) Deploy(ctx context.Context, reg *logtype.Registry) (int, error) {
	switch {
	case im == nil || im.Mode == ModeOff:
		slog.Info("dashboards import off (DashboardsImport=false)")
		return 0, nil
	case im.Service == "aoss":
		slog.Info("dashboards: OpenSearch Serverless has no saved objects import the configurator can call; import the bundle by hand", "see", ManualImportDoc)
		return 0, nil
	}
	bundle := Bundle(reg)
	n, err := im.Import(ctx, bundle)
	if err != nil {
		if im.Mode == ModeWarn {
			slog.Warn("dashboards import failed (DashboardsImport=warn: the deploy goes on)", "error", err)
			return n, nil
		}
		return n, err
	}
	slog.Info("dashboards imported", "objects", n)
	return n, nil
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
