package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/signer"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"
)

// Defaults and limits.
const (
	DefaultMaxBodyBytes = 5 << 20  // bulk body size per request
	MaxBodyLimit        = 10 << 20 // smallest http.max_content_length of Amazon OpenSearch Service
	DefaultItemRetries  = 3
	DefaultAttempts     = 3
	DefaultTimeout      = 60 * time.Second

	BackoffBase = 200 * time.Millisecond
	BackoffCap  = 5 * time.Second
)

// filterPath trims the bulk response to what Index reads.
var filterPath = []string{"errors", "items.*.status", "items.*.error", "took"}

// Config configures a Client.
type Config struct {
	Endpoint string // https://search-x.eu-west-1.es.amazonaws.com or http://localhost:9200
	Auth     string // "sigv4" | "basic" | "none" ("" = "basic" when Username is set, else "none")
	Service  string // SigV4 service: "es" (default) or "aoss" (default when the host is *.aoss.amazonaws.com)
	Region   string // SigV4 region; default AWSConfig.Region, then the region in the endpoint host

	Username, Password string // basic auth

	MaxBodyBytes int           // bulk body cap, default 5 MiB; values above 10 MiB are clamped to 10 MiB
	ItemRetries  int           // in-call re-sends of per-item 429/5xx documents, default 3; <0 = none
	Attempts     int           // attempts per bulk request on 429/502/503/504/connection errors/timeouts, default 3
	Timeout      time.Duration // per request attempt (including reading the response), default 60s

	HTTPClient *http.Client // optional: its Transport is used (tests, custom TLS); its Timeout is not (see Timeout)
	AWSConfig  *aws.Config  // optional, for sigv4; default config.LoadDefaultConfig

	// Sleep waits between retries; default a timer that honours ctx. Tests
	// inject a recorder so they run instantly.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client sends documents to OpenSearch with the bulk API. It is safe for
// concurrent use.
type Client struct {
	os          *opensearch.Client
	auth        string
	service     string
	endpoint    string
	maxBody     int
	itemRetries int
	attempts    int
	timeout     time.Duration
	sleep       func(context.Context, time.Duration) error
}

var _ Indexer = (*Client)(nil)

// StatusError is a whole-request HTTP error that retrying will not fix
// (400, 401, 403, 404, ...).
type StatusError struct {
	Status int
	Type   string // OpenSearch error type, e.g. illegal_argument_exception (may be empty)
	Reason string
	Hint   string // what to check (auth errors)
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("opensearch bulk: HTTP %d", e.Status)
	if e.Type != "" {
		msg += " " + e.Type
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// signError marks a request-signing failure (no credentials, no region):
// configuration, not a transient fault.
type signError struct{ err error }

func (e *signError) Error() string { return "SigV4 signing: " + e.err.Error() }
func (e *signError) Unwrap() error { return e.err }

type markingSigner struct{ signer.Signer }

func (s markingSigner) SignRequest(r *http.Request) error {
	if err := s.Signer.SignRequest(r); err != nil {
		return &signError{err}
	}
	return nil
}

// New returns a client for cfg: the endpoint, the settings with their
// defaults, then the auth mode, checked in that order.
func New(cfg Config) (*Client, error) {
	u, endpoint, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	c := newClient(cfg, endpoint)
	osCfg := opensearch.Config{
		Addresses: []string{endpoint},
		Header:    http.Header{"Accept": {"application/json"}},
		// Retries are ours (attempt count, 429, backoff); the client's own
		// would multiply them. Its node discovery stays off.
		DisableRetry:         true,
		DiscoverNodesOnStart: new(false),
		// No request gzip: with SigV4 it breaks signatures.
		CompressRequestBody: false,
	}
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		osCfg.Transport = cfg.HTTPClient.Transport
	}
	if err := c.setAuth(cfg, u.Hostname(), &osCfg); err != nil {
		return nil, err
	}
	if c.os, err = opensearch.NewClient(osCfg); err != nil {
		return nil, err
	}
	return c, nil
}

// parseEndpoint checks an endpoint URL and returns it parsed and as the
// client's address (no query, fragment or trailing slash).
func parseEndpoint(raw string) (*url.URL, string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("opensearch endpoint %q: want http(s)://host[:port]", raw)
	}
	if u.User != nil {
		return nil, "", errors.New("opensearch endpoint must not carry credentials; use Username/Password")
	}
	u.RawQuery, u.Fragment = "", ""
	return u, strings.TrimRight(u.String(), "/"), nil
}

// newClient is a client for endpoint with cfg's settings, defaults filled
// in (no auth and no transport yet).
func newClient(cfg Config, endpoint string) *Client {
	c := &Client{
		endpoint:    endpoint,
		maxBody:     cfg.MaxBodyBytes,
		itemRetries: cfg.ItemRetries,
		attempts:    cfg.Attempts,
		timeout:     cfg.Timeout,
		sleep:       cfg.Sleep,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	c.maxBody = min(c.maxBody, MaxBodyLimit)
	switch {
	case c.itemRetries == 0:
		c.itemRetries = DefaultItemRetries
	case c.itemRetries < 0:
		c.itemRetries = 0
	}
	if c.attempts <= 0 {
		c.attempts = DefaultAttempts
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c
}

// setAuth decides the auth mode (none, basic or sigv4; basic when only a
// username is given) and sets osCfg's credentials or signer for it. host
// is the endpoint's host name (the SigV4 service and region defaults).
func (c *Client) setAuth(cfg Config, host string, osCfg *opensearch.Config) error {
	c.auth = strings.ToLower(strings.TrimSpace(cfg.Auth))
	if c.auth == "" {
		c.auth = "none"
		if cfg.Username != "" {
			c.auth = "basic"
		}
	}
	switch c.auth {
	case "none":
	case "basic":
		if cfg.Username == "" || cfg.Password == "" {
			return errors.New("opensearch basic auth needs a username and a password")
		}
		osCfg.Username, osCfg.Password = cfg.Username, cfg.Password
	case "sigv4":
		c.service = strings.ToLower(strings.TrimSpace(cfg.Service))
		if c.service == "" {
			c.service = "es"
			if strings.HasSuffix(strings.ToLower(host), ".aoss.amazonaws.com") {
				c.service = "aoss"
			}
		}
		if c.service != "es" && c.service != "aoss" {
			return fmt.Errorf("opensearch SigV4 service %q: want es (managed domains) or aoss (serverless)", cfg.Service)
		}
		s, err := sigv4Signer(cfg, c.service, host)
		if err != nil {
			return err
		}
		osCfg.Signer = markingSigner{s}
	default:
		return fmt.Errorf("opensearch auth %q: want sigv4, basic or none", cfg.Auth)
	}
	return nil
}

// sigv4Signer signs for service with cfg's AWS config (or the default
// one), its region from cfg.Region, the AWS config, then host.
func sigv4Signer(cfg Config, service, host string) (signer.Signer, error) {
	var awsCfg aws.Config
	if cfg.AWSConfig != nil {
		awsCfg = cfg.AWSConfig.Copy()
	} else {
		var opts []func(*awsconfig.LoadOptions) error
		if cfg.Region != "" {
			opts = append(opts, awsconfig.WithRegion(cfg.Region))
		}
		var err error
		if awsCfg, err = awsconfig.LoadDefaultConfig(context.Background(), opts...); err != nil {
			return nil, fmt.Errorf("loading AWS config for SigV4: %w", err)
		}
	}
	if cfg.Region != "" {
		awsCfg.Region = cfg.Region
	}
	if awsCfg.Region == "" {
		awsCfg.Region = RegionFromHost(host)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("opensearch SigV4 needs a region (none configured and none in host %q)", host)
	}
	if awsCfg.Credentials == nil {
		return nil, errors.New("opensearch SigV4 needs AWS credentials")
	}
	return awsv2.NewSignerWithService(awsCfg, service)
}

// Close releases the client's idle connections and background work.
func (c *Client) Close() error { return c.os.Close() }

// RegionFromHost returns the region in an Amazon OpenSearch Service or
// OpenSearch Serverless host name (search-x.eu-west-1.es.amazonaws.com,
// id.us-east-1.aoss.amazonaws.com), or "".
func RegionFromHost(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	for i := 1; i+2 < len(labels); i++ {
		if (labels[i+1] == "es" || labels[i+1] == "aoss") && labels[i+2] == "amazonaws" {
			return labels[i]
		}
	}
	return ""
}

// Index sends docs with as few bulk requests as MaxBodyBytes allows.
// Documents OpenSearch refuses for good are returned in Result.Failed; a
// *RetryableError means the call should be repeated later (re-sending is
// safe: ids are deterministic). On error the Result holds what happened
// before it, for information only.
func (c *Client) Index(ctx context.Context, docs []Doc) (Result, error) {
	var res Result
	t := &tally{Result: &res, settled: make([]bool, len(docs))}
	entries := make([]entry, 0, len(docs))
	for i := range docs {
		e, f := prepare(&docs[i])
		if f != nil {
			res.Failed = append(res.Failed, *f)
			t.settled[i] = true
			continue
		}
		e.i = i
		entries = append(entries, e)
	}
	for _, batch := range batches(entries, c.maxBody) {
		if err := c.sendBatch(ctx, batch, t); err != nil {
			for i, done := range t.settled {
				if !done {
					res.NotSent = append(res.NotSent, docs[i])
				}
			}
			return res, err
		}
	}
	return res, nil
}

// tally is the Result of an Index call and which of its documents are
// settled (indexed or refused for good), so that an error can say which
// ones were not sent.
type tally struct {
	*Result
	settled []bool
}

func (t *tally) indexed(entries ...entry) {
	t.Indexed += len(entries)
	for _, e := range entries {
		t.settled[e.i] = true
	}
}

func (t *tally) failed(e entry, f Failure) {
	t.Failed = append(t.Failed, f)
	t.settled[e.i] = true
}

// sendBatch sends entries and re-sends the documents refused with 429/5xx
// up to itemRetries times.
func (c *Client) sendBatch(ctx context.Context, entries []entry, res *tally) error {
	pending := entries
	for round := 0; ; round++ {
		retry, err := c.send(ctx, pending, res)
		if err != nil {
			return err
		}
		if len(retry) == 0 {
			return nil
		}
		if round >= c.itemRetries {
			first := retry[0]
			reason := fmt.Sprintf("%d of %d documents still rejected after %d retries: HTTP %d", len(retry), len(entries), c.itemRetries, first.status)
			if first.errType != "" {
				reason += " " + first.errType
			}
			if first.reason != "" {
				reason += ": " + first.reason
			}
			return &RetryableError{Status: first.status, Reason: reason}
		}
		if err := c.sleep(ctx, backoff(round)); err != nil {
			return err
		}
		pending = pending[:0:0]
		for _, r := range retry {
			pending = append(pending, r.entry)
		}
	}
}

// retryItem is a document to re-send and why.
type retryItem struct {
	entry
	status          int
	errType, reason string
}

// send posts one bulk request (splitting it on 413) and sorts the items:
// indexed, failed for good (into res), or to re-send (returned).
func (c *Client) send(ctx context.Context, entries []entry, res *tally) ([]retryItem, error) {
	status, body, err := c.post(ctx, entries, res)
	if err != nil {
		return nil, err
	}
	switch {
	case status == http.StatusRequestEntityTooLarge:
		if len(entries) == 1 {
			typ, reason := errorReason(status, body)
			if typ == "" {
				typ = "request_entity_too_large"
			}
			res.failed(entries[0], Failure{Doc: *entries[0].doc, Status: status, Type: typ,
				Reason: fmt.Sprintf("bulk request with this document alone (%d bytes) is too large: %s", len(entries[0].data), reason)})
			return nil, nil
		}
		mid := len(entries) / 2
		left, err := c.send(ctx, entries[:mid], res)
		if err != nil {
			return nil, err
		}
		right, err := c.send(ctx, entries[mid:], res)
		return append(left, right...), err
	case status < 200 || status > 299:
		typ, reason := errorReason(status, body)
		return nil, &StatusError{Status: status, Type: typ, Reason: reason, Hint: c.hint(status)}
	}

	var br bulkResponse
	if err := json.Unmarshal(body, &br); err != nil {
		return nil, &RetryableError{Status: status, Reason: "unreadable bulk response: " + snippet(body), Err: err}
	}
	res.Took += time.Duration(br.Took) * time.Millisecond
	if !br.Errors {
		res.indexed(entries...)
		return nil, nil
	}
	if len(br.Items) != len(entries) {
		return nil, fmt.Errorf("opensearch bulk: response has %d items for %d documents", len(br.Items), len(entries))
	}
	var retry []retryItem
	for i, item := range br.Items {
		var it bulkItem
		for _, v := range item { // one key: the action name
			it = v
		}
		switch st := it.Status; {
		case st >= 200 && st <= 299:
			res.indexed(entries[i])
		case st == http.StatusTooManyRequests || st >= 500:
			if st == http.StatusTooManyRequests {
				res.ItemsThrottled++
			}
			typ, reason := it.Error.describe()
			retry = append(retry, retryItem{entry: entries[i], status: st, errType: typ, reason: reason})
		default:
			typ, reason := it.Error.describe()
			if typ == "" && reason == "" {
				reason = "no error detail in the bulk response"
			}
			res.failed(entries[i], Failure{Doc: *entries[i].doc, Status: st, Type: typ, Reason: reason})
		}
	}
	return retry, nil
}

// post sends one bulk body, retrying whole-request throttling, gateway
// errors, connection errors and timeouts. It returns the final status and
// body, or a *RetryableError once the attempts are spent.
func (c *Client) post(ctx context.Context, entries []entry, res *tally) (int, []byte, error) {
	n := 0
	for _, e := range entries {
		n += len(e.data)
	}
	body := make([]byte, 0, n)
	for _, e := range entries {
		body = append(body, e.data...)
	}

	var last *RetryableError
	for attempt := 0; attempt < c.attempts; attempt++ {
		if attempt > 0 {
			if err := c.sleep(ctx, backoff(attempt-1)); err != nil {
				return 0, nil, err
			}
		}
		res.Requests++
		status, respBody, err := c.do(ctx, body)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, fmt.Errorf("opensearch bulk: %w", context.Cause(ctx))
			}
			var se *signError
			if errors.As(err, &se) {
				return 0, nil, se
			}
			last = &RetryableError{Reason: fmt.Sprintf("bulk request failed (attempt %d of %d)", attempt+1, c.attempts), Err: err}
			continue
		}
		if status == http.StatusTooManyRequests {
			res.Throttled++
		}
		switch status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			typ, reason := errorReason(status, respBody)
			if typ != "" {
				reason = typ + ": " + reason
			}
			last = &RetryableError{Status: status, Reason: reason}
			continue
		}
		if status >= 500 {
			typ, reason := errorReason(status, respBody)
			if typ != "" {
				reason = typ + ": " + reason
			}
			return 0, nil, &RetryableError{Status: status, Reason: reason}
		}
		return status, respBody, nil
	}
	last.Reason += fmt.Sprintf(" (gave up after %d attempts)", c.attempts)
	return 0, nil, last
}

// do performs one HTTP request through opensearch-go.
func (c *Client) do(ctx context.Context, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req := opensearchapi.BulkReq{
		Body:   bytes.NewReader(body),
		Header: http.Header{"Content-Type": {"application/x-ndjson"}},
		Params: opensearchapi.BulkParams{FilterPath: filterPath},
	}
	resp, err := opensearch.Do[opensearch.NoBody](ctx, c.os, http.MethodPost, req, nil)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// hint says what to check for an authentication or authorisation error.
func (c *Client) hint(status int) string {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ""
	}
	switch c.auth {
	case "sigv4":
		if c.service == "aoss" {
			return "auth sigv4/aoss: the caller's IAM role needs aoss:APIAccessAll and a data access policy granting aoss:WriteDocument and aoss:CreateIndex on the target indices"
		}
		return "auth sigv4/es: the domain access policy must allow the caller's IAM role (es:ESHttpPost), and with fine-grained access control the role ARN must be mapped (backend role) to an OpenSearch role with indices:data/write/bulk* and index creation on the target indices"
	case "basic":
		return "auth basic: check the username and password (OPENSEARCH_SECRET_ARN) and that the user is mapped to a role allowed to write the target indices"
	default:
		return "auth none: the endpoint requires authentication; use sigv4 (Amazon OpenSearch Service) or basic"
	}
}

// backoff is the full-jitter delay before retry number attempt+1:
// uniform in [0, min(cap, base*2^attempt)].
func backoff(attempt int) time.Duration {
	upper := BackoffCap
	if attempt < 16 {
		upper = min(BackoffCap, BackoffBase<<attempt)
	}
	return time.Duration(rand.Int64N(int64(upper) + 1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

type bulkResponse struct {
	Took   int64                 `json:"took"`
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"`
}

type bulkItem struct {
	Status int     `json:"status"`
	Error  osError `json:"error"`
}

// osError is OpenSearch's error object; some proxies answer a bare string.
type osError struct {
	Type     string
	Reason   string
	CausedBy *osError
}

func (e *osError) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		e.Reason = s
		return nil
	}
	var o struct {
		Type      string    `json:"type"`
		Reason    string    `json:"reason"`
		CausedBy  *osError  `json:"caused_by"`
		RootCause []osError `json:"root_cause"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	e.Type, e.Reason, e.CausedBy = o.Type, o.Reason, o.CausedBy
	if e.Type == "" && e.Reason == "" && len(o.RootCause) > 0 {
		*e = o.RootCause[0]
	}
	return nil
}

// describe returns the error type and a reason that includes the cause.
func (e osError) describe() (string, string) {
	reason := e.Reason
	if c := e.CausedBy; c != nil && (c.Reason != "" || c.Type != "") && c.Reason != e.Reason {
		reason += " (caused by " + c.Type
		if c.Reason != "" {
			reason += ": " + c.Reason
		}
		reason += ")"
	}
	return e.Type, reason
}

// errorReason extracts the error type and reason from a whole-request error
// body: OpenSearch's {"error":{...},"status":n}, AWS's {"message":"..."}, or
// plain text.
func errorReason(status int, body []byte) (string, string) {
	var v struct {
		Error   *osError `json:"error"`
		Message string   `json:"message"` // also matches "Message"
	}
	if json.Unmarshal(body, &v) == nil {
		if v.Error != nil && (v.Error.Type != "" || v.Error.Reason != "") {
			return v.Error.describe()
		}
		if v.Message != "" {
			return "", v.Message
		}
	}
	if s := snippet(body); s != "" {
		return "", s
	}
	return "", http.StatusText(status)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 512 {
		s = s[:512] + "..."
	}
	return s
}

// Request sends one request to the cluster through the client's
// transport (authentication, endpoint): the configurator's template and
// policy calls. body may be nil.
func (c *Client) Request(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var h http.Header
	if body != nil {
		h = http.Header{"Content-Type": {"application/json"}}
	}
	return c.Send(ctx, method, path, h, body)
}

// Send is Request with the caller's headers (Content-Type included): the
// configurator's multipart Dashboards import. path may carry a query.
func (c *Client) Send(ctx context.Context, method, path string, header http.Header, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, r)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	//lint:ignore SA1019 Perform is the v4 way to send a prepared request; v5 is not released.
	resp, err := c.os.Perform(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
