package directusctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// SchemaDiff is what POST /schema/diff answers and POST /schema/apply
// takes. Diff is kept as Directus sent it, so nothing is lost between the
// two calls.
type SchemaDiff struct {
	// Hash is the hash of the instance's schema when the diff was made:
	// apply refuses the diff once the schema has changed.
	Hash string `json:"hash"`
	// Diff has the members collections, fields, systemFields and
	// relations, each a list of deep-diff records.
	Diff json.RawMessage `json:"diff"`
}

// StaleDiffError is an apply that Directus refused because the schema
// changed after the diff was made: make a new diff and try again.
type StaleDiffError struct {
	Err *APIError
}

func (e *StaleDiffError) Error() string {
	return "directus schema apply: the schema changed since the diff was made (diff again): " + e.Err.Error()
}

func (e *StaleDiffError) Unwrap() error { return e.Err }

// Snapshot returns the instance's schema snapshot, as JSON (the same
// document the CLI writes).
func (c *Client) Snapshot(ctx context.Context) (json.RawMessage, error) {
	var snap json.RawMessage
	if _, err := c.sendJSON(ctx, http.MethodGet, "/schema/snapshot", nil, nil, &snap); err != nil {
		return nil, err
	}
	if len(snap) == 0 || snap[0] != '{' {
		return nil, fmt.Errorf("directus GET /schema/snapshot: no snapshot in the answer: %.200s", snap)
	}
	return snap, nil
}

// Diff compares a snapshot (JSON) with the instance's schema. It returns
// nil, nil when they do not differ. Directus refuses a snapshot of another
// database vendor or Directus version unless force.
func (c *Client) Diff(ctx context.Context, snapshot json.RawMessage, force bool) (*SchemaDiff, error) {
	if !json.Valid(snapshot) {
		return nil, errors.New("directus schema diff: the snapshot is not valid JSON")
	}
	var q url.Values
	if force {
		// Directus tests only for the parameter's presence: force=false
		// would force too.
		q = url.Values{"force": {"true"}}
	}
	var d SchemaDiff
	status, err := c.sendSchemaFile(ctx, "/schema/diff", q, snapshot, &d)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		return nil, nil
	}
	if d.Hash == "" || len(d.Diff) == 0 {
		return nil, errors.New("directus POST /schema/diff: the answer has no hash or diff")
	}
	return &d, nil
}

// Apply applies a diff made by Diff. A nil diff (no difference) does
// nothing. A diff made before the schema changed gives a *StaleDiffError.
func (c *Client) Apply(ctx context.Context, d *SchemaDiff) error {
	if d == nil {
		return nil
	}
	payload, err := applyPayload(d)
	if err != nil {
		return err
	}
	if _, err := c.sendSchemaFile(ctx, "/schema/apply", nil, payload, nil); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && ae.Code == CodeInvalidPayload &&
			strings.Contains(ae.Message, "generate a new diff") {
			return &StaleDiffError{Err: ae}
		}
		return err
	}
	return nil
}

// applyPayload fills in the lists Directus requires: since 11.13 an apply
// without diff.systemFields is refused, and diffs from older instances or
// from hand-made payloads lack it.
func applyPayload(d *SchemaDiff) ([]byte, error) {
	if d.Hash == "" {
		return nil, errors.New("directus schema apply: the diff has no hash")
	}
	parts := map[string]json.RawMessage{}
	if len(d.Diff) > 0 {
		if err := json.Unmarshal(d.Diff, &parts); err != nil {
			return nil, fmt.Errorf("directus schema apply: the diff is not a JSON object: %w", err)
		}
	}
	for _, k := range []string{"collections", "fields", "systemFields", "relations"} {
		if v, ok := parts[k]; !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			parts[k] = json.RawMessage("[]")
		}
	}
	return json.Marshal(struct {
		Hash string                     `json:"hash"`
		Diff map[string]json.RawMessage `json:"diff"`
	}{d.Hash, parts})
}

// sendSchemaFile sends a JSON document as an uploaded file: a JSON body
// goes through the instance's body parser, which refuses anything above
// MAX_PAYLOAD_SIZE (1 MB by default) and real snapshots get bigger than
// that; uploads have no such limit.
func (c *Client) sendSchemaFile(ctx context.Context, path string, q url.Values, doc []byte, out any) (int, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="schema.json"`)
	// Directus parses an application/json part as JSON, anything else as
	// YAML.
	h.Set("Content-Type", "application/json")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(doc)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return 0, fmt.Errorf("directus POST %s: encoding the upload: %w", path, err)
	}
	return c.send(ctx, request{method: http.MethodPost, path: path, query: q, body: buf.Bytes(), contentType: w.FormDataContentType(), out: out})
}
