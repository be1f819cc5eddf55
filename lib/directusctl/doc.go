// Package directusctl drives a Directus 11 instance for the TRM business
// plane: its configuration variables (Directus's DB_* and *_FILE
// conventions), its CLI (bootstrap, schema snapshot and apply, start) and
// its REST API.
//
// It depends on the standard library only, so a service that talks to
// Directus does not pull a database driver.
//
// # CLI
//
// [CLI] runs Directus's own command-line script with node and an explicit
// environment, and turns its outcome into a [*CLIError]: Directus's exit
// codes lie (a schema apply on a database that was never bootstrapped
// logs an error and exits 0), so the logs are judged too; a database
// without Directus's tables sets [CLIError.NotBootstrapped]. A CLI whose
// script is not set, or names no installed Directus, fails before
// starting anything with a *[NotInstalledError] naming the file.
//
// Errors say what failed and where, in typed fields; they never name a
// remedy of a particular program (how Directus gets installed, which
// command pulls a snapshot): the program that imports this package adds
// that, keyed on the error's type.
//
// # Provisioner
//
// [CLI.StartProvisioner] starts one Node process that runs the installed
// Directus's own bootstrap, schema snapshot, diff and apply on request
// ([Provisioner]), so that a boot that needs several of them pays
// Directus's start-up once. The script it runs (provision.mjs) is
// embedded in the package and speaks a line-delimited JSON protocol:
// requests on its stdin, replies on its file descriptor 3, Directus's logs
// on stdout and stderr. The caller decides; the process only does what it
// is asked: [Provisioner.Diff] returns Directus's diff and the hash of the
// schema it was made from, and [Provisioner.ApplyDiff] applies it in one
// transaction only to that same schema, and returns the schema it leaves
// while the transaction is still open ([PendingApply]): the caller
// verifies, then commits or rolls back. Failures are typed: Directus
// refusing or failing an operation is a [*ProvisionError] (the process
// stays usable); a process that ends is a [*ProvisionerExitError]; a
// reply that breaks the protocol is a [*ProvisionerProtocolError].
// Its last request can be [Provisioner.Serve]: the process becomes
// Directus's server, as `directus start` runs it, with the modules
// provisioning loaded; the caller supervises it with [Provisioner.Signal] and
// [Provisioner.Wait].
//
// # REST
//
// [Client] talks to a running instance: [Client.WaitHealthy], [Client.Login]
// or a static token ([WithToken]), the schema endpoints ([Client.Snapshot],
// [Client.Diff], [Client.Apply]), [Client.ClearCache], items and the
// access model. Every call takes a context; answers other than 2xx are
// [*APIError] carrying Directus's error code, and a diff that went stale
// before it was applied is a [*StaleDiffError].
//
// Items ([Client.ListItems] and the others) work on user collections;
// Directus refuses /items/directus_*, system collections have their own
// endpoints ([Client.Do] reaches any of them). A query holds Directus's
// query parameters as they appear in a URL: fields=id,name, limit=-1,
// filter={"name":{"_eq":"x"}} (JSON). Directus returns at most 100 items
// unless limit says otherwise. The answer's data is decoded into the
// caller's out as encoding/json would; a nil out discards it.
//
// Directus 11's access model: a [Policy] grants [Permission]s; roles
// ([Role]) and users get policies through [Access] rows. None of it is in
// a schema snapshot. The structs hold the columns of the system tables as
// Directus returns them with the default fields; relational fields (a
// role's users, a policy's permissions) are left out. Updates take a
// patch (a map, or a struct with omitempty fields) because a PATCH changes
// exactly the fields it carries. Lists without a limit return every row,
// these tables being small.
package directusctl
