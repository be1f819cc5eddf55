package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/constant"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// listed is what go list says of one package.
type listed struct {
	ImportPath string
	Name       string
	Export     string
	DepOnly    bool
	Error      *struct{ Err string }
}

// moduleAPI returns the sorted API lines of every non-internal library
// package of the module in dir.
func moduleAPI(ctx context.Context, dir string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-export", "-deps", "-json=ImportPath,Name,Export,DepOnly,Error", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, errb.String())
	}
	exports := map[string]string{}
	var own []listed
	dec := json.NewDecoder(&out)
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly && p.Name != "main" && !isInternal(p.ImportPath) {
			own = append(own, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var lines []string
	for _, p := range own {
		pkg, err := imp.Import(p.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("import %s: %v", p.ImportPath, err)
		}
		lines = append(lines, packageAPI(pkg)...)
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		return nil, errors.New("no exported identifier: is this a library?")
	}
	return lines, nil
}

func isInternal(path string) bool {
	return strings.HasSuffix(path, "/internal") || strings.Contains(path, "/internal/")
}

// packageAPI returns a line for every exported identifier of pkg: each
// constant, variable, function and type, each exported field of an
// exported struct, each method of an exported interface, and each
// exported method of an exported type.
func packageAPI(pkg *types.Package) []string {
	qual := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	prefix := "pkg " + pkg.Path() + ", "
	var out []string
	emit := func(s string) { out = append(out, prefix+s) }
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			emit(constLine(o, qual))
		case *types.Var:
			emit("var " + o.Name() + " " + typeString(o.Type(), qual))
		case *types.Func:
			emit("func " + o.Name() + signature(o.Signature(), qual))
		case *types.TypeName:
			out = append(out, typeLines(prefix, o, qual)...)
		}
	}
	return out
}

// typeString is types.TypeString, with a function type written without
// its parameter names.
func typeString(t types.Type, qual types.Qualifier) string {
	if sig, ok := t.(*types.Signature); ok {
		return "func" + signature(sig, qual)
	}
	return types.TypeString(t, qual)
}

func constLine(c *types.Const, qual types.Qualifier) string {
	val := c.Val().ExactString()
	if c.Val().Kind() == constant.String {
		val = c.Val().String()
	}
	t := c.Type()
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return "const " + c.Name() + " = " + val
	}
	return "const " + c.Name() + " " + types.TypeString(t, qual) + " = " + val
}

// signature writes a function's type parameters, parameters and results
// without their names: renaming a parameter changes nothing for a caller.
func signature(sig *types.Signature, qual types.Qualifier) string {
	var b strings.Builder
	if tps := sig.TypeParams(); tps.Len() > 0 {
		b.WriteString(typeParams(tps, qual))
	}
	params := make([]string, sig.Params().Len())
	for i := range params {
		t := sig.Params().At(i).Type()
		if sig.Variadic() && i == len(params)-1 {
			params[i] = "..." + types.TypeString(t.(*types.Slice).Elem(), qual)
			continue
		}
		params[i] = types.TypeString(t, qual)
	}
	b.WriteString("(" + strings.Join(params, ", ") + ")")
	results := make([]string, sig.Results().Len())
	for i := range results {
		results[i] = types.TypeString(sig.Results().At(i).Type(), qual)
	}
	switch len(results) {
	case 0:
	case 1:
		b.WriteString(" " + results[0])
	default:
		b.WriteString(" (" + strings.Join(results, ", ") + ")")
	}
	return b.String()
}

func typeParams(tps *types.TypeParamList, qual types.Qualifier) string {
	parts := make([]string, tps.Len())
	for i := range tps.Len() {
		tp := tps.At(i)
		parts[i] = tp.Obj().Name() + " " + types.TypeString(tp.Constraint(), qual)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func typeLines(prefix string, tn *types.TypeName, qual types.Qualifier) []string {
	name := tn.Name()
	if tn.IsAlias() {
		return []string{prefix + "type " + name + " = " + types.TypeString(types.Unalias(tn.Type()), qual)}
	}
	named, ok := tn.Type().(*types.Named)
	if !ok {
		return []string{prefix + "type " + name + " " + types.TypeString(tn.Type(), qual)}
	}
	if tps := named.TypeParams(); tps.Len() > 0 {
		name += typeParams(tps, qual)
	}
	var out []string
	switch u := named.Underlying().(type) {
	case *types.Struct:
		out = append(out, prefix+"type "+name+" struct")
		for i := range u.NumFields() {
			f := u.Field(i)
			switch {
			case !f.Exported():
			case f.Embedded():
				out = append(out, prefix+"type "+name+" struct, embedded "+types.TypeString(f.Type(), qual))
			default:
				out = append(out, prefix+"type "+name+" struct, "+f.Name()+" "+typeString(f.Type(), qual))
			}
		}
	case *types.Interface:
		var methods []string
		unexported := false
		for i := range u.NumMethods() {
			m := u.Method(i)
			if !m.Exported() {
				unexported = true
				continue
			}
			methods = append(methods, m.Name())
			out = append(out, prefix+"type "+name+" interface, "+m.Name()+signature(m.Signature(), qual))
		}
		if unexported {
			methods = append(methods, "unexported methods")
		}
		out = append(out, prefix+"type "+name+" interface { "+strings.Join(methods, ", ")+" }")
	default:
		out = append(out, prefix+"type "+name+" "+typeString(u, qual))
	}
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		recv := m.Signature().Recv().Type()
		out = append(out, prefix+"method ("+types.TypeString(recv, qual)+") "+m.Name()+signature(m.Signature(), qual))
	}
	return out
}
