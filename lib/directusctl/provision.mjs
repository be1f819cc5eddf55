// The provisioner: one Node process that runs an installed Directus's own
// bootstrap, schema snapshot, diff and apply for lib/directusctl's
// Provisioner, so that a boot pays Directus's start-up once instead of once
// per CLI command. It decides nothing: the Go side plans, refuses and
// verifies; this script does what it is asked, with Directus's functions,
// and says exactly what happened.
//
// Usage: node provision.mjs <@directus/api/dist folder>
// (lib/directusctl runs it as `node --input-type=module --eval <this file>
// -- <folder>`, so that nothing has to be written to disk.)
//
// Protocol (version 1), one JSON object per line, UTF-8:
//
//   requests on stdin:   {"id": 1, "op": "bootstrap"}
//                        {"id": 2, "op": "snapshot"}
//                        {"id": 3, "op": "diff", "snapshot": {...}, "live": true}
//                        {"id": 4, "op": "apply-diff", "hash": "...", "diff": {...}}
//                        {"id": 5, "op": "commit"}        (or "rollback")
//                        {"id": 6, "op": "flush-caches"}
//                        {"id": 7, "op": "exit"}
//                        {"id": 8, "op": "serve", "logStyle": "pretty"}  (last: the process becomes Directus's server)
//   replies on fd 3:     {"ready": {"protocol": 1, "directus": "11.17.4", "node": "v22..."}}  (once, first)
//                        {"id": 1, "ok": true, "ms": 812, "result": {...}}
//                        {"id": 1, "ok": false, "ms": 3, "error": {"kind": "...", "message": "...", "code": "...", "logged": [...]}}
//
// Replies travel on their own descriptor because Directus and its
// libraries write logs to stdout: nothing else can ever write a reply.
// Stdout and stderr stay Directus's logs. An apply's transaction stays
// open until commit or rollback. End of stdin, SIGTERM or SIGINT end the
// process at once: an apply in progress or waiting for its commit is one
// transaction, which PostgreSQL rolls back when the connection drops.
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const PROTOCOL = 1;
const REPLY_FD = 3;
const api = process.argv[process.argv.length - 1];
const load = (rel) => import(pathToFileURL(join(api, rel)).href);

// A blocking pipe takes the whole line; the loop is for partial writes
// and for a descriptor left non-blocking (EAGAIN).
function send(message) {
	const buf = Buffer.from(JSON.stringify(message) + "\n");
	let off = 0;
	while (off < buf.length) {
		try {
			off += writeSync(REPLY_FD, buf, off);
		} catch (err) {
			if (err.code !== "EAGAIN") throw err;
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
		}
	}
}

const signals = [["SIGTERM", 143], ["SIGINT", 130]].map(([signal, code]) => {
	const handler = () => process.exit(code);
	process.on(signal, handler);
	return [signal, handler];
});

// Error lines Directus logs while a request runs go into its error reply:
// applyDiff logs which item failed, then throws the database's error.
let logged = [];
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
	for (const line of String(chunk).split("\n")) {
		if (!line.startsWith("{")) continue;
		try {
			const entry = JSON.parse(line);
			if (entry.level >= 50 && typeof entry.msg === "string") logged.push(entry.msg);
		} catch {
			// Not a log line of Directus's: it is forwarded as it is.
		}
	}
	return stdoutWrite(chunk, ...rest);
};

let current = null;
function fatal(err) {
	// The stack is for whoever reads the logs; the reply says what failed.
	process.stderr.write(`${err?.stack ?? err}\n`);
	const reply = { id: current, ok: false, ms: 0, error: { kind: "crash", message: String(err?.message ?? err), logged } };
	try {
		send(reply);
	} finally {
		process.exit(70);
	}
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

// serving says that the process is Directus's server now: no request is
// read any more.
let serving = false;

const [
	{ default: getDatabase, isInstalled },
	{ getSnapshot },
	{ getSnapshotDiff },
	{ getVersionedHash },
	{ validateSnapshot },
	{ validateApplyDiff },
	{ applyDiff },
	{ getCache, flushCaches },
] = await Promise.all([
	load("database/index.js"),
	load("utils/get-snapshot.js"),
	load("utils/get-snapshot-diff.js"),
	load("utils/get-versioned-hash.js"),
	load("utils/validate-snapshot.js"),
	load("utils/validate-diff.js"),
	load("utils/apply-diff.js"),
	load("cache.js"),
]);
const requireFromAPI = createRequire(join(api, "index.js"));
const directusVersion = requireFromAPI("directus/package.json").version;

class Refusal extends Error {
	constructor(kind, message) {
		super(message);
		this.kind = kind;
	}
}

async function installed() {
	if (!(await isInstalled())) {
		throw new Refusal("not-bootstrapped", "the database has no Directus tables (directus_collections is missing): bootstrap first");
	}
}

function emptyDiff(d) {
	return d.collections.length === 0 && d.fields.length === 0 && (d.systemFields ?? []).length === 0 && d.relations.length === 0;
}

// bootstrap is the CLI's `directus bootstrap`, step for step: install the
// system tables, run the migrations and create the first admin on a
// database without Directus; otherwise run the pending migrations.
async function bootstrap() {
	const database = getDatabase();
	const { default: runMigrations } = await load("database/migrations/run.js");
	if (await isInstalled()) {
		const before = await migrationCount(database);
		await runMigrations(database, "latest");
		return { installed: false, migrations: (await migrationCount(database)) - before };
	}
	// What creating the admin needs loads while PostgreSQL creates the
	// tables: the CPU work of loading overlaps the database's.
	const later = Promise.all([
		load("utils/get-schema.js"),
		load("utils/create-admin.js"),
		load("services/settings.js"),
		import(pathToFileURL(requireFromAPI.resolve("@directus/env")).href),
	]);
	later.catch(() => {});
	const { default: runSeed } = await load("database/seeds/run.js");
	await runSeed(database);
	await runMigrations(database, "latest");
	const [{ getSchema }, { createAdmin }, { SettingsService }, { useEnv }] = await later;
	const schema = await getSchema();
	await createAdmin(schema);
	const env = useEnv();
	const settings = new SettingsService({ schema });
	if (env["PROJECT_NAME"] && typeof env["PROJECT_NAME"] === "string" && env["PROJECT_NAME"].length > 0) {
		await settings.upsertSingleton({ project_name: env["PROJECT_NAME"] });
	}
	if (requireFromAPI("zod").email().safeParse(env["PROJECT_OWNER"]).success) {
		await settings.setOwner({ project_owner: env["PROJECT_OWNER"], org_name: null, project_usage: null, product_updates: false });
	}
	return { installed: true, migrations: await migrationCount(database) };
}

async function migrationCount(database) {
	const [{ count }] = await database("directus_migrations").count({ count: "*" });
	return Number(count);
}

// Directus keeps column information in a cache of this process; reads
// that must show what the database holds now clear it first. Caches that
// other processes share (Redis) are left alone: reading changes nothing.
async function fresh() {
	await getCache().localSchemaCache.clear();
}

// snapshot reads the live schema.
async function snapshot() {
	await installed();
	await fresh();
	const live = await getSnapshot({ database: getDatabase() });
	return { snapshot: live, hash: getVersionedHash(live) };
}

// diff is Directus's own diff of the live schema against a target
// snapshot, with the hash that apply-diff will require. Like the CLI's
// apply, it does not refuse another Directus version.
async function diff(request) {
	await installed();
	validateSnapshot(request.snapshot, true);
	await fresh();
	const live = await getSnapshot({ database: getDatabase() });
	const d = getSnapshotDiff(live, request.snapshot);
	const result = { hash: getVersionedHash(live), diff: emptyDiff(d) ? null : d };
	if (request.live === true) result.snapshot = live;
	return result;
}

// An apply's transaction stays open until the caller, having read the
// schema it leaves, commits or rolls it back.
let pending = null;

// applyDiff runs what POST /schema/apply runs — the diff applies only to
// the schema it was made from (same hash), all in one transaction — but
// in a transaction of this script's own, left open: the reply carries the
// schema as the apply leaves it, read inside that transaction, and
// nothing is visible to anyone else until commit.
async function applyDiffRequest(request) {
	await installed();
	const trx = await getDatabase().transaction();
	// A rollback rejects the transaction's own promise: it is expected.
	trx.executionPromise?.catch(() => {});
	try {
		await fresh();
		const live = await getSnapshot({ database: trx });
		const hash = getVersionedHash(live);
		if (request.hash !== hash) {
			throw new Refusal("stale", `the live schema changed since the diff was made (hash ${hash}, the diff's ${request.hash})`);
		}
		if (!validateApplyDiff({ hash: request.hash, diff: request.diff }, { ...live, hash })) {
			await trx.rollback();
			return { applied: false };
		}
		await applyDiff(live, request.diff, { database: trx });
		await fresh();
		const after = await getSnapshot({ database: trx });
		pending = trx;
		return { applied: true, snapshot: after, hash: getVersionedHash(after) };
	} catch (err) {
		await trx.rollback().catch(() => {});
		throw err;
	}
}

// commit makes the pending apply visible, then flushes every cache,
// shared ones included (Directus flushed them during the apply, before
// the commit: another process may have cached the old schema since).
async function commit() {
	const trx = takePending("commit");
	await trx.commit();
	await flushCaches();
	return {};
}

async function rollback() {
	const trx = takePending("rollback");
	await trx.rollback();
	await flushCaches();
	return {};
}

// flushCachesRequest flushes every cache, shared ones included: after
// the caller changed Directus's tables without Directus (the boot's access
// apply, in SQL), nothing cached before may be served.
async function flushCachesRequest() {
	await flushCaches();
	return {};
}

function takePending(op) {
	if (pending === null) throw new Refusal("bad-request", `${op}: no apply is waiting`);
	const trx = pending;
	pending = null;
	return trx;
}

// serve makes this process what `directus start` makes one: Directus's
// server, with the modules provisioning loaded. The script steps aside
// first: Directus's own signal handling (a graceful shutdown), Node's
// default for an uncaught error, Directus's log style (the script ran
// with LOG_STYLE=raw to read the errors Directus logged), and caches
// read before the boot's last change cleared. The reply comes when the
// server listens; a server that cannot start exits, as `directus start`
// does.
async function serve(request) {
	for (const [signal, handler] of signals) process.off(signal, handler);
	process.off("uncaughtException", fatal);
	process.off("unhandledRejection", fatal);
	process.stdout.write = stdoutWrite;
	serving = true;
	if (request.logStyle !== "raw") await prettyLogs(request.logStyle);
	const { clearSystemCache } = await load("cache.js");
	await clearSystemCache();
	const [{ startServer }, { default: emitter }] = await Promise.all([load("server.js"), load("emitter.js")]);
	const listening = new Promise((resolve) => emitter.onAction("server.start", resolve));
	await startServer();
	await listening;
	return {};
}

// prettyLogs gives Directus's logger, created raw, the stream
// LOG_STYLE=pretty (Directus's default) gives it, and the setting to the
// loggers created from now on (the HTTP logger).
async function prettyLogs(style) {
	const [{ useEnv }, { useLogger }] = await Promise.all([
		import(pathToFileURL(requireFromAPI.resolve("@directus/env")).href),
		load("logger/index.js"),
	]);
	const env = useEnv();
	if (typeof style === "string") {
		env["LOG_STYLE"] = style;
		process.env["LOG_STYLE"] = style;
	} else {
		delete env["LOG_STYLE"];
		delete process.env["LOG_STYLE"];
	}
	const { symbols } = requireFromAPI("pino");
	const { build } = requireFromAPI("pino-pretty");
	for (const entry of useLogger()[symbols.streamSym].streams ?? []) {
		if (entry.stream === process.stdout) entry.stream = build({ ignore: "hostname,pid", sync: true });
	}
}

const ops = {
	bootstrap,
	snapshot,
	diff,
	"apply-diff": applyDiffRequest,
	commit,
	rollback,
	"flush-caches": flushCachesRequest,
	serve,
};

function describe(err) {
	if (err instanceof Refusal) return { kind: err.kind, message: err.message };
	if (err?.name === "DirectusError") {
		const reason = err.extensions?.reason;
		return { kind: err.code === "INVALID_PAYLOAD" ? "invalid" : "directus", code: err.code, message: reason ? `${err.message} ${reason}`.trim() : err.message };
	}
	// knex and pg errors carry PostgreSQL's SQLSTATE in code.
	const out = { kind: "directus", message: String(err?.message ?? err) };
	if (typeof err?.code === "string") out.code = err.code;
	if (typeof err?.detail === "string") out.message += ` (${err.detail})`;
	return out;
}

async function handle(line) {
	const started = performance.now();
	let request;
	try {
		request = JSON.parse(line);
	} catch (err) {
		send({ id: null, ok: false, ms: 0, error: { kind: "bad-request", message: `not JSON: ${err.message}` } });
		return;
	}
	const id = Number.isSafeInteger(request?.id) ? request.id : null;
	current = id;
	logged = [];
	if (request?.op === "exit") {
		await pending?.rollback().catch(() => {});
		send({ id, ok: true, ms: 0, result: {} });
		await getDatabase().destroy();
		process.exit(0);
	}
	const op = Object.hasOwn(ops, request?.op) ? ops[request.op] : null;
	if (id === null || op === null) {
		send({ id, ok: false, ms: 0, error: { kind: "bad-request", message: `want {"id": <integer>, "op": one of ${Object.keys(ops).join(", ")}, exit}` } });
		return;
	}
	if (pending !== null && op !== commit && op !== rollback) {
		send({ id, ok: false, ms: 0, error: { kind: "bad-request", message: `an apply waits for commit or rollback, not ${request.op}` } });
		return;
	}
	try {
		const result = await op(request);
		send({ id, ok: true, ms: Math.round(performance.now() - started), result });
	} catch (err) {
		send({ id, ok: false, ms: Math.round(performance.now() - started), error: { ...describe(err), logged } });
	}
	current = null;
}

send({ ready: { protocol: PROTOCOL, directus: directusVersion, node: process.version } });

// Requests run one at a time, in order.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
	if (line.trim() !== "") await handle(line);
	if (serving) break;
}
if (serving) {
	// The server runs on; the caller supervises it and stays until it
	// ends. Its end of stdin means it is gone: nothing may outlive it.
	process.stdin.resume();
	process.stdin.on("end", () => process.exit(1));
} else {
	// The caller is gone: nothing may keep running on its behalf.
	process.exit(1);
}
