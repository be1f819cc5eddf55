package directusctl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CLI runs Directus's command-line interface. It calls the API package's
// CLI script directly with node: `npx directus` and the image's cli.js
// first ask the npm registry for updates (8 s without network).
type CLI struct {
	// Node is the node binary (Node 22 or later).
	Node string
	// Script is @directus/api/dist/cli/run.js of the installed Directus.
	Script string
	// Dir is the working directory (the Directus root: extensions and
	// uploads paths are relative to it).
	Dir string
	// Env is the complete environment of the CLI process: nothing is
	// inherited, so what Directus sees is exactly what the caller chose.
	// Besides the DB_* settings it should carry PACKAGE_FILE_LOCATION (an
	// absolute folder with a package.json; without it every command warns
	// "Couldn't load extensions") and FORCE_COLOR=0 (a FORCE_COLOR passed
	// through from CI would put colour codes into the dry-run plan).
	// LOG_STYLE is always set to raw.
	Env []string
	// Grace is how long a cancelled command gets between SIGTERM and
	// SIGKILL (default 10 s), so a schema apply can roll back cleanly.
	Grace time.Duration
}

// LogLine is one line Directus logged, parsed from its JSON log format.
type LogLine struct {
	Level int    `json:"level"`
	Msg   string `json:"msg"`
	Raw   string `json:"-"`
}

// Result is a finished CLI command.
type Result struct {
	Args     []string
	Stdout   []byte
	Stderr   []byte
	Logs     []LogLine
	Duration time.Duration
}

// CLIError is a CLI command that failed: a non-zero exit, or an error that
// Directus logged while exiting 0 (it does, e.g. for a schema apply on a
// database that was never bootstrapped).
type CLIError struct {
	Command  string
	ExitCode int
	// Message is the first error Directus logged, or the output's tail.
	Message string
	// NotBootstrapped is set when Directus says its tables are missing:
	// the database needs Bootstrap first.
	NotBootstrapped bool
	Output          string
}

func (e *CLIError) Error() string {
	msg := fmt.Sprintf("directus %s failed (exit %d): %s", e.Command, e.ExitCode, e.Message)
	if e.NotBootstrapped {
		msg += " (the database has no Directus tables: it needs bootstrap first)"
	}
	return msg
}

// NotInstalledError is a CLI that cannot run: no script is set, or
// Directus is not installed where Script (or the package it belongs to)
// says. Nothing was started.
type NotInstalledError struct {
	// Script is CLI.Script; empty when none was set.
	Script string
	// Path is the file that could not be used: the script, or its
	// package's package.json; empty when no script was set.
	Path string
	// Err is the file system's answer; nil when no script was set.
	Err error
}

func (e *NotInstalledError) Error() string {
	if e.Script == "" {
		return "directus CLI: no script set (CLI.Script: @directus/api/dist/cli/run.js of an installed Directus)"
	}
	return fmt.Sprintf("directus CLI: Directus is not installed at %s: %v", e.Path, e.Err)
}

func (e *NotInstalledError) Unwrap() error { return e.Err }

// Pino levels: 50 error, 60 fatal.
const levelError = 50

// Version reads the installed @directus/api package's name and version,
// which changes whenever the Directus release (and so its system tables)
// changes.
func (c *CLI) Version() (string, error) {
	path := filepath.Join(filepath.Dir(c.Script), "..", "..", "package.json")
	if c.Script == "" {
		return "", &NotInstalledError{}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &NotInstalledError{Script: c.Script, Path: path, Err: unwrapPath(err)}
	}
	var pkg struct{ Name, Version string }
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version == "" {
		return "", fmt.Errorf("directus version: %s is not a package.json with a version", path)
	}
	return pkg.Name + "@" + pkg.Version, nil
}

// Command prepares, without starting it, the command Run would run: for
// long-lived commands such as start, whose output and lifetime the caller
// manages. Cancelling ctx sends SIGTERM, then SIGKILL after Grace.
func (c *CLI) Command(ctx context.Context, args ...string) (*exec.Cmd, error) {
	if c.Script == "" {
		return nil, &NotInstalledError{}
	}
	if _, err := os.Stat(c.Script); err != nil {
		return nil, &NotInstalledError{Script: c.Script, Path: c.Script, Err: unwrapPath(err)}
	}
	cmd := exec.CommandContext(ctx, c.Node, append([]string{c.Script}, args...)...)
	cmd.Dir = c.Dir
	// JSON logs can be parsed; pretty logs are for people. Appended last
	// so that it wins over a LOG_STYLE in Env.
	cmd.Env = append(append([]string{}, c.Env...), "LOG_STYLE=raw")
	// On cancellation, ask politely first: Directus rolls back its
	// transaction on SIGTERM. The CLI runs in a process group of its own,
	// which the signal reaches whole, and dies with its caller.
	ownProcessGroup(cmd)
	cmd.Cancel = func() error { return signalGroup(cmd, syscall.SIGTERM) }
	cmd.WaitDelay = c.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	return cmd, nil
}

// Run runs the CLI with args and judges the outcome from its exit code
// and its logs.
func (c *CLI) Run(ctx context.Context, args ...string) (*Result, error) {
	cmd, err := c.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res := &Result{Args: args, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Duration: time.Since(start)}
	res.Logs = append(parseLogs(stdout.Bytes()), parseLogs(stderr.Bytes())...)
	command := strings.Join(args, " ")
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("directus %s: stopped: %w", command, context.Cause(ctx))
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return res, fmt.Errorf("directus %s: %w", command, err)
		}
		return res, res.failure(command, ee.ExitCode())
	}
	for _, l := range res.Logs {
		if l.Level >= levelError {
			return res, res.failure(command, 0)
		}
	}
	return res, nil
}

func (r *Result) failure(command string, code int) *CLIError {
	e := &CLIError{Command: command, ExitCode: code, Output: tail(withoutStackFrames(string(r.Stdout)+string(r.Stderr)), 2000)}
	for _, l := range r.Logs {
		if l.Level >= levelError {
			e.Message = l.Msg
			break
		}
	}
	if e.Message == "" {
		e.Message = thrown(string(r.Stderr) + string(r.Stdout))
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(tail(withoutStackFrames(string(r.Stderr)+string(r.Stdout)), 500))
	}
	lower := strings.ToLower(e.Output)
	e.NotBootstrapped = strings.Contains(lower, "isn't installed") || strings.Contains(lower, "doesn't have directus tables")
	return e
}

// unwrapPath drops the *fs.PathError around err: NotInstalledError names
// the path itself.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// withoutStackFrames drops the "    at …" lines of a JavaScript stack
// trace: they speak of Directus's insides, not of what to fix.
func withoutStackFrames(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	dropped := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "at ") && strings.HasPrefix(l, " ") {
			dropped = true
			continue
		}
		out = append(out, l)
	}
	if dropped {
		out = append(out, "(stack trace left out)")
	}
	return strings.Join(out, "\n")
}

// thrown is the "TypeError: …" line of an uncaught exception's stack
// trace, which Node prints instead of a log line; "" when there is none.
func thrown(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "at ") && !strings.HasPrefix(l, " ") && strings.Contains(l, "Error") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func parseLogs(b []byte) []LogLine {
	var out []LogLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var l LogLine
		if json.Unmarshal(line, &l) == nil && l.Level > 0 {
			l.Raw = string(line)
			out = append(out, l)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// Bootstrap installs or upgrades Directus's system tables and creates the
// first admin from ADMIN_EMAIL and ADMIN_PASSWORD. Idempotent.
func (c *CLI) Bootstrap(ctx context.Context) (*Result, error) {
	return c.Run(ctx, "bootstrap")
}

// Snapshot returns the live schema as Directus's own YAML snapshot.
func (c *CLI) Snapshot(ctx context.Context) ([]byte, *Result, error) {
	dir, release, err := tempDir("trm-snapshot-")
	if err != nil {
		return nil, nil, err
	}
	defer release()
	path := filepath.Join(dir, "snapshot.yaml")
	res, err := c.Run(ctx, "schema", "snapshot", "--yes", path)
	if err != nil {
		return nil, res, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, res, fmt.Errorf("directus schema snapshot wrote no file: %w", err)
	}
	return b, res, nil
}

// Apply applies a snapshot file, in one transaction: a failure changes
// nothing. It deletes whatever the file lacks, so callers check the plan
// first.
func (c *CLI) Apply(ctx context.Context, path string) (*Result, error) {
	return c.Run(ctx, "schema", "apply", "--yes", path)
}

// ApplySnapshot applies a snapshot given as YAML, through a file in a
// temporary folder that is gone when it returns, as [CLI.Apply] does.
func (c *CLI) ApplySnapshot(ctx context.Context, yaml []byte) (*Result, error) {
	dir, release, err := tempDir("trm-apply-")
	if err != nil {
		return nil, err
	}
	defer release()
	path := filepath.Join(dir, "schema.yaml")
	if err := os.WriteFile(path, yaml, 0o600); err != nil {
		return nil, err
	}
	return c.Apply(ctx, path)
}
