package directusctl

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The behaviour against a real Directus is proven in ./integration; these
// tests cover what needs no server or what a real one cannot be made to
// answer.

func TestNewClientRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		url  string
		opts []ClientOption
	}{
		{"127.0.0.1:8055", nil},
		{"ftp://host", nil},
		{"http://", nil},
		{"http://u:p@host", nil},
		{"http://host?x=1", nil},
		{"http://host", []ClientOption{WithToken("")}},
		{"http://host", []ClientOption{WithToken("two words")}},
		{"http://host", []ClientOption{WithHTTPClient(nil)}},
	} {
		if _, err := NewClient(c.url, c.opts...); err == nil {
			t.Errorf("NewClient(%q, %d options) accepted", c.url, len(c.opts))
		}
	}
}

func TestApplyPayloadAlwaysCarriesEveryList(t *testing.T) {
	for _, diff := range []string{
		`{"collections":[{"collection":"a","diff":[]}],"fields":[],"relations":[]}`,
		`{"collections":[{"collection":"a","diff":[]}],"fields":[],"systemFields":null,"relations":[]}`,
		``,
	} {
		b, err := applyPayload(&SchemaDiff{Hash: "h", Diff: json.RawMessage(diff)})
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Hash string
			Diff map[string]json.RawMessage
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"collections", "fields", "systemFields", "relations"} {
			if v := string(p.Diff[k]); v == "" || v == "null" {
				t.Errorf("diff %q: %s is %q", diff, k, v)
			}
		}
	}
	if _, err := applyPayload(&SchemaDiff{Diff: json.RawMessage(`{}`)}); err == nil {
		t.Error("a diff without a hash was accepted")
	}
}

// A proxy in front of Directus answers with its own page: a real Directus
// never does, so a test server stands in.
func TestAPIErrorFromANonDirectusAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>" + strings.Repeat(" ", 5000)))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithToken("secret-token-value"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Snapshot(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an *APIError", err)
	}
	if ae.Status != http.StatusBadGateway || ae.Code != "" || !strings.Contains(ae.Message, "502 Bad Gateway") || len(ae.Message) > 400 {
		t.Fatalf("got %+v", ae)
	}
	if strings.Contains(err.Error(), "secret-token-value") {
		t.Fatalf("the error shows the token: %v", err)
	}
}

// A 200 that is not Directus's JSON (a captive portal, a misrouted proxy)
// must not decode into an empty success.
func TestASuccessThatIsNotDirectusJSONIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>welcome</html>"))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Snapshot(context.Background()); err == nil || !strings.Contains(err.Error(), "not Directus JSON") {
		t.Fatalf("got %v", err)
	}
}

// DoBody sends the bytes and the content type as given, with the token,
// and decodes the answer's data like Do.
func TestDoBodySendsItsOwnContentType(t *testing.T) {
	var gotType, gotAuth, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType, gotAuth = r.Header.Get("Content-Type"), r.Header.Get("Authorization")
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		gotBody = b.String()
		_, _ = w.Write([]byte(`{"data":{"applied":2}}`))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithToken("t0k3n"))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Applied int }
	if err := c.DoBody(context.Background(), http.MethodPost, "/x/apply", nil, "application/vnd.x+json", []byte(`{"a":1}`), &out); err != nil {
		t.Fatal(err)
	}
	if gotType != "application/vnd.x+json" || gotAuth != "Bearer t0k3n" || gotBody != `{"a":1}` || out.Applied != 2 {
		t.Errorf("sent %q %q %q, decoded %+v", gotType, gotAuth, gotBody, out)
	}
	if err := c.DoBody(context.Background(), http.MethodPost, "/x", nil, "", nil, nil); err == nil {
		t.Error("a body without a content type was sent")
	}
}
