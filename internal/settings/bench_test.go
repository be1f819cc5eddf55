package settings

import (
	"strings"
	"testing"
)

// The entrypoint loads its settings once per start; the cost must stay
// negligible beside the ~20 ms of a warm reboot.
func BenchmarkLoadEntrypoint(b *testing.B) {
	vars := base("TRM_DATABASE_URL", "postgres://trm:S3cret@db:5432/directus?sslmode=disable", "TRM_ALLOW_DESTRUCTIVE", "collection:a,field:b.c", "TRM_SNAPSHOT_EXCLUDE", "audit_*,tmp_*")
	src := FromEnv(env(vars, nil), environ(vars))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(src, Entrypoint); err != nil {
			b.Fatal(err)
		}
	}
}

// Every log line of the entrypoint and every message trmctl writes to
// standard error go through the Redactor.
func BenchmarkRedactLogLine(b *testing.B) {
	r := NewRedactor("S3cret-db-password", "an-admin-password", strings.Repeat("k", 64), "static-admin-token-0123")
	line := `time=2026-12-02T03:40:57.967Z level=ERROR msg="boot failed" step=wait-db error="postgres://trm:xxxxx@127.0.0.1:1/d did not answer within 20s (9 attempts): failed to connect to user=trm database=d" fix="check that PostgreSQL runs"`
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = r.String(line)
	}
}
