package boot

import (
	"encoding/base64"
	"testing"
)

// A verifier PostgreSQL 15 stored for CREATE ROLE … PASSWORD 'Tr0ub4dor&3'
// (read from pg_authid): the same password and salt give the same bytes.
func TestScramVerifierIsPostgreSQLs(t *testing.T) {
	const stored = "SCRAM-SHA-256$4096:ZS7v4G2MpS2nyoDe2wO5AA==$9wYKo3/Mimu7QCLN5wOP1xOO1kCDKsWKkDJd4hFpTxc=:ogxKkrpQeLELGiFlw6Ax+Bwj9xYN8v+9CcMfeugtyA4="
	salt, err := base64.StdEncoding.DecodeString("ZS7v4G2MpS2nyoDe2wO5AA==")
	if err != nil {
		t.Fatal(err)
	}
	got, err := scramVerifier("Tr0ub4dor&3", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if got != stored {
		t.Errorf("verifier\n got %s\nwant %s", got, stored)
	}
	if other, _ := scramVerifier("Tr0ub4dor&4", salt, 4096); other == stored {
		t.Error("another password gives the same verifier")
	}
}
