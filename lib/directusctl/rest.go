package directusctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Client talks to the REST API of one Directus instance. It is safe for
// concurrent use.
type Client struct {
	base string
	http *http.Client

	mu    sync.RWMutex
	token string
}

type clientConfig struct {
	http  *http.Client
	token string
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig) error

// WithHTTPClient sends requests through hc: its Timeout and Transport are
// the caller's choice. Without it the client has no timeout of its own and
// every call is bounded by its context only.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *clientConfig) error {
		if hc == nil {
			return errors.New("WithHTTPClient: the client is nil")
		}
		c.http = hc
		return nil
	}
}

// WithToken authenticates every request with a static token (a user's
// token field, e.g. the admin's ADMIN_TOKEN) or an access token.
func WithToken(token string) ClientOption {
	return func(c *clientConfig) error {
		if err := checkToken(token); err != nil {
			return fmt.Errorf("WithToken: %w", err)
		}
		c.token = token
		return nil
	}
}

func checkToken(token string) error {
	if token == "" {
		return errors.New("the token is empty")
	}
	// A token with spaces or control characters cannot be a Directus token,
	// and net/http would reject the header only at request time.
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("the token contains spaces or control characters")
	}
	return nil
}

// NewClient returns a client for the Directus instance at baseURL (its
// PUBLIC_URL, e.g. http://127.0.0.1:8055; a path prefix is kept).
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("directus base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("directus base URL %q: want an http or https URL", baseURL)
	case u.Host == "":
		return nil, fmt.Errorf("directus base URL %q: no host", baseURL)
	case u.User != nil:
		// Credentials in the URL would appear in every transport error.
		return nil, errors.New("directus base URL: must not contain credentials; use WithToken or Login")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("directus base URL %q: must not have a query or fragment", baseURL)
	}
	cfg := clientConfig{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.http == nil {
		cfg.http = &http.Client{}
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), http: cfg.http, token: cfg.token}, nil
}

// BaseURL is the instance's URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// APIError is an answer from Directus other than 2xx. It never contains
// the token.
type APIError struct {
	Method string
	// Path is the request path, without the query.
	Path   string
	Status int
	// Code is Directus's error code (errors[0].extensions.code), e.g.
	// INVALID_PAYLOAD, INVALID_CREDENTIALS, FORBIDDEN; empty when the
	// answer was not Directus's (a proxy's error page).
	Code    string
	Message string
	// Errors are all the errors Directus returned (validation failures
	// come one per field).
	Errors []ErrorDetail
}

// ErrorDetail is one entry of a Directus error answer.
type ErrorDetail struct {
	Code       string
	Message    string
	Extensions json.RawMessage
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "directus %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Errors) > 1 {
		fmt.Fprintf(&b, " (and %d more errors)", len(e.Errors)-1)
	}
	return b.String()
}

// Directus error codes the client and its callers meet most.
const (
	CodeInvalidPayload     = "INVALID_PAYLOAD"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeInvalidToken       = "INVALID_TOKEN"
	CodeTokenExpired       = "TOKEN_EXPIRED"
	CodeForbidden          = "FORBIDDEN"
	CodeRouteNotFound      = "ROUTE_NOT_FOUND"
	CodeInvalidQuery       = "INVALID_QUERY"
	CodeFailedValidation   = "FAILED_VALIDATION"
	CodeRecordNotUnique    = "RECORD_NOT_UNIQUE"
)

// maxErrorBody bounds how much of a failed answer is read: a proxy may
// answer with a large page.
const maxErrorBody = 1 << 20

func apiError(method, path string, resp *http.Response) *APIError {
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Errors []struct {
			Message    string          `json:"message"`
			Extensions json.RawMessage `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		for _, d := range env.Errors {
			var ext struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(d.Extensions, &ext)
			e.Errors = append(e.Errors, ErrorDetail{Code: ext.Code, Message: d.Message, Extensions: d.Extensions})
		}
		e.Code, e.Message = e.Errors[0].Code, e.Errors[0].Message
		return e
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	e.Message = msg
	return e
}

// request is one call: a body (already encoded) and what to do with the
// answer.
type request struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
	// out receives the "data" member of the answer (or the whole answer
	// when raw); nil discards it.
	out any
	raw bool
	// accept lists statuses other than 2xx whose body is an answer, not
	// an error (the health endpoint answers 503 with a health document).
	accept []int
}

func (c *Client) send(ctx context.Context, r request) (int, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, fmt.Errorf("directus %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	c.mu.RLock()
	token := c.token
	c.mu.RUnlock()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL; the method and path say enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("directus %s %s: %w", r.method, r.path, err)
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	for _, s := range r.accept {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		return resp.StatusCode, apiError(r.method, r.path, resp)
	}
	if r.out == nil || resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("directus %s %s: reading the answer: %w", r.method, r.path, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// Some endpoints answer 200 with nothing; out stays as it was.
		return resp.StatusCode, nil
	}
	if !r.raw {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return resp.StatusCode, fmt.Errorf("directus %s %s: the answer is not Directus JSON: %w", r.method, r.path, err)
		}
		b = env.Data
		if len(b) == 0 {
			b = []byte("null")
		}
	}
	if err := json.Unmarshal(b, r.out); err != nil {
		return resp.StatusCode, fmt.Errorf("directus %s %s: decoding the answer: %w", r.method, r.path, err)
	}
	return resp.StatusCode, nil
}

func (c *Client) sendJSON(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	r := request{method: method, path: path, query: query, out: out}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("directus %s %s: encoding the request: %w", method, path, err)
		}
		r.body, r.contentType = b, "application/json"
	}
	return c.send(ctx, r)
}

// Do sends a request to an endpoint this package does not wrap. path
// starts with a slash (e.g. "/users/me"); in, when not nil, is sent as
// JSON; the "data" member of the answer is decoded into out (nil discards
// it). Failures other than transport errors are *APIError.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("directus %s %q: the path must start with /", method, path)
	}
	_, err := c.sendJSON(ctx, method, path, query, in, out)
	return err
}

// DoBody sends body, already encoded, with its content type, to an
// endpoint this package does not wrap: for an endpoint that reads a body
// Directus's JSON parser must not (it caps application/json at
// MAX_PAYLOAD_SIZE, 1 MB by default). The "data" member of the answer is
// decoded into out (nil discards it). Failures other than transport
// errors are *APIError.
func (c *Client) DoBody(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out any) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("directus %s %q: the path must start with /", method, path)
	}
	if contentType == "" {
		return fmt.Errorf("directus %s %s: a body needs its content type", method, path)
	}
	if body == nil {
		body = []byte{}
	}
	_, err := c.send(ctx, request{method: method, path: path, query: query, body: body, contentType: contentType, out: out})
	return err
}

// Login signs in with a user's email and password and authenticates the
// following requests with the access token it gets (it expires after the
// instance's ACCESS_TOKEN_TTL, 15 minutes by default; long-running callers
// use a static token instead).
func (c *Client) Login(ctx context.Context, email, password string) error {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	in := map[string]string{"email": email, "password": password}
	if _, err := c.sendJSON(ctx, http.MethodPost, "/auth/login", nil, in, &out); err != nil {
		return err
	}
	if err := checkToken(out.AccessToken); err != nil {
		return fmt.Errorf("directus POST /auth/login: no usable access token in the answer: %w", err)
	}
	c.mu.Lock()
	c.token = out.AccessToken
	c.mu.Unlock()
	return nil
}

// Health is the answer of GET /server/health (application/health+json).
// Only an admin sees the individual checks.
type Health struct {
	// Status is ok, warn or error.
	Status string `json:"status"`
	// Raw is the whole answer.
	Raw json.RawMessage `json:"-"`
}

// Failing lists the checks that are not ok, as "name: status", with the
// check's output when there is one. Only an admin's answer has checks.
func (h *Health) Failing() []string {
	var doc struct {
		Checks map[string][]struct {
			Status string          `json:"status"`
			Output json.RawMessage `json:"output"`
		} `json:"checks"`
	}
	if json.Unmarshal(h.Raw, &doc) != nil {
		return nil
	}
	var out []string
	for name, results := range doc.Checks {
		for _, r := range results {
			if r.Status == "ok" {
				continue
			}
			s := name + ": " + r.Status
			if len(r.Output) > 0 && string(r.Output) != "null" && string(r.Output) != "{}" {
				s += fmt.Sprintf(" (%.200s)", r.Output)
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Healthy reports whether the instance serves requests: ok, or warn (a
// check slower than its threshold, common on a loaded machine).
func (h *Health) Healthy() bool { return h.Status == "ok" || h.Status == "warn" }

// Health asks the instance once how it is. A 503 with a health document is
// an answer (Status error), not an error.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var raw json.RawMessage
	if _, err := c.send(ctx, request{method: http.MethodGet, path: "/server/health", out: &raw, raw: true, accept: []int{http.StatusServiceUnavailable}}); err != nil {
		return nil, err
	}
	h := &Health{Raw: raw}
	if err := json.Unmarshal(raw, h); err != nil || h.Status == "" {
		return nil, fmt.Errorf("directus GET /server/health: not a health document: %.200s", raw)
	}
	return h, nil
}

// NotHealthyError is WaitHealthy giving up.
type NotHealthyError struct {
	URL string
	// Last is the last answer (or failure) seen.
	Last string
	// Err is why waiting stopped (the context's error).
	Err error
}

func (e *NotHealthyError) Error() string {
	last := e.Last
	if last == "" {
		last = "none"
	}
	return fmt.Sprintf("directus at %s is not healthy: %v; last answer: %s", e.URL, e.Err, last)
}

func (e *NotHealthyError) Unwrap() error { return e.Err }

// healthAttempt bounds one health request: a connection that hangs must
// not use up the whole wait and hide the last real answer.
const healthAttempt = 5 * time.Second

// WaitHealthy polls GET /server/health, with a short backoff, until the
// instance is healthy (see Health.Healthy) or ctx is done; then it returns
// a *NotHealthyError saying what the last answer was.
func (c *Client) WaitHealthy(ctx context.Context) error {
	delay := 50 * time.Millisecond
	var last string
	for {
		actx, cancel := context.WithTimeout(ctx, healthAttempt)
		h, err := c.Health(actx)
		cancel()
		switch {
		case err == nil && h.Healthy():
			return nil
		case err == nil:
			last = "status " + h.Status
			if failing := h.Failing(); len(failing) > 0 {
				last += "; failing checks: " + strings.Join(failing, "; ")
			}
		case ctx.Err() == nil || last == "":
			last = err.Error()
		}
		if ctx.Err() != nil {
			return &NotHealthyError{URL: c.base, Last: last, Err: context.Cause(ctx)}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return &NotHealthyError{URL: c.base, Last: last, Err: context.Cause(ctx)}
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// ClearCache flushes the data cache, or with system the schema and
// permissions caches too: needed after a CLI schema apply against the
// database of a running instance, which otherwise keeps serving the old
// schema.
func (c *Client) ClearCache(ctx context.Context, system bool) error {
	var q url.Values
	if system {
		q = url.Values{"system": {"true"}}
	}
	_, err := c.sendJSON(ctx, http.MethodPost, "/utils/cache/clear", q, nil, nil)
	return err
}
