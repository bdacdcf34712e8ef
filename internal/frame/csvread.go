package frame

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"unsafe"
)

// The CSV reader cuts the text after the header into blocks of whole lines, parses the blocks
// on every core and appends their rows to the columns in file order, so the result (values,
// kinds, and the first error with its line) is what one serial pass gives. Only a few
// blocks are in flight at a time: the text is never held as a whole.

// csvBlockSize is the size of the text blocks (small: the blocks in flight add to peak
// memory); a line longer than a block grows it.
// Tests shrink it to cut lines at every position.
var csvBlockSize = 64 << 10

// csvWorkers is the number of goroutines parsing or formatting blocks (0: GOMAXPROCS).
var csvWorkers = 0

// csvPlan is what the workers need to parse a row; it is read-only while they run.
type csvPlan struct {
	nfields int      // fields in the header
	tIdx    int      // index of the time field
	last    int      // index of the last field parsed; the fields after it are only counted
	slot    []int    // field index -> column slot, -1 when the field is skipped
	names   []string // column name of each slot
}

// colFlags records which kinds of value a column's cells held.
type colFlags struct {
	float bool // saw a decimal value
	ints  bool // saw an integer value
	bools bool // saw True/False
}

// csvBlock is a run of whole lines and, once parsed, its rows.
type csvBlock struct {
	text  []byte
	lines int // lines in text (set by the parser)
	times []int64
	cols  [][]float64
	flags []colFlags
	// firstLine is the block line (from 1) of the first row.
	firstLine int
	// err is the first error in the block, at block line errLine; the error text does not
	// name the file or line, which the consumer adds.
	err     error
	errLine int
	fields  [][]byte
	// For JoinCSV: the file line of the block's first line, the number of rows before the
	// block, and the block's formatted text.
	startLine, rowsBefore int
	out                   []byte
}

// parse splits b.text into lines and parses each non-empty one, stopping at the first error.
func (p *csvPlan) parse(b *csvBlock) {
	b.times = b.times[:0]
	if len(b.cols) != len(p.names) {
		b.cols = make([][]float64, len(p.names))
		b.flags = make([]colFlags, len(p.names))
	}
	for i := range b.cols {
		b.cols[i] = b.cols[i][:0]
		b.flags[i] = colFlags{}
	}
	b.firstLine, b.err, b.errLine = 0, nil, 0
	text := b.text
	line := 0
	for len(text) > 0 {
		var row []byte
		row, text = nextLine(text)
		line++
		if len(row) == 0 {
			continue
		}
		if b.firstLine == 0 {
			b.firstLine = line
		}
		if err := p.parseRow(b, row); err != nil {
			b.err, b.errLine = err, line
			break
		}
	}
	b.lines = line
}

// parseRow appends one row to b: in one pass over the text when the row is well formed,
// otherwise with parseFields, which finds the first error.
func (p *csvPlan) parseRow(b *csvBlock, row []byte) error {
	n := len(b.times)
	if p.scanRow(b, row) {
		return nil
	}
	b.times = b.times[:n] // drop what the failed pass appended
	for s := range b.cols {
		b.cols[s] = b.cols[s][:n]
	}
	return p.parseFields(b, row)
}

// scanRow parses the cells of row while finding the field ends, a plain decimal as it is
// scanned (scanNumber), and reports whether the row was well formed. Every cell parses to
// what parseFields gives it; a false result leaves partly appended values to drop.
func (p *csvPlan) scanRow(b *csvBlock, row []byte) bool {
	pos := 0
	end := 0
	for i := 0; i <= p.last; i++ {
		if pos > len(row) { // fewer fields than the header
			return false
		}
		s := p.slot[i]
		if s < 0 {
			end = fieldEnd(row, pos)
			if i == p.tIdx {
				ts, err := ParseTime(unquote(row[pos:end]))
				if n := len(b.times); err != nil || n > 0 && ts <= b.times[n-1] {
					return false
				}
				b.times = append(b.times, ts)
			}
			pos = end + 1
			continue
		}
		v, e, kind := scanNumber(row, pos)
		switch kind {
		case scannedDecimal:
			b.flags[s].float = true
		case scannedInt:
			b.flags[s].ints = true
		default:
			e = fieldEnd(row, pos)
			var err error
			if v, err = b.flags[s].parse(row[pos:e]); err != nil {
				return false
			}
		}
		b.cols[s] = append(b.cols[s], v)
		end, pos = e, e+1
	}
	count := p.last + 1
	if end < len(row) {
		count += bytes.Count(row[end+1:], []byte{','}) + 1
	}
	return count == p.nfields
}

// fieldEnd returns the index of the ',' ending the field of line starting at i, or the line
// length for the last field.
func fieldEnd(line []byte, i int) int {
	if k := bytes.IndexByte(line[i:], ','); k >= 0 {
		return i + k
	}
	return len(line)
}

// parseFields appends one row to b, splitting it into fields first, and returns the first
// error a serial pass meets in the row. The time is appended before the cells are parsed,
// so a block whose first row has a bad cell still shows its first time (the order checks of
// a serial pass come before the cell parsing).
func (p *csvPlan) parseFields(b *csvBlock, row []byte) error {
	var count int
	b.fields, count = splitFieldsN(row, b.fields[:0], p.last+1)
	if count != p.nfields {
		return fmt.Errorf("%w: %d fields, header has %d", ErrParse, count, p.nfields)
	}
	ts, err := ParseTime(unquote(b.fields[p.tIdx]))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrParse, err)
	}
	if n := len(b.times); n > 0 && ts <= b.times[n-1] {
		return unsortedError(ts, b.times[n-1])
	}
	b.times = append(b.times, ts)
	for i, f := range b.fields {
		s := p.slot[i]
		if s < 0 {
			continue
		}
		v, err := b.flags[s].parse(f)
		if err != nil {
			return fmt.Errorf("column %q: %w: %v", p.names[s], ErrParse, err)
		}
		b.cols[s] = append(b.cols[s], v)
	}
	return nil
}

func unsortedError(ts, prev int64) error {
	what := "duplicate"
	if ts < prev {
		what = "unsorted"
	}
	return fmt.Errorf("%w: %s timestamp %s after %s", ErrUnsorted, what, FormatTime(ts), FormatTime(prev))
}

// csvRows is the parsed rows of a whole file.
type csvRows struct {
	times []int64
	cols  [][]float64
	flags []colFlags
}

// readBlocks parses the text of r after the header (line 1) with plan p. size is the file
// size (0 when unknown), used with the first block's mean line length to size the columns.
func readBlocks(r io.Reader, path string, size int64, p *csvPlan) (*csvRows, error) {
	free := make(chan *csvBlock, 2*csvWorkerCount()+3)
	out := &csvRows{cols: make([][]float64, len(p.names)), flags: make([]colFlags, len(p.names))}
	base := 1 // lines before the block: the header
	bad := false
	err := runOrdered(
		func(emit func(*csvBlock) bool) error { return cutBlocks(r, free, emit) },
		p.parse,
		func(b *csvBlock) error {
			if err := out.add(b, size); err != nil {
				bad = true
				return fmt.Errorf("%s: line %d: %w", path, base+err.line, err.err)
			}
			base += b.lines
			recycle(free, b)
			return nil
		})
	switch {
	case err != nil && !bad: // reading failed after the blocks before
		return nil, fmt.Errorf("%s: line %d: %w", path, base+1, err)
	case err != nil:
		return nil, err
	}
	return out, nil
}

// csvWorkerCount is the number of goroutines formatting or parsing blocks.
func csvWorkerCount() int {
	if csvWorkers > 0 {
		return csvWorkers
	}
	return runtime.GOMAXPROCS(0)
}

// runOrdered runs work on every value produce emits, on csvWorkerCount goroutines, and
// passes the values to consume in the order emitted, each after its work is done. It returns
// consume's first error (then the rest is dropped: emit returns false) or else produce's.
// Nothing runs any more when it returns. Only a few values are in flight at a time.
func runOrdered[T any](produce func(emit func(T) bool) error, work func(T), consume func(T) error) error {
	type item struct {
		v    T
		done chan struct{}
	}
	workers := csvWorkerCount()
	stop := make(chan struct{})
	order := make(chan item, workers+1)
	jobs := make(chan item, workers)
	var perr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		perr = produce(func(v T) bool {
			it := item{v, make(chan struct{})}
			select {
			case order <- it:
			case <-stop:
				return false
			}
			select {
			case jobs <- it:
				return true
			case <-stop:
				return false
			}
		})
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				select {
				case <-stop:
				default:
					work(it.v)
				}
				close(it.done)
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for it := range order {
		<-it.done
		if err := consume(it.v); err != nil {
			return err
		}
	}
	return perr // order is closed: produce has returned
}

// recycle offers a used block for reuse.
func recycle(free chan *csvBlock, b *csvBlock) {
	select {
	case free <- b:
	default:
	}
}

// lineError is an error at a line of a block.
type lineError struct {
	line int
	err  error
}

// add appends block b's rows, or returns the first error a serial pass meets in it: the
// order of its first row against the rows before, then its own error.
func (o *csvRows) add(b *csvBlock, size int64) *lineError {
	if n := len(o.times); n > 0 && len(b.times) > 0 && b.times[0] <= o.times[n-1] {
		return &lineError{b.firstLine, unsortedError(b.times[0], o.times[n-1])}
	}
	if b.err != nil {
		return &lineError{b.errLine, b.err}
	}
	if len(b.times) == 0 {
		return nil
	}
	if o.times == nil {
		// Size the columns once, from the file size and the mean line length of the first
		// block (the first rows of a features file are shorter: their windows are empty).
		est := 1024
		if size > 0 {
			est = int(float64(size)/float64(len(b.text))*float64(b.lines)*1.03) + 64
		}
		// Huge pages: faulting the columns in 4 KiB pages costs more than the copying.
		o.times = hugeInts(est)[:0]
		for i := range o.cols {
			o.cols[i] = makeHuge(est)[:0]
		}
	}
	o.times = append(o.times, b.times...)
	for i, c := range b.cols {
		o.cols[i] = append(o.cols[i], c...)
		f := &o.flags[i]
		f.float = f.float || b.flags[i].float
		f.ints = f.ints || b.flags[i].ints
		f.bools = f.bools || b.flags[i].bools
	}
	return nil
}

// cutBlocks reads r into blocks that end at a line end (the last one at the end of the
// text) and emits each, until the text ends, emit returns false or a read fails (its error
// is returned). Blocks come from free when it has one.
func cutBlocks(r io.Reader, free <-chan *csvBlock, emit func(*csvBlock) bool) error {
	size := csvBlockSize
	var carry []byte // the unfinished line after the last block
	for {
		var b *csvBlock
		select {
		case b = <-free:
		default:
			b = &csvBlock{}
		}
		if cap(b.text) < size {
			b.text = make([]byte, 0, size)
		}
		b.text = append(b.text[:0], carry...)
		var err error
		for len(b.text) < size && err == nil {
			var n int
			n, err = r.Read(b.text[len(b.text):size])
			b.text = b.text[:len(b.text)+n]
		}
		switch {
		case err == io.EOF:
			emit(b) // the rest of the text, its last line perhaps without a newline
			return nil
		case err != nil:
			// The whole lines read go first, so the error names the line it stopped in.
			if cut := bytes.LastIndexByte(b.text, '\n'); cut >= 0 {
				b.text = b.text[:cut+1]
				emit(b)
			}
			return err
		}
		cut := bytes.LastIndexByte(b.text, '\n')
		if cut < 0 { // a line longer than a block: read on with a larger block
			carry = append(carry[:0], b.text...)
			size *= 2
			continue
		}
		carry = append(carry[:0], b.text[cut+1:]...)
		b.text = b.text[:cut+1]
		if !emit(b) {
			return nil
		}
	}
}

// hugeInts is makeHuge for int64 values (the same size, and no pointers either).
func hugeInts(n int) []int64 {
	f := makeHuge(n)
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
}
