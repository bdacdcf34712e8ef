// Writes internal/frame/testdata/hyparquet-writer.parquet with hyparquet-writer (an independent
// JavaScript Parquet writer), for tradectl's interoperability test. The values are chosen by
// hand (not market data); internal/frame/interop_test.go holds the same values as expectations.
// Usage (from the repository root): node scripts/parquet-interop/write-fixture.mjs
import { parquetWriteFile } from 'hyparquet-writer'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const t0 = Date.UTC(2024, 2, 1, 0, 0, 0) // 2024-03-01 00:00:00 UTC
const minute = 60000
const n = 12
parquetWriteFile({
  filename: path.join(root, 'internal/frame/testdata/hyparquet-writer.parquet'),
  columnData: [
    // TIMESTAMP: INT64 with converted type TIMESTAMP_MILLIS, as hyparquet-writer writes dates.
    { name: 'timestamp', type: 'TIMESTAMP', nullable: false, data: Array.from({ length: n }, (_, i) => new Date(t0 + i * minute)) },
    { name: 'open', type: 'DOUBLE', encoding: 'RLE_DICTIONARY', data: [100.5, 100.5, 100.5, 101.25, 101.25, null, 99.875, 100.5, 100.5, 101.25, 100.5, 100.5] },
    { name: 'close', type: 'DOUBLE', data: [100.5, 100.5, 101.25, null, 99.875, 100.5, 100.5, 100.5, 1e-9, -2.5, 123456789.125, 100.5] },
    // A NaN stored as a value (not a null), and a column encoded as BYTE_STREAM_SPLIT.
    { name: 'volume', type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT', data: [0.25, NaN, 3, 4.5, null, 6, 7, 8, 9, 10, 11, 12.75] },
    { name: 'trades', type: 'INT64', data: [5n, 7n, null, 0n, -3n, 9007199254740993n, 1n, 2n, 3n, 4n, 5n, 6n] },
    { name: 'count32', type: 'INT32', data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12] },
    { name: 'high_20', type: 'BOOLEAN', data: [true, false, null, true, true, false, false, false, true, false, true, null] },
    { name: 'note', type: 'STRING', data: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'] },
  ],
  rowGroupSize: 5, // three row groups: 5, 5, 2 rows
})
