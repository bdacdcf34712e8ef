package main

import (
	"fmt"
	"io"
	"log/slog"
)

// newLogger builds the process logger for --log-level and --log-format: "text" (key=value
// lines, the default) or "json" (one JSON object per line, for log collectors). Secrets
// stay redacted in both: config.Secret implements slog.LogValuer and json.Marshaler.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl := slog.LevelInfo
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}
