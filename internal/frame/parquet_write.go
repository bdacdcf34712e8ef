package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/bytestreamsplit"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The Parquet writer encodes pages itself, a column chunk at a time straight from the frame's
// []float64 columns: parquet-go (v0.32) takes rows only as []parquet.Value, one 24-byte value
// per cell, and spent half of the features and labels steps' CPU building and buffering them.
// It uses parquet-go's own encoders (delta, byte-stream-split, RLE levels) and thrift types,
// and writes the layout parquet-go wrote: DATA_PAGE_V2 pages with CRCs and statistics,
// snappy, column statistics, a page index (column and offset indexes) and parquet-go's schema
// elements. Reading stays with parquet-go.

// pqPageRows is the number of rows per data page (256 KiB of doubles).
const pqPageRows = 1 << 15

// pqHeaderRoom is the room left before a page for its header (under 100 bytes).
const pqHeaderRoom = 128

// pqMagic opens and closes every Parquet file.
const pqMagic = "PAR1"

// pqChunk is one column chunk encoded in memory: its pages (headers included), in order
// but not contiguous, and its metadata, page offsets relative to the chunk's start.
type pqChunk struct {
	data    []byte
	pages   [][2]int // each page's [start, end) in data
	meta    format.ColumnMetaData
	index   format.ColumnIndex
	offsets format.OffsetIndex
}

// pqFileWriter writes a Parquet file: row groups of encoded or copied column chunks, then
// the page index and the footer.
type pqFileWriter struct {
	w       io.Writer
	off     int64
	elems   []format.SchemaElement
	orders  []format.ColumnOrder
	paths   [][]string
	groups  []format.RowGroup
	indexes [][]*format.ColumnIndex // nil where a copied chunk had none
	offsets [][]*format.OffsetIndex
	workers int    // encoding goroutines; GOMAXPROCS when 0
	copyBuf []byte // for copied chunks
	// decimals is the precision every value was written with (pqDecimalsKey): pqExact,
	// 0..n, pqNoDecimals before the first row group, pqMixedDecimals when they differ.
	decimals int
}

// pqDecimalsKey is the key-value metadata under which tradectl records the number of
// decimals every Float value of the file was rounded to ("-1": none, exact values). A step
// reading the file may copy its column chunks verbatim into a file of at least as many
// decimals (JoinParquet).
const pqDecimalsKey = "tradectl.decimals"

const (
	pqNoDecimals    = -2
	pqMixedDecimals = -3
)

// noteDecimals records that values rounded to prec decimals (negative: exact) were written.
func (pw *pqFileWriter) noteDecimals(prec int) {
	prec = max(prec, -1)
	switch pw.decimals {
	case pqNoDecimals:
		pw.decimals = prec
	case prec:
	default:
		pw.decimals = pqMixedDecimals
	}
}

// fileDecimals returns the precision a file records (pqMixedDecimals when it records none).
func fileDecimals(f *parquet.File) int {
	v, ok := f.Lookup(pqDecimalsKey)
	if !ok {
		return pqMixedDecimals
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < -1 {
		return pqMixedDecimals
	}
	return d
}

// newParquetWriter returns a writer of files with the given schema (a group of leaf columns).
func newParquetWriter(w io.Writer, schema *parquet.Schema) *pqFileWriter {
	fields := schema.Fields()
	pw := &pqFileWriter{w: w, decimals: pqNoDecimals}
	pw.elems = append(pw.elems, format.SchemaElement{Name: schema.Name(), NumChildren: thrift.New(int32(len(fields)))})
	for _, f := range fields {
		pw.elems = append(pw.elems, schemaElement(f))
		pw.orders = append(pw.orders, *f.Type().ColumnOrder())
		pw.paths = append(pw.paths, []string{f.Name()})
	}
	return pw
}

// schemaElement describes a leaf column as parquet-go's writer does.
func schemaElement(f parquet.Field) format.SchemaElement {
	t := f.Type()
	e := format.SchemaElement{Name: f.Name(), RepetitionType: thrift.New(format.Required)}
	if f.Optional() {
		e.RepetitionType = thrift.New(format.Optional)
	}
	if lt := t.LogicalType(); lt != nil {
		e.LogicalType = *lt
	}
	if n := int32(t.Length()); n > 0 {
		e.TypeLength = thrift.New(n)
	}
	if pt := t.PhysicalType(); pt != nil {
		e.Type = thrift.New(*pt)
	}
	if ct := t.ConvertedType(); ct != nil {
		e.ConvertedType = thrift.New(*ct)
	}
	return e
}

func (pw *pqFileWriter) write(b []byte) error {
	if pw.off == 0 {
		if _, err := io.WriteString(pw.w, pqMagic); err != nil {
			return err
		}
		pw.off = int64(len(pqMagic))
	}
	n, err := pw.w.Write(b)
	pw.off += int64(n)
	return err
}

// pqGroup is a row group being written: its metadata and its chunks' page indexes.
type pqGroup struct {
	rg   format.RowGroup
	idx  []*format.ColumnIndex // nil where a copied chunk had none
	offs []*format.OffsetIndex
}

// beginGroup starts a row group of rows rows.
func (pw *pqFileWriter) beginGroup(rows int64) (*pqGroup, error) {
	if err := pw.write(nil); err != nil {
		return nil, err
	}
	return &pqGroup{rg: format.RowGroup{NumRows: rows, FileOffset: pw.off, Ordinal: int16(len(pw.groups))}}, nil
}

// endGroup adds the row group to the file's footer.
func (pw *pqFileWriter) endGroup(g *pqGroup) error {
	if len(g.rg.Columns) != len(pw.paths) {
		return fmt.Errorf("row group has %d columns, the schema %d", len(g.rg.Columns), len(pw.paths))
	}
	pw.groups = append(pw.groups, g.rg)
	pw.indexes = append(pw.indexes, g.idx)
	pw.offsets = append(pw.offsets, g.offs)
	return nil
}

// add records a column chunk just written: its metadata and page index, every offset moved by
// delta (from where it was counted to where the chunk is now).
func (g *pqGroup) add(m format.ColumnMetaData, ci *format.ColumnIndex, oi *format.OffsetIndex, delta int64) {
	m.DataPageOffset += delta
	if m.DictionaryPageOffset > 0 {
		m.DictionaryPageOffset += delta
	}
	m.IndexPageOffset, m.BloomFilterOffset, m.BloomFilterLength = 0, 0, 0
	var offs *format.OffsetIndex
	if ci != nil && oi != nil {
		locs := make([]format.PageLocation, len(oi.PageLocations))
		for j, l := range oi.PageLocations {
			l.Offset += delta
			locs[j] = l
		}
		offs = &format.OffsetIndex{PageLocations: locs}
	} else {
		ci = nil
	}
	g.idx = append(g.idx, ci)
	g.offs = append(g.offs, offs)
	g.rg.Columns = append(g.rg.Columns, format.ColumnChunk{MetaData: m})
	g.rg.TotalByteSize += m.TotalUncompressedSize
	g.rg.TotalCompressedSize += m.TotalCompressedSize
}

// putEncoded writes an encoded column chunk into the row group.
func (pw *pqFileWriter) putEncoded(g *pqGroup, c *pqChunk) error {
	base := pw.off
	for _, p := range c.pages {
		if err := pw.write(c.data[p[0]:p[1]]); err != nil {
			return err
		}
	}
	ci := c.index
	g.add(c.meta, &ci, &c.offsets, base)
	return nil
}

// putCopied copies column chunk col of row group k of the file f into the row group verbatim
// (its compressed pages, statistics and page index), without decoding it.
func (pw *pqFileWriter) putCopied(g *pqGroup, f *parquet.File, k, col int) error {
	md := f.Metadata()
	ncol := len(md.RowGroups[k].Columns)
	m := md.RowGroups[k].Columns[col].MetaData
	start := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	base := pw.off
	if pw.copyBuf == nil {
		pw.copyBuf = make([]byte, 1<<20)
	}
	if _, err := io.CopyBuffer(writerFunc(pw.write), io.NewSectionReader(f, start, m.TotalCompressedSize), pw.copyBuf); err != nil {
		return err
	}
	var ci *format.ColumnIndex
	var oi *format.OffsetIndex
	if cis, ois := f.ColumnIndexes(), f.OffsetIndexes(); len(cis) == len(md.RowGroups)*ncol && len(ois) == len(cis) {
		x := cis[k*ncol+col]
		ci, oi = &x, &ois[k*ncol+col]
	}
	g.add(m, ci, oi, base-start)
	return nil
}

// WriteRowGroup copies a row group of another Parquet file with the same schema verbatim.
func (pw *pqFileWriter) WriteRowGroup(rg parquet.RowGroup) (int64, error) {
	frg, ok := rg.(*parquet.FileRowGroup)
	if !ok {
		return 0, errors.New("parquet: only row groups of a file can be copied")
	}
	f := frg.File()
	k := slices.Index(f.RowGroups(), rg)
	if k < 0 || len(f.Metadata().RowGroups[k].Columns) != len(pw.paths) {
		return 0, errors.New("parquet: the row group does not match the file's schema")
	}
	pw.noteDecimals(fileDecimals(f))
	g, err := pw.beginGroup(rg.NumRows())
	if err != nil {
		return 0, err
	}
	for col := range pw.paths {
		if err := pw.putCopied(g, f, k, col); err != nil {
			return 0, err
		}
	}
	return rg.NumRows(), pw.endGroup(g)
}

// writerFunc adapts a write method to io.Writer.
type writerFunc func([]byte) error

// Write writes b.
func (f writerFunc) Write(b []byte) (int, error) {
	if err := f(b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close writes the page index and the footer.
func (pw *pqFileWriter) Close() error {
	if err := pw.write(nil); err != nil {
		return err
	}
	proto := new(thrift.CompactProtocol)
	put := func(v any) (int64, int32, error) {
		b, err := thrift.Marshal(proto, v)
		if err != nil {
			return 0, 0, err
		}
		at := pw.off
		return at, int32(len(b)), pw.write(b)
	}
	var err error
	for g := range pw.groups {
		for c, ci := range pw.indexes[g] {
			if ci != nil {
				cc := &pw.groups[g].Columns[c]
				if cc.ColumnIndexOffset, cc.ColumnIndexLength, err = put(ci); err != nil {
					return err
				}
			}
		}
	}
	var rows int64
	for g := range pw.groups {
		rows += pw.groups[g].NumRows
		for c, oi := range pw.offsets[g] {
			if oi != nil {
				cc := &pw.groups[g].Columns[c]
				if cc.OffsetIndexOffset, cc.OffsetIndexLength, err = put(oi); err != nil {
					return err
				}
			}
		}
	}
	md := format.FileMetaData{
		Version:      2,
		Schema:       pw.elems,
		NumRows:      rows,
		RowGroups:    pw.groups,
		CreatedBy:    "tradectl",
		ColumnOrders: pw.orders,
	}
	if pw.decimals >= -1 {
		md.KeyValueMetadata = []format.KeyValue{{Key: pqDecimalsKey, Value: strconv.Itoa(pw.decimals)}}
	}
	_, n, err := put(&md)
	if err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(n))
	copy(tail[4:], pqMagic)
	return pw.write(tail[:])
}

// writeRowGroups writes all rows as row groups of ParquetRowGroupRows.
func writeRowGroups(pw *pqFileWriter, times []int64, cols []pqColumn, prec int) error {
	var starts []int
	for a := 0; a < len(times); a += ParquetRowGroupRows {
		starts = append(starts, a)
	}
	return writeGroups(pw, times, cols, append(starts, len(times)), prec, nil)
}

// writeGroups writes rows [starts[g], starts[g+1]) as row group g. A column with a source
// leaf (pqColumn.src >= 0) is copied from row group g of the file src; the others are
// encoded in parallel (a row group ahead of the one being written) and written in order, so
// the bytes do not depend on the number of workers.
func writeGroups(pw *pqFileWriter, times []int64, cols []pqColumn, starts []int, prec int, src *parquet.File) error {
	pw.noteDecimals(prec)
	ncol := len(cols)
	groups := len(starts) - 1
	if groups <= 0 || ncol == 0 {
		return nil
	}
	var encoded []int
	for c, col := range cols {
		if col.src < 0 {
			encoded = append(encoded, c)
		}
	}
	workers := pw.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const ahead = 2 // row groups in memory: the one being written and the next one
	chunks := make([][]pqChunk, groups)
	errs := make([]error, groups*ncol)
	left := make([]atomic.Int32, groups)
	done := make([]chan struct{}, groups)
	for g := range groups {
		chunks[g] = make([]pqChunk, ncol)
		left[g].Store(int32(len(encoded)))
		done[g] = make(chan struct{})
		if len(encoded) == 0 {
			close(done[g])
		}
	}
	tokens := make(chan struct{}, ahead)
	// Chunk buffers come from an arena reused from row group to row group; a file of no
	// more row groups than are in flight (an appended day) has nothing to reuse, and an
	// arena sized for the worst case would only stay resident: its chunks grow on the heap.
	var bufs *chunkArena
	if groups > ahead {
		bufs = newChunkArena(ahead, len(encoded), slices.Max(diffs(starts)))
	}
	tasks := make(chan int, ncol)
	var failed atomic.Bool
	go func() {
		for g := range groups {
			tokens <- struct{}{}
			for _, c := range encoded {
				tasks <- g*ncol + c
			}
		}
		close(tasks)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var e pqEncoder
			for t := range tasks {
				g, c := t/ncol, t%ncol
				if !failed.Load() {
					buf := bufs.get(g, slices.Index(encoded, c))
					if chunks[g][c], errs[t] = e.encodeChunk(buf, cols[c], times, starts[g], starts[g+1], prec); errs[t] != nil {
						errs[t] = fmt.Errorf("column %q: %w", cols[c].name, errs[t])
					}
				}
				if left[g].Add(-1) == 0 {
					close(done[g])
				}
			}
		}()
	}
	var err error
	for g := range groups {
		<-done[g]
		if err == nil {
			err = errors.Join(errs[g*ncol : (g+1)*ncol]...)
		}
		if err == nil {
			err = pw.writeGroup(chunks[g], cols, src, g, int64(starts[g+1]-starts[g]))
		}
		if err != nil {
			failed.Store(true)
		}
		chunks[g] = nil
		<-tokens
	}
	wg.Wait()
	return err
}

// writeGroup writes row group k: the encoded chunks, and the columns copied from row group k
// of src.
func (pw *pqFileWriter) writeGroup(chunks []pqChunk, cols []pqColumn, src *parquet.File, k int, rows int64) error {
	g, err := pw.beginGroup(rows)
	if err != nil {
		return err
	}
	for i, c := range cols {
		if c.src >= 0 {
			err = pw.putCopied(g, src, k, c.src)
		} else {
			err = pw.putEncoded(g, &chunks[i])
		}
		if err != nil {
			return err
		}
	}
	return pw.endGroup(g)
}

// diffs returns the gaps between consecutive values.
func diffs(x []int) []int {
	d := make([]int, len(x)-1)
	for i := range d {
		d[i] = x[i+1] - x[i]
	}
	return d
}

// chunkArena holds the encoded chunks of the row groups in flight: slot g%groups of column k
// serves row group g (a group's slots are reused once it is written). It is one block backed
// by huge pages where the system allows: fresh 4 KiB pages for every chunk cost more page
// faults than the encoding.
type chunkArena struct {
	block        []byte
	groups, cols int
	per          int
}

// newChunkArena returns room for groups row groups of cols encoded columns of rows rows each
// (10 bytes a row: a page of doubles, its levels, header and snappy's worst case fit).
func newChunkArena(groups, cols, rows int) *chunkArena {
	per := rows*10 + 4096
	f := makeHuge((groups*cols*per + 7) / 8)
	block := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), len(f)*8)
	return &chunkArena{block: block, groups: groups, cols: cols, per: per}
}

// get returns the empty buffer for column k of row group g (nil without an arena).
func (a *chunkArena) get(g, k int) []byte {
	if a == nil {
		return nil
	}
	i := ((g%a.groups)*a.cols + k) * a.per
	return a.block[i : i : i+a.per]
}

// pqEncoder holds one worker's scratch buffers.
type pqEncoder struct {
	levels []byte // definition level per row of a page
	ints   []int64
	floats []float64
	bits   []byte
	lev    []byte // encoded levels
	enc    []byte // encoded values
}

// pqPage is what encoding one page's values tells about them.
type pqPage struct {
	nulls    int
	min, max []byte // PLAIN-encoded bounds; nil when every value is null
}

// encodeChunk encodes rows [a, b) of column c as one column chunk.
// The pages are appended to buf.
func (e *pqEncoder) encodeChunk(buf []byte, c pqColumn, times []int64, a, b, prec int) (pqChunk, error) {
	ch := pqChunk{data: buf[:0]}
	optional := c.data != nil
	enc := format.ByteStreamSplit
	kind := format.Double
	switch {
	case c.data == nil:
		enc, kind = format.DeltaBinaryPacked, format.Int64
	case c.kind == Bool:
		enc, kind = format.Plain, format.Boolean
	case c.isInt:
		enc, kind = format.DeltaBinaryPacked, format.Int64
	}
	m := &ch.meta
	m.Type = kind
	m.Codec = format.Snappy
	m.PathInSchema = []string{c.name}
	m.Encoding = sortedEncodings(enc, optional)
	var hist [2]int64
	var cmin, cmax []byte
	for p := a; p < b; p += pqPageRows {
		q := min(p+pqPageRows, b)
		var pg pqPage
		switch {
		case c.data == nil:
			pg = e.timePage(times[p:q])
		case c.kind == Bool:
			pg = e.boolPage(c.data[p:q])
		case c.isInt:
			pg = e.intPage(c.data[p:q])
		default:
			pg = e.doublePage(c.data[p:q], prec)
		}
		n := q - p
		e.lev = e.lev[:0]
		if optional {
			var err error
			if e.lev, err = (&rle.Encoding{BitWidth: 1}).EncodeLevels(e.lev, e.levels[:n]); err != nil {
				return ch, err
			}
		}
		// The page is compressed in place, after room for its header and its levels: the
		// header (which holds the compressed size and CRC) then goes right before the levels,
		// and the page is the segment from there.
		levAt := len(ch.data) + pqHeaderRoom
		compAt := levAt + len(e.lev)
		need := compAt + s2.MaxEncodedLen(len(e.enc))
		if need > cap(ch.data) {
			ch.data = slices.Grow(ch.data, need-len(ch.data))
		}
		ch.data = ch.data[:need]
		copy(ch.data[levAt:], e.lev)
		comp := s2.EncodeSnappy(ch.data[compAt:need], e.enc)
		crc := crc32.Update(crc32.ChecksumIEEE(e.lev), crc32.IEEETable, comp)
		stats := format.Statistics{NullCount: int64(pg.nulls), MinValue: pg.min, MaxValue: pg.max}
		hdr := format.PageHeader{
			Type:                 format.DataPageV2,
			UncompressedPageSize: int32(len(e.lev) + len(e.enc)),
			CompressedPageSize:   int32(len(e.lev) + len(comp)),
			CRC:                  int32(crc),
			DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
				NumValues:                  int32(n),
				NumNulls:                   int32(pg.nulls),
				NumRows:                    int32(n),
				Encoding:                   enc,
				DefinitionLevelsByteLength: int32(len(e.lev)),
				IsCompressed:               thrift.New(true),
				Statistics:                 stats,
			}),
		}
		hb, err := thrift.Marshal(new(thrift.CompactProtocol), &hdr)
		if err != nil {
			return ch, err
		}
		if len(hb) > pqHeaderRoom {
			return ch, fmt.Errorf("page header of %d bytes", len(hb))
		}
		start := levAt - len(hb)
		copy(ch.data[start:], hb)
		ch.data = ch.data[:compAt+len(comp)]
		ch.pages = append(ch.pages, [2]int{start, len(ch.data)})
		ch.offsets.PageLocations = append(ch.offsets.PageLocations, format.PageLocation{
			Offset: m.TotalCompressedSize, CompressedPageSize: int32(len(ch.data) - start), FirstRowIndex: int64(p - a),
		})
		m.NumValues += int64(n)
		m.TotalUncompressedSize += int64(len(hb)) + int64(hdr.UncompressedPageSize)
		m.TotalCompressedSize += int64(len(hb)) + int64(hdr.CompressedPageSize)
		ix := &ch.index
		ix.NullPages = append(ix.NullPages, pg.min == nil)
		ix.MinValues = append(ix.MinValues, nonNil(pg.min))
		ix.MaxValues = append(ix.MaxValues, nonNil(pg.max))
		ix.NullCounts = append(ix.NullCounts, int64(pg.nulls))
		if optional {
			ix.DefinitionLevelHistogram = append(ix.DefinitionLevelHistogram, int64(pg.nulls), int64(n-pg.nulls))
			hist[0] += int64(pg.nulls)
			hist[1] += int64(n - pg.nulls)
		}
		m.Statistics.NullCount += int64(pg.nulls)
		if pg.min != nil {
			if cmin == nil || lessPlain(kind, pg.min, cmin) {
				cmin = pg.min
			}
			if cmax == nil || lessPlain(kind, cmax, pg.max) {
				cmax = pg.max
			}
		}
	}
	m.Statistics.MinValue, m.Statistics.MaxValue = cmin, cmax
	if optional {
		m.SizeStatistics.DefinitionLevelHistogram = hist[:]
	}
	m.EncodingStats = []format.PageEncodingStats{{PageType: format.DataPageV2, Encoding: enc, Count: int32(len(ch.offsets.PageLocations))}}
	ch.index.BoundaryOrder = boundaryOrder(kind, ch.index)
	return ch, nil
}

// sortedEncodings lists a chunk's encodings in enum order, as parquet-go does.
func sortedEncodings(enc format.Encoding, optional bool) []format.Encoding {
	if !optional {
		return []format.Encoding{enc}
	}
	if enc < format.RLE {
		return []format.Encoding{enc, format.RLE}
	}
	return []format.Encoding{format.RLE, enc}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// lessPlain compares two PLAIN-encoded values of a physical type.
func lessPlain(kind format.Type, a, b []byte) bool {
	switch kind {
	case format.Boolean:
		return a[0] < b[0]
	case format.Int64:
		return int64(binary.LittleEndian.Uint64(a)) < int64(binary.LittleEndian.Uint64(b))
	default:
		return math.Float64frombits(binary.LittleEndian.Uint64(a)) < math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
}

// boundaryOrder tells whether the pages' bounds ascend, descend or neither.
func boundaryOrder(kind format.Type, ix format.ColumnIndex) format.BoundaryOrder {
	asc, desc := true, true
	prev := -1
	for i, null := range ix.NullPages {
		if null {
			continue
		}
		if prev >= 0 {
			if lessPlain(kind, ix.MinValues[i], ix.MinValues[prev]) || lessPlain(kind, ix.MaxValues[i], ix.MaxValues[prev]) {
				asc = false
			}
			if lessPlain(kind, ix.MinValues[prev], ix.MinValues[i]) || lessPlain(kind, ix.MaxValues[prev], ix.MaxValues[i]) {
				desc = false
			}
		}
		prev = i
	}
	switch {
	case asc:
		return format.Ascending
	case desc:
		return format.Descending
	}
	return format.Unordered
}

func plainInt64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

func plainDouble(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

// timePage encodes Unix milliseconds as nanosecond INT64 values (required: no levels).
func (e *pqEncoder) timePage(ms []int64) pqPage {
	e.ints = e.ints[:0]
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, t := range ms {
		v := t * 1e6
		lo, hi = min(lo, v), max(hi, v)
		e.ints = append(e.ints, v)
	}
	e.enc, _ = (&delta.BinaryPackedEncoding{}).EncodeInt64(e.enc, e.ints)
	return pqPage{min: plainInt64(lo), max: plainInt64(hi)}
}

// setLevels sizes the level buffer for n rows.
func (e *pqEncoder) setLevels(n int) []byte {
	if cap(e.levels) < n {
		e.levels = make([]byte, n)
	}
	return e.levels[:n]
}

// intPage encodes optional INT64 values (NaN and ±Inf: null).
func (e *pqEncoder) intPage(data []float64) pqPage {
	lv := e.setLevels(len(data))
	e.ints = e.ints[:0]
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i, x := range data {
		if x != x || math.IsInf(x, 0) {
			lv[i] = 0
			continue
		}
		lv[i] = 1
		v := int64(x)
		lo, hi = min(lo, v), max(hi, v)
		e.ints = append(e.ints, v)
	}
	e.enc, _ = (&delta.BinaryPackedEncoding{}).EncodeInt64(e.enc, e.ints)
	pg := pqPage{nulls: len(data) - len(e.ints)}
	if len(e.ints) > 0 {
		pg.min, pg.max = plainInt64(lo), plainInt64(hi)
	}
	return pg
}

// doublePage encodes optional DOUBLE values rounded to prec decimals (NaN and ±Inf: null).
func (e *pqEncoder) doublePage(data []float64, prec int) pqPage {
	lv := e.setLevels(len(data))
	if cap(e.floats) < len(data) {
		e.floats = make([]float64, len(data))
	}
	fl := e.floats[:len(data)]
	k := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	round := prec >= 0 && prec < len(pow10)
	p := pow10[min(max(prec, 0), len(pow10)-1)]
	for i, x := range data {
		if x-x != 0 { // NaN or ±Inf
			lv[i] = 0
			continue
		}
		lv[i] = 1
		v := x
		if round {
			// RoundDecimals inlined: n = round(|x|·10^prec), corrected by one where the
			// exact residual r says so (floor(y+0.5) is an intrinsic, math.Round is not);
			// values within a hair of a tie (and huge ones) take the exact path.
			a := math.Abs(x)
			n := math.Floor(a*p + 0.5)
			r := math.FMA(a, p, -n)
			if d := math.Abs(r) - 0.5; n < 1<<52 && (d >= 1e-6 || d <= -1e-6) {
				if r > 0.5 {
					n++
				} else if r < -0.5 {
					n--
				}
				v = math.Copysign(n/p, x)
			} else {
				v = RoundDecimals(x, prec)
			}
		} else if prec >= 0 {
			v = RoundDecimals(x, prec)
		}
		lo, hi = min(lo, v), max(hi, v)
		fl[k] = v
		k++
	}
	e.enc, _ = (&bytestreamsplit.Encoding{}).EncodeDouble(e.enc, fl[:k])
	pg := pqPage{nulls: len(data) - k}
	if k > 0 {
		// The format wants a zero minimum written as -0 and a zero maximum as +0.
		if lo == 0 {
			lo = math.Copysign(0, -1)
		}
		if hi == 0 {
			hi = math.Copysign(0, 1)
		}
		pg.min, pg.max = plainDouble(lo), plainDouble(hi)
	}
	return pg
}

// boolPage encodes optional BOOLEAN values, PLAIN (bit-packed); NaN is null, 0 false.
func (e *pqEncoder) boolPage(data []float64) pqPage {
	lv := e.setLevels(len(data))
	e.bits = e.bits[:0]
	n := 0
	seen := [2]bool{}
	var acc byte
	for i, x := range data {
		if x != x {
			lv[i] = 0
			continue
		}
		lv[i] = 1
		var bit byte
		if x != 0 {
			bit = 1
		}
		seen[bit] = true
		acc |= bit << (n & 7)
		n++
		if n&7 == 0 {
			e.bits = append(e.bits, acc)
			acc = 0
		}
	}
	if n&7 != 0 {
		e.bits = append(e.bits, acc)
	}
	e.enc = append(e.enc[:0], e.bits...)
	pg := pqPage{nulls: len(data) - n}
	if n > 0 {
		lo, hi := byte(0), byte(1)
		if !seen[0] {
			lo = 1
		}
		if !seen[1] {
			hi = 0
		}
		pg.min, pg.max = []byte{lo}, []byte{hi}
	}
	return pg
}
