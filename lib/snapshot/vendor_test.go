package snapshot

import (
	"errors"
	"testing"
)

// A snapshot of another vendor can have no structural difference at all:
// only CheckVendor tells, as Directus's own diff refuses it.
func TestCheckVendorRefusesAnotherVendorThatDiffsAsEqual(t *testing.T) {
	pg := mustReadOwn(t, "11.17.4-crews.yaml")
	mysql := pg.Clone()
	mysql.Vendor = "mysql"
	if r := Diff(pg, mysql); !r.Empty() {
		t.Fatalf("a vendor change alone diffed as %d changes", len(r.Changes))
	}
	err := CheckVendor(pg, mysql)
	var ve *VendorError
	if !errors.As(err, &ve) || ve.From != "postgres" || ve.To != "mysql" {
		t.Fatalf("CheckVendor: %v", err)
	}
	if err.Error() != "the snapshots are of different database vendors: postgres and mysql" {
		t.Fatalf("message %q", err)
	}
}

func TestCheckVendorOnSnapshotsDirectusWrote(t *testing.T) {
	pg := mustReadOwn(t, "11.17.4-crews.yaml")
	sqlite := mustReadOwn(t, "11.17.4-sqlite-crews.yaml")
	var ve *VendorError
	if err := CheckVendor(sqlite, pg); !errors.As(err, &ve) || ve.From != "sqlite" || ve.To != "postgres" {
		t.Fatalf("sqlite against postgres: %v", err)
	}
	if err := CheckVendor(pg, mustReadOwn(t, "11.17.4-empty.yaml")); err != nil {
		t.Fatalf("postgres against postgres: %v", err)
	}
	// Directus before 9.23 wrote no vendor: unknown, not different.
	old := pg.Clone()
	old.Vendor = ""
	if err := CheckVendor(old, sqlite); err != nil {
		t.Fatalf("a snapshot without vendor: %v", err)
	}
}
