package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Exit codes, documented in the root help and the README.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// streams is where a command reads and writes; tests pass buffers.
type streams struct {
	in       io.Reader
	out      io.Writer
	err      io.Writer
	outIsTTY bool
}

func newStreams(in io.Reader, out, errw io.Writer) *streams {
	return &streams{in: in, out: out, err: errw, outIsTTY: isTerminal(out)}
}

// isTerminal reports whether w is a character device, so colour and
// progress are only ever written to a person's terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// app carries what every command shares: its streams, the process
// environment and the resolved configuration (flags > environment >
// config file > defaults).
type app struct {
	io     *streams
	getenv func(string) (string, bool)
	cfg    *viper.Viper
}

// exitError carries the exit code a failure should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a wrong flag, argument or value: exit code 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// errSilentFailure makes the command exit 1 without printing anything more:
// the command already wrote its own report (a drift, a guard violation).
var errSilentFailure = &exitError{code: exitFailure, err: errors.New("")}

func run(ctx context.Context, args []string, s *streams, lookupEnv func(string) (string, bool)) int {
	a := &app{io: s, getenv: lookupEnv, cfg: viper.New()}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isCobraUsageError(err) {
		code = exitUsage
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(s.err, "trmctl: %s\n", msg)
		if code == exitUsage {
			fmt.Fprintln(s.err, "Run 'trmctl --help' for usage.")
		}
	}
	return code
}

// isCobraUsageError recognises cobra's own argument and command errors,
// which it returns as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "requires exactly", "received ", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "trmctl <command> <subcommand> [flags]",
		Short: "Operate the TRM business plane (Directus + PostgreSQL)",
		Long: `trmctl operates the TRM business plane: guarded db-init migrations,
Directus schema snapshots, boot plans and seeds.

Settings come from flags, then TRM_* environment variables, then an
optional config file (--config, YAML), then defaults. A flag --foo-bar is
also read from TRM_FOO_BAR.

Exit codes:
  0  success
  1  failure, guard violation, or difference found
  2  usage error (unknown command or flag, bad argument)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadConfig(cmd)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().String("config", "", "read settings from this YAML file (keys are flag names)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(newMigrateCmd(a), newSnapshotCmd(a), newBootCmd(a), newSeedCmd(a), newCourseCmd(a))
	for _, c := range root.Commands() {
		refuseUnknownSubcommands(c)
	}
	return root
}

// refuseUnknownSubcommands makes a command group answer an unknown
// subcommand with a usage error; cobra would print help and exit 0.
func refuseUnknownSubcommands(c *cobra.Command) {
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return cmd.Help()
	}
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
}

// loadConfig binds the command's flags to viper so that each can also be
// set from TRM_<FLAG> or the config file, then reads the config file.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.cfg
	v.SetEnvPrefix("TRM")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err := v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = err
		}
		envName := "TRM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if val, ok := a.getenv(envName); ok && !f.Changed {
			v.Set(f.Name, val)
		}
	})
	if bindErr != nil {
		return bindErr
	}
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		return nil
	}
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return usageErrorf("config file %s: %v (fix the file or drop --config)", path, err)
	}
	return nil
}
