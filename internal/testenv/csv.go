package testenv

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// ReadCSV reads a snapshot CSV (e.g. "daily.csv") into rows keyed by header
// name, so tests compute their expectations from the raw data themselves.
func ReadCSV(t testing.TB, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(Snapshot(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}
