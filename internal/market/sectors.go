package market

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Sector is one industry (stock_basic.industry) on one day.
type Sector struct {
	Industry     string  `json:"industry"`
	Stocks       int     `json:"stocks"`
	UpCount      int     `json:"up_count"`
	DownCount    int     `json:"down_count"`
	FlatCount    int     `json:"flat_count"`
	LimitUpCount int     `json:"limit_up_count"`
	UpRatio      float64 `json:"up_ratio"` // up_count / stocks, 0..1
	// PctChg is the plain mean of the stocks' pct_chg; WeightedPctChg the
	// mean weighted by circulating market value (nil when no stock of the
	// industry has one).
	PctChg         float64      `json:"pct_chg"`
	WeightedPctChg *float64     `json:"weighted_pct_chg"`
	Amount         float64      `json:"amount"` // thousand CNY
	Leader         SectorLeader `json:"leader"`
	Synthetic      bool         `json:"synthetic"`
}

// SectorLeader is an industry's best performer of the day.
type SectorLeader struct {
	TSCode string  `json:"ts_code"`
	Name   string  `json:"name"`
	PctChg float64 `json:"pct_chg"`
}

// Sort orders of the sector list.
const SortUpRatio = "up_ratio"

// ComputeSectors aggregates one day's stocks by industry, in industry order.
// Stocks without an industry are left out. Up, down and flat compare the
// close with the previous close in fen, as ComputeStats does; limit-ups
// follow the same rule (LimitBand). The leader has the highest pct_chg, ties
// to the smaller ts_code. Means are rounded to 4 decimals, up_ratio to 4.
func ComputeSectors(date time.Time, stocks []DayStock, openDays []time.Time) []Sector {
	type acc struct {
		s              Sector
		sum, wsum, wmv float64
		weighted       bool
	}
	by := map[string]*acc{}
	for _, st := range stocks {
		if st.Industry == "" {
			continue
		}
		a := by[st.Industry]
		if a == nil {
			a = &acc{s: Sector{Industry: st.Industry}}
			by[st.Industry] = a
		}
		s := &a.s
		s.Stocks++
		count(st.StatBar, &s.UpCount, &s.DownCount, &s.FlatCount)
		if st.Band(date, openDays).LimitUp(ToFen(st.Close)) {
			s.LimitUpCount++
		}
		a.sum += st.PctChg
		if st.CircMV != nil && *st.CircMV > 0 {
			a.wsum += *st.CircMV * st.PctChg
			a.wmv += *st.CircMV
			a.weighted = true
		}
		s.Amount += st.Amount
		s.Synthetic = s.Synthetic || st.Synthetic
		if s.Stocks == 1 || st.PctChg > s.Leader.PctChg || (st.PctChg == s.Leader.PctChg && st.TSCode < s.Leader.TSCode) {
			s.Leader = SectorLeader{TSCode: st.TSCode, Name: st.Name, PctChg: st.PctChg}
		}
	}
	out := make([]Sector, 0, len(by))
	for _, a := range by {
		s := a.s
		s.PctChg = round4(a.sum / float64(s.Stocks))
		s.UpRatio = round4(float64(s.UpCount) / float64(s.Stocks))
		if a.weighted {
			w := round4(a.wsum / a.wmv)
			s.WeightedPctChg = &w
		}
		s.Amount = round3(s.Amount)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Sector) int { return cmp.Compare(a.Industry, b.Industry) })
	return out
}

// SortSectors orders sectors by pct_chg (the mean), amount or up_ratio,
// descending, ties by industry; an unknown key is an error.
func SortSectors(secs []Sector, sortBy string) error {
	var key func(Sector) float64
	switch sortBy {
	case SortPctChg:
		key = func(s Sector) float64 { return s.PctChg }
	case SortAmount:
		key = func(s Sector) float64 { return s.Amount }
	case SortUpRatio:
		key = func(s Sector) float64 { return s.UpRatio }
	default:
		return fmt.Errorf("unknown sector sort %q: want pct_chg, amount or up_ratio", sortBy)
	}
	slices.SortStableFunc(secs, func(a, b Sector) int {
		if c := cmp.Compare(key(b), key(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Industry, b.Industry)
	})
	return nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
func round3(v float64) float64 { return math.Round(v*1e3) / 1e3 }
