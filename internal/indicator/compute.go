package indicator

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stockdatasource/stockd/internal/market"
)

// Names of the indicators, as the API's names= parameter spells them.
const (
	NameMA   = "ma"
	NameEMA  = "ema"
	NameMACD = "macd"
	NameKDJ  = "kdj"
	NameRSI  = "rsi"
	NameBOLL = "boll"
)

// AllNames lists every indicator in the order the API documents them.
var AllNames = []string{NameMA, NameEMA, NameMACD, NameKDJ, NameRSI, NameBOLL}

// Set selects the indicators to compute.
type Set struct {
	MA, EMA, MACD, KDJ, RSI, BOLL bool
}

// All selects every indicator.
func All() Set { return Set{true, true, true, true, true, true} }

// ParseSet reads a comma-separated list such as "macd,kdj" (case and spaces
// ignored); an empty list selects all. An unknown name is an error naming it.
func ParseSet(list string) (Set, error) {
	if strings.TrimSpace(list) == "" {
		return All(), nil
	}
	var s Set
	for _, f := range strings.Split(list, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case NameMA:
			s.MA = true
		case NameEMA:
			s.EMA = true
		case NameMACD:
			s.MACD = true
		case NameKDJ:
			s.KDJ = true
		case NameRSI:
			s.RSI = true
		case NameBOLL:
			s.BOLL = true
		case "":
			return Set{}, fmt.Errorf("empty indicator name in %q: want a comma-separated list of %s", list, strings.Join(AllNames, ", "))
		default:
			return Set{}, fmt.Errorf("unknown indicator %q: want %s", strings.TrimSpace(f), strings.Join(AllNames, ", "))
		}
	}
	return s, nil
}

// String is the canonical comma-separated form (fixed order), fit for a
// cache key.
func (s Set) String() string {
	var names []string
	for i, on := range []bool{s.MA, s.EMA, s.MACD, s.KDJ, s.RSI, s.BOLL} {
		if on {
			names = append(names, AllNames[i])
		}
	}
	return strings.Join(names, ",")
}

// Standard deviations of BOLL.
const (
	StdPopulation = "population" // divide by N: Bollinger's definition, 同花顺, TA-Lib
	StdSample     = "sample"     // divide by N−1: 通达信's STD in its BOLL formula
)

// Params are the indicator parameters; DefaultParams has the quote
// software's defaults.
type Params struct {
	MA   []int      `json:"ma"`   // periods of the simple moving averages
	EMA  []int      `json:"ema"`  // periods of the exponential ones (EXPMA)
	MACD [3]int     `json:"macd"` // short, long, signal
	KDJ  [3]int     `json:"kdj"`  // N, M1, M2
	RSI  []int      `json:"rsi"`  // periods
	BOLL BollParams `json:"boll"`
}

// BollParams are BOLL's period, band width in standard deviations and
// which standard deviation (StdPopulation or StdSample).
type BollParams struct {
	N   int     `json:"n"`
	K   float64 `json:"k"`
	Std string  `json:"std"`
}

// DefaultParams: MA 5/10/20/60, EXPMA 12/50, MACD 12/26/9, KDJ 9/3/3,
// RSI 6/12/24, BOLL 20/2 with the population standard deviation.
func DefaultParams() Params {
	return Params{
		MA:   []int{5, 10, 20, 60},
		EMA:  []int{12, 50},
		MACD: [3]int{12, 26, 9},
		KDJ:  [3]int{9, 3, 3},
		RSI:  []int{6, 12, 24},
		BOLL: BollParams{N: 20, K: 2, Std: StdPopulation},
	}
}

// Limits of Validate.
const (
	MaxPeriod  = 250 // a year of bars: MA250 is the longest line quote apps draw
	MaxPeriods = 6   // lines per list (MA, EMA, RSI)
)

// Validate checks the parameters and names the first bad one.
func (p Params) Validate() error {
	for _, l := range []struct {
		name string
		ns   []int
	}{{"ma", p.MA}, {"ema", p.EMA}, {"rsi", p.RSI}} {
		if len(l.ns) > MaxPeriods {
			return fmt.Errorf("%s: %d periods, at most %d", l.name, len(l.ns), MaxPeriods)
		}
		for _, n := range l.ns {
			if err := period(l.name, n, 1); err != nil {
				return err
			}
		}
	}
	if err := period("macd short", p.MACD[0], 1); err != nil {
		return err
	}
	if err := period("macd long", p.MACD[1], 1); err != nil {
		return err
	}
	if err := period("macd signal", p.MACD[2], 1); err != nil {
		return err
	}
	if p.MACD[0] >= p.MACD[1] {
		return fmt.Errorf("macd: short period %d must be below the long one %d", p.MACD[0], p.MACD[1])
	}
	for i, name := range []string{"kdj n", "kdj m1", "kdj m2"} {
		if err := period(name, p.KDJ[i], 1); err != nil {
			return err
		}
	}
	if err := period("boll n", p.BOLL.N, 2); err != nil {
		return err
	}
	if !(p.BOLL.K > 0 && p.BOLL.K <= 10) {
		return fmt.Errorf("boll k %v: want a width in (0, 10] standard deviations", p.BOLL.K)
	}
	if p.BOLL.Std != StdPopulation && p.BOLL.Std != StdSample {
		return fmt.Errorf("boll std %q: want %s or %s", p.BOLL.Std, StdPopulation, StdSample)
	}
	return nil
}

func period(name string, n, lowest int) error {
	if n < lowest || n > MaxPeriod {
		return fmt.Errorf("%s period %d: want %d..%d", name, n, lowest, MaxPeriod)
	}
	return nil
}

// ParsePeriods reads a comma-separated period list such as "5,10,20"
// (sorted and de-duplicated); Validate checks the values.
func ParsePeriods(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("period %q: want whole numbers separated by commas", strings.TrimSpace(f))
		}
		out = append(out, n)
	}
	sort.Ints(out)
	return compactInts(out), nil
}

func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Epsilon is the relative error WarmUp allows a recursive indicator to keep
// from its cut-off history: the seed error of a first-order recursion with
// retention r (1−α) shrinks by r each bar, so after K = ⌈ln ε / ln r⌉ bars it
// is below ε times its initial size. The initial size is bounded by the
// price range of the stock (EMA, MACD), by 100 (KDJ) and, for RSI, by
// 200×(largest daily move ÷ typical daily move); ε = 1e-12 keeps every
// value within 1e-6 of the full-history one for prices up to 10^6 and move
// ratios up to 5,000.
const Epsilon = 1e-12

// decay is the number of bars a recursion with retention r needs to shrink
// its seed error below Epsilon.
func decay(r float64) int {
	if r <= 0 {
		return 0
	}
	return int(math.Ceil(math.Log(Epsilon) / math.Log(r)))
}

func emaRetention(n int) float64 { return float64(n-1) / float64(n+1) }
func smaRetention(n, m int) float64 {
	return float64(n-m) / float64(n)
}

// WarmUp is how many bars before a window Compute needs so that every
// selected value in the window is within Epsilon (relative, see there) of
// the value computed on the whole history. Windowed averages need their
// period less one; chained recursions add their decays (MACD: the long
// EMA, then DEA; KDJ: the RSV window, then K, then D), which bounds the
// error of each link after the one before has settled.
func WarmUp(s Set, p Params) int {
	w := 0
	use := func(n int) { w = max(w, n) }
	if s.MA {
		for _, n := range p.MA {
			use(n - 1)
		}
	}
	if s.EMA {
		for _, n := range p.EMA {
			use(decay(emaRetention(n)))
		}
	}
	if s.MACD {
		use(decay(emaRetention(max(p.MACD[0], p.MACD[1]))) + decay(emaRetention(p.MACD[2])))
	}
	if s.KDJ {
		use(p.KDJ[0] - 1 + decay(smaRetention(p.KDJ[1], 1)) + decay(smaRetention(p.KDJ[2], 1)))
	}
	if s.RSI {
		for _, n := range p.RSI {
			use(1 + decay(smaRetention(n, 1)))
		}
	}
	if s.BOLL {
		use(p.BOLL.N - 1)
	}
	return w
}

// MACDLines are the three MACD series.
type MACDLines struct {
	DIF Series `json:"dif"`
	DEA Series `json:"dea"`
	Bar Series `json:"bar"` // 2×(DIF−DEA), the MACD柱
}

// KDJLines are the three KDJ series.
type KDJLines struct {
	K Series `json:"k"`
	D Series `json:"d"`
	J Series `json:"j"`
}

// BOLLLines are the Bollinger band.
type BOLLLines struct {
	Mid   Series `json:"mid"`
	Upper Series `json:"upper"`
	Lower Series `json:"lower"`
}

// Result holds the selected indicators of a window, every series aligned
// to Dates. The per-period maps are keyed by the period ("5", "12").
type Result struct {
	Dates []string          `json:"dates"`
	MA    map[string]Series `json:"ma,omitempty"`
	EMA   map[string]Series `json:"ema,omitempty"`
	MACD  *MACDLines        `json:"macd,omitempty"`
	KDJ   *KDJLines         `json:"kdj,omitempty"`
	RSI   map[string]Series `json:"rsi,omitempty"`
	BOLL  *BOLLLines        `json:"boll,omitempty"`
}

// ErrParams wraps every parameter error of Compute.
var ErrParams = errors.New("bad indicator parameters")

// Compute computes the selected indicators for candles[from:] (candles
// oldest first). It uses WarmUp(s, p) bars before from, or all there are:
// with fewer, the history starts at the stock's first bar and the answer is
// the full-history one exactly. from = 0 computes on the whole slice.
func Compute(candles []market.Candle, from int, s Set, p Params) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrParams, err)
	}
	from = min(max(from, 0), len(candles))
	c := candles[max(0, from-WarmUp(s, p)):]
	cut := from - (len(candles) - len(c)) // index of the window in c
	cl, hi, lo := make([]float64, len(c)), make([]float64, len(c)), make([]float64, len(c))
	for i, k := range c {
		cl[i], hi[i], lo[i] = k.Close, k.High, k.Low
	}
	res := Result{Dates: make([]string, 0, len(c)-cut)}
	for _, k := range c[cut:] {
		res.Dates = append(res.Dates, k.Date)
	}
	w := func(x Series) Series { return x[cut:] }
	perPeriod := func(ns []int, f func(int) Series) map[string]Series {
		m := make(map[string]Series, len(ns))
		for _, n := range ns {
			m[strconv.Itoa(n)] = w(f(n))
		}
		return m
	}
	if s.MA {
		res.MA = perPeriod(p.MA, func(n int) Series { return MA(cl, n) })
	}
	if s.EMA {
		res.EMA = perPeriod(p.EMA, func(n int) Series { return EMA(cl, n) })
	}
	if s.MACD {
		dif, dea, bar := MACD(cl, p.MACD[0], p.MACD[1], p.MACD[2])
		res.MACD = &MACDLines{w(dif), w(dea), w(bar)}
	}
	if s.KDJ {
		k, d, j := KDJ(hi, lo, cl, p.KDJ[0], p.KDJ[1], p.KDJ[2])
		res.KDJ = &KDJLines{w(k), w(d), w(j)}
	}
	if s.RSI {
		res.RSI = perPeriod(p.RSI, func(n int) Series { return RSI(cl, n) })
	}
	if s.BOLL {
		mid, up, lo := BOLL(cl, p.BOLL.N, p.BOLL.K, p.BOLL.Std == StdSample)
		res.BOLL = &BOLLLines{w(mid), w(up), w(lo)}
	}
	return res, nil
}

// Index is the position of the first candle dated on or after date
// (YYYY-MM-DD, the candles' own format), len(candles) when none: the from
// of Compute for a window starting at date.
func Index(candles []market.Candle, date string) int {
	return sort.Search(len(candles), func(i int) bool { return candles[i].Date >= date })
}
