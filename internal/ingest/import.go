package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// ImportOptions tune ImportPaths.
type ImportOptions struct {
	// SkipBad loads the good rows of a file that has malformed ones and
	// reports each skipped line; without it one bad row rejects the import.
	SkipBad bool
	// ChunkRows is how many rows go to the store in one Put; 0 means
	// DefaultChunkRows.
	ChunkRows int
	// Logger receives one line per file; nil discards.
	Logger *slog.Logger
}

// DefaultChunkRows bounds the rows held in memory and sent in one Put.
const DefaultChunkRows = 100_000

// cacheBudget is how many decoded rows validation may keep for the write
// pass, so small files are parsed once; larger files are read twice.
const cacheBudget = 400_000

// Report tells what an import or a demo run wrote.
type Report struct {
	// Rows is the number of rows written per table.
	Rows map[string]int64
	// SkippedLines are the malformed rows left out under SkipBad, at most
	// maxBadLines per file; Skipped counts them all.
	SkippedLines []BadLine
	Skipped      int
	// SkippedFiles are files whose name matches no dataset we load.
	SkippedFiles []SkippedFile
	// Dates are the trade dates whose bars, valuations or factors were
	// written, oldest first: the days whose cached answers are now stale.
	Dates []time.Time
	// Elapsed is the wall time of the whole run.
	Elapsed time.Duration

	dates map[time.Time]struct{}
}

// BadLine is a malformed row of a CSV file.
type BadLine struct {
	File   string
	Line   int
	Reason string
}

func (b BadLine) Error() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// SkippedFile is a file the import did not load, and why.
type SkippedFile struct {
	Path   string
	Reason string
}

// Total is the number of rows written over all tables.
func (r Report) Total() int64 {
	var n int64
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// RowsPerSecond is Total over Elapsed.
func (r Report) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Total()) / r.Elapsed.Seconds()
}

// add records a batch the store accepted.
func (r *Report) add(b Batch) {
	if r.Rows == nil {
		r.Rows = make(map[string]int64)
	}
	for t, n := range b.Counts() {
		r.Rows[t] += int64(n)
	}
	if r.dates == nil {
		r.dates = make(map[time.Time]struct{})
	}
	for _, d := range b.TradeDates() {
		r.dates[d] = struct{}{}
	}
}

// finish sorts the changed dates into Dates.
func (r *Report) finish(start time.Time) {
	r.Dates = r.Dates[:0]
	for d := range r.dates {
		r.Dates = append(r.Dates, d)
	}
	slices.SortFunc(r.Dates, func(a, b time.Time) int { return a.Compare(b) })
	r.Elapsed = time.Since(start)
}

// maxBadLines is how many malformed lines of one file are kept for the
// report; a file of garbage must not fill memory with complaints.
const maxBadLines = 1000

// csvFile is one file to import.
type csvFile struct {
	path     string
	dataset  string
	bad      []BadLine // the first maxBadLines
	badCount int
	cached   *Batch // every row, when the file was small enough to keep
}

// ImportPaths loads Tushare-format CSV files into w. A directory stands for
// every *.csv file in it (not recursive). A file's dataset comes from its
// name: daily.csv, fund_daily.csv, or a prefix such as daily_20251218.csv;
// files that match no dataset (limit_list_d.csv) are reported as skipped.
// Reference data (stock_basic, etf_basic, trade_cal) is loaded before bars.
//
// Every file is validated before anything is written: without SkipBad a
// malformed row fails the import with "file:line: reason" and nothing is
// written at all. Large files are then read a second time and written in
// chunks of ChunkRows, so memory stays bounded by the chunk rather than the
// file; files that fit in a chunk are kept from the first pass. A store
// failure part-way can leave earlier chunks written; every write is an
// upsert, so running the import again is safe.
func ImportPaths(ctx context.Context, w market.Writer, paths []string, opt ImportOptions) (Report, error) {
	start := time.Now()
	if opt.ChunkRows <= 0 {
		opt.ChunkRows = DefaultChunkRows
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rep Report
	files, skipped, err := listFiles(paths)
	if err != nil {
		return rep, err
	}
	rep.SkippedFiles = skipped

	budget := cacheBudget
	var bad []error
	for _, f := range files {
		if err := f.validate(ctx, opt.ChunkRows, &budget); err != nil {
			return rep, err
		}
		if f.badCount > 0 {
			if !opt.SkipBad {
				bad = append(bad, f.describeBad())
				continue
			}
			rep.SkippedLines = append(rep.SkippedLines, f.bad...)
			rep.Skipped += f.badCount
		}
	}
	if len(bad) > 0 {
		rep.finish(start)
		return rep, errors.Join(bad...)
	}

	for _, f := range files {
		t0 := time.Now()
		before := rep.Total()
		if err := f.load(ctx, w, opt.ChunkRows, &rep); err != nil {
			rep.finish(start)
			return rep, err
		}
		log.Info("imported", "file", f.path, "table", f.dataset, "rows", rep.Total()-before,
			"skipped", f.badCount, "elapsed", time.Since(t0).Round(time.Millisecond))
	}
	rep.finish(start)
	return rep, nil
}

// describeBad names the first bad line of a file and how many more there are.
func (f *csvFile) describeBad() error {
	if f.badCount == 1 {
		return f.bad[0]
	}
	return fmt.Errorf("%w (and %d more malformed lines)", f.bad[0], f.badCount-1)
}

// listFiles expands directories and orders the files for loading.
func listFiles(paths []string) ([]*csvFile, []SkippedFile, error) {
	if len(paths) == 0 {
		return nil, nil, errors.New("no file or directory to import")
	}
	var (
		files   []*csvFile
		skipped []SkippedFile
		seen    = make(map[string]bool)
	)
	addFile := func(p string) {
		clean := filepath.Clean(p)
		if seen[clean] {
			return
		}
		seen[clean] = true
		ds, ok := datasetOfFile(filepath.Base(p))
		if !ok {
			skipped = append(skipped, SkippedFile{Path: p, Reason: "no dataset named like this file"})
			return
		}
		files = append(files, &csvFile{path: p, dataset: ds})
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("import: %w", err)
		}
		if !fi.IsDir() {
			addFile(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, fmt.Errorf("import: %w", err)
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
				addFile(filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("import: no .csv files in %s", p)
		}
	}
	order := Datasets()
	slices.SortStableFunc(files, func(a, b *csvFile) int {
		return slices.Index(order, a.dataset) - slices.Index(order, b.dataset)
	})
	return files, skipped, nil
}

// datasetOfFile maps a file name to a table: the whole name (daily.csv) or
// the longest dataset name followed by "_" (daily_basic_2025.csv is
// daily_basic, not daily).
func datasetOfFile(base string) (string, bool) {
	name := strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
	if t, ok := Dataset(name); ok {
		return t, true
	}
	best, table := 0, ""
	for alias, t := range aliases {
		if strings.HasPrefix(name, alias+"_") && len(alias) > best {
			best, table = len(alias), t
		}
	}
	return table, best > 0
}

// scan reads a CSV file and hands each decoded record to fn; a malformed
// record goes to onBad instead. It stops early when fn returns an error.
func (f *csvFile) scan(ctx context.Context, fn func(d *Decoder) error, onBad func(BadLine)) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer fh.Close()
	return scanCSV(ctx, fh, f.path, f.dataset, fn, onBad)
}

// scanCSV decodes the CSV text of one dataset from in (named name in
// messages): every record that decodes is handed to fn, every malformed one
// to onBad; fn(nil) ends the file.
func scanCSV(ctx context.Context, in io.Reader, name, dataset string, fn func(d *Decoder) error, onBad func(BadLine)) error {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1 // we check the width ourselves, with a clearer message
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, want a header line", name)
	}
	if err != nil {
		return fmt.Errorf("%s: header: %w", name, err)
	}
	header = slices.Clone(header)
	d, err := NewDecoder(dataset, header)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for n := 0; ; n++ {
		if n%10_000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("%s: %w", name, err)
			}
			onBad(BadLine{File: name, Line: pe.StartLine, Reason: pe.Err.Error()})
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			onBad(BadLine{File: name, Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		if err := d.Add(rec); err != nil {
			onBad(BadLine{File: name, Line: line, Reason: err.Error()})
			continue
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return fn(nil)
}

// validate is the first pass: it decodes the whole file, keeps the bad
// lines, and keeps the rows too when they fit in one chunk and the budget.
func (f *csvFile) validate(ctx context.Context, chunk int, budget *int) error {
	var (
		last *Decoder
		keep = true
	)
	err := f.scan(ctx, func(d *Decoder) error {
		if d == nil {
			return nil
		}
		last = d
		if n := d.Batch().Len(); n > chunk || n > *budget {
			keep = false
		}
		if !keep {
			d.Reset()
		}
		return nil
	}, func(b BadLine) {
		f.badCount++
		if len(f.bad) < maxBadLines {
			f.bad = append(f.bad, b)
		}
	})
	if err != nil {
		return err
	}
	if keep && last != nil {
		b := last.Batch()
		f.cached = &b
		*budget -= b.Len()
	}
	return nil
}

// load is the second pass: it writes the file's good rows chunk by chunk.
func (f *csvFile) load(ctx context.Context, w market.Writer, chunk int, rep *Report) error {
	write := func(b Batch) error {
		if b.Len() == 0 {
			return nil
		}
		if err := b.Write(ctx, w); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		rep.add(b)
		return nil
	}
	if f.cached != nil {
		b := *f.cached
		f.cached = nil
		return write(b)
	}
	var last *Decoder
	skipped := 0
	err := f.scan(ctx, func(d *Decoder) error {
		if d == nil { // end of file
			if last == nil {
				return nil
			}
			return write(last.Batch())
		}
		last = d
		if d.Batch().Len() < chunk {
			return nil
		}
		err := write(d.Batch())
		d.Reset()
		return err
	}, func(BadLine) { skipped++ })
	if err != nil {
		return err
	}
	if skipped != f.badCount {
		return fmt.Errorf("%s: changed while importing (%d malformed lines, %d before)", f.path, skipped, f.badCount)
	}
	return nil
}
