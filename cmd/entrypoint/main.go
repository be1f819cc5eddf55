// Command entrypoint is the boot binary of the TRM Directus image. It
// provisions the database (internal/boot: wait for PostgreSQL, boot lock,
// pre-schema db-init, Directus bootstrap, guarded schema apply, post-schema
// db-init) and then replaces itself with the start command, by default the
// upstream image's `pm2-runtime start ecosystem.config.cjs`.
//
// Any failure stops the boot with exit code 1 and a last log line naming
// the failing step and the fix; a configuration error exits 2. SIGTERM or
// SIGINT before the start stops it cleanly: every step is transactional.
// Settings: see internal/boot.ConfigFromEnv and the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, log)
	stop()
	os.Exit(code)
}

// run provisions and, on success, execs the start command; it only
// returns on failure.
func run(ctx context.Context, log *slog.Logger) int {
	cfg, err := boot.OSConfig()
	if err != nil {
		log.Error("boot failed", "step", "config", "error", err.Error(), "fix", "fix the setting named in the error (see the README's entrypoint table)")
		return 2
	}
	if len(cfg.StartCommand) == 0 {
		log.Error("boot failed", "step", "config", "error", "TRM_START_COMMAND is empty", "fix", "unset it, or name the command that starts Directus")
		return 2
	}
	path, err := exec.LookPath(cfg.StartCommand[0])
	if err != nil {
		log.Error("boot failed", "step", "config", "error", err.Error(), "fix", "TRM_START_COMMAND must name a program on PATH")
		return 2
	}
	b, err := boot.New(cfg, log)
	if err == nil {
		_, err = b.Run(ctx)
	}
	if err != nil {
		step, fix := "boot", ""
		var se *boot.StepError
		if errors.As(err, &se) {
			step, fix, err = se.Step, se.Fix, se.Err
		}
		var ce *directusctl.CLIError
		if errors.As(err, &ce) && ce.Output != "" {
			fmt.Fprintf(os.Stderr, "--- directus %s output (tail) ---\n%s\n---\n", ce.Command, ce.Output)
		}
		if ctx.Err() != nil {
			fix = "stopped by a signal before Directus started; every step is transactional, so nothing is half-applied"
		}
		log.Error("boot failed", "step", step, "error", err.Error(), "fix", fix)
		return 1
	}
	// Directus resolves its caches and relative paths from its own
	// directory, as in the image (/directus).
	if err := os.Chdir(cfg.CLI.Dir); err != nil {
		log.Error("boot failed", "step", "start", "error", err.Error(), "fix", "TRM_DIRECTUS_DIR must be the Directus directory")
		return 1
	}
	log.Info("start", "step", "start", "command", cfg.StartCommand, "dir", cfg.CLI.Dir)
	err = syscall.Exec(path, cfg.StartCommand, cfg.Environ)
	log.Error("boot failed", "step", "start", "error", err.Error(), "fix", "check TRM_START_COMMAND")
	return 1
}
