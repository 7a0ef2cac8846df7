package indicator

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

const tol = 1e-6

// walk is a reproducible random-walk K-line: n bars from price p0 with daily
// moves of up to ±move (a fraction), intraday ranges around open and close,
// and a few flat stretches (a suspended-looking stock whose high equals its
// low for longer than the KDJ window) to exercise the empty-range rules.
func walk(seed uint64, n int, p0, move float64) []market.Candle {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]market.Candle, n)
	day := time.Date(2019, 1, 2, 0, 0, 0, 0, time.UTC)
	prev := p0
	for i := range out {
		open := prev * (1 + (r.Float64()*2-1)*move/2)
		cl := prev * (1 + (r.Float64()*2-1)*move)
		hi := math.Max(open, cl) * (1 + r.Float64()*move/2)
		lo := math.Min(open, cl) * (1 - r.Float64()*move/2)
		if i%400 >= 380 { // 20 flat bars now and then
			open, cl, hi, lo = prev, prev, prev, prev
		}
		out[i] = market.Candle{Date: day.Format("2006-01-02"), Open: open, High: hi, Low: lo, Close: cl, Vol: 1000 + r.Float64()*1000}
		prev = cl
		day = day.AddDate(0, 0, 1)
	}
	return out
}

// The reference below is written from the definitions, in a different shape
// from the package: exponential averages as their closed-form weighted sums
// (weight (1−α)^i on the seed, α(1−α)^(i−j) on the j-th value), windows summed
// per bar, KDJ as the literal recursion from 50.

func refMA(x []float64, n, i int) float64 {
	if i < n-1 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x[i-n+1 : i+1] {
		s += v
	}
	return s / float64(n)
}

// refSmooth is Y_i = (1−α)^(i−s)·X_s + Σ_{j=s+1..i} α(1−α)^(i−j)·X_j, s the
// first index (seed).
func refSmooth(x []float64, alpha float64, s, i int) float64 {
	y := math.Pow(1-alpha, float64(i-s)) * x[s]
	for j := s + 1; j <= i; j++ {
		y += alpha * math.Pow(1-alpha, float64(i-j)) * x[j]
	}
	return y
}

func refEMA(x []float64, n, i int) float64 { return refSmooth(x, 2/float64(n+1), 0, i) }

func refMACD(x []float64, short, long, signal, i int) (dif, dea, bar float64) {
	difs := make([]float64, i+1)
	for t := range difs {
		difs[t] = refEMA(x, short, t) - refEMA(x, long, t)
	}
	dif = difs[i]
	dea = refSmooth(difs, 2/float64(signal+1), 0, i)
	return dif, dea, 2 * (dif - dea)
}

func refKDJ(c []market.Candle, n, m1, m2, i int) (k, d, j float64) {
	if i < n-1 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	rsv := func(t int) float64 {
		hh, ll := math.Inf(-1), math.Inf(1)
		for _, b := range c[t-n+1 : t+1] {
			hh, ll = math.Max(hh, b.High), math.Min(ll, b.Low)
		}
		if hh == ll {
			return 50
		}
		return (c[t].Close - ll) / (hh - ll) * 100
	}
	var kf, df func(t int) float64
	kf = func(t int) float64 {
		if t < n-1 {
			return 50
		}
		return (float64(m1-1)*kf(t-1) + rsv(t)) / float64(m1)
	}
	df = func(t int) float64 {
		if t < n-1 {
			return 50
		}
		return (float64(m2-1)*df(t-1) + kf(t)) / float64(m2)
	}
	k, d = kf(i), df(i)
	return k, d, 3*k - 2*d
}

func refRSI(x []float64, n, i int) float64 {
	if i < 1 {
		return math.NaN()
	}
	up, abs := make([]float64, i+1), make([]float64, i+1)
	for t := 1; t <= i; t++ {
		up[t] = math.Max(x[t]-x[t-1], 0)
		abs[t] = math.Abs(x[t] - x[t-1])
	}
	a := refSmooth(abs, 1/float64(n), 1, i)
	if a == 0 {
		return math.NaN()
	}
	return refSmooth(up, 1/float64(n), 1, i) / a * 100
}

// refBOLL takes the variance as the mean squared difference over all pairs,
// Σ_{a<b}(x_a−x_b)²/n² (population), which needs no mean and so shares no
// step with the package's two-pass sum.
func refBOLL(x []float64, n int, k float64, sample bool, i int) (mid, up, lo float64) {
	if i < n-1 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	w := x[i-n+1 : i+1]
	s, pairs := 0.0, 0.0
	for a := range w {
		s += w[a]
		for b := a + 1; b < len(w); b++ {
			pairs += (w[a] - w[b]) * (w[a] - w[b])
		}
	}
	mid = s / float64(n)
	v := pairs / float64(n*n)
	if sample {
		v *= float64(n) / float64(n-1)
	}
	sd := math.Sqrt(v)
	return mid, mid + k*sd, mid - k*sd
}

// near is true when both are undefined or both are defined and within tol.
func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func closes(c []market.Candle) []float64 {
	x := make([]float64, len(c))
	for i, b := range c {
		x[i] = b.Close
	}
	return x
}

func check(t *testing.T, what string, i int, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s[%d] = %v, want %v", what, i, got, want)
	}
}

func TestAgainstReference(t *testing.T) {
	c := walk(1, 160, 23.5, 0.05)
	for i := 40; i < 60; i++ { // a flat stretch inside the KDJ and BOLL windows
		c[i].Open, c[i].High, c[i].Low, c[i].Close = c[39].Close, c[39].Close, c[39].Close, c[39].Close
	}
	x := closes(c)
	p := Params{
		MA: []int{1, 5, 20}, EMA: []int{1, 12, 50}, MACD: [3]int{12, 26, 9}, KDJ: [3]int{9, 3, 3},
		RSI: []int{1, 6, 24}, BOLL: BollParams{N: 20, K: 2, Std: StdPopulation},
	}
	res, err := Compute(c, 0, All(), p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c {
		if res.Dates[i] != c[i].Date {
			t.Fatalf("dates[%d] = %s, want %s", i, res.Dates[i], c[i].Date)
		}
		for _, n := range p.MA {
			check(t, "ma"+strconv.Itoa(n), i, res.MA[strconv.Itoa(n)][i], refMA(x, n, i))
		}
		for _, n := range p.EMA {
			check(t, "ema"+strconv.Itoa(n), i, res.EMA[strconv.Itoa(n)][i], refEMA(x, n, i))
		}
		dif, dea, bar := refMACD(x, 12, 26, 9, i)
		check(t, "dif", i, res.MACD.DIF[i], dif)
		check(t, "dea", i, res.MACD.DEA[i], dea)
		check(t, "macd bar", i, res.MACD.Bar[i], bar)
		k, d, j := refKDJ(c, 9, 3, 3, i)
		check(t, "k", i, res.KDJ.K[i], k)
		check(t, "d", i, res.KDJ.D[i], d)
		check(t, "j", i, res.KDJ.J[i], j)
		for _, n := range p.RSI {
			check(t, "rsi"+strconv.Itoa(n), i, res.RSI[strconv.Itoa(n)][i], refRSI(x, n, i))
		}
		mid, up, lo := refBOLL(x, 20, 2, false, i)
		check(t, "boll mid", i, res.BOLL.Mid[i], mid)
		check(t, "boll upper", i, res.BOLL.Upper[i], up)
		check(t, "boll lower", i, res.BOLL.Lower[i], lo)
	}
	// The sample deviation is the population one × √(n/(n−1)).
	_, upS, loS := BOLL(x, 20, 2, true)
	for i := range x {
		_, up, lo := refBOLL(x, 20, 2, true, i)
		check(t, "boll sample upper", i, upS[i], up)
		check(t, "boll sample lower", i, loS[i], lo)
		if i >= 19 && !(upS[i] >= res.BOLL.Upper[i]) {
			t.Errorf("sample upper band %v below the population one %v at %d", upS[i], res.BOLL.Upper[i], i)
		}
	}
	// The flat stretch: once the 9-bar range is empty, RSV is 50 and K, D
	// move toward 50; the 20-bar window of a constant has no width.
	if r := res.KDJ.K[48]; !(r > 0 && r < 100) {
		t.Errorf("K over a flat range = %v", r)
	}
	if w := res.BOLL.Upper[59] - res.BOLL.Lower[59]; !(w >= 0 && w < 1e-9) {
		t.Errorf("BOLL width over 20 equal closes = %v, want 0", w)
	}
}

// TestHandDerived checks values worked out on paper for a three-bar series.
func TestHandDerived(t *testing.T) {
	c := []market.Candle{
		{Date: "2025-01-02", High: 10, Low: 8, Close: 10},
		{Date: "2025-01-03", High: 12, Low: 9, Close: 11},
		{Date: "2025-01-06", High: 11, Low: 9, Close: 10.5},
	}
	x := closes(c)
	want := func(what string, got Series, w ...float64) {
		t.Helper()
		for i := range w {
			if !near(got[i], w[i]) {
				t.Errorf("%s = %v, want %v", what, []float64(got), w)
				return
			}
		}
	}
	nan := math.NaN()
	// MA3 = (10+11+10.5)/3 = 10.5.
	want("MA3", MA(x, 3), nan, nan, 10.5)
	// EMA12: 10; 10 + (2/13)·1 = 10.153846…; + (2/13)(10.5 − 10.153846) = 10.207101….
	want("EMA12", EMA(x, 12), 10, 10+2.0/13, 10+2.0/13+2.0/13*(0.5-2.0/13))
	// DIF at bar 1 = 2/13 − 2/27 = 28/351; DEA = 0.2·28/351; bar = 2·0.8·28/351.
	dif, dea, bar := MACD(x, 12, 26, 9)
	want("DIF", dif, 0, 28.0/351)
	want("DEA", dea, 0, 5.6/351)
	want("MACD bar", bar, 0, 44.8/351)
	// RSI6: bar 1 rose 1 → 100; bar 2 fell 0.5: up = 5/6, abs = 5/6 + 0.5/6 =
	// 11/12, RSI = (5/6)/(11/12)·100 = 1000/11.
	want("RSI6", RSI(x, 6), nan, 100, 1000.0/11)
	// KDJ(3,3,3) at bar 2: HHV 12, LLV 8, RSV = (10.5−8)/4·100 = 62.5;
	// K = (2·50 + 62.5)/3 = 54.1667; D = (2·50 + K)/3 = 51.3889; J = 3K − 2D.
	k, d, j := KDJ([]float64{10, 12, 11}, []float64{8, 9, 9}, x, 3, 3, 3)
	K := (100 + 62.5) / 3
	D := (100 + K) / 3
	want("K", k, nan, nan, K)
	want("D", d, nan, nan, D)
	want("J", j, nan, nan, 3*K-2*D)
	// BOLL(3,2) of 10, 11, 10.5: mean 10.5, population variance (0.25+0.25+0)/3 = 1/6.
	mid, up, lo := BOLL(x, 3, 2, false)
	want("BOLL mid", mid, nan, nan, 10.5)
	want("BOLL upper", up, nan, nan, 10.5+2*math.Sqrt(1.0/6))
	want("BOLL lower", lo, nan, nan, 10.5-2*math.Sqrt(1.0/6))
	// Sample variance 0.5/2 = 1/4: σ = 0.5.
	_, upS, _ := BOLL(x, 3, 2, true)
	want("BOLL sample upper", upS, nan, nan, 11.5)
}

// TestWindowEqualsFullHistory: for windows starting at many offsets of a
// long random walk, Compute with its warm-up gives every value within 1e-6
// of the computation on the whole series, at a low and a high price level.
func TestWindowEqualsFullHistory(t *testing.T) {
	p := DefaultParams()
	warm := WarmUp(All(), p)
	for _, tc := range []struct {
		seed uint64
		p0   float64
	}{{11, 8.3}, {12, 1800}, {13, 12000}} {
		c := walk(tc.seed, 1500, tc.p0, 0.06)
		full, err := Compute(c, 0, All(), p)
		if err != nil {
			t.Fatal(err)
		}
		offsets := 0
		for from := 0; from < len(c); from += 37 {
			end := min(len(c), from+250)
			got, err := Compute(c[:end], from, All(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Dates) != end-from || got.Dates[0] != c[from].Date {
				t.Fatalf("window at %d: %d dates from %s, want %d from %s", from, len(got.Dates), got.Dates[0], end-from, c[from].Date)
			}
			if d, where := maxDiff(got, full, from); d > tol {
				t.Errorf("price %v, window at %d (warm-up %d): %s differs by %g from the full history", tc.p0, from, warm, where, d)
			}
			if from >= warm {
				offsets++
			}
		}
		if offsets < 20 {
			t.Fatalf("only %d windows had a whole warm-up before them", offsets)
		}
	}
}

// TestShortWarmUpDiffers shows the check above can fail: with a quarter of
// the warm-up the recursive series miss the full-history values by more
// than the tolerance, while the windowed averages still agree.
func TestShortWarmUpDiffers(t *testing.T) {
	p := DefaultParams()
	c := walk(11, 1500, 8.3, 0.06)
	full, _ := Compute(c, 0, All(), p)
	from := 1000
	short := WarmUp(All(), p) / 4
	got, _ := Compute(c[from-short:], short, All(), p)
	d, where := maxDiff(got, full, from)
	if d <= tol {
		t.Errorf("a warm-up of %d bars is already within %g (worst %s %g): the window test proves nothing", short, tol, where, d)
	}
	ma, _ := Compute(c[from-short:], short, Set{MA: true, BOLL: true}, p)
	if d, where := maxDiff(ma, full, from); d > tol {
		t.Errorf("moving averages with %d bars of history: %s differs by %g", short, where, d)
	}
}

// maxDiff compares a window's series with the full-history ones from
// offset from; a null on one side only counts as an infinite difference.
func maxDiff(w, full Result, from int) (float64, string) {
	worst, where := 0.0, ""
	cmp := func(name string, a, b Series) {
		if a == nil {
			return
		}
		for i := range a {
			d := math.Abs(a[i] - b[from+i])
			if math.IsNaN(a[i]) != math.IsNaN(b[from+i]) {
				d = math.Inf(1)
			} else if math.IsNaN(d) {
				d = 0
			}
			if d > worst {
				worst, where = d, name+"["+w.Dates[i]+"]"
			}
		}
	}
	for k, s := range w.MA {
		cmp("ma"+k, s, full.MA[k])
	}
	for k, s := range w.EMA {
		cmp("ema"+k, s, full.EMA[k])
	}
	for k, s := range w.RSI {
		cmp("rsi"+k, s, full.RSI[k])
	}
	if w.MACD != nil {
		cmp("dif", w.MACD.DIF, full.MACD.DIF)
		cmp("dea", w.MACD.DEA, full.MACD.DEA)
		cmp("bar", w.MACD.Bar, full.MACD.Bar)
	}
	if w.KDJ != nil {
		cmp("k", w.KDJ.K, full.KDJ.K)
		cmp("d", w.KDJ.D, full.KDJ.D)
		cmp("j", w.KDJ.J, full.KDJ.J)
	}
	if w.BOLL != nil {
		cmp("boll mid", w.BOLL.Mid, full.BOLL.Mid)
		cmp("boll upper", w.BOLL.Upper, full.BOLL.Upper)
		cmp("boll lower", w.BOLL.Lower, full.BOLL.Lower)
	}
	return worst, where
}

func TestUndefinedBars(t *testing.T) {
	c := walk(3, 30, 10, 0.03)
	res, err := Compute(c, 0, All(), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	firstValid := func(s Series) int {
		for i := range s {
			if s.Valid(i) {
				return i
			}
		}
		return len(s)
	}
	for _, tc := range []struct {
		what string
		s    Series
		want int
	}{
		{"ma5", res.MA["5"], 4}, {"ma20", res.MA["20"], 19}, {"ma60", res.MA["60"], 30},
		{"ema12", res.EMA["12"], 0}, {"dif", res.MACD.DIF, 0}, {"bar", res.MACD.Bar, 0},
		{"k", res.KDJ.K, 8}, {"j", res.KDJ.J, 8}, {"rsi6", res.RSI["6"], 1},
		{"boll upper", res.BOLL.Upper, 19},
	} {
		if got := firstValid(tc.s); got != tc.want {
			t.Errorf("%s: first value at bar %d, want %d", tc.what, got, tc.want)
		}
	}
	b, err := json.Marshal(res.MA["5"][:6])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "[null,null,null,null,") || strings.Contains(string(b), "NaN") {
		t.Errorf("JSON of MA5 = %s, want four nulls then numbers", b)
	}
	var back []*float64
	if err := json.Unmarshal(b, &back); err != nil || back[0] != nil || back[5] == nil || math.Abs(*back[5]-res.MA["5"][5]) > 1e-12 {
		t.Errorf("JSON of MA5 %s does not read back: %v", b, err)
	}
	// A price that never moves has no RSI (0/0) and a KDJ at 50.
	flat := make([]market.Candle, 12)
	for i := range flat {
		flat[i] = market.Candle{Date: "d", High: 5, Low: 5, Close: 5}
	}
	res, _ = Compute(flat, 0, Set{RSI: true, KDJ: true}, DefaultParams())
	if res.RSI["6"].Valid(11) || res.KDJ.K[11] != 50 || res.KDJ.J[11] != 50 {
		t.Errorf("flat series: rsi6 %v, K %v, J %v; want null, 50, 50", res.RSI["6"][11], res.KDJ.K[11], res.KDJ.J[11])
	}
}

func TestWindowEdges(t *testing.T) {
	c := walk(5, 50, 10, 0.03)
	for _, tc := range []struct {
		from, want int
	}{{-3, 50}, {0, 50}, {49, 1}, {50, 0}, {99, 0}} {
		res, err := Compute(c, tc.from, All(), DefaultParams())
		if err != nil || len(res.Dates) != tc.want || len(res.MACD.DIF) != tc.want || len(res.MA["5"]) != tc.want {
			t.Errorf("Compute from %d: %d dates, %v; want %d", tc.from, len(res.Dates), err, tc.want)
		}
	}
	if i := Index(c, c[7].Date); i != 7 {
		t.Errorf("Index(%s) = %d, want 7", c[7].Date, i)
	}
	if i := Index(c, "1999-01-01"); i != 0 {
		t.Errorf("Index before the first bar = %d", i)
	}
	if i := Index(c, "2999-01-01"); i != len(c) {
		t.Errorf("Index after the last bar = %d", i)
	}
	res, err := Compute(nil, 0, All(), DefaultParams())
	if err != nil || len(res.Dates) != 0 {
		t.Errorf("Compute(nil) = %+v, %v", res, err)
	}
}

func TestParseSet(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      string
	}{
		{"", "ma,ema,macd,kdj,rsi,boll", ""},
		{"MACD, kdj", "macd,kdj", ""},
		{"boll,ma,boll", "ma,boll", ""},
		{"macd,cci", "", `unknown indicator "cci"`},
		{"macd,,kdj", "", "empty indicator name"},
	} {
		s, err := ParseSet(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSet(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || s.String() != tc.want {
			t.Errorf("ParseSet(%q) = %q, %v; want %q", tc.in, s, err, tc.want)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		change func(*Params)
		want   string
	}{
		{func(p *Params) { p.MA = []int{5, 0} }, "ma period 0"},
		{func(p *Params) { p.EMA = []int{251} }, "ema period 251"},
		{func(p *Params) { p.RSI = []int{1, 2, 3, 4, 5, 6, 7} }, "rsi: 7 periods"},
		{func(p *Params) { p.MACD = [3]int{26, 12, 9} }, "macd: short period 26"},
		{func(p *Params) { p.KDJ[2] = -1 }, "kdj m2 period -1"},
		{func(p *Params) { p.BOLL.N = 1 }, "boll n period 1"},
		{func(p *Params) { p.BOLL.K = math.NaN() }, "boll k NaN"},
		{func(p *Params) { p.BOLL.Std = "" }, `boll std ""`},
	} {
		p := DefaultParams()
		tc.change(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
		if _, err := Compute(walk(1, 5, 10, 0.01), 0, All(), p); !errors.Is(err, ErrParams) {
			t.Errorf("Compute with bad params: %v, want ErrParams", err)
		}
	}
	got, err := ParsePeriods(" 20,5,10,5")
	if err != nil || len(got) != 3 || got[0] != 5 || got[2] != 20 {
		t.Errorf("ParsePeriods = %v, %v", got, err)
	}
	if _, err := ParsePeriods("5,x"); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("ParsePeriods(5,x) error = %v", err)
	}
}

// TestWarmUp pins the arithmetic of the documented error model.
func TestWarmUp(t *testing.T) {
	p := DefaultParams()
	k := func(r float64) int { return int(math.Ceil(math.Log(1e-12) / math.Log(r))) }
	for _, tc := range []struct {
		s    Set
		want int
	}{
		{Set{MA: true}, 59},
		{Set{BOLL: true}, 19},
		{Set{EMA: true}, k(49.0 / 51)},
		{Set{MACD: true}, k(25.0/27) + k(8.0/10)},
		{Set{KDJ: true}, 8 + 2*k(2.0/3)},
		{Set{RSI: true}, 1 + k(23.0/24)},
		{Set{MA: true, RSI: true}, 1 + k(23.0/24)},
		{All(), k(49.0 / 51)},
		{Set{}, 0},
	} {
		if got := WarmUp(tc.s, p); got != tc.want {
			t.Errorf("WarmUp(%s) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// BenchmarkYear is one year of every indicator with the defaults: 250
// bars plus the warm-up before them.
func BenchmarkYear(b *testing.B) {
	p := DefaultParams()
	warm := WarmUp(All(), p)
	c := walk(9, warm+250, 30, 0.04)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(c, warm, All(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYearJSON adds encoding the answer, as the endpoint will.
func BenchmarkYearJSON(b *testing.B) {
	p := DefaultParams()
	warm := WarmUp(All(), p)
	c := walk(9, warm+250, 30, 0.04)
	b.ReportAllocs()
	for b.Loop() {
		res, _ := Compute(c, warm, All(), p)
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}
