package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxDepth bounds nesting. Real snapshots are a few levels deep (meta.options
// may add a dozen); the bound keeps hostile input from exhausting the stack.
const maxDepth = 1000

// DefaultMaxSize is the largest snapshot [ReadFile], [Read] and [Parse]
// accept unless [WithMaxSize] says otherwise: 64 MiB. A 1,000-collection
// schema of 20 fields each is about 21 MB of YAML (17 MB of JSON), the
// largest real snapshot of the public corpus 0.6 MB; reading one costs about
// twice its size in memory, so the limit keeps a hostile or mistaken input
// (a database dump, /dev/zero) from exhausting a small container's memory.
const DefaultMaxSize int64 = 64 << 20

// Option changes how [ReadFile], [Read] and [Parse] read.
type Option func(*readOptions)

type readOptions struct {
	maxSize int64
	base    *Snapshot
}

// WithMaxSize sets the largest input accepted, in bytes; beyond it a read
// stops with a *[SizeError] before the input is held in memory. A value of
// zero or less keeps [DefaultMaxSize].
func WithMaxSize(bytes int64) Option {
	return func(o *readOptions) {
		if bytes > 0 {
			o.maxSize = bytes
		}
	}
}

// WithBase makes a read share with base every item (collection, field,
// system field or relation) identical to one of base's — the same keys in
// the same order, the same values written the same way — rather than hold
// a copy of it. Reading the second snapshot of a pair to [Diff] them then
// costs the memory of what they differ by, not of a second snapshot; what
// the read returns is the same. The two snapshots then share those items'
// maps: a change to one (Map.Set, Map.Delete) shows in the other, so use it
// when neither is changed, or [Snapshot.Clone] the one to change.
func WithBase(base *Snapshot) Option {
	return func(o *readOptions) { o.base = base }
}

func collect(opts []Option) readOptions {
	o := readOptions{maxSize: DefaultMaxSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// ReadFile reads and parses the snapshot in the file at path. A file over
// the size limit gives a *[SizeError] without being read; other errors are
// *[ParseError].
func ReadFile(path string, opts ...Option) (*Snapshot, error) {
	o := collect(opts)
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	if size > o.maxSize {
		return nil, &SizeError{Source: path, Size: size, Limit: o.maxSize}
	}
	data, err := readLimited(path, f, size, o.maxSize)
	if err != nil {
		var se *SizeError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, fileError(path, err)
	}
	return Parse(path, data, opts...)
}

func fileError(path string, err error) error {
	cause := err
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		cause = pathErr.Err // the path is already the error's Source
	}
	return &ParseError{Source: path, Msg: "cannot read file: " + cause.Error(), Err: err, Hint: errorHint(err)}
}

// Read reads r to its end and parses it; name is used in errors (e.g.
// "<stdin>"). It stops with a *[SizeError] as soon as r yields more than
// the size limit; other errors are *[ParseError].
func Read(name string, r io.Reader, opts ...Option) (*Snapshot, error) {
	o := collect(opts)
	size := int64(-1)
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		// Standard input redirected from a file: read it in one piece.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	data, err := readLimited(name, r, size, o.maxSize)
	if err != nil {
		var se *SizeError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, &ParseError{Source: name, Msg: "cannot read input: " + err.Error(), Err: err, Hint: errorHint(err)}
	}
	return Parse(name, data, opts...)
}

// readLimited reads r to its end, but never more than limit+1 bytes: one
// byte past the limit is enough to know the input is too large (a
// *SizeError); other errors are r's. size is
// the expected size, or -1. Unlike io.ReadAll or bytes.Buffer, it reads a
// file of known size into one allocation of that size, not twice it.
func readLimited(name string, r io.Reader, size, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	var buf []byte
	if size >= 0 {
		// One byte more than expected, so that the read that finds the
		// end of the input does not grow the buffer.
		buf = make([]byte, 0, min(size, limit)+1)
	} else {
		buf = make([]byte, 0, 64<<10)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, &SizeError{Source: name, Size: max(size, 0), Limit: limit}
	}
	return buf, nil
}

func errorHint(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "check the path"
	case errors.Is(err, os.ErrPermission):
		return "check the file's permissions"
	}
	return ""
}

// Parse parses a snapshot in YAML or JSON; the format is told from the
// content, not from name, which is only used in errors. A JSON envelope
// {"data": snapshot}, as GET /schema/snapshot returns it, is unwrapped.
//
// Input over the size limit gives a *[SizeError]; other errors are
// *[ParseError]. Parse never panics.
func Parse(name string, data []byte, opts ...Option) (s *Snapshot, err error) {
	o := collect(opts)
	if int64(len(data)) > o.maxSize {
		return nil, &SizeError{Source: name, Size: int64(len(data)), Limit: o.maxSize}
	}
	defer func() {
		// The YAML library is third-party code: whatever it does, a caller
		// gets an error rather than a crash.
		if r := recover(); r != nil {
			s = nil
			err = &ParseError{Source: name, Msg: fmt.Sprintf("unreadable input (%v)", r),
				Hint: "check that the file is a Directus schema snapshot"}
		}
	}()
	s, err = parse(name, data, newShareIndex(o.base))
	if s != nil {
		s.textSize = len(data)
	}
	return s, err
}

func parse(name string, data []byte, base *shareIndex) (*Snapshot, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &ParseError{Source: name, Msg: "empty input", Hint: "expected a Directus schema snapshot (directus schema snapshot <file>)"}
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		if v, ok := readBlockYAML(data, base); ok {
			if s, err := build(v); err == nil {
				return s, nil
			}
			// A snapshot with a mistake in it: the general reader finds
			// the same mistake and places it in the document.
		}
		return parseYAML(name, data)
	}
	s, err := parseJSON(name, data, base)
	if err == nil {
		return s, nil
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe.Path == "" {
		// Flow-style YAML also starts with a brace: give it a chance
		// before reporting the JSON error.
		if ys, yerr := parseYAML(name, data); yerr == nil {
			return ys, nil
		}
	}
	return nil, err
}
