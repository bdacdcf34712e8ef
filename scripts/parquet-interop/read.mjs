// Reads a Parquet file with hyparquet (an independent JavaScript implementation) and prints
// its schema, row groups and values as JSON, for tradectl's interoperability test
// (internal/frame/interop_test.go). Usage: node read.mjs FILE
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'

const file = await asyncBufferFromFile(process.argv[2])
const meta = await parquetMetadataAsync(file)
const rows = await parquetReadObjects({ file })
const names = meta.schema.slice(1).map(s => s.name)
const columns = {}
for (const n of names) columns[n] = []
for (const r of rows) {
  for (const n of names) {
    const v = r[n]
    if (v === null || v === undefined) columns[n].push(null)
    else if (v instanceof Date) columns[n].push(v.getTime())
    else if (typeof v === 'bigint') columns[n].push(v.toString())
    else if (typeof v === 'number' && !Number.isFinite(v)) columns[n].push(String(v))
    else columns[n].push(v)
  }
}
const schema = meta.schema.slice(1).map(s => ({
  name: s.name, type: s.type, repetition: s.repetition_type,
  logical: s.logical_type ? JSON.stringify(s.logical_type) : '',
}))
const rowGroups = meta.row_groups.map(g => ({
  rows: Number(g.num_rows),
  columns: g.columns.map(c => ({
    name: c.meta_data.path_in_schema.join('.'),
    codec: c.meta_data.codec,
    hasMinMax: c.meta_data.statistics?.min_value !== undefined && c.meta_data.statistics?.max_value !== undefined,
    nulls: c.meta_data.statistics?.null_count === undefined ? -1 : Number(c.meta_data.statistics.null_count),
  })),
}))
process.stdout.write(JSON.stringify({ schema, rowGroups, columns }))
