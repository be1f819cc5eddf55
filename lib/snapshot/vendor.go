package snapshot

// CheckVendor returns a *[VendorError] when from and to were taken from
// databases of different vendors (postgres, mysql, sqlite, …), and nil
// otherwise. Directus refuses to diff or apply a snapshot of another
// vendor unless forced (POST /schema/diff and /schema/apply check it):
// types, defaults and lengths are written as each database reports them,
// so the two may not differ where the schemas do, or differ where they do
// not. A snapshot that names no vendor (Directus before 9.23 wrote none)
// passes: what it was taken from is unknown.
func CheckVendor(from, to *Snapshot) error {
	if from.Vendor == "" || to.Vendor == "" || from.Vendor == to.Vendor {
		return nil
	}
	return &VendorError{From: from.Vendor, To: to.Vendor}
}
