//go:build !unix

package download

// lockDir is a no-op where flock is unavailable: concurrent runs on one symbol are not
// prevented there.
func lockDir(string) (func(), error) { return func() {}, nil }

// syncDir is a no-op where directories cannot be fsynced.
func syncDir(string) error { return nil }
