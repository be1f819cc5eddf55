package directusctl

import (
	"os"
	"path/filepath"
	"time"
)

// staleAfter is how old an unlocked temporary folder must be before it is
// taken for one whose process died: a live process locks its folder
// microseconds after making it.
const staleAfter = time.Minute

// tempDir makes a folder under the system temp folder for the files
// handed to the CLI, locked for as long as this process may use it. The
// caller removes it with release on every path out; a process killed
// outright (SIGKILL) cannot, so each new folder first removes the
// unlocked, older folders of the same prefix that such processes left.
func tempDir(prefix string) (dir string, release func(), err error) {
	sweep(prefix)
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	unlock := lockDir(dir)
	return dir, func() {
		_ = os.RemoveAll(dir)
		unlock()
	}, nil
}

// sweep removes the folders of prefix that no live process holds.
func sweep(prefix string) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range matches {
		st, err := os.Lstat(d)
		if err != nil || !st.IsDir() || time.Since(st.ModTime()) < staleAfter {
			continue
		}
		if abandoned(d) {
			_ = os.RemoveAll(d)
		}
	}
}
