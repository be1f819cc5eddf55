// Command entrypoint is the boot binary of the TRM Directus image. It
// provisions the database (internal/boot: wait for PostgreSQL and Redis,
// boot lock, pre-schema db-init, Directus bootstrap, guarded schema apply,
// post-schema db-init) and then replaces itself with the start command, by
// default the upstream image's `pm2-runtime start ecosystem.config.cjs`.
// After a full boot whose start command is Directus's own start
// (TRM_SERVE=auto), it has the Directus process that provisioned serve
// instead, its modules loaded, and stays as its supervisor: signals go to
// it, and the entrypoint exits with its status.
//
// Every setting (internal/settings, the README's table) is checked before
// anything else, then the committed snapshot, the db-init files and the
// Directus install: a bad one exits 2, naming each. Any other failure
// stops the boot with exit code 1. Either way the last log line names the
// failing step and the fix. SIGTERM, SIGINT or SIGHUP before the start
// stops it cleanly: every step is transactional, the Directus process it
// runs is stopped with it (and killed by the kernel if the entrypoint
// itself is killed), and an apply it had not committed is rolled back.
// No secret reaches the log: every line goes through the settings'
// Redactor.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	code := run(ctx, os.Stderr, directusctl.OSEnv(), os.Environ())
	stop()
	os.Exit(code)
}

// run provisions and, on success, execs the start command, returning only
// on failure, or serves Directus from the process that provisioned and
// returns its exit status.
func run(ctx context.Context, stderr io.Writer, env directusctl.Env, environ []string) int {
	red := settings.NewRedactor(settings.EnvSecrets(env, environ)...)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: redactAttr(red)}))
	s, err := settings.Load(settings.FromEnv(env, environ), settings.Entrypoint)
	if err != nil {
		var errs settings.Errors
		if !errors.As(err, &errs) {
			errs = settings.Errors{{Setting: "settings", Reason: err.Error()}}
		}
		names := make([]string, len(errs))
		for i, e := range errs {
			names[i] = e.Setting
			log.Error("bad setting", "step", "config", "setting", e.Setting, "error", e.Error())
		}
		log.Error("boot failed", "step", "config", "error", fmt.Sprintf("%d bad setting(s): %s", len(errs), strings.Join(names, ", ")),
			"fix", "fix each setting named above (the README's table of settings); nothing was changed")
		return 2
	}
	red = settings.NewRedactor(append(settings.EnvSecrets(env, environ), s.Secrets()...)...)
	log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: redactAttr(red)}))
	for _, w := range s.Warnings {
		log.Warn("setting", "step", "config", "warning", w)
	}
	cfg := boot.NewConfig(s, environ)
	path, _ := exec.LookPath(cfg.StartCommand[0])
	b, err := boot.New(cfg, log)
	if err != nil {
		// The snapshot, the db-init files and the Directus install are
		// read and checked before the database is touched: bad ones are
		// the configuration's fault.
		return failed(ctx, stderr, log, red, err, 2)
	}
	out, err := b.Run(ctx)
	if err != nil {
		return failed(ctx, stderr, log, red, err, 1)
	}
	if out.Server != nil {
		return serve(ctx, log, out.Server, cfg)
	}
	// Directus resolves its caches and relative paths from its own
	// directory, as in the image (/directus).
	if err := os.Chdir(cfg.DirectusDir); err != nil {
		log.Error("boot failed", "step", "start", "error", err.Error(), "fix", "TRM_DIRECTUS_DIR must be the Directus directory")
		return 1
	}
	log.Info("start", "step", "start", "command", cfg.StartCommand, "dir", cfg.DirectusDir)
	err = syscall.Exec(path, cfg.StartCommand, cfg.Environ)
	log.Error("boot failed", "step", "start", "error", err.Error(), "fix", "check TRM_START_COMMAND")
	return 1
}

// serve has the Directus process that provisioned serve Directus
// (TRM_SERVE, docs/boot-provisioner.md) and supervises it: SIGTERM,
// SIGINT and SIGHUP go to it, its output is the entrypoint's, its exit
// status the entrypoint's (128 + the signal's number when a signal ended
// it), and it is killed by the kernel if the entrypoint dies.
func serve(ctx context.Context, log *slog.Logger, p *directusctl.Provisioner, cfg *boot.Config) int {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	// A signal that came before this Notify cancelled ctx instead.
	if ctx.Err() != nil {
		_ = p.Close()
		log.Error("boot failed", "step", "start", "error", context.Cause(ctx).Error(), "fix", "stopped by a signal before Directus started; provisioning was complete")
		return 1
	}
	go func() {
		for s := range sig {
			_ = p.Signal(s.(syscall.Signal))
		}
	}()
	var style *string
	for _, kv := range cfg.Environ {
		if v, ok := strings.CutPrefix(kv, "LOG_STYLE="); ok {
			style = &v
		}
	}
	log.Info("start", "step", "start", "serve", "in the process that provisioned", "pid", p.Pid(), "dir", cfg.DirectusDir)
	// Not ctx: from here a signal goes to Directus, which handles it.
	if err := p.Serve(context.Background(), style, os.Stdout, os.Stderr); err != nil {
		// A server that could not start exits with Directus's status;
		// any other failure stopped the process.
		code := p.Wait()
		if ee := (*directusctl.ProvisionerExitError)(nil); !errors.As(err, &ee) || code == 0 {
			code = 1
		}
		log.Error("boot failed", "step", "start", "error", err.Error(), "fix", "read Directus's error above (a port in use: PORT); TRM_SERVE=exec runs the start command instead")
		return code
	}
	return p.Wait()
}

// failed logs a failed step with its fix as the last line and returns
// code.
func failed(ctx context.Context, stderr io.Writer, log *slog.Logger, red *settings.Redactor, err error, code int) int {
	step, fix := "boot", ""
	var se *boot.StepError
	if errors.As(err, &se) {
		step, fix, err = se.Step, se.Fix, se.Err
	}
	var ce *directusctl.CLIError
	if errors.As(err, &ce) && ce.Output != "" {
		fmt.Fprintf(stderr, "--- directus %s output (tail) ---\n%s\n---\n", ce.Command, red.String(ce.Output))
	}
	var ee *directusctl.ProvisionerExitError
	if errors.As(err, &ee) && ee.Output != "" {
		fmt.Fprintf(stderr, "--- directus provisioner output (tail) ---\n%s\n---\n", red.String(tail(ee.Output, 4000)))
	}
	if ctx.Err() != nil {
		fix = "stopped by a signal before Directus started; every step is transactional, so nothing is half-applied"
	}
	log.Error("boot failed", "step", step, "error", err.Error(), "fix", fix)
	return code
}

// redactAttr passes every message and value of the log through the
// Redactor: an error may quote a child's output or a URL.
func redactAttr(red *settings.Redactor) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			return slog.String(a.Key, red.String(a.Value.String()))
		case slog.KindAny:
			return slog.String(a.Key, red.String(fmt.Sprint(a.Value.Any())))
		}
		return a
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
