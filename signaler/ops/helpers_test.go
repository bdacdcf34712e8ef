package ops

import (
	"bufio"
	"io"
	"log/slog"
	"strconv"
)

func bufioWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
