package directusctl

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// provisionerSource is provision.mjs, the Node side of the protocol. It
// travels inside the binary, so that the script always speaks the
// protocol version of the code that starts it and nothing has to be
// written to disk.
//
//go:embed provision.mjs
var provisionerSource string

// ProvisionerProtocol is the version of the line protocol spoken between
// [Provisioner] and provision.mjs.
const ProvisionerProtocol = 1

// maxReply bounds one reply line: a snapshot of a very large schema is
// tens of megabytes; a line beyond this is not a reply.
const maxReply = 1 << 30

// The kinds of [ProvisionError].
const (
	// ProvisionFailed: Directus or the database failed the operation.
	ProvisionFailed = "directus"
	// ProvisionInvalid: Directus refused the input (a malformed snapshot
	// or diff).
	ProvisionInvalid = "invalid"
	// ProvisionStale: the live schema changed after the diff was made; the
	// diff was not applied.
	ProvisionStale = "stale"
	// ProvisionNotBootstrapped: the database has no Directus tables.
	ProvisionNotBootstrapped = "not-bootstrapped"
	// ProvisionBadRequest: the script did not understand the request.
	ProvisionBadRequest = "bad-request"
	// ProvisionCrash: the script hit an error it could not report
	// otherwise, and exited.
	ProvisionCrash = "crash"
)

// Provisioner is one Node process running the installed Directus's own
// bootstrap, schema snapshot, diff and apply: a boot that needs several of
// them pays Directus's start-up (seconds) once instead of once per CLI
// command. It takes one request at a time; methods may be called from
// several goroutines but run in turn.
//
// It decides nothing: the caller plans and verifies. A schema apply runs
// in one transaction that stays open until the caller, having seen the
// schema it leaves, commits it: an error, a cancelled context or a killed
// process before the commit leaves the schema as it was. A bootstrap is
// exactly Directus's own, which is not one transaction.
//
// After a cancelled call, a reply that does not follow the protocol or an
// exit, the process is stopped and every later call returns the same
// error. Close ends it.
type Provisioner struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan replyLine
	logs    *tailBuffer
	// stdout and stderr keep Directus's output in logs and, once it
	// serves, pass it on.
	stdout, stderr *passWriter
	info           ProvisionerInfo
	exited         chan struct{}
	// quit ends the reader of replies once nobody will receive them.
	quit     chan struct{}
	quitOnce sync.Once

	mu     sync.Mutex
	nextID int64
	broken error
}

// ProvisionerInfo is what the script reports when it is ready.
type ProvisionerInfo struct {
	Protocol int    `json:"protocol"`
	Directus string `json:"directus"`
	Node     string `json:"node"`
}

// ProvisionError is an operation that Directus refused or failed. The
// process is still usable.
type ProvisionError struct {
	// Op is the request: bootstrap, snapshot, diff or apply-diff.
	Op string
	// Kind is one of the Provision* constants.
	Kind string
	// Code is Directus's error code (e.g. INVALID_PAYLOAD) or
	// PostgreSQL's SQLSTATE (e.g. 23502), when known.
	Code    string
	Message string
	// Logged are the error lines Directus logged during the operation,
	// e.g. which field it failed to create.
	Logged []string
}

func (e *ProvisionError) Error() string {
	msg := fmt.Sprintf("directus %s: %s", e.Op, e.Message)
	if e.Code != "" {
		msg += " [" + e.Code + "]"
	}
	if len(e.Logged) > 0 {
		msg += " (logged: " + strings.Join(e.Logged, "; ") + ")"
	}
	return msg
}

// ProvisionerExitError is a provisioner process that ended without
// answering.
type ProvisionerExitError struct {
	// Op is the request in flight, or "start".
	Op string
	// ExitCode is the process's exit status, -1 when a signal ended it.
	ExitCode int
	// Signal names the signal that ended it, if any.
	Signal string
	// Output is the tail of what it wrote on stdout and stderr.
	Output string
}

func (e *ProvisionerExitError) Error() string {
	how := "exit status " + strconv.Itoa(e.ExitCode)
	if e.Signal != "" {
		how = "signal: " + e.Signal
	}
	msg := fmt.Sprintf("directus provisioner: the process ended during %s (%s)", e.Op, how)
	if last := lastLine(e.Output); last != "" {
		msg += ": " + last
	}
	return msg
}

// ProvisionerProtocolError is a reply that does not follow the protocol.
// The process was stopped: what the request in flight did is unknown,
// except that a schema apply either committed whole or not at all.
type ProvisionerProtocolError struct {
	Op     string
	Reason string
	// Line is the start of the offending line, quoted.
	Line string
}

func (e *ProvisionerProtocolError) Error() string {
	msg := fmt.Sprintf("directus provisioner: %s: %s", e.Op, e.Reason)
	if e.Line != "" {
		msg += ": " + e.Line
	}
	return msg
}

type replyLine struct {
	data []byte
	err  error
}

// StartProvisioner starts the provisioner with the CLI's node, folder and
// environment and waits until Directus's modules are loaded; ctx bounds
// that wait only. The process lives until Close, or until a call's
// context is cancelled (SIGTERM, then SIGKILL after Grace).
func (c *CLI) StartProvisioner(ctx context.Context) (*Provisioner, error) {
	if c.Script == "" {
		return nil, &NotInstalledError{}
	}
	api := filepath.Dir(filepath.Dir(c.Script))
	module := filepath.Join(api, "database", "index.js")
	if _, err := os.Stat(module); err != nil {
		return nil, &NotInstalledError{Script: c.Script, Path: module, Err: unwrapPath(err)}
	}
	replyR, replyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("directus provisioner: %w", err)
	}
	cmd := exec.Command(c.Node, "--input-type=module", "--eval", provisionerSource, "--", api)
	cmd.Dir = c.Dir
	cmd.Env = append(append([]string{}, c.Env...), "LOG_STYLE=raw")
	// Like the CLI: a process group of its own, and killed by the kernel
	// when its caller dies, so that no apply outlives the boot.
	ownProcessGroup(cmd)
	cmd.WaitDelay = c.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	p := &Provisioner{cmd: cmd, replies: make(chan replyLine), logs: &tailBuffer{max: 64 << 10},
		exited: make(chan struct{}), quit: make(chan struct{})}
	p.stdout, p.stderr = &passWriter{tail: p.logs}, &passWriter{tail: p.logs}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.ExtraFiles = []*os.File{replyW} // fd 3
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		replyR.Close()
		replyW.Close()
		return nil, fmt.Errorf("directus provisioner: %w", err)
	}
	if err := cmd.Start(); err != nil {
		replyR.Close()
		replyW.Close()
		return nil, fmt.Errorf("directus provisioner: start %s: %w", c.Node, err)
	}
	replyW.Close()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	go p.readReplies(replyR)

	line, err := p.receive(ctx, "start")
	if err != nil {
		return nil, p.fail(err)
	}
	var hello struct {
		Ready *ProvisionerInfo `json:"ready"`
		reply
	}
	if err := json.Unmarshal(line, &hello); err == nil && hello.Error != nil {
		// Directus could not be loaded: the script says why and exits.
		return nil, p.fail(&ProvisionError{Op: "start", Kind: hello.Error.Kind, Code: hello.Error.Code, Message: hello.Error.Message})
	}
	if err := json.Unmarshal(line, &hello); err != nil || hello.Ready == nil {
		return nil, p.fail(&ProvisionerProtocolError{Op: "start", Reason: "the first line is not the ready message", Line: excerpt(line)})
	}
	if hello.Ready.Protocol != ProvisionerProtocol {
		return nil, p.fail(&ProvisionerProtocolError{Op: "start", Reason: fmt.Sprintf("the script speaks protocol %d, this program %d", hello.Ready.Protocol, ProvisionerProtocol)})
	}
	p.info = *hello.Ready
	return p, nil
}

// readReplies sends each line of r, then the error that ended it (io.EOF
// when the process closed its end), until quit.
func (p *Provisioner) readReplies(r *os.File) {
	defer r.Close()
	send := func(l replyLine) bool {
		select {
		case p.replies <- l:
			return true
		case <-p.quit:
			return false
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		var line []byte
		for {
			chunk, err := br.ReadSlice('\n')
			line = append(line, chunk...)
			if err == bufio.ErrBufferFull {
				if len(line) > maxReply {
					send(replyLine{err: fmt.Errorf("a reply line longer than %d bytes", maxReply)})
					return
				}
				continue
			}
			if err != nil {
				send(replyLine{err: err})
				return
			}
			break
		}
		if !send(replyLine{data: line}) {
			return
		}
	}
}

// Info is what the script reported when it started.
func (p *Provisioner) Info() ProvisionerInfo { return p.info }

// Pid is the process id of the Node process.
func (p *Provisioner) Pid() int { return p.cmd.Process.Pid }

// Output returns the tail (64 KiB) of what Directus logged.
func (p *Provisioner) Output() string { return p.logs.String() }

// receive waits for the next reply line, the process's end or ctx.
func (p *Provisioner) receive(ctx context.Context, op string) ([]byte, error) {
	select {
	case r := <-p.replies:
		if r.err == nil {
			return r.data, nil
		}
		if errors.Is(r.err, io.EOF) || errors.Is(r.err, os.ErrClosed) {
			return nil, p.exitError(op)
		}
		return nil, &ProvisionerProtocolError{Op: op, Reason: r.err.Error()}
	case <-ctx.Done():
		return nil, fmt.Errorf("directus provisioner: %s: stopped: %w", op, context.Cause(ctx))
	}
}

// exitError waits for the process that closed its reply descriptor and
// describes its end.
func (p *Provisioner) exitError(op string) error {
	select {
	case <-p.exited:
	case <-time.After(p.cmd.WaitDelay + time.Second):
		_ = signalGroup(p.cmd, syscall.SIGKILL)
		<-p.exited
	}
	e := &ProvisionerExitError{Op: op, Output: p.logs.String(), ExitCode: p.cmd.ProcessState.ExitCode()}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Signal = ws.Signal().String()
	}
	return e
}

// fail stops the process for good: its state is unknown. Every later
// call returns err.
func (p *Provisioner) fail(err error) error {
	if p.broken == nil {
		p.broken = err
	}
	p.stop()
	return err
}

// stop ends the process (SIGTERM, then SIGKILL after the grace period)
// and waits for it.
func (p *Provisioner) stop() {
	p.quitOnce.Do(func() { close(p.quit) })
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.stdin.Close()
	_ = signalGroup(p.cmd, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(p.cmd.WaitDelay):
		_ = signalGroup(p.cmd, syscall.SIGKILL)
		<-p.exited
	}
}

type reply struct {
	ID     *int64          `json:"id"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Kind    string   `json:"kind"`
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Logged  []string `json:"logged"`
	} `json:"error"`
}

// call sends one request and decodes its result into out.
func (p *Provisioner) call(ctx context.Context, op string, fields map[string]any, out any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken != nil {
		return p.broken
	}
	p.nextID++
	id := p.nextID
	req := map[string]any{"id": id, "op": op}
	for k, v := range fields {
		req[k] = v
	}
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("directus provisioner: %s: encoding the request: %w", op, err)
	}
	written := make(chan error, 1)
	go func() {
		_, err := p.stdin.Write(append(line, '\n'))
		written <- err
	}()
	select {
	case err := <-written:
		if err != nil {
			return p.fail(p.exitError(op))
		}
	case <-ctx.Done():
		return p.fail(fmt.Errorf("directus provisioner: %s: stopped: %w", op, context.Cause(ctx)))
	}
	data, err := p.receive(ctx, op)
	if err != nil {
		return p.fail(err)
	}
	var r reply
	if err := json.Unmarshal(data, &r); err != nil {
		return p.fail(&ProvisionerProtocolError{Op: op, Reason: "the reply is not JSON", Line: excerpt(data)})
	}
	switch {
	case r.ID == nil || *r.ID != id:
		return p.fail(&ProvisionerProtocolError{Op: op, Reason: fmt.Sprintf("the reply does not answer request %d", id), Line: excerpt(data)})
	case !r.OK && r.Error == nil, r.OK && r.Error != nil:
		return p.fail(&ProvisionerProtocolError{Op: op, Reason: "the reply is neither a result nor an error", Line: excerpt(data)})
	case !r.OK:
		e := &ProvisionError{Op: op, Kind: r.Error.Kind, Code: r.Error.Code, Message: r.Error.Message, Logged: r.Error.Logged}
		if e.Kind == ProvisionCrash {
			return p.fail(e)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return p.fail(&ProvisionerProtocolError{Op: op, Reason: "the result has not the documented shape: " + err.Error(), Line: excerpt(data)})
		}
	}
	return nil
}

// BootstrapResult is what a bootstrap did.
type BootstrapResult struct {
	// Installed is set when the database had no Directus tables and
	// Directus installed them and created the first admin.
	Installed bool `json:"installed"`
	// Migrations counts the migrations applied.
	Migrations int `json:"migrations"`
}

// Bootstrap is `directus bootstrap`: on a database without Directus it
// installs the system tables, runs every migration and creates the first
// admin (ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN); otherwise it runs the
// pending migrations.
func (p *Provisioner) Bootstrap(ctx context.Context) (*BootstrapResult, error) {
	var res BootstrapResult
	if err := p.call(ctx, "bootstrap", nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// FlushCaches has Directus flush every cache, shared ones included (a
// Redis cache store): after its tables were changed without it, nothing
// it cached before may be served. Refused while an apply is pending.
func (p *Provisioner) FlushCaches(ctx context.Context) error {
	return p.call(ctx, "flush-caches", nil, nil)
}

// LiveSchema is the live schema as a Directus snapshot (JSON), with the
// hash Directus gives it.
type LiveSchema struct {
	Snapshot json.RawMessage `json:"snapshot"`
	Hash     string          `json:"hash"`
}

// Snapshot reads the live schema, its caches cleared first.
func (p *Provisioner) Snapshot(ctx context.Context) (*LiveSchema, error) {
	var res LiveSchema
	if err := p.call(ctx, "snapshot", nil, &res); err != nil {
		return nil, err
	}
	if len(res.Snapshot) == 0 || res.Snapshot[0] != '{' || res.Hash == "" {
		return nil, p.fail(&ProvisionerProtocolError{Op: "snapshot", Reason: "the result has no snapshot or no hash"})
	}
	return &res, nil
}

// LiveDiff is Directus's diff of the live schema against a target.
type LiveDiff struct {
	// SchemaDiff is what ApplyDiff takes; its Diff is nil when the live
	// schema already equals the target.
	SchemaDiff
	// Live is the live snapshot the diff was made from, when asked for.
	Live json.RawMessage `json:"snapshot"`
}

// Diff makes Directus's own diff of the live schema against target (a
// whole JSON snapshot), as POST /schema/diff?force does: another
// Directus version is not refused. With withLive the live snapshot comes
// back too.
func (p *Provisioner) Diff(ctx context.Context, target json.RawMessage, withLive bool) (*LiveDiff, error) {
	if !json.Valid(target) {
		return nil, errors.New("directus provisioner: diff: the target snapshot is not valid JSON")
	}
	var res LiveDiff
	if err := p.call(ctx, "diff", map[string]any{"snapshot": target, "live": withLive}, &res); err != nil {
		return nil, err
	}
	if res.Hash == "" || (withLive && len(res.Live) == 0) {
		return nil, p.fail(&ProvisionerProtocolError{Op: "diff", Reason: "the result has no hash or no live snapshot"})
	}
	if bytes.Equal(bytes.TrimSpace(res.Diff), []byte("null")) {
		res.Diff = nil
	}
	return &res, nil
}

// PendingApply is an apply done in a transaction that is still open:
// nobody else sees it until Commit. Live is the schema as the apply leaves
// it, read inside that transaction: what Commit would make visible.
type PendingApply struct {
	Live LiveSchema
	p    *Provisioner
	done bool
}

// ApplyDiff applies a diff made by Diff as POST /schema/apply does — only
// to the schema the diff was made from, all in one transaction — but
// leaves the transaction open and returns the schema it leaves behind:
// the caller verifies it, then commits or rolls back. A diff made from
// another schema than the live one is a [*ProvisionError] of kind
// [ProvisionStale] and changes nothing; so does any failure. An empty
// diff returns nil: there is nothing to commit.
//
// Until the pending apply is committed or rolled back, the provisioner
// takes no other request; Close, a cancelled call or the end of the
// process roll it back.
func (p *Provisioner) ApplyDiff(ctx context.Context, d *SchemaDiff) (*PendingApply, error) {
	if d == nil || len(d.Diff) == 0 {
		return nil, nil
	}
	payload, err := applyPayload(d)
	if err != nil {
		return nil, err
	}
	var parsed struct {
		Hash string          `json:"hash"`
		Diff json.RawMessage `json:"diff"`
	}
	if err := json.Unmarshal(payload, &parsed); err != nil {
		return nil, err
	}
	var res struct {
		Applied bool `json:"applied"`
		LiveSchema
	}
	if err := p.call(ctx, "apply-diff", map[string]any{"hash": parsed.Hash, "diff": parsed.Diff}, &res); err != nil {
		return nil, err
	}
	if !res.Applied {
		return nil, nil
	}
	if len(res.Snapshot) == 0 || res.Snapshot[0] != '{' || res.Hash == "" {
		return nil, p.fail(&ProvisionerProtocolError{Op: "apply-diff", Reason: "the result has no snapshot or no hash"})
	}
	return &PendingApply{Live: res.LiveSchema, p: p}, nil
}

// Commit makes the apply visible to everyone, then has Directus flush
// its caches, shared ones included. If the process ends before it
// answers, whether the commit happened is unknown.
func (a *PendingApply) Commit(ctx context.Context) error { return a.end(ctx, "commit") }

// Rollback undoes the apply. Rolling back after a Commit, or twice, does
// nothing.
func (a *PendingApply) Rollback(ctx context.Context) error { return a.end(ctx, "rollback") }

func (a *PendingApply) end(ctx context.Context, op string) error {
	if a == nil || a.done {
		return nil
	}
	a.done = true
	return a.p.call(ctx, op, nil, nil)
}

// Serve makes the process Directus's server, as `directus start` would
// run it, with the modules provisioning loaded: the last request. From
// the call on, what Directus writes goes to stdout and stderr (and no
// longer only to Output); logStyle is the LOG_STYLE Directus's logs take
// from then on (nil: Directus's default), the process having provisioned
// with LOG_STYLE=raw. Serve returns once the server listens, or with a
// [*ProvisionerExitError] when it cannot start (a port in use). The
// caller then supervises it with Signal and Wait; ctx bounds the start
// only, and its cancellation stops the process.
func (p *Provisioner) Serve(ctx context.Context, logStyle *string, stdout, stderr io.Writer) error {
	p.stdout.pass(stdout)
	p.stderr.pass(stderr)
	if err := p.call(ctx, "serve", map[string]any{"logStyle": logStyle}, nil); err != nil {
		return p.fail(err)
	}
	p.mu.Lock()
	p.broken = errors.New("directus provisioner: serving: it takes no more requests")
	p.mu.Unlock()
	return nil
}

// Signal sends sig to the process and its group.
func (p *Provisioner) Signal(sig syscall.Signal) error {
	return signalGroup(p.cmd, sig)
}

// Wait waits for the process to end and returns its exit code, 128 plus
// the signal's number when a signal ended it (as a shell says).
func (p *Provisioner) Wait() int {
	<-p.exited
	p.quitOnce.Do(func() { close(p.quit) })
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return p.cmd.ProcessState.ExitCode()
}

// Close asks the process to exit and waits for it; a process that does
// not exit within the grace period is killed. Close after a failure only
// reaps the process.
func (p *Provisioner) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken != nil {
		p.stop()
		return nil
	}
	p.broken = errors.New("directus provisioner: closed")
	ctx, cancel := context.WithTimeout(context.Background(), p.cmd.WaitDelay)
	defer cancel()
	line, _ := json.Marshal(map[string]any{"id": p.nextID + 1, "op": "exit"})
	if _, err := p.stdin.Write(append(line, '\n')); err == nil {
		_, _ = p.receive(ctx, "exit")
	}
	_ = p.stdin.Close()
	defer p.quitOnce.Do(func() { close(p.quit) })
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.stop()
		return errors.New("directus provisioner: did not exit when asked; stopped")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("directus provisioner: exited with status %d: %s", code, lastLine(p.logs.String()))
	}
	return nil
}

// excerpt quotes the start of a line for a message.
func excerpt(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "…"
	}
	return strconv.Quote(string(b))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// passWriter writes to a tailBuffer and, once pass was called, to
// another writer too.
type passWriter struct {
	mu   sync.Mutex
	tail *tailBuffer
	to   io.Writer
}

func (w *passWriter) pass(to io.Writer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.to = to
}

func (w *passWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.tail.Write(b)
	if w.to != nil {
		// A reader gone from the other end must not stop Directus.
		_, _ = w.to.Write(b)
	}
	return len(b), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
