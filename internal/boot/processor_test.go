package boot

import (
	"encoding/base64"
	"errors"
	"strings"
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

func TestProcessorRoleSettings(t *testing.T) {
	for _, c := range []struct {
		user, password, setting, says string
	}{
		{"", "", "", ""},
		{"trm_processor", "s3cr3t-Pa55", "", ""},
		{"trm_processor", "", "", ""},
		{"", "s3cr3t", "TRM_PROCESSOR_DB_USER", "set TRM_PROCESSOR_DB_USER too"},
		{"TRM-Processor", "x", "TRM_PROCESSOR_DB_USER", "lower-case letters"},
		{"trm_processor; DROP ROLE postgres", "x", "TRM_PROCESSOR_DB_USER", "not a role name"},
		{"pg_monitor", "x", "TRM_PROCESSOR_DB_USER", "PostgreSQL's own"},
		{"trm_processor", "pass word", "TRM_PROCESSOR_DB_PASSWORD", "character 5"},
		{"trm_processor", "pässword", "TRM_PROCESSOR_DB_PASSWORD", "printable ASCII"},
	} {
		err := checkProcessorRole(c.user, c.password)
		var ce *ConfigError
		switch {
		case c.setting == "" && err != nil:
			t.Errorf("%q/%q: %v", c.user, c.password, err)
		case c.setting != "" && (!errors.As(err, &ce) || ce.Setting != c.setting || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%q/%q: want %s saying %q, got %v", c.user, c.password, c.setting, c.says, err)
		case c.password != "" && err != nil && strings.Contains(err.Error(), c.password):
			t.Errorf("the message shows the password: %v", err)
		}
	}
}
