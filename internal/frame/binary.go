package frame

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// BinaryExt is the extension of tradectl's binary columnar format for intermediate files.
//
// Layout (version 1, little endian): the 8 bytes "TCOL\x00\x01\r\n", a uint32 header
// length, a JSON header {"rows":N,"time_column":"timestamp","columns":[{"name":..,"kind":..}]},
// then the time column as N int64 milliseconds, then each column as N float64 values.
// A reader seeks straight to the columns it needs.
const BinaryExt = ".tcol"

var binaryMagic = [8]byte{'T', 'C', 'O', 'L', 0, 1, '\r', '\n'}

type binaryHeader struct {
	Rows       int            `json:"rows"`
	TimeColumn string         `json:"time_column"`
	Columns    []binaryColumn `json:"columns"`
}

type binaryColumn struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

func kindFromString(s string) (Kind, error) {
	switch s {
	case "float":
		return Float, nil
	case "int":
		return Int, nil
	case "bool":
		return Bool, nil
	}
	return Float, fmt.Errorf("unknown column kind %q", s)
}

func writeBinary(w io.Writer, f *Frame, opt WriteOptions) error {
	h := binaryHeader{Rows: f.Len(), TimeColumn: opt.TimeColumn}
	if h.TimeColumn == "" {
		h.TimeColumn = DefaultTimeColumn
	}
	for _, c := range f.cols {
		h.Columns = append(h.Columns, binaryColumn{Name: c.Name, Kind: c.Kind.String()})
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(binaryMagic[:]); err != nil {
		return err
	}
	var lb [4]byte
	binary.LittleEndian.PutUint32(lb[:], uint32(len(hb)))
	if _, err := w.Write(lb[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	flush := func(force bool) error {
		if len(buf) > 1<<16-8 || (force && len(buf) > 0) {
			_, err := w.Write(buf)
			buf = buf[:0]
			return err
		}
		return nil
	}
	for _, t := range f.Time {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(t))
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, c := range f.cols {
		for _, v := range c.Data {
			if math.IsInf(v, 0) {
				v = math.NaN()
			}
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	return flush(true)
}

// ReadBinary reads a .tcol file, loading only the selected columns when opt.Columns is set.
func ReadBinary(path string, opt ReadOptions) (*Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	var magic [8]byte
	if _, err := io.ReadFull(fh, magic[:]); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
		}
		return nil, fmt.Errorf("%s: %w: short header", path, ErrParse)
	}
	if magic != binaryMagic {
		return nil, fmt.Errorf("%s: %w: not a %s file (bad magic)", path, ErrParse, BinaryExt)
	}
	var lb [4]byte
	if _, err := io.ReadFull(fh, lb[:]); err != nil {
		return nil, fmt.Errorf("%s: %w: short header", path, ErrParse)
	}
	hl := int64(binary.LittleEndian.Uint32(lb[:]))
	if hl > st.Size() {
		return nil, fmt.Errorf("%s: %w: header length %d beyond end of file", path, ErrParse, hl)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(fh, hb); err != nil {
		return nil, fmt.Errorf("%s: %w: short header", path, ErrParse)
	}
	var h binaryHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%s: %w: header: %v", path, ErrParse, err)
	}
	base := int64(12) + hl
	want := int64(8) * int64(h.Rows) * int64(1+len(h.Columns))
	if h.Rows < 0 || st.Size() != base+want {
		return nil, fmt.Errorf("%s: %w: size %d, header says %d rows x %d columns (truncated?)", path, ErrParse, st.Size(), h.Rows, len(h.Columns))
	}
	if tc := opt.timeColumn(); h.TimeColumn != tc {
		return nil, fmt.Errorf("%s: %w %q (time column is %q)", path, ErrMissingColumn, tc, h.TimeColumn)
	}
	pos := map[string]int{}
	for i, c := range h.Columns {
		pos[c.Name] = i
	}
	var sel []int
	if opt.Columns == nil {
		for i := range h.Columns {
			sel = append(sel, i)
		}
	} else {
		seen := map[int]bool{}
		for _, n := range opt.Columns {
			i, ok := pos[n]
			if !ok {
				return nil, fmt.Errorf("%s: %w %q", path, ErrMissingColumn, n)
			}
			if !seen[i] {
				seen[i] = true
				sel = append(sel, i)
			}
		}
		for _, n := range opt.Optional {
			if i, ok := pos[n]; ok && !seen[i] {
				seen[i] = true
				sel = append(sel, i)
			}
		}
	}
	br := bufio.NewReaderSize(fh, 1<<20)
	readAt := func(off int64, dst []uint64) error {
		if _, err := fh.Seek(off, io.SeekStart); err != nil {
			return err
		}
		br.Reset(fh)
		return binary.Read(br, binary.LittleEndian, dst)
	}
	raw := make([]uint64, h.Rows)
	if err := readAt(base, raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	times := make([]int64, h.Rows)
	for i, v := range raw {
		times[i] = int64(v)
		if i > 0 && times[i] <= times[i-1] {
			return nil, fmt.Errorf("%s: row %d: %w", path, i+1, ErrUnsorted)
		}
	}
	f := New(times)
	for _, ci := range sel {
		c := h.Columns[ci]
		kind, err := kindFromString(c.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s: column %q: %w: %v", path, c.Name, ErrParse, err)
		}
		if err := readAt(base+8*int64(h.Rows)*int64(1+ci), raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data := make([]float64, h.Rows)
		for i, v := range raw {
			data[i] = math.Float64frombits(v)
		}
		if err := f.Set(c.Name, kind, data); err != nil {
			return nil, err
		}
	}
	return f, nil
}
