package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
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
// config file > defaults): the settings of internal/settings' table in
// set, every other option of a command in its flags, read through cfg.
type app struct {
	io      *streams
	getenv  func(string) (string, bool)
	environ []string
	cfg     *viper.Viper
	set     *settings.Config
	// red takes secrets out of everything written to standard error.
	red *settings.Redactor
	// started is set once cobra has parsed and validated the command line
	// and a command runs: its errors are its own, not cobra's.
	started bool
}

// env is the process environment as Directus reads it (NAME_FILE too).
func (a *app) env() directusctl.Env { return directusctl.Env{Lookup: a.getenv, ReadFile: os.ReadFile} }

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

func run(ctx context.Context, args []string, s *streams, environ []string) int {
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	a := &app{getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, environ: environ, cfg: viper.New()}
	a.red = settings.NewRedactor(settings.EnvSecrets(a.env(), environ)...)
	// Whatever reaches standard error goes through the redactor: messages,
	// progress, and the errors of the programs trmctl runs.
	s = &streams{in: s.in, out: s.out, err: redactWriter{a: a, w: s.err}, outIsTTY: s.outIsTTY}
	a.io = s
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
Directus schema snapshots, access as code, boot plans, seeds, courses and
rules.

Settings come from flags, then environment variables, then an optional
config file (--config or TRM_CONFIG, YAML, keys are flag names), then
defaults. The settings shared with the entrypoint have their own variables,
listed in the README's table of settings (--dir is TRM_DB_INIT_DIR,
--token is TRM_DIRECTUS_TOKEN, ...); every other flag --foo-bar is also
read from TRM_FOO_BAR. Every value is checked before a command runs: a bad
one is a usage error. Secrets never appear in the output.

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
	root.AddCommand(newMigrateCmd(a), newSnapshotCmd(a), newBootCmd(a), newSeedCmd(a), newAccessCmd(a), newCourseCmd(a), newRulesCmd(a))
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

// redactWriter writes through the app's current redactor.
type redactWriter struct {
	a *app
	w io.Writer
}

func (r redactWriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write(r.a.red.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// loadConfig reads the config file, then every option and setting of the
// command, each from its flag, else its variable, else the config file,
// else its default, checking each: a bad value anywhere is a usage error,
// whichever command runs.
func (a *app) loadConfig(cmd *cobra.Command) error {
	a.started = true
	v := a.cfg
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path, _ = a.getenv("TRM_CONFIG")
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return usageErrorf("config file %s: %v (fix the file or drop --config)", path, err)
		}
	}
	tableFlags := map[string]bool{}
	for _, s := range settings.Table() {
		if s.Flag != "" {
			tableFlags[s.Flag] = true
		}
	}
	var bad []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if tableFlags[f.Name] {
			return
		}
		if err := v.BindPFlag(f.Name, f); err != nil {
			bad = append(bad, err.Error())
			return
		}
		if f.Changed || f.Name == "help" || f.Name == "config" {
			return
		}
		envName := "TRM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if val, ok := a.getenv(envName); ok {
			if err := setFlag(f, val); err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q: %v", envName, val, err))
			}
			return
		}
		if path != "" && v.InConfig(f.Name) {
			if err := setFlag(f, configText(v.Get(f.Name))); err != nil {
				bad = append(bad, fmt.Sprintf("%s: key %s: %v", path, f.Name, err))
			}
		}
	})
	src := settings.Source{Env: a.env(), Layers: []settings.Layer{
		flagLayer{fs: cmd.Flags()}, settings.EnvLayer{Env: a.env()}, configLayer{v: v, path: path},
	}}
	runtimeVars, err := settings.ReadRuntimeEnv(settings.RuntimeEnvPath)
	switch {
	case err == nil:
		src.Layers = append(src.Layers, settings.RuntimeLayer{Vars: runtimeVars, Path: settings.RuntimeEnvPath})
	case !errors.Is(err, fs.ErrNotExist):
		bad = append(bad, err.Error())
	}
	src.Layers = append(src.Layers, flagLayer{fs: cmd.Flags(), defaults: true})
	set, err := settings.Load(src, settings.Trmctl)
	var errs settings.Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			bad = append(bad, e.Error())
		}
	case err != nil:
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return usageErrorf("%s", strings.Join(bad, "\n"))
	}
	a.set = set
	a.red = settings.NewRedactor(append(settings.EnvSecrets(a.env(), a.environ), set.Secrets()...)...)
	return nil
}

// setFlag gives a flag a value read from a variable or the config file,
// parsed as the flag parses its own.
func setFlag(f *pflag.Flag, val string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(strings.Split(val, ","))
	}
	return f.Value.Set(val)
}

// configText is a config file value as a flag would be given it.
func configText(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// settingFlag adds the flag of a setting of the table, documented by the
// table; def replaces the table's default for this command.
func settingFlag(fs *pflag.FlagSet, env string, def ...string) {
	for _, s := range settings.Table() {
		if s.Env != env {
			continue
		}
		value := s.DefaultFor(settings.Trmctl)
		if len(def) > 0 {
			value = def[0]
		}
		v := &settingValue{value: value, arg: s.Arg}
		fs.Var(v, s.Flag, strings.ReplaceAll(s.Doc, "`", "")+" ("+s.Env+")")
		fs.Lookup(s.Flag).DefValue = value
		if s.Arg == "bool" {
			fs.Lookup(s.Flag).NoOptDefVal = "true"
		}
		return
	}
	panic("trmctl: no setting " + env)
}

// settingValue holds a setting's flag as text: the settings check it,
// whatever it came from, with one message.
type settingValue struct{ value, arg string }

func (v *settingValue) String() string     { return v.value }
func (v *settingValue) Set(s string) error { v.value = s; return nil }
func (v *settingValue) Type() string       { return v.arg }

// flagLayer reads the settings' flags: those given on the command line,
// or, as the lowest layer, the command's defaults.
type flagLayer struct {
	fs       *pflag.FlagSet
	defaults bool
}

func (l flagLayer) Lookup(s *settings.Spec) (string, string, bool, error) {
	if s.Flag == "" {
		return "", "", false, nil
	}
	f := l.fs.Lookup(s.Flag)
	switch {
	case f == nil:
		return "", "", false, nil
	case l.defaults:
		return f.DefValue, "--" + s.Flag + " (default)", true, nil
	case f.Changed:
		return f.Value.String(), "--" + s.Flag, true, nil
	}
	return "", "", false, nil
}

// configLayer reads the settings from the --config file: the key is the
// setting's flag, else its variable's name.
type configLayer struct {
	v    *viper.Viper
	path string
}

func (l configLayer) Lookup(s *settings.Spec) (string, string, bool, error) {
	if l.path == "" || s.Directus {
		return "", "", false, nil
	}
	for _, key := range []string{s.Flag, s.Env} {
		if key != "" && l.v.InConfig(key) {
			return configText(l.v.Get(key)), l.path + ": key " + key, true, nil
		}
	}
	return "", "", false, nil
}
