package extensions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

var seq atomic.Int64

// unique is a fresh suffix so that tests never collide.
func unique() string { return fmt.Sprint(seq.Add(1)) }

func create(t testing.TB, c *directusctl.Client, collection string, item map[string]any) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	if err := c.CreateItem(context.Background(), collection, item, &out); err != nil {
		t.Fatalf("create %s %v: %v", collection, item, err)
	}
	return out.ID
}

// refusal is Directus refusing a request: its status, code, message and
// extensions.
type refusal struct {
	Status     int
	Code       string
	Message    string
	Extensions map[string]any
}

func refusalOf(t testing.TB, err error) refusal {
	t.Helper()
	var ae *directusctl.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want Directus to refuse, got %v", err)
	}
	r := refusal{Status: ae.Status, Code: ae.Code, Message: ae.Message}
	if len(ae.Errors) > 0 {
		_ = json.Unmarshal(ae.Errors[0].Extensions, &r.Extensions)
	}
	return r
}

// refusedWith checks a 400 INVALID_PAYLOAD with exactly message.
func refusedWith(t testing.TB, err error, message string) {
	t.Helper()
	r := refusalOf(t, err)
	if r.Status != 400 || r.Code != directusctl.CodeInvalidPayload {
		t.Errorf("want 400 INVALID_PAYLOAD, got %d %s: %s", r.Status, r.Code, r.Message)
	}
	if r.Message != message {
		t.Errorf("the message\n  got  %q\n  want %q", r.Message, message)
	}
}

func contains(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
