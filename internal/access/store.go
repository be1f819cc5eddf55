package access

import (
	"context"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Store is where Apply and Reconcile read and write a live access model:
// a running Directus through its REST API (REST), or Directus's tables
// inside one database transaction (SQL, the boot's, before the server
// starts). The plan, the allowance and the order of the changes are the
// same whichever store carries them.
type Store interface {
	// Load reads the live model.
	Load(ctx context.Context) (*Live, error)
	CreateRole(ctx context.Context, r directusctl.Role) (*directusctl.Role, error)
	UpdateRole(ctx context.Context, id string, patch map[string]any) error
	DeleteRole(ctx context.Context, id string) error
	CreatePolicy(ctx context.Context, p directusctl.Policy) (*directusctl.Policy, error)
	UpdatePolicy(ctx context.Context, id string, patch map[string]any) error
	DeletePolicy(ctx context.Context, id string) error
	CreateAccess(ctx context.Context, a directusctl.Access) error
	DeleteAccess(ctx context.Context, id string) error
	CreatePermissions(ctx context.Context, ps []directusctl.Permission) error
	UpdatePermission(ctx context.Context, id int, patch map[string]any) error
	DeletePermissions(ctx context.Context, ids []int) error
}

// REST is the store of a running instance, reached with an administrator's
// client. Each change is one request: a failed change leaves the ones
// before it applied (*ApplyError says how many).
func REST(c *directusctl.Client) Store { return restStore{c} }

type restStore struct{ c *directusctl.Client }

func (s restStore) Load(ctx context.Context) (*Live, error) { return Pull(ctx, s.c) }

func (s restStore) CreateRole(ctx context.Context, r directusctl.Role) (*directusctl.Role, error) {
	return s.c.CreateRole(ctx, r)
}

func (s restStore) UpdateRole(ctx context.Context, id string, patch map[string]any) error {
	_, err := s.c.UpdateRole(ctx, id, patch)
	return err
}

func (s restStore) DeleteRole(ctx context.Context, id string) error { return s.c.DeleteRole(ctx, id) }

func (s restStore) CreatePolicy(ctx context.Context, p directusctl.Policy) (*directusctl.Policy, error) {
	return s.c.CreatePolicy(ctx, p)
}

func (s restStore) UpdatePolicy(ctx context.Context, id string, patch map[string]any) error {
	_, err := s.c.UpdatePolicy(ctx, id, patch)
	return err
}

func (s restStore) DeletePolicy(ctx context.Context, id string) error {
	return s.c.DeletePolicy(ctx, id)
}

func (s restStore) CreateAccess(ctx context.Context, a directusctl.Access) error {
	_, err := s.c.CreateAccess(ctx, a)
	return err
}

func (s restStore) DeleteAccess(ctx context.Context, id string) error {
	return s.c.DeleteAccess(ctx, id)
}

func (s restStore) CreatePermissions(ctx context.Context, ps []directusctl.Permission) error {
	return s.c.CreatePermissions(ctx, ps)
}

func (s restStore) UpdatePermission(ctx context.Context, id int, patch map[string]any) error {
	_, err := s.c.UpdatePermission(ctx, id, patch)
	return err
}

func (s restStore) DeletePermissions(ctx context.Context, ids []int) error {
	return s.c.DeletePermissions(ctx, ids)
}
