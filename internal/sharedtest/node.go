package sharedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// NodePackage makes sure the npm dependencies of the package in dir (a folder of the repository
// holding package.json and package-lock.json) are installed, running `npm ci` there when
// node_modules is missing, and returns the path of the node binary. The npm registry is
// reachable on every machine of the project, so a fresh clone needs no manual step. Concurrent
// test binaries serialise on a lock file in dir. It fails (never skips) the test when node or
// npm is missing or the install fails.
func NodePackage(tb testing.TB, dir string) string {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("sharedtest: node is not installed: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatalf("sharedtest: %v", err)
	}
	lock, err := os.OpenFile(filepath.Join(abs, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		tb.Fatalf("sharedtest: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		tb.Fatalf("sharedtest: lock %s: %v", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(abs, "node_modules")); err == nil {
		return node
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("sharedtest: npm ci in %s: %v\n%s", abs, err, out)
	}
	return node
}
