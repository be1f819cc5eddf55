package boot

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// StateTable records the last successful boot: the Directus release, the
// committed snapshot and a fingerprint of the live schema it left behind.
const StateTable = "trm_boot_state"

// State is what a successful boot proved.
type State struct {
	DirectusVersion string
	SnapshotSHA256  string
	// Fingerprint is a hash of everything a Directus schema snapshot is
	// made of, computed by the server (fingerprintSQL).
	Fingerprint string
	// AccessSHA256 hashes the access files (empty when the boot does not
	// apply them); AccessFingerprint the live access model the boot left
	// (accessFingerprintSQL).
	AccessSHA256      string
	AccessFingerprint string
}

// accessFingerprintSQL hashes the access model the boot applies: roles,
// policies, the policies given to roles (and the public one) and every
// policy's permissions. Policies given to single users and the users'
// roles are not the files' business and are left out.
const accessFingerprintSQL = `
SELECT md5(concat_ws('#',
  (SELECT string_agg(r::text, '|' ORDER BY r.id) FROM directus_roles r),
  (SELECT string_agg(p::text, '|' ORDER BY p.id) FROM directus_policies p),
  (SELECT string_agg(a::text, '|' ORDER BY a.id) FROM directus_access a WHERE a."user" IS NULL),
  (SELECT string_agg(p::text, '|' ORDER BY p.id) FROM directus_permissions p)
))`

// fingerprintSQL hashes Directus's schema metadata and the catalog of the
// public schema: collections, fields and relations rows, every column
// with its type, nullability and default, every index and constraint, and
// Directus's own migration level. Anything that would change a schema
// snapshot changes it. It reads catalogs only, so it costs milliseconds.
const fingerprintSQL = `
SELECT md5(concat_ws('#',
  (SELECT string_agg(c::text, '|' ORDER BY c.collection) FROM directus_collections c),
  (SELECT string_agg(f::text, '|' ORDER BY f.id) FROM directus_fields f),
  (SELECT string_agg(r::text, '|' ORDER BY r.id) FROM directus_relations r),
  (SELECT max(version) FROM directus_migrations),
  (SELECT string_agg(format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), '|' ORDER BY c.relname, a.attnum)
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(pg_get_indexdef(i.indexrelid), '|' ORDER BY pg_get_indexdef(i.indexrelid))
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = 'public'::regnamespace),
  (SELECT string_agg(format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)), '|' ORDER BY conrelid::regclass::text, conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace)
))`

// liveState is the fingerprints of the live database.
type liveState struct{ Schema, Access string }

// readState returns the recorded state and the live fingerprint in one
// round trip. ok is false when either cannot exist yet (no state table, or
// no Directus tables): that is a first boot, not an error.
func readState(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (recorded State, live liveState, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT s.directus_version, s.snapshot_sha256, s.schema_fingerprint, s.access_sha256, s.access_fingerprint, fp.md5, afp.md5
	  FROM `+StateTable+` s, (`+fingerprintSQL+`) AS fp(md5), (`+accessFingerprintSQL+`) AS afp(md5) WHERE s.id = 1`).
		Scan(&recorded.DirectusVersion, &recorded.SnapshotSHA256, &recorded.Fingerprint, &recorded.AccessSHA256, &recorded.AccessFingerprint, &live.Schema, &live.Access)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return State{}, liveState{}, false, nil
	// An undefined table (no state yet, no Directus), or a state table of
	// a boot before access was applied: a first boot.
	case errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "42703"):
		return State{}, liveState{}, false, nil
	case err != nil:
		return State{}, liveState{}, false, fmt.Errorf("read boot state: %w", err)
	}
	return recorded, live, true, nil
}

// writeState records a successful boot with the fingerprint of the schema
// as it is now.
func writeState(ctx context.Context, conn *pgx.Conn, s State, by string) (string, error) {
	var fp string
	err := conn.QueryRow(ctx, `
WITH fp AS (`+fingerprintSQL+` AS md5), afp AS (`+accessFingerprintSQL+` AS md5)
INSERT INTO `+StateTable+` (id, directus_version, snapshot_sha256, schema_fingerprint, access_sha256, access_fingerprint, booted_by)
SELECT 1, $1, $2, fp.md5, $3, afp.md5, $4 FROM fp, afp
ON CONFLICT (id) DO UPDATE SET directus_version = EXCLUDED.directus_version, snapshot_sha256 = EXCLUDED.snapshot_sha256,
  schema_fingerprint = EXCLUDED.schema_fingerprint, access_sha256 = EXCLUDED.access_sha256,
  access_fingerprint = EXCLUDED.access_fingerprint, booted_at = now(), booted_by = EXCLUDED.booted_by
RETURNING schema_fingerprint`, s.DirectusVersion, s.SnapshotSHA256, s.AccessSHA256, by).Scan(&fp)
	if err != nil {
		return "", fmt.Errorf("record boot state: %w", err)
	}
	return fp, nil
}

const stateDDL = `CREATE TABLE IF NOT EXISTS ` + StateTable + ` (
  id                 int         PRIMARY KEY CHECK (id = 1),
  directus_version   text        NOT NULL,
  snapshot_sha256    text        NOT NULL,
  schema_fingerprint text        NOT NULL,
  booted_at          timestamptz NOT NULL DEFAULT now(),
  booted_by          text        NOT NULL
);
ALTER TABLE ` + StateTable + ` ADD COLUMN IF NOT EXISTS access_sha256 text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS access_fingerprint text NOT NULL DEFAULT '';
COMMENT ON TABLE ` + StateTable + ` IS 'Last successful boot of the TRM entrypoint; lets a warm reboot skip Directus bootstrap and schema apply. Deleting the row forces a full boot.'`
