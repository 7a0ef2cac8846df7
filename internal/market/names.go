package market

import (
	"slices"
	"time"
)

// NameHistory is the namechange rows of many stocks, by ts_code, each
// stock's rows newest first.
type NameHistory map[string][]NameChange

// NewNameHistory indexes namechange rows (any order, any stocks).
func NewNameHistory(rows []NameChange) NameHistory {
	h := make(NameHistory)
	for _, r := range rows {
		h[r.TSCode] = append(h[r.TSCode], r)
	}
	for _, rs := range h {
		slices.SortFunc(rs, func(a, b NameChange) int { return -compareNameRows(a, b) })
	}
	return h
}

// compareNameRows orders rows by start date, then announcement date, then
// name: the later of two rows is the one in effect when both apply.
func compareNameRows(a, b NameChange) int {
	if c := a.StartDate.Compare(b.StartDate); c != 0 {
		return c
	}
	if c := a.AnnDate.Compare(b.AnnDate); c != 0 {
		return c
	}
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}

// On is the name of code in effect on date: the row with the newest start
// date on or before date (ties: newest announcement, then the greatest
// name). end_date is not consulted: the next row's start is what ends a
// name, and a row whose end_date was never updated stays in effect. ok is
// false when no row of code starts on or before date.
func (h NameHistory) On(code string, date time.Time) (name string, ok bool) {
	for _, r := range h[code] { // newest first
		if !r.StartDate.After(date) {
			return r.Name, true
		}
	}
	return "", false
}
