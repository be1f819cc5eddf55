package snapshot_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

const committed = `version: 1
directus: 11.17.4
vendor: postgres
collections:
  - collection: devices
    meta:
      collection: devices
      icon: router
    schema:
      name: devices
  - collection: positions
    meta:
      collection: positions
    schema:
      name: positions
fields:
  - collection: devices
    field: imei
    type: string
    meta:
      field: imei
      id: 7
      note: null
    schema:
      name: imei
      table: devices
      data_type: character varying
      max_length: 32
      is_nullable: true
      is_unique: false
  - collection: devices
    field: name
    type: string
    meta:
      field: name
      id: 8
    schema:
      name: name
      table: devices
      data_type: character varying
      max_length: 255
      is_nullable: true
systemFields: []
relations: []
`

const live = `{"version":1,"directus":"11.17.4","vendor":"postgres",
"collections":[{"collection":"devices","meta":{"icon":"memory","collection":"devices"},"schema":{"name":"devices"}}],
"fields":[
 {"collection":"devices","field":"imei","type":"string","meta":{"id":3,"field":"imei","note":"15 digits"},
  "schema":{"name":"imei","table":"devices","data_type":"character varying","max_length":15,"is_nullable":true,"is_unique":true}},
 {"collection":"devices","field":"serial","type":"string","meta":{"field":"serial"},"schema":{"name":"serial","is_nullable":true}}],
"systemFields":[],"relations":[]}`

func ExampleParse() {
	s, err := snapshot.Parse("schema.yaml", []byte(committed))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Directus, s.Vendor, len(s.Collections), "collections")
	for _, f := range s.Fields {
		fmt.Printf("%s.%s %s alias=%v\n", f.Collection(), f.Name(), f.Type(), f.IsAlias())
	}

	_, err = snapshot.Parse("broken.yaml", []byte("version: 1\ndirectus: 11.17.4\ncollections: []\nfields:\n  - collection: a\n    type: string\nrelations: []\n"))
	var pe *snapshot.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Source, pe.Line, pe.Column, pe.Path)
		fmt.Println(err)
	}
	// Output:
	// 11.17.4 postgres 2 collections
	// devices.imei string alias=false
	// devices.name string alias=false
	// broken.yaml 5 5 fields[0]
	// broken.yaml:5:5: fields[0]: no field key
}

func ExampleDiff() {
	from, _ := snapshot.Parse("schema.yaml", []byte(committed))
	to, _ := snapshot.Parse("live.json", []byte(live))
	r := snapshot.Diff(from, to)
	for _, c := range r.Changes {
		fmt.Println(c.Op, c.Kind, c.Key, c.Severity)
		for _, p := range c.Paths {
			fmt.Printf("  %s: %v → %v\n", p.Path, p.Old, p.New)
		}
	}
	fmt.Printf("%+v\n", r.Summary())
	// Output:
	// update collection devices safe
	//   meta.icon: router → memory
	// delete collection positions destructive
	// update field devices.imei destructive
	//   meta.note: <nil> → 15 digits
	//   schema.is_unique: false → true
	//   schema.max_length: 32 → 15
	// delete field devices.name destructive
	// create field devices.serial safe
	// {Create:1 Update:2 Delete:2 Destructive:3 Warnings:0}
}

func ExampleCheckVendor() {
	from, _ := snapshot.Parse("schema.yaml", []byte(committed))
	to, _ := snapshot.Parse("mysql.yaml", []byte(strings.Replace(committed, "vendor: postgres", "vendor: mysql", 1)))
	fmt.Println(snapshot.Diff(from, to).Empty())
	if err := snapshot.CheckVendor(from, to); err != nil {
		fmt.Println(err)
	}
	// Output:
	// true
	// the snapshots are of different database vendors: postgres and mysql
}

func ExampleWithMaxSize() {
	_, err := snapshot.Parse("schema.yaml", []byte(committed), snapshot.WithMaxSize(512))
	var se *snapshot.SizeError
	if errors.As(err, &se) {
		fmt.Println(se.Size > se.Limit)
		fmt.Println(err)
	}
	// Output:
	// true
	// schema.yaml: 802 bytes is over the snapshot size limit of 512 bytes
}

func ExampleSnapshot_Exclude() {
	s, _ := snapshot.Parse("schema.yaml", []byte(committed))
	kept, err := s.Exclude("positions", "migrations_*")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range kept.Collections {
		fmt.Println(c.Name())
	}
	// Output:
	// devices
}

func ExampleResult_WriteText() {
	from, _ := snapshot.Parse("schema.yaml", []byte(committed))
	to, _ := snapshot.Parse("live.json", []byte(live))
	from, _ = from.Exclude("positions")
	_ = snapshot.Diff(from, to).WriteText(os.Stdout, snapshot.TextOptions{Color: false})
	// Output:
	//   update  collection   devices
	//       meta.icon  "router" → "memory"
	// ! update  field        devices.imei
	//       ! shrinks schema.max_length 32 → 15: truncates or rejects longer values
	//       ! makes devices.imei UNIQUE (schema.is_unique false → true): fails if values repeat
	//       meta.note          null → "15 digits"
	//       schema.is_unique   false → true
	//       schema.max_length  32 → 15
	// ! delete  field        devices.name
	//       ! drops column devices.name and its data
	//   create  field        devices.serial
	//
	// 4 changes: 1 create, 2 update, 1 delete; 2 destructive, 0 warnings
}

func ExampleResult_WriteMarkdown() {
	from, _ := snapshot.Parse("schema.yaml", []byte(committed))
	to := from.Clone()
	to.Fields = to.Fields[:1]
	_ = snapshot.Diff(from, to).WriteMarkdown(os.Stdout)
	// Output:
	// **Schema diff:** 1 change (0 create, 0 update, 1 delete) — **1 destructive**, 0 warnings
	//
	// | | Operation | Kind | Key | Details |
	// |---|---|---|---|---|
	// | 🛑 | delete | field | `devices.name` | **drops column devices.name and its data** |
}

func ExampleResult_WriteJSON() {
	from, _ := snapshot.Parse("schema.yaml", []byte(committed))
	to := from.Clone()
	to.SystemFields = append(to.SystemFields, &snapshot.SystemField{Raw: snapshot.NewMap(
		snapshot.Member{Key: "collection", Value: "directus_revisions"},
		snapshot.Member{Key: "field", Value: "parent"},
		snapshot.Member{Key: "schema", Value: snapshot.NewMap(snapshot.Member{Key: "is_indexed", Value: true})})})
	_ = snapshot.Diff(to, from).WriteJSON(os.Stdout)
	// Output:
	// {
	//   "summary": {
	//     "create": 0,
	//     "update": 0,
	//     "delete": 1,
	//     "destructive": 0,
	//     "warnings": 1
	//   },
	//   "changes": [
	//     {
	//       "kind": "systemField",
	//       "key": "directus_revisions.parent",
	//       "collection": "directus_revisions",
	//       "field": "parent",
	//       "op": "delete",
	//       "severity": "warning",
	//       "reasons": [
	//         "drops the index on directus_revisions.parent"
	//       ],
	//       "paths": []
	//     }
	//   ]
	// }
}

func ExampleSnapshot_WriteYAML() {
	s, _ := snapshot.Parse("live.json", []byte(live))
	_ = s.WriteYAML(os.Stdout)
	// Output:
	// version: 1
	// directus: 11.17.4
	// vendor: postgres
	// collections:
	//   - collection: devices
	//     meta:
	//       collection: devices
	//       icon: memory
	//     schema:
	//       name: devices
	// fields:
	//   - collection: devices
	//     field: imei
	//     type: string
	//     meta:
	//       field: imei
	//       id: 3
	//       note: 15 digits
	//     schema:
	//       name: imei
	//       table: devices
	//       data_type: character varying
	//       max_length: 15
	//       is_nullable: true
	//       is_unique: true
	//   - collection: devices
	//     field: serial
	//     type: string
	//     meta:
	//       field: serial
	//     schema:
	//       name: serial
	//       is_nullable: true
	// systemFields: []
	// relations: []
}
