package boot

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The processor's database role (db-init/post/004_processor_role.sql):
// every full boot creates or updates it, after the post-schema db-init,
// by calling trm_processor_role_sync with its name and the SCRAM-SHA-256
// verifier of its password. The fast path only checks that it exists and
// holds its privileges: a new password takes effect at the next full
// boot (docs/data-model-phase3.md says how to force one). The settings
// (internal/settings) checked the name and the password.

// processorRole creates or updates the processor's role. It runs under
// the boot lock, after the post-schema db-init.
func (b *Booter) processorRole(ctx context.Context, conn *pgx.Conn) error {
	if b.cfg.ProcessorUser == "" {
		return nil
	}
	t := time.Now()
	verifier := ""
	if b.cfg.ProcessorPassword != "" {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return &StepError{Step: "processor-role", Err: err, Fix: "the system's random source failed; rerun"}
		}
		var err error
		if verifier, err = scramVerifier(b.cfg.ProcessorPassword, salt, scramIterations); err != nil {
			return &StepError{Step: "processor-role", Err: err, Fix: "rerun"}
		}
	}
	var result string
	if err := conn.QueryRow(ctx, "SELECT trm_processor_role_sync($1, $2)", b.cfg.ProcessorUser, verifier).Scan(&result); err != nil {
		return &StepError{Step: "processor-role", Err: err,
			Fix: "Directus's database user makes the processor's role: it needs CREATEROLE (or create the role " + b.cfg.ProcessorUser + " beforehand and leave TRM_PROCESSOR_DB_PASSWORD unset); or unset TRM_PROCESSOR_DB_USER"}
	}
	b.step("processor-role", t, "role", b.cfg.ProcessorUser, "result", result)
	return nil
}

// processorRoleReady reports whether the configured role exists, may log
// in and holds its privileges (one is enough to tell a role that was
// never synced).
func (b *Booter) processorRoleReady(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	if b.cfg.ProcessorUser == "" {
		return true, nil
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT rolcanlogin AND has_table_privilege(oid, 'entry_crossings', 'INSERT')
	                                           AND NOT has_column_privilege(oid, 'positions', 'faulty', 'UPDATE')
	                                           FROM pg_roles WHERE rolname = $1), false)`, b.cfg.ProcessorUser).Scan(&ok)
	return ok, err
}

// scramIterations is PostgreSQL's default (scram_iterations).
const scramIterations = 4096

// scramVerifier is the SCRAM-SHA-256 verifier PostgreSQL stores for
// password (RFC 5802, RFC 7677; PostgreSQL's scram_build_secret):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. The password
// is printable ASCII (the settings check it), which SASLprep leaves as it
// is.
func scramVerifier(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	enc := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$" + strconv.Itoa(iterations) + ":" + enc(salt) + "$" + enc(stored[:]) + ":" + enc(server), nil
}
