// Package example has one of each kind of exported identifier.
package example

import (
	"context"
	"io"
)

// Kind is a named string.
type Kind string

// Typed and untyped constants.
const (
	KindA      Kind = "a"
	Limit           = 10
	unexported      = 1
)

// Default is a variable.
var Default = Options{Name: "x"}

// Options is a struct with exported, unexported and embedded fields.
type Options struct {
	Name    string
	Hook    func(ctx context.Context, n int) error
	private int
	io.Reader
}

// Reader is an interface.
type Reader interface {
	Read(ctx context.Context, p []byte) (n int, err error)
	Close() error
	seal()
}

// List is generic.
type List[T comparable] struct{ Items []T }

// Len is a method of a generic type.
func (l *List[T]) Len() int { return len(l.Items) }

// Alias is an alias.
type Alias = Options

// Open is a function with variadic parameters and named results.
func Open(ctx context.Context, name string, opts ...Options) (r Reader, err error) { return nil, nil }

// Map is a generic function.
func Map[T, U any](in []T, f func(T) U) []U { return nil }

// Validate is a value-receiver method.
func (o Options) Validate() error { return nil }

func (o *Options) unexported() {}

type hidden struct{}

// Exported methods of unexported types are not the package's API.
func (hidden) Method() {}
