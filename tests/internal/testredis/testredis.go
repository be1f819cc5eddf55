// Package testredis runs a throwaway redis-server for tests: loopback
// only, a free port, no persistence, stopped when the test ends. The
// redis-server binary comes from Debian's redis-server package (make deps);
// without it tests fail, saying so: they never skip.
package testredis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

const howTo = "install Redis: make deps (scripts/install-deps.sh installs Debian's redis-server)"

// Server is a running redis-server.
type Server struct {
	// URL is redis://127.0.0.1:<port>, for Directus's REDIS.
	URL  string
	Port int
	// LogPath is the server's log file.
	LogPath string

	tb       testing.TB
	bin      string
	dir      string
	password string
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
}

// Option changes what Start does.
type Option func(*Server)

// WithPort listens on port instead of a free one, e.g. one a test handed
// to a client before the server existed.
func WithPort(port int) Option { return func(s *Server) { s.Port = port } }

// WithPassword makes the server require password (requirepass); URL
// carries it.
func WithPassword(password string) Option { return func(s *Server) { s.password = password } }

// Start starts redis-server on a free loopback port and waits until it
// answers PING. It stops when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("testredis: no redis-server on PATH: %s", howTo)
	}
	s := &Server{tb: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	s.LogPath = filepath.Join(s.dir, "redis.log")
	fixedPort := s.Port != 0
	for attempt := 1; ; attempt++ {
		if !fixedPort {
			if s.Port, err = testenv.FreePort(); err != nil {
				t.Fatalf("testredis: %v", err)
			}
		}
		if err = s.launch(); err == nil {
			break
		}
		// A free port can be taken between the probe and the listen.
		if fixedPort || attempt == 3 || !strings.Contains(s.log(), "Address already in use") {
			t.Fatalf("testredis: %v", err)
		}
	}
	s.URL = fmt.Sprintf("redis://127.0.0.1:%d", s.Port)
	if s.password != "" {
		s.URL = fmt.Sprintf("redis://:%s@127.0.0.1:%d", s.password, s.Port)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("testredis: %v", err)
		}
	})
	return s
}

func (s *Server) launch() error {
	logFile, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	// A configuration file, not arguments: the process list shows
	// arguments, and a password must not be seen there.
	conf := filepath.Join(s.dir, "redis.conf")
	text := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsave \"\"\nappendonly no\ndaemonize no\nprotected-mode yes\n", s.Port, s.dir)
	if s.password != "" {
		text += "requirepass " + s.password + "\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(s.bin, conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	testenv.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.ping(); err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited at start\n%s", s.Port, s.log())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on port %d did not answer within 10s\n%s", s.Port, s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s). Stopping a
// stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("redis-server on port %d did not stop within 10s of SIGTERM; killed", s.Port)
	}
}

// Restart stops the server and starts a new, empty one on the same port,
// as a Redis restart without persistence does.
func (s *Server) Restart() {
	s.tb.Helper()
	if err := s.Stop(); err != nil {
		s.tb.Fatalf("testredis: %v", err)
	}
	if err := s.launch(); err != nil {
		s.tb.Fatalf("testredis: restart: %v", err)
	}
}

// Do sends one command (after AUTH when the server has a password) and
// returns its reply as text: a status or bulk string, an integer, or the
// elements of an array one per line. An error reply is returned as an
// error.
func (s *Server) Do(args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	if s.password != "" {
		if _, err := command(r, w, "AUTH", s.password); err != nil {
			return "", err
		}
	}
	return command(r, w, args...)
}

func command(r *bufio.Reader, w *bufio.Writer, args ...string) (string, error) {
	fmt.Fprintf(w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return readReply(r)
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch body := line[1:]; line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", errors.New(body)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		items := make([]string, 0, max(n, 0))
		for range n {
			item, err := readReply(r)
			if err != nil {
				return "", err
			}
			items = append(items, item)
		}
		return strings.Join(items, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func (s *Server) ping() error {
	got, err := s.Do("PING")
	if err == nil && got != "PONG" {
		err = fmt.Errorf("PING answered %q", got)
	}
	return err
}

func (s *Server) log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}
