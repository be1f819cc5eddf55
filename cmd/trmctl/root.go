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
	// started is set once cobra has parsed and validated the command line
	// and a command runs: its errors are its own, not cobra's.
	started bool
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
	} else if !a.started && isCobraUsageError(err) {
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
// which it returns as plain errors. Only errors raised before a command
// starts are cobra's: a command's own message may say "accepts".
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
Directus schema snapshots, access as code, boot plans and seeds.

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
	root.AddCommand(newMigrateCmd(a), newSnapshotCmd(a), newBootCmd(a), newSeedCmd(a), newAccessCmd(a))
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
// Values from the environment and the file go through the flag's own
// parser: TRM_TIMEOUT=abc is a usage error naming the variable, as
// --timeout abc is, not a setting silently dropped.
func (a *app) loadConfig(cmd *cobra.Command) error {
	a.started = true
	v := a.cfg
	v.SetEnvPrefix("TRM")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err := v.BindPFlag(f.Name, f); err != nil {
			keep(err)
		}
		envName := "TRM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if val, ok := a.getenv(envName); ok && !f.Changed {
			if err := f.Value.Set(val); err != nil {
				keep(usageErrorf("%s: %s", envName, valueError(f, val, err)))
			}
			f.Changed = true
		}
	})
	if firstErr != nil {
		return firstErr
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
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || !v.InConfig(f.Name) {
			return
		}
		val := fmt.Sprint(v.Get(f.Name))
		if list, ok := v.Get(f.Name).([]any); ok {
			items := make([]string, len(list))
			for i, item := range list {
				items[i] = fmt.Sprint(item)
			}
			val = strings.Join(items, ",")
		}
		if err := f.Value.Set(val); err != nil {
			keep(usageErrorf("config file %s: key %s: %s", path, f.Name, valueError(f, val, err)))
		}
		f.Changed = true
	})
	return firstErr
}

// valueError says why a flag refused a value. Only values of flags that
// cannot hold a secret are shown: a string flag takes any value.
func valueError(f *pflag.Flag, val string, err error) string {
	var why error = err
	if u := errors.Unwrap(err); u != nil {
		why = u
	}
	return fmt.Sprintf("%q is not a valid --%s (a %s): %v", val, f.Name, f.Value.Type(), why)
}
