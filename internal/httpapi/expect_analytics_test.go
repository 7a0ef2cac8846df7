package httpapi

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"
)

// Expectations of the analytics endpoints on the snapshot, from the CSV
// rows with loops and maps, without the market package: the limit rule is
// expect_test.go's, the aggregates and the filters are written out here.

// snapRow is one stock of a snapshot day as the files give it.
type snapRow struct {
	code, name, industry, board string
	st                          bool
	close, pre, high, pct       float64
	amount                      float64
	closeFen, preFen            int64
	up, down, touched, limited  bool // limit moves by expect_test.go's rule
	pe, peTTM, pb, ps, dv       *float64
	totalMV, circMV, turnover   *float64
}

func (s *snapshot) rowsOn(t testing.TB, date time.Time) []snapRow {
	if rows, ok := s.rows[date]; ok {
		return rows
	}
	basics := map[string]int{}
	for i, b := range s.basic {
		if b.TradeDate.Equal(date) {
			basics[b.TSCode] = i
		}
	}
	var out []snapRow
	for _, r := range s.rawDaily {
		if !optDate(t, r["trade_date"]).Equal(date) {
			continue
		}
		code := r["ts_code"]
		sb := s.rawStock[code]
		row := snapRow{code: code, name: sb["name"], industry: sb["industry"], board: boardOf(code), st: isSTName(sb["name"]),
			close: num(t, r["close"]), pre: num(t, r["pre_close"]), high: num(t, r["high"]), pct: num(t, r["pct_chg"]),
			amount: num(t, r["amount"])}
		// Fen from the exact decimals of the file.
		row.closeFen, row.preFen = fenOf(t, r["close"]), fenOf(t, r["pre_close"])
		row.up, row.down, row.touched, row.limited = s.limitMove(t, r, date)
		if i, ok := basics[code]; ok {
			b := s.basic[i]
			row.pe, row.peTTM, row.pb, row.ps, row.dv = b.PE, b.PETTM, b.PB, b.PS, b.DvRatio
			row.totalMV, row.circMV, row.turnover = b.TotalMV, b.CircMV, b.TurnoverRate
		}
		out = append(out, row)
	}
	if s.rows == nil {
		s.rows = map[time.Time][]snapRow{}
	}
	s.rows[date] = out
	return out
}

func fenOf(t testing.TB, s string) int64 {
	f, _ := rat(t, s).Mul(rat(t, s), rat(t, "100")).Float64()
	return int64(math.Round(f))
}

type sectorExpect struct {
	industry                 string
	n, up, down, flat, limUp int
	mean, weighted, amount   float64
	upRatio                  float64
	leader, leaderName       string
	leaderPct                float64
	wsum, wmv                float64
	leaderSet                bool
	sumPct                   float64
}

// expectSectors aggregates the day by industry; stocks without one are
// left out.
func (s *snapshot) expectSectors(t testing.TB, date time.Time) map[string]*sectorExpect {
	out := map[string]*sectorExpect{}
	for _, r := range s.rowsOn(t, date) {
		if r.industry == "" {
			continue
		}
		e := out[r.industry]
		if e == nil {
			e = &sectorExpect{industry: r.industry}
			out[r.industry] = e
		}
		e.n++
		switch {
		case r.closeFen > r.preFen:
			e.up++
		case r.closeFen < r.preFen:
			e.down++
		default:
			e.flat++
		}
		if r.up {
			e.limUp++
		}
		e.sumPct += r.pct
		e.amount += r.amount
		if r.circMV != nil && *r.circMV > 0 {
			e.wsum += *r.circMV * r.pct
			e.wmv += *r.circMV
		}
		if !e.leaderSet || r.pct > e.leaderPct || (r.pct == e.leaderPct && r.code < e.leader) {
			e.leader, e.leaderName, e.leaderPct, e.leaderSet = r.code, r.name, r.pct, true
		}
	}
	for _, e := range out {
		e.mean = e.sumPct / float64(e.n)
		e.upRatio = float64(e.up) / float64(e.n)
		e.weighted = math.NaN()
		if e.wmv > 0 {
			e.weighted = e.wsum / e.wmv
		}
	}
	return out
}

// sortedSectors orders the expectations by a key, descending, ties by
// industry.
func sortedSectors(m map[string]*sectorExpect, by string) []*sectorExpect {
	var out []*sectorExpect
	for _, e := range m {
		out = append(out, e)
	}
	key := func(e *sectorExpect) float64 {
		switch by {
		case "amount":
			return e.amount
		case "up_ratio":
			return e.upRatio
		}
		return e.mean
	}
	slices.SortFunc(out, func(a, b *sectorExpect) int {
		// The answer sorts its rounded values; so do we.
		ka, kb := round4(key(a)), round4(key(b))
		if by == "amount" {
			ka, kb = math.Round(key(a)*1e3)/1e3, math.Round(key(b)*1e3)/1e3
		}
		if c := cmp.Compare(kb, ka); c != 0 {
			return c
		}
		return cmp.Compare(a.industry, b.industry)
	})
	return out
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// screenExpect is a screener question written as a brute-force filter.
type screenExpect struct {
	query    string // the URL query
	ranges   map[string][2]*float64
	inds     []string
	boards   []string
	withST   bool
	sortBy   string
	asc      bool
	limit    int
	offset   int
	nonEmpty bool // the brute force must find something, or the case proves nothing
}

func (r snapRow) field(name string) *float64 {
	switch name {
	case "pe":
		return r.pe
	case "pe_ttm":
		return r.peTTM
	case "pb":
		return r.pb
	case "ps":
		return r.ps
	case "dv_ratio":
		return r.dv
	case "total_mv":
		return r.totalMV
	case "circ_mv":
		return r.circMV
	case "turnover_rate":
		return r.turnover
	case "pct_chg":
		return &r.pct
	case "amount":
		return &r.amount
	case "close":
		return &r.close
	}
	panic("unknown field " + name)
}

// expectScreen filters every stock of the day, sorts (NULLs last in either
// order, ties by ts_code) and pages.
func (s *snapshot) expectScreen(t testing.TB, date time.Time, q screenExpect) (total int, page []snapRow) {
	var match []snapRow
	for _, r := range s.rowsOn(t, date) {
		if r.board == "" || (r.st && !q.withST) ||
			(len(q.inds) > 0 && !slices.Contains(q.inds, r.industry)) ||
			(len(q.boards) > 0 && !slices.Contains(q.boards, r.board)) {
			continue
		}
		pass := true
		for f, b := range q.ranges {
			v := r.field(f)
			if v == nil || (b[0] != nil && *v < *b[0]) || (b[1] != nil && *v > *b[1]) {
				pass = false
			}
		}
		if pass {
			match = append(match, r)
		}
	}
	slices.SortFunc(match, func(a, b snapRow) int {
		return rankNullsLast(q.asc, a.field(q.sortBy), b.field(q.sortBy), a.code, b.code)
	})
	lo := min(q.offset, len(match))
	return len(match), match[lo:min(len(match), q.offset+q.limit)]
}
