// Command trmctl is the TRM business plane's admin CLI: guarded db-init
// migrations, Directus schema snapshots, boot plans and seeds.
//
// Exit codes: 0 success; 1 failure, guard violation or difference found;
// 2 usage error (unknown command or flag, bad argument).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], newStreams(os.Stdin, os.Stdout, os.Stderr), os.Environ())
	stop()
	os.Exit(code)
}
