package directusctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Role is a row of directus_roles.
type Role struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Icon        string `json:"icon,omitempty"`
	Description string `json:"description,omitempty"`
	// Parent is the parent role's id; a role inherits its parent's
	// policies.
	Parent string `json:"parent,omitempty"`
}

// Policy is a row of directus_policies.
type Policy struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Icon        string `json:"icon,omitempty"`
	Description string `json:"description,omitempty"`
	// IPAccess limits the policy to these addresses or CIDR ranges; empty
	// means anywhere.
	IPAccess    []string `json:"ip_access,omitempty"`
	EnforceTFA  bool     `json:"enforce_tfa"`
	AdminAccess bool     `json:"admin_access"`
	AppAccess   bool     `json:"app_access"`
}

// Access is a row of directus_access: a policy given to a role or to a
// user (exactly one of the two).
type Access struct {
	ID     string `json:"id,omitempty"`
	Role   string `json:"role,omitempty"`
	User   string `json:"user,omitempty"`
	Policy string `json:"policy"`
	Sort   *int   `json:"sort,omitempty"`
}

// Permission is a row of directus_permissions: what a policy may do with
// a collection.
type Permission struct {
	ID     int    `json:"id,omitempty"`
	Policy string `json:"policy"`
	// Collection may be a system collection (directus_users, ...).
	Collection string `json:"collection"`
	// Action is create, read, update, delete or share.
	Action string `json:"action"`
	// Permissions is the item filter, e.g.
	// {"user_created":{"_eq":"$CURRENT_USER"}}; Directus stores it as
	// given and resolves dynamic variables per request.
	Permissions json.RawMessage `json:"permissions,omitempty"`
	// Validation is a filter the payload of a create or update must pass.
	Validation json.RawMessage `json:"validation,omitempty"`
	// Presets are default values for created or updated items.
	Presets json.RawMessage `json:"presets,omitempty"`
	// Fields the action may touch; ["*"] is all of them.
	Fields []string `json:"fields,omitempty"`
}

// Permission actions.
const (
	ActionCreate = "create"
	ActionRead   = "read"
	ActionUpdate = "update"
	ActionDelete = "delete"
	ActionShare  = "share"
)

func createOne[T any](ctx context.Context, c *Client, path string, in any) (*T, error) {
	out := new(T)
	status, err := c.sendJSON(ctx, http.MethodPost, path, nil, in, out)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		// Directus creates the row, then answers nothing when the caller
		// may not read it back.
		return nil, fmt.Errorf("directus POST %s: created, but this token may not read the row back", path)
	}
	return out, nil
}

func listAll[T any](ctx context.Context, c *Client, path string, query url.Values) ([]T, error) {
	if !query.Has("limit") {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", "-1")
		query = q
	}
	var out []T
	if _, err := c.sendJSON(ctx, http.MethodGet, path, query, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func updateOne[T any](ctx context.Context, c *Client, path, id string, patch any) (*T, error) {
	if id == "" {
		return nil, fmt.Errorf("directus PATCH %s: empty id", path)
	}
	out := new(T)
	status, err := c.sendJSON(ctx, http.MethodPatch, path+"/"+url.PathEscape(id), nil, patch, out)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		return nil, fmt.Errorf("directus PATCH %s/%s: updated, but this token may not read the row back", path, id)
	}
	return out, nil
}

func deleteOne(ctx context.Context, c *Client, path, id string) error {
	if id == "" {
		return fmt.Errorf("directus DELETE %s: empty id", path)
	}
	_, err := c.sendJSON(ctx, http.MethodDelete, path+"/"+url.PathEscape(id), nil, nil, nil)
	return err
}

// CreateRole creates a role and returns it as stored.
func (c *Client) CreateRole(ctx context.Context, r Role) (*Role, error) {
	return createOne[Role](ctx, c, "/roles", r)
}

// ListRoles returns the roles that match query (nil for all).
func (c *Client) ListRoles(ctx context.Context, query url.Values) ([]Role, error) {
	return listAll[Role](ctx, c, "/roles", query)
}

// UpdateRole changes the fields patch holds.
func (c *Client) UpdateRole(ctx context.Context, id string, patch any) (*Role, error) {
	return updateOne[Role](ctx, c, "/roles", id, patch)
}

// DeleteRole deletes a role; its users lose it, its access rows go.
func (c *Client) DeleteRole(ctx context.Context, id string) error {
	return deleteOne(ctx, c, "/roles", id)
}

// CreatePolicy creates a policy and returns it as stored.
func (c *Client) CreatePolicy(ctx context.Context, p Policy) (*Policy, error) {
	return createOne[Policy](ctx, c, "/policies", p)
}

// ListPolicies returns the policies that match query (nil for all).
func (c *Client) ListPolicies(ctx context.Context, query url.Values) ([]Policy, error) {
	return listAll[Policy](ctx, c, "/policies", query)
}

// UpdatePolicy changes the fields patch holds.
func (c *Client) UpdatePolicy(ctx context.Context, id string, patch any) (*Policy, error) {
	return updateOne[Policy](ctx, c, "/policies", id, patch)
}

// DeletePolicy deletes a policy with its permissions and access rows.
func (c *Client) DeletePolicy(ctx context.Context, id string) error {
	return deleteOne(ctx, c, "/policies", id)
}

// CreateAccess gives a policy to a role or a user.
func (c *Client) CreateAccess(ctx context.Context, a Access) (*Access, error) {
	return createOne[Access](ctx, c, "/access", a)
}

// ListAccess returns the access rows that match query (nil for all).
func (c *Client) ListAccess(ctx context.Context, query url.Values) ([]Access, error) {
	return listAll[Access](ctx, c, "/access", query)
}

// UpdateAccess changes the fields patch holds.
func (c *Client) UpdateAccess(ctx context.Context, id string, patch any) (*Access, error) {
	return updateOne[Access](ctx, c, "/access", id, patch)
}

// DeleteAccess takes a policy away from a role or a user.
func (c *Client) DeleteAccess(ctx context.Context, id string) error {
	return deleteOne(ctx, c, "/access", id)
}

// CreatePermission creates a permission and returns it as stored.
func (c *Client) CreatePermission(ctx context.Context, p Permission) (*Permission, error) {
	return createOne[Permission](ctx, c, "/permissions", p)
}

// ListPermissions returns the permissions that match query (nil for all),
// e.g. filter={"policy":{"_eq":"<id>"}}.
func (c *Client) ListPermissions(ctx context.Context, query url.Values) ([]Permission, error) {
	return listAll[Permission](ctx, c, "/permissions", query)
}

// UpdatePermission changes the fields patch holds.
func (c *Client) UpdatePermission(ctx context.Context, id int, patch any) (*Permission, error) {
	return updateOne[Permission](ctx, c, "/permissions", strconv.Itoa(id), patch)
}

// DeletePermission deletes a permission.
func (c *Client) DeletePermission(ctx context.Context, id int) error {
	return deleteOne(ctx, c, "/permissions", strconv.Itoa(id))
}

// CreatePermissions creates permissions in one request, which Directus
// makes in one transaction: all of them or none. The answer is not
// decoded (an app-access token's answer also lists Directus's built-in
// app permissions, which have no id).
func (c *Client) CreatePermissions(ctx context.Context, ps []Permission) error {
	if len(ps) == 0 {
		return nil
	}
	_, err := c.sendJSON(ctx, http.MethodPost, "/permissions", nil, ps, nil)
	return err
}

// DeletePermissions deletes permissions by id in one request.
func (c *Client) DeletePermissions(ctx context.Context, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := c.sendJSON(ctx, http.MethodDelete, "/permissions", nil, ids, nil)
	return err
}
