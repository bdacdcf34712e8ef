// Package download implements `tradectl download`: it keeps <data_folder>/<symbol>/klines.csv
// up to date from a kline source (Binance REST via exchange.NewBinance), and imports Binance's
// public dump archives (ImportArchives).
//
// # File format
//
// klines.csv has ITB's header (Header) and 12 columns: timestamp, the kline open time in UTC
// written like "2022-01-01 00:00:00+00:00", then open, high, low, close, volume, close_time,
// quote_av, trades, tb_base_av, tb_quote_av and ignore exactly as the exchange sent them (never
// re-formatted through float64). Readers validate it: the header, 12 numeric columns, ISO 8601
// timestamps, strictly increasing; a defect is a *FileError naming file and line.
//
// # Incremental download (ITB scripts/download.py)
//
// Without a file, Run starts at Options.Start (ITB: 2017-01-01). With one, it re-fetches from
// the open time of the 5th-from-last stored row; on equal timestamps the fetched row wins.
// Bars still open at the clock's now (close_time >= now) are never stored. It pages with
// start = last open time + interval until it reaches the open bar, an empty page, or a next
// bar that cannot have closed yet, then keeps the newest download_max_rows rows if set.
//
// # Durability
//
// Every state of klines.csv that a crash (kill -9, power loss after fsync) can leave is a
// valid file holding all rows stored before the run plus a prefix of the new rows, never a
// duplicate or a partial row other than a torn last line, which is detected and removed:
//
//   - A file is created, and rewritten when the re-fetched overlap differs from what is
//     stored (or for the download_max_rows trim), only through a temp file in the same folder
//     that is fsynced and renamed over klines.csv (then the folder is fsynced). A crash leaves
//     either the old file or the new one; a stale temp file is deleted by the next run.
//   - In the usual case the re-fetched overlap is byte-identical and nothing is rewritten:
//     each page's new rows, all later than the last stored one, are appended in one write
//     and fsynced before the next page is requested. A run that is cancelled or whose source
//     fails for good therefore keeps every page written so far.
//   - A crash during an append can only leave a last line without its newline. Since every
//     row we write ends in "\n" and a cut row cannot parse as 12 numeric columns, the reader
//     treats an unparsable unterminated last line as torn: ReadFile drops it, Run truncates
//     the file to the end of the last complete row before continuing. An unparsable line
//     anywhere else is an error, so real corruption is never silently dropped.
//   - An exclusive flock on the symbol folder (Unix) stops two runs writing one file; the
//     kernel releases it when a process dies.
//
// Appending instead of rewriting after every page keeps a multi-year 1m download linear in
// its size; checkpointing the whole file atomically would rewrite hundreds of megabytes per
// checkpoint. A rerun re-fetches the last 5 rows and continues, so an interrupted download
// followed by a rerun produces exactly the bytes of an uninterrupted one.
package download
