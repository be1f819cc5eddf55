package directusctl

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

func itemsPath(collection string, id ...string) (string, error) {
	if collection == "" {
		return "", fmt.Errorf("directus items: empty collection name")
	}
	p := "/items/" + url.PathEscape(collection)
	for _, s := range id {
		if s == "" {
			return "", fmt.Errorf("directus items %s: empty item id", collection)
		}
		p += "/" + url.PathEscape(s)
	}
	return p, nil
}

// ListItems reads the items of a collection that match query into out (a
// pointer to a slice).
func (c *Client) ListItems(ctx context.Context, collection string, query url.Values, out any) error {
	p, err := itemsPath(collection)
	if err != nil {
		return err
	}
	_, err = c.sendJSON(ctx, http.MethodGet, p, query, nil, out)
	return err
}

// GetItem reads one item by primary key.
func (c *Client) GetItem(ctx context.Context, collection, id string, query url.Values, out any) error {
	p, err := itemsPath(collection, id)
	if err != nil {
		return err
	}
	_, err = c.sendJSON(ctx, http.MethodGet, p, query, nil, out)
	return err
}

// CreateItem creates one item (item is encoded as JSON) and decodes the
// created item, as the caller may read it, into out.
func (c *Client) CreateItem(ctx context.Context, collection string, item, out any) error {
	p, err := itemsPath(collection)
	if err != nil {
		return err
	}
	_, err = c.sendJSON(ctx, http.MethodPost, p, nil, item, out)
	return err
}

// UpdateItem changes the fields patch holds and decodes the updated item
// into out.
func (c *Client) UpdateItem(ctx context.Context, collection, id string, patch, out any) error {
	p, err := itemsPath(collection, id)
	if err != nil {
		return err
	}
	_, err = c.sendJSON(ctx, http.MethodPatch, p, nil, patch, out)
	return err
}

// DeleteItem deletes one item.
func (c *Client) DeleteItem(ctx context.Context, collection, id string) error {
	p, err := itemsPath(collection, id)
	if err != nil {
		return err
	}
	_, err = c.sendJSON(ctx, http.MethodDelete, p, nil, nil, nil)
	return err
}
