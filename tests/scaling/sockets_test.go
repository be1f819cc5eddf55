package scaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// restSocket is a client of Directus's REST-style WebSocket (/websocket):
// handshake authentication, subscriptions, and answers to the server's
// heartbeat pings.
type restSocket struct {
	conn   *websocket.Conn
	events chan restMessage
	mu     sync.Mutex
	err    error
}

type restMessage struct {
	Type   string            `json:"type"`
	Event  string            `json:"event"`
	UID    string            `json:"uid"`
	Status string            `json:"status"`
	Data   []json.RawMessage `json:"data"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// dialREST connects to base (http://host:port), authenticates with token
// in the first message (WEBSOCKETS_REST_AUTH=handshake) and waits for the
// server's "auth ok".
func dialREST(ctx context.Context, base, token string) (*restSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(base, "/websocket"), nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(8 << 20)
	s := &restSocket{conn: conn, events: make(chan restMessage, 1024)}
	if err := s.send(ctx, map[string]any{"type": "auth", "access_token": token}); err != nil {
		return nil, err
	}
	var first restMessage
	if err := readJSON(ctx, conn, &first); err != nil {
		return nil, err
	}
	if first.Type != "auth" || first.Status != "ok" {
		conn.CloseNow()
		return nil, fmt.Errorf("handshake: got %+v, want auth ok", first)
	}
	go s.read()
	return s, nil
}

func (s *restSocket) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.conn.Write(ctx, websocket.MessageText, b)
}

// read hands subscription messages to events and answers pings, until the
// connection ends; then events is closed and failure says why.
func (s *restSocket) read() {
	defer close(s.events)
	for {
		var m restMessage
		if err := readJSON(context.Background(), s.conn, &m); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		switch m.Type {
		case "ping":
			_ = s.send(context.Background(), map[string]string{"type": "pong"})
		case "subscription":
			s.events <- m
		default:
			if m.Status == "error" {
				s.events <- m
			}
		}
	}
}

func (s *restSocket) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// subscribe subscribes to collection and returns the "init" event's data:
// the query's current result, sent once the subscription is registered.
func (s *restSocket) subscribe(ctx context.Context, collection, uid string, query map[string]any) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.send(ctx, map[string]any{"type": "subscribe", "collection": collection, "uid": uid, "query": query}); err != nil {
		return nil, err
	}
	for {
		m, err := s.next(ctx)
		if err != nil {
			return nil, err
		}
		if m.UID == uid && m.Event == "init" {
			return m.Data, nil
		}
		if m.Status == "error" && m.Error != nil {
			return nil, fmt.Errorf("subscribe: %s %s", m.Error.Code, m.Error.Message)
		}
	}
}

func (s *restSocket) next(ctx context.Context) (restMessage, error) {
	select {
	case m, ok := <-s.events:
		if !ok {
			return m, fmt.Errorf("websocket closed: %w", s.failure())
		}
		return m, nil
	case <-ctx.Done():
		return restMessage{}, context.Cause(ctx)
	}
}

func (s *restSocket) close() { s.conn.CloseNow() }

// gqlSocket is a graphql-transport-ws client of /graphql.
type gqlSocket struct {
	conn *websocket.Conn
	next chan gqlMessage
	mu   sync.Mutex
	err  error
}

type gqlMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialGraphQL connects with the graphql-transport-ws subprotocol and sends
// the token in connection_init (WEBSOCKETS_GRAPHQL_AUTH=handshake).
func dialGraphQL(ctx context.Context, base, token string) (*gqlSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(base, "/graphql"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(8 << 20)
	g := &gqlSocket{conn: conn, next: make(chan gqlMessage, 1024)}
	if err := g.send(ctx, map[string]any{"type": "connection_init", "payload": map[string]string{"access_token": token}}); err != nil {
		return nil, err
	}
	var ack gqlMessage
	if err := readJSON(ctx, conn, &ack); err != nil {
		return nil, err
	}
	if ack.Type != "connection_ack" {
		conn.CloseNow()
		return nil, fmt.Errorf("connection_init: got %q, want connection_ack", ack.Type)
	}
	go g.read()
	return g, nil
}

func (g *gqlSocket) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return g.conn.Write(ctx, websocket.MessageText, b)
}

func (g *gqlSocket) read() {
	defer close(g.next)
	for {
		var m gqlMessage
		if err := readJSON(context.Background(), g.conn, &m); err != nil {
			g.mu.Lock()
			g.err = err
			g.mu.Unlock()
			return
		}
		switch m.Type {
		case "ping":
			_ = g.send(context.Background(), map[string]string{"type": "pong"})
		case "next", "error", "complete":
			g.next <- m
		}
	}
}

func (g *gqlSocket) subscribe(ctx context.Context, id, query string) error {
	return g.send(ctx, map[string]any{"id": id, "type": "subscribe", "payload": map[string]string{"query": query}})
}

// receive returns the next result of subscription id.
func (g *gqlSocket) receive(ctx context.Context, id string) (json.RawMessage, error) {
	for {
		select {
		case m, ok := <-g.next:
			if !ok {
				g.mu.Lock()
				err := g.err
				g.mu.Unlock()
				return nil, fmt.Errorf("graphql socket closed: %w", err)
			}
			if m.ID != id {
				continue
			}
			if m.Type != "next" {
				return nil, fmt.Errorf("subscription %s: %s %s", id, m.Type, m.Payload)
			}
			return m.Payload, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

func (g *gqlSocket) close() { g.conn.CloseNow() }

func readJSON(ctx context.Context, conn *websocket.Conn, v any) error {
	_, b, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.Join(fmt.Errorf("message %.200s", b), err)
	}
	return nil
}

func wsURL(base, path string) string {
	return "ws" + strings.TrimPrefix(base, "http") + path
}
