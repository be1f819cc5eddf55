package settings

import (
	"strings"
)

// Markdown is the README's table of settings.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | trmctl flag | default | read by | meaning |\n|---|---|---|---|---|\n")
	for _, s := range Table() {
		name := "`" + s.Env + "`"
		var notes []string
		if s.File {
			notes = append(notes, "or `_FILE`")
		}
		if s.Secret {
			notes = append(notes, "secret")
		}
		if s.Directus {
			notes = append(notes, "Directus's own")
		}
		if len(notes) > 0 {
			name += " (" + strings.Join(notes, ", ") + ")"
		}
		flag := ""
		if s.Flag != "" {
			flag = "`--" + s.Flag + "`"
		}
		def := s.DefaultDoc
		if def == "" && s.Default != "" && s.Default != "0" {
			def = "`" + s.Default + "`"
			if s.trmctlDefault != nil && s.Used&Trmctl != 0 {
				def += " (trmctl: `" + *s.trmctlDefault + "`)"
			}
		}
		b.WriteString("| " + name + " | " + flag + " | " + def + " | " + s.Used.String() + " | " + strings.ReplaceAll(s.Doc, "|", `\|`) + " |\n")
	}
	return b.String()
}
