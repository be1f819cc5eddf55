package access

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Tx is what SQL needs of a database transaction (pgx.Tx has it).
type Tx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SQL is the store of Directus's own tables (directus_roles,
// directus_policies, directus_access, directus_permissions), read and
// written in tx: the boot's, which applies the access files before
// Directus's server starts. Every change and the check after them are one
// transaction, so a failure leaves nothing half-done. It writes what
// Directus's services would (ids, comma-separated lists, JSON rules) and
// nothing else: no activity or revision rows, and Directus's caches are
// the caller's to flush.
func SQL(tx Tx) Store { return sqlStore{tx} }

type sqlStore struct{ tx Tx }

func (s sqlStore) Load(ctx context.Context) (*Live, error) {
	l := &Live{UsersByRole: map[string]int{}}
	rows, err := s.tx.Query(ctx, `SELECT id::text, name, coalesce(icon, ''), coalesce(description, ''), coalesce(parent::text, '') FROM directus_roles ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	if l.Roles, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (directusctl.Role, error) {
		var v directusctl.Role
		return v, r.Scan(&v.ID, &v.Name, &v.Icon, &v.Description, &v.Parent)
	}); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	rows, err = s.tx.Query(ctx, `SELECT id::text, name, coalesce(icon, ''), coalesce(description, ''), coalesce(ip_access, ''), coalesce(enforce_tfa, false), coalesce(admin_access, false), coalesce(app_access, false) FROM directus_policies ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	if l.Policies, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (directusctl.Policy, error) {
		var v directusctl.Policy
		var ip string
		err := r.Scan(&v.ID, &v.Name, &v.Icon, &v.Description, &ip, &v.EnforceTFA, &v.AdminAccess, &v.AppAccess)
		v.IPAccess = csv(ip)
		return v, err
	}); err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	rows, err = s.tx.Query(ctx, `SELECT id::text, coalesce(role::text, ''), coalesce("user"::text, ''), policy::text, sort FROM directus_access ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read access: %w", err)
	}
	if l.Access, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (directusctl.Access, error) {
		var v directusctl.Access
		return v, r.Scan(&v.ID, &v.Role, &v.User, &v.Policy, &v.Sort)
	}); err != nil {
		return nil, fmt.Errorf("read access: %w", err)
	}
	rows, err = s.tx.Query(ctx, `SELECT id, policy::text, collection, action, permissions::text, validation::text, presets::text, fields
	  FROM directus_permissions WHERE policy IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	if l.Permissions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (directusctl.Permission, error) {
		var v directusctl.Permission
		var perms, valid, presets, fields *string
		err := r.Scan(&v.ID, &v.Policy, &v.Collection, &v.Action, &perms, &valid, &presets, &fields)
		v.Permissions, v.Validation, v.Presets = raw(perms), raw(valid), raw(presets)
		if fields != nil {
			v.Fields = csv(*fields)
		}
		return v, err
	}); err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	rows, err = s.tx.Query(ctx, `SELECT role::text, count(*) FROM directus_users WHERE role IS NOT NULL GROUP BY role`)
	if err != nil {
		return nil, fmt.Errorf("count users per role: %w", err)
	}
	var role string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&role, &n}, func() error { l.UsersByRole[role] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count users per role: %w", err)
	}
	for _, a := range l.Access {
		if a.Role == "" && a.User == "" {
			l.PublicPolicy = a.Policy
		}
	}
	return l, nil
}

// csv splits a comma-separated list as Directus stores fields and
// addresses.
func csv(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func raw(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// newID makes a version 4 UUID, as Directus does for roles, policies and
// access rows.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// insert writes one row with the columns that have a value: the others
// keep Directus's column defaults (a role's or policy's icon).
func (s sqlStore) insert(ctx context.Context, table string, cols []string, vals []any) error {
	var names, params []string
	var args []any
	for i, c := range cols {
		if v, ok := vals[i].(string); ok && v == "" {
			continue
		}
		names = append(names, pgx.Identifier{c}.Sanitize())
		args = append(args, vals[i])
		params = append(params, fmt.Sprintf("$%d", len(args)))
	}
	_, err := s.tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", pgx.Identifier{table}.Sanitize(), strings.Join(names, ", "), strings.Join(params, ", ")), args...)
	return err
}

// update sets the patch's columns. The patches come from Apply, which
// names the columns; the values are parameters.
func (s sqlStore) update(ctx context.Context, table string, id any, patch map[string]any) error {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sets []string
	args := []any{id}
	for _, k := range keys {
		args = append(args, column(patch[k]))
		sets = append(sets, fmt.Sprintf("%s = $%d", pgx.Identifier{k}.Sanitize(), len(args)))
	}
	tag, err := s.tx.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE id = $1", pgx.Identifier{table}.Sanitize(), strings.Join(sets, ", ")), args...)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("%s %v: no such row", table, id)
	}
	return err
}

// column turns a value of a patch into what Directus stores: lists
// comma-separated, rules as JSON text, nothing as NULL.
func column(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case []string:
		if len(v) == 0 {
			return nil
		}
		return strings.Join(v, ",")
	case json.RawMessage:
		if len(v) == 0 {
			return nil
		}
		return string(v)
	}
	return v
}

func (s sqlStore) exec(ctx context.Context, stmts []string, args ...any) error {
	for _, q := range stmts {
		if _, err := s.tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s sqlStore) CreateRole(ctx context.Context, r directusctl.Role) (*directusctl.Role, error) {
	r.ID = newID()
	err := s.insert(ctx, "directus_roles", []string{"id", "name", "icon", "description", "parent"}, []any{r.ID, r.Name, r.Icon, r.Description, r.Parent})
	return &r, err
}

func (s sqlStore) UpdateRole(ctx context.Context, id string, patch map[string]any) error {
	return s.update(ctx, "directus_roles", id, patch)
}

// DeleteRole does what Directus's roles service does: the role's users
// and child roles lose it, its grants go.
func (s sqlStore) DeleteRole(ctx context.Context, id string) error {
	return s.exec(ctx, []string{
		`UPDATE directus_users SET role = NULL WHERE role = $1`,
		`UPDATE directus_roles SET parent = NULL WHERE parent = $1`,
		`DELETE FROM directus_access WHERE role = $1`,
		`DELETE FROM directus_roles WHERE id = $1`,
	}, id)
}

func (s sqlStore) CreatePolicy(ctx context.Context, p directusctl.Policy) (*directusctl.Policy, error) {
	p.ID = newID()
	err := s.insert(ctx, "directus_policies",
		[]string{"id", "name", "icon", "description", "ip_access", "enforce_tfa", "admin_access", "app_access"},
		[]any{p.ID, p.Name, p.Icon, p.Description, column(p.IPAccess), p.EnforceTFA, p.AdminAccess, p.AppAccess})
	return &p, err
}

func (s sqlStore) UpdatePolicy(ctx context.Context, id string, patch map[string]any) error {
	return s.update(ctx, "directus_policies", id, patch)
}

// DeletePolicy does what Directus's policies service does: the policy's
// permissions and grants go with it.
func (s sqlStore) DeletePolicy(ctx context.Context, id string) error {
	return s.exec(ctx, []string{
		`DELETE FROM directus_permissions WHERE policy = $1`,
		`DELETE FROM directus_access WHERE policy = $1`,
		`DELETE FROM directus_policies WHERE id = $1`,
	}, id)
}

func (s sqlStore) CreateAccess(ctx context.Context, a directusctl.Access) error {
	return s.insert(ctx, "directus_access", []string{"id", "role", "user", "policy"}, []any{newID(), a.Role, a.User, a.Policy})
}

func (s sqlStore) DeleteAccess(ctx context.Context, id string) error {
	_, err := s.tx.Exec(ctx, `DELETE FROM directus_access WHERE id = $1`, id)
	return err
}

func (s sqlStore) CreatePermissions(ctx context.Context, ps []directusctl.Permission) error {
	for _, p := range ps {
		if _, err := s.tx.Exec(ctx, `INSERT INTO directus_permissions (policy, collection, action, permissions, validation, presets, fields) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.Policy, p.Collection, p.Action, column(p.Permissions), column(p.Validation), column(p.Presets), column(p.Fields)); err != nil {
			return fmt.Errorf("%s %s: %w", p.Collection, p.Action, err)
		}
	}
	return nil
}

func (s sqlStore) UpdatePermission(ctx context.Context, id int, patch map[string]any) error {
	return s.update(ctx, "directus_permissions", id, patch)
}

func (s sqlStore) DeletePermissions(ctx context.Context, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.tx.Exec(ctx, `DELETE FROM directus_permissions WHERE id = ANY($1)`, ids)
	return err
}
