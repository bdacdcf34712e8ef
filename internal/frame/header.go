package frame

import "fmt"

// ErrHeader is wrapped by every error about a table's header line: an empty, duplicated,
// missing or unknown column name. The message names the file and the column.
var ErrHeader = fmt.Errorf("%w: bad header", ErrParse)

// CheckHeader rejects a header with an empty or duplicated column name: a second column of
// the same name would silently replace the first one's values.
func CheckHeader(path string, names []string) error {
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("%s: %w: column %d has no name", path, ErrHeader, i+1)
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("%s: %w: duplicate column %q (columns %d and %d)", path, ErrHeader, n, j+1, i+1)
		}
		seen[n] = i
	}
	return nil
}
