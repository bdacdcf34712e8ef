package frame

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// tempPrefix is the name prefix of the temporary files of writes of path.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// createTemp creates a new temporary file beside path. Unlike os.CreateTemp (0600) it asks
// for 0666, so the umask decides, as for any file a user creates; an existing path keeps its
// permissions.
func createTemp(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 100 {
		name := filepath.Join(dir, tempPrefix(path)+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(path); err == nil {
			if err := f.Chmod(st.Mode().Perm()); err != nil {
				f.Close()
				os.Remove(name)
				return nil, err
			}
		}
		return f, nil
	}
	return nil, &os.PathError{Op: "createtemp", Path: tempPrefix(path) + "*", Err: os.ErrExist}
}

// RemoveStaleTemps deletes the temporary files that earlier writes of path left behind when
// their process was killed (SIGKILL, power loss) before the rename, so each write of a file
// cleans up after its predecessors. A concurrent writer of the same file loses its temporary
// file and fails at its rename; the file itself is never damaged.
func RemoveStaleTemps(path string) {
	olds, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*"))
	for _, o := range olds {
		if _, mine := pending.Load(o); !mine {
			os.Remove(o)
		}
	}
}
