package pinyin

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/stockdatasource/stockd/internal/market"
)

// Ranks of a match, best first. Within a rank hits are ordered by ts_code.
const (
	RankExactCode       = iota // q is the ts_code, the bare code or sh600519
	RankCodePrefix             // the ts_code starts with q
	RankName                   // the name contains q
	RankInitialsPrefix         // a pinyin initials spelling starts with q
	RankFullPrefix             // a full pinyin spelling starts with q
	RankInitialsContain        // an initials spelling contains q
	RankFullContain            // a full spelling contains q from a syllable start
	ranks
)

// Index answers searches over a list of securities. Its zero value is an
// empty index; Reset replaces the list. Search and Reset are safe for
// concurrent use: a search sees either the old or the new list whole.
type Index struct {
	t atomic.Pointer[table]
}

type table struct {
	entries []entry // ordered by ts_code
}

type entry struct {
	hit      market.SearchHit
	code     string // lowercased ts_code, 600519.sh
	bare     string // 600519
	exch     string // sh600519
	name     string // folded name
	initials []string
	full     []string
	starts   [][]int // syllable offsets of each full spelling
}

// New builds an index of rows (ts_code, name, industry, kind), e.g. every
// row of stock_basic, etf_basic and index_basic. Rows without a ts_code are
// skipped; of two rows with the same ts_code the first is kept.
func New(rows []market.SearchHit) *Index {
	ix := &Index{}
	ix.Reset(rows)
	return ix
}

// Reset rebuilds the index from rows (see New) and swaps it in.
func (ix *Index) Reset(rows []market.SearchHit) {
	es := make([]entry, 0, len(rows))
	for _, r := range rows {
		if r.TSCode == "" {
			continue
		}
		code := strings.ToLower(r.TSCode)
		bare, ex, _ := strings.Cut(code, ".")
		sp, starts := spell(r.Name)
		es = append(es, entry{
			hit: r, code: code, bare: bare, exch: ex + bare, name: fold(r.Name),
			initials: sp.Initials, full: sp.Full, starts: starts,
		})
	}
	slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(a.hit.TSCode, b.hit.TSCode) })
	es = slices.CompactFunc(es, func(a, b entry) bool { return a.hit.TSCode == b.hit.TSCode })
	ix.t.Store(&table{entries: es})
}

// Len is the number of securities indexed.
func (ix *Index) Len() int {
	if t := ix.t.Load(); t != nil {
		return len(t.entries)
	}
	return 0
}

// Search returns up to limit securities matching q (all of them when limit
// < 1), best rank first (see the Rank constants); within a pinyin rank a
// match by the primary spelling comes before one by an alternative reading
// only; ties by ts_code. q is
// folded like names (full-width to ASCII, case ignored) and trimmed.
// Pinyin ranks apply when q, without spaces and apostrophes (xi'an), is
// made of ASCII letters and digits with at least one letter: hs300 finds
// 沪深300 by its initials.
func (ix *Index) Search(q string, limit int) []market.SearchHit {
	t := ix.t.Load()
	q = strings.TrimSpace(fold(q))
	out := []market.SearchHit{}
	if t == nil || q == "" {
		return out
	}
	py := pinyinQuery(q)
	// Two buckets per rank: matches by the primary spelling before those
	// by an alternative reading only.
	var buckets [2 * ranks][]market.SearchHit
	for i := range t.entries {
		e := &t.entries[i]
		r, alt := e.rank(q, py)
		if r < 0 {
			continue
		}
		b := 2 * r
		if alt {
			b++
		}
		if limit > 0 && len(buckets[b]) >= limit {
			continue
		}
		buckets[b] = append(buckets[b], e.hit)
	}
	for _, b := range buckets {
		out = append(out, b...)
		if limit > 0 && len(out) >= limit {
			return out[:limit]
		}
	}
	return out
}

// pinyinQuery is q as a pinyin query, or "" when q is not one.
func pinyinQuery(q string) string {
	q = strings.NewReplacer(" ", "", "'", "").Replace(q)
	letter := false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	if !letter {
		return ""
	}
	return q
}

// rank is the best rank of the entry for q (py its pinyin form, or ""), -1
// when it does not match; alt is true when only an alternative reading
// (not the primary spelling) matches at that rank.
func (e *entry) rank(q, py string) (r int, alt bool) {
	switch {
	case q == e.code || q == e.bare || q == e.exch:
		return RankExactCode, false
	case strings.HasPrefix(e.code, q):
		return RankCodePrefix, false
	case strings.Contains(e.name, q):
		return RankName, false
	case py == "":
		return -1, false
	}
	r = -1
	better := func(rank int, v int) {
		if r < 0 || rank < r || (rank == r && alt && v == 0) {
			r, alt = rank, v > 0
		}
	}
	for v, s := range e.initials {
		if strings.HasPrefix(s, py) {
			better(RankInitialsPrefix, v)
		} else if strings.Contains(s, py) {
			better(RankInitialsContain, v)
		}
	}
	for v, s := range e.full {
		if strings.HasPrefix(s, py) {
			better(RankFullPrefix, v)
			continue
		}
		for _, o := range e.starts[v] {
			if o > 0 && strings.HasPrefix(s[o:], py) {
				better(RankFullContain, v)
				break
			}
		}
	}
	return r, alt
}
