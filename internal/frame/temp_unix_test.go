//go:build unix

package frame

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFilePermissionsAndStaleTemps: a new output is created with the umask's permissions
// (0644 under umask 022, not 0600), an existing one keeps its own, and temporary files that
// killed writes of the same file left behind are removed by the next write.
func TestWriteFilePermissionsAndStaleTemps(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	stale := filepath.Join(dir, ".out.csv.tmp-123456")
	other := filepath.Join(dir, ".other.csv.tmp-123456")
	os.WriteFile(stale, []byte("half a file"), 0o600)
	os.WriteFile(other, []byte("someone else's"), 0o600)
	if err := WriteFile(p, sample(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Fatalf("new file mode %v, want 0644", st.Mode().Perm())
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("stale temporary file of out.csv left behind")
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatal("another file's temporary file was removed")
	}
	os.Chmod(p, 0o640)
	if err := WriteFile(p, sample(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Fatalf("rewritten file mode %v, want its own 0640", st.Mode().Perm())
	}
}
