package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// DemoOptions size the synthetic market.
type DemoOptions struct {
	Stocks int    // number of stocks, 1..MaxDemoStocks
	ETFs   int    // number of exchange-traded funds, 0..MaxDemoETFs
	Days   int    // number of trading days, 1..MaxDemoDays
	Seed   uint64 // the same options give the same market
	// End is the last calendar day of the market; zero means today in
	// China. The market ends on the last open day on or before it.
	End time.Time
	// ChunkRows is about how many bars are written per Put; 0 means
	// DefaultChunkRows.
	ChunkRows int
	Logger    *slog.Logger
}

// Limits of DemoOptions: enough for a full-size market of 20 years, small
// enough that the code space of every board never runs out.
const (
	MaxDemoStocks = 20_000
	MaxDemoETFs   = 2_000
	MaxDemoDays   = 5_000
)

// Validate reports the first option out of range.
func (o DemoOptions) Validate() error {
	switch {
	case o.Stocks < 1 || o.Stocks > MaxDemoStocks:
		return fmt.Errorf("stocks must be 1..%d, got %d", MaxDemoStocks, o.Stocks)
	case o.ETFs < 0 || o.ETFs > MaxDemoETFs:
		return fmt.Errorf("etfs must be 0..%d, got %d", MaxDemoETFs, o.ETFs)
	case o.Days < 1 || o.Days > MaxDemoDays:
		return fmt.Errorf("days must be 1..%d, got %d", MaxDemoDays, o.Days)
	}
	return nil
}

// Demo writes a synthetic market to w: stock_basic, etf_basic and
// index_basic rows marked Synthetic, a trading calendar, the stocks' name
// history (namechange: ST episodes), and for every trading day bars,
// valuations, adjustment factors and the six main indices computed from
// the stocks. Nothing in it is real: names start with 演示 ("demo") so no
// row can pass for a listed company or index. The last days carry planted
// limit-up streaks and broken boards (DemoMarket.Plants). It writes a chunk
// of days at a time, so memory does not grow with the number of days.
//
// The demo uses real code ranges and writes its own SSE calendar (weekdays
// minus fixed holidays), so over the same codes and days it replaces real
// rows: load it into an empty store or one that holds only demo data.
func Demo(ctx context.Context, w market.Writer, opt DemoOptions) (Report, error) {
	start := time.Now()
	var rep Report
	g, err := NewDemoMarket(opt)
	if err != nil {
		return rep, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ref := g.Reference()
	if err := ref.Write(ctx, w); err != nil {
		return rep, fmt.Errorf("demo: %w", err)
	}
	rep.add(ref)
	for {
		if err := ctx.Err(); err != nil {
			rep.finish(start)
			return rep, err
		}
		b, ok := g.Next()
		if !ok {
			break
		}
		if err := b.Write(ctx, w); err != nil {
			rep.finish(start)
			return rep, fmt.Errorf("demo: %w", err)
		}
		rep.add(b)
		log.Debug("demo chunk written", "rows", b.Len(), "day", g.day, "of", len(g.days))
	}
	rep.finish(start)
	return rep, nil
}

// DemoMarket generates the synthetic market step by step; Demo drives it.
type DemoMarket struct {
	opt DemoOptions
	rng *rand.Rand
	// aux draws what later versions added (ST episodes, plants), so the
	// draws of rng, and the market a seed gives, stay as they were.
	aux     *rand.Rand
	days    []time.Time // open days, oldest first
	baseDay time.Time   // the open day before days[0]
	cal     []market.TradeDay
	stocks  []demoStock
	etfs    []demoETF
	indices []demoIndex
	day     int // index of the next day Next generates
	chunk   int // days per Next
}

type demoStock struct {
	info     market.Stock
	baseName string // the name without a risk-warning prefix
	// Risk warning: ST (stPrefix + baseName) on the days [stFrom, stTo);
	// stFrom -1 means since before the window; stFrom == stTo means never.
	stPrefix     string
	stFrom, stTo int
	members      uint8      // bit j: a constituent of indices[j]
	plant        *demoPlant // a planted pattern at the end, or nil
	lastUp       bool       // the last bar closed at the upper limit
	listIdx      int        // index in days of the listing day; <0 when listed before
	priceFen     int64      // last close
	anchor       float64    // log price the walk drifts back to
	sigma        float64    // daily volatility
	beta         float64
	factor       float64
	totalShare   float64 // 10k shares
	floatShare   float64 // 10k shares
	turnover     float64 // typical turnover, percent
	volMA        float64 // mean volume of recent days, for volume_ratio
	eps, bvps    float64 // per-share earnings and book value, yuan
	sps, dps     float64 // per-share sales and dividend, yuan
}

type demoETF struct {
	info     market.ETF
	priceLi  int64 // last close in 0.001 yuan: funds quote three decimals
	sigma    float64
	baseVol  float64
	anchor   float64
	tracking float64 // weight of the market move
}

// boardPrefix is a code prefix and its share of the demo market.
type boardPrefix struct {
	prefix string
	suffix string
	weight float64
}

// prefixes in an order that reaches every board within the first five
// stocks; weights follow the real market's mix roughly.
var prefixes = []boardPrefix{
	{"600", ".SH", 14}, {"688", ".SH", 11}, {"000", ".SZ", 8}, {"300", ".SZ", 17}, {"920", ".BJ", 3},
	{"601", ".SH", 4}, {"002", ".SZ", 17}, {"301", ".SZ", 8}, {"83", ".BJ", 2}, {"603", ".SH", 11},
	{"001", ".SZ", 2}, {"87", ".BJ", 1}, {"605", ".SH", 2}, {"003", ".SZ", 1},
}

// Invented words for names: with the 演示 prefix and a number no name can be
// a real company's.
var (
	demoWords = []string{"星河", "云帆", "青禾", "远舟", "澜石", "拓谷", "曜石", "岚峰", "瀚海", "沐光",
		"霁月", "松涛", "鹿鸣", "墨川", "辰希", "岩泉", "朔风", "汀兰", "启明", "渊鉴"}
	demoIndustries = []string{"银行", "证券", "保险", "白酒", "食品", "医药", "医疗器械", "半导体", "软件服务",
		"通信设备", "电池", "光伏", "汽车整车", "汽车配件", "化工原料", "钢铁", "有色金属", "建筑工程", "全国地产",
		"电力", "煤炭", "机械设备", "家用电器", "传媒娱乐", "农业综合"}
	demoAreas = []string{"北京", "上海", "深圳", "广东", "浙江", "江苏", "山东", "四川", "湖北", "湖南",
		"福建", "安徽", "河南", "重庆", "天津", "陕西", "辽宁", "江西"}
	demoFundIndexes = []struct{ name, code string }{
		{"沪深300", "000300.SH"}, {"中证500", "000905.SH"}, {"中证1000", "000852.SH"}, {"创业板", "399006.SZ"},
		{"科创50", "000688.SH"}, {"上证50", "000016.SH"}, {"红利", "000015.SH"}, {"半导体", ""}, {"证券", ""},
		{"医药", ""}, {"新能源", ""}, {"军工", ""}, {"消费", ""}, {"光伏", ""}, {"银行", ""}, {"黄金", ""},
	}
	demoFundPrefixes = []string{"510", "512", "515", "159", "588", "159", "516", "159", "561", "159"}
	demoManagers     = []string{"甲", "乙", "丙", "丁", "戊", "己"}
)

// NewDemoMarket draws the stocks, funds and calendar of a demo market.
func NewDemoMarket(opt DemoOptions) (*DemoMarket, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.End.IsZero() {
		opt.End = today()
	}
	if opt.ChunkRows <= 0 {
		opt.ChunkRows = DefaultChunkRows
	}
	g := &DemoMarket{
		opt: opt,
		rng: rand.New(rand.NewPCG(opt.Seed, 0x5354_4f43_4b44_454d)), // "STOCKDEM"
		aux: rand.New(rand.NewPCG(opt.Seed, 0x5354_4f43_4b41_5558)), // "STOCKAUX"
	}
	g.calendar()
	g.drawStocks()
	g.drawETFs()
	g.drawIndices()
	g.plantPatterns()
	g.chunk = max(1, opt.ChunkRows/(opt.Stocks+opt.ETFs))
	return g, nil
}

// today is the current date in China, where the market trades.
func today() time.Time {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	y, m, d := time.Now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// demoOpen is the demo calendar: weekdays except New Year's Day, 1–3 May and
// 1–7 October. The real calendar moves its holidays every year; the demo
// keeps fixed ones so it needs no table.
func demoOpen(t time.Time) bool {
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	m, d := t.Month(), t.Day()
	switch {
	case m == time.January && d == 1,
		m == time.May && d <= 3,
		m == time.October && d <= 7:
		return false
	}
	return true
}

// calendar picks the last Days open days up to End and the trade_cal rows
// from the open day before the first one to the last day.
func (g *DemoMarket) calendar() {
	end := time.Date(g.opt.End.Year(), g.opt.End.Month(), g.opt.End.Day(), 0, 0, 0, 0, time.UTC)
	days := make([]time.Time, 0, g.opt.Days+1)
	for t := end; len(days) < g.opt.Days+1; t = t.AddDate(0, 0, -1) {
		if demoOpen(t) {
			days = append(days, t)
		}
	}
	// days[Days] is the open day before the window: the first day's pretrade.
	for i, j := 0, len(days)-1; i < j; i, j = i+1, j-1 {
		days[i], days[j] = days[j], days[i]
	}
	prev := days[0]
	g.baseDay = prev
	g.days = days[1:]
	for t := g.days[0]; !t.After(g.days[len(g.days)-1]); t = t.AddDate(0, 0, 1) {
		open := demoOpen(t)
		g.cal = append(g.cal, market.TradeDay{Exchange: "SSE", CalDate: t, IsOpen: open, PretradeDate: prev})
		if open {
			prev = t
		}
	}
}

func (g *DemoMarket) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// uniform draws from [lo, hi).
func (g *DemoMarket) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }

// logUniform draws from [lo, hi) evenly in log scale: prices, share counts.
func (g *DemoMarket) logUniform(lo, hi float64) float64 {
	return math.Exp(g.uniform(math.Log(lo), math.Log(hi)))
}

// codeSeq hands out distinct numbers within a prefix: start + k·7 modulo the
// code space visits every number once, since 7 is prime to 10ⁿ.
type codeSeq struct {
	start, next, size int
}

func (g *DemoMarket) drawStocks() {
	n := g.opt.Stocks
	seqs := make([]codeSeq, len(prefixes))
	var total float64
	for i, p := range prefixes {
		size := int(math.Pow10(6 - len(p.prefix)))
		seqs[i] = codeSeq{start: g.rng.IntN(size), size: size}
		total += p.weight
	}
	// A few stocks list inside the window so the new-listing rule (no
	// limit in the first five days) has something to act on.
	newListings := 0
	if len(g.days) >= 10 {
		newListings = max(1, n/50)
		if n < 10 {
			newListings = 0
		}
	}
	windowStart := g.days[0]
	g.stocks = make([]demoStock, n)
	for i := range n {
		pi := i
		if i >= len(prefixes) {
			r := g.rng.Float64() * total
			for pi = 0; pi < len(prefixes)-1 && r >= prefixes[pi].weight; pi++ {
				r -= prefixes[pi].weight
			}
		}
		for seqs[pi].next >= seqs[pi].size { // this prefix is full: take the next one
			pi = (pi + 1) % len(prefixes)
		}
		seq := &seqs[pi]
		num := (seq.start + seq.next*7) % seq.size
		seq.next++
		p := prefixes[pi]
		digits := fmt.Sprintf("%s%0*d", p.prefix, 6-len(p.prefix), num)
		code := digits + p.suffix

		name := fmt.Sprintf("演示%s%04d", g.pick(demoWords), i+1)
		st, stPrefix := market.BoardOf(code) == market.BoardMain && g.rng.IntN(25) == 0, ""
		if st {
			stPrefix = []string{"ST", "*ST"}[g.rng.IntN(2)]
		}
		s := demoStock{
			baseName: name,
			info: market.Stock{
				TSCode: code, Symbol: digits, Name: name,
				Area: g.pick(demoAreas), Industry: g.pick(demoIndustries),
				Market: MarketOf(code), Exchange: ExchangeOf(code),
				ListDate:   windowStart.AddDate(0, 0, -g.rng.IntN(25*365)-30),
				ListStatus: "L", Synthetic: true,
			},
			listIdx:  -1,
			priceFen: int64(g.logUniform(3, 150) * 100),
			sigma:    g.uniform(0.012, 0.035),
			beta:     g.uniform(0.5, 1.5),
			factor:   1,
			turnover: g.logUniform(0.3, 6),
		}
		if i >= n-newListings {
			// The listing day falls in the window with at least five more
			// days after it whenever the window allows.
			idx := 1 + g.rng.IntN(max(1, len(g.days)-6))
			s.listIdx = idx
			s.info.ListDate = g.days[idx]
		} else if st {
			g.drawST(&s, stPrefix)
		}
		s.anchor = math.Log(float64(s.priceFen))
		s.floatShare = math.Round(g.logUniform(5_000, 500_000))
		s.totalShare = math.Round(s.floatShare * g.uniform(1, 1.6))
		s.volMA = s.turnover * s.floatShare
		price := float64(s.priceFen) / 100
		if g.rng.IntN(6) == 0 {
			s.eps = -price / g.uniform(10, 80) // a loss-maker: pe is NULL
		} else {
			s.eps = price / g.uniform(6, 80)
		}
		s.bvps = price / g.uniform(0.6, 8)
		s.sps = price / g.uniform(0.5, 15)
		if s.eps > 0 && g.rng.IntN(3) > 0 {
			s.dps = s.eps * g.uniform(0.1, 0.6)
		}
		g.stocks[i] = s
	}
}

func (g *DemoMarket) drawETFs() {
	seqs := make(map[string]*codeSeq)
	used := make(map[string]int)
	g.etfs = make([]demoETF, g.opt.ETFs)
	for i := range g.etfs {
		prefix := demoFundPrefixes[i%len(demoFundPrefixes)]
		seq := seqs[prefix]
		if seq == nil {
			seq = &codeSeq{start: g.rng.IntN(1000), size: 1000}
			seqs[prefix] = seq
		}
		num := (seq.start + seq.next*7) % seq.size
		seq.next++
		code := fmt.Sprintf("%s%03d.SH", prefix, num)
		if prefix == "159" {
			code = code[:6] + ".SZ"
		}
		ix := demoFundIndexes[i%len(demoFundIndexes)]
		used[ix.name]++
		name := "演示" + ix.name + "ETF"
		if k := used[ix.name]; k > 1 {
			name += fmt.Sprint(k)
		}
		price := g.logUniform(0.6, 5)
		g.etfs[i] = demoETF{
			info: market.ETF{
				TSCode: code, Name: name, IndexCode: ix.code, IndexName: "演示" + ix.name + "指数",
				Exchange: ExchangeOf(code), MgrName: "演示" + g.pick(demoManagers) + "基金",
				ListDate:   g.days[0].AddDate(0, 0, -g.rng.IntN(10*365)-30),
				ListStatus: "L", Synthetic: true,
			},
			priceLi:  int64(price * 1000),
			sigma:    g.uniform(0.006, 0.02),
			baseVol:  g.logUniform(1e4, 5e6),
			tracking: g.uniform(0.6, 1.2),
		}
		g.etfs[i].anchor = math.Log(float64(g.etfs[i].priceLi))
	}
}

// Reference is the stock_basic, etf_basic, index_basic, namechange and
// trade_cal rows. A stock's stock_basic name is its name on the last day.
func (g *DemoMarket) Reference() Batch {
	b := Batch{Dataset: "demo", TradeCal: g.cal}
	for _, s := range g.stocks {
		info := s.info
		info.Name = s.nameOn(len(g.days) - 1)
		b.Stocks = append(b.Stocks, info)
		b.NameChanges = append(b.NameChanges, g.nameRows(&s)...)
	}
	for _, ix := range g.indices {
		b.Indices = append(b.Indices, ix.info)
	}
	for _, e := range g.etfs {
		b.ETFs = append(b.ETFs, e.info)
	}
	return b
}

// Next generates the next chunk of days; ok is false when every day is done.
func (g *DemoMarket) Next() (b Batch, ok bool) {
	if g.day >= len(g.days) {
		return Batch{}, false
	}
	last := min(len(g.days), g.day+g.chunk)
	rows := (last - g.day) * len(g.stocks)
	b = Batch{
		Dataset:    "demo",
		Daily:      make([]market.DailyBar, 0, rows),
		DailyBasic: make([]market.DailyBasic, 0, rows),
		AdjFactors: make([]market.AdjFactor, 0, rows),
		ETFDaily:   make([]market.DailyBar, 0, (last-g.day)*len(g.etfs)),
		IndexDaily: make([]market.DailyBar, 0, (last-g.day)*len(g.indices)),
	}
	// One backing array for the chunk's optional valuation fields, rather
	// than an allocation per field per row.
	vals := make([]float64, 0, rows*12)
	ptr := func(v float64) *float64 {
		vals = append(vals, v)
		return &vals[len(vals)-1]
	}
	acc := make([]indexAcc, len(g.indices))
	for ; g.day < last; g.day++ {
		mkt := g.rng.NormFloat64() * 0.011 // the day's market-wide move
		clear(acc)
		for i := range g.stocks {
			g.stockDay(&g.stocks[i], mkt, &b, ptr, acc)
		}
		g.indexDay(acc, &b)
		for i := range g.etfs {
			g.etfDay(&g.etfs[i], mkt, &b)
		}
	}
	return b, true
}

func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}

func clamp(v, lo, hi int64) int64 { return max(lo, min(hi, v)) }

// stockDay moves one stock through one day and appends its rows.
func (g *DemoMarket) stockDay(s *demoStock, mkt float64, b *Batch, ptr func(float64) *float64, acc []indexAcc) {
	d := g.day
	if d < s.listIdx {
		return // not listed yet
	}
	k := len(g.days) - 1 - d // days before the last one
	act := s.plant.on(k)
	if act == plantSuspended {
		return // no bar, no valuation, no factor: the stock does not trade
	}
	date := g.days[d]
	pre := s.priceFen
	// The first days after a listing: a wide random walk and high turnover.
	newListing := s.listIdx >= 0 && d-s.listIdx < market.MaxFreeDays
	if d > s.listIdx && d > 0 && g.rng.IntN(400) == 0 && act == plantNone {
		// Ex-rights day: a split or a dividend lowers the reference price;
		// the factor grows by the same ratio so adjusted prices stay
		// continuous: close[d-1]·f[d-1] = pre_close[d]·f[d].
		ratio := g.uniform(0.97, 0.995) // cash dividend
		if g.rng.IntN(3) == 0 {
			ratio = []float64{0.5, 1 / 1.2, 1 / 1.5}[g.rng.IntN(3)] // 10送10, 10送2, 10转5
			s.totalShare = math.Round(s.totalShare / ratio)
			s.floatShare = math.Round(s.floatShare / ratio)
			s.volMA /= ratio
			s.eps *= ratio
			s.bvps *= ratio
			s.sps *= ratio
			s.dps *= ratio
		}
		newPre := max(1, int64(math.Round(float64(pre)*ratio)))
		s.factor *= float64(pre) / float64(newPre)
		pre = newPre
	}

	listingDay := 0
	if s.listIdx >= 0 {
		listingDay = d - s.listIdx + 1
	}
	band := market.LimitBand(market.LimitInput{
		TSCode: s.info.TSCode, Date: date, ST: s.st(d), ListDate: s.info.ListDate,
		ListingDay: listingDay, PreClose: float64(pre) / 100,
	})
	lo, hi := int64(1), int64(math.MaxInt64)
	if band.UpFen > 0 {
		hi = band.UpFen
	}
	if band.DownFen > 0 {
		lo = max(band.DownFen, 1)
	}

	// Daily return: market beta plus the stock's own noise with fat tails,
	// pulled gently back towards its anchor price so long runs stay sane.
	r := s.beta*mkt + s.sigma*g.rng.NormFloat64()
	if g.rng.IntN(40) == 0 {
		r *= 3
	}
	r -= 0.02 * (math.Log(float64(pre)) - s.anchor)
	toLimit := 0
	switch {
	case d == s.listIdx:
		r = g.uniform(0.2, 2.5) // first day: far above the issue price
	case newListing:
		r = 0.08 * g.rng.NormFloat64()
	case g.rng.IntN(300) == 0 && band.UpFen > 0:
		toLimit = []int{1, -1}[g.rng.IntN(2)] // news: straight to the limit
		r = float64(toLimit) * float64(band.UpFen-pre) / float64(pre)
	}
	closeFen := clamp(int64(math.Round(float64(pre)*(1+r))), lo, hi)
	switch toLimit {
	case 1:
		closeFen = hi
	case -1:
		closeFen = lo
	}
	closeFen, touch := g.steer(s, act, k, closeFen, lo, hi)
	openFen := clamp(int64(math.Round(float64(pre)*(1+r*g.uniform(0, 0.6)+s.sigma/3*g.rng.NormFloat64()))), lo, hi)
	highFen := clamp(int64(math.Round(float64(max(openFen, closeFen))*(1+math.Abs(s.sigma/2*g.rng.NormFloat64())))), max(openFen, closeFen), hi)
	lowFen := clamp(int64(math.Round(float64(min(openFen, closeFen))*(1-math.Abs(s.sigma/2*g.rng.NormFloat64())))), lo, min(openFen, closeFen))
	switch {
	case touch:
		highFen = hi // a broken board: the limit was reached during the day
	case act == plantNotUp:
		// Below the limit all day, so the planted streak starts after it.
		openFen, highFen = min(openFen, hi-1), min(highFen, hi-1)
	}
	s.priceFen = closeFen
	s.lastUp = band.UpFen > 0 && closeFen >= band.UpFen

	cls, preY := float64(closeFen)/100, float64(pre)/100
	open, high, low := float64(openFen)/100, float64(highFen)/100, float64(lowFen)/100
	turnover := s.turnover * math.Exp(0.35*g.rng.NormFloat64()) * (1 + 8*math.Abs(cls/preY-1))
	if newListing {
		turnover = min(80, turnover*(10-2*float64(d-s.listIdx)))
	}
	// turnover % = vol·100 shares ÷ (float_share·10⁴ shares) · 100 = vol ÷ float_share.
	vol := round(turnover*s.floatShare, 2)
	vwap := (open + high + low + 2*cls) / 5
	b.Daily = append(b.Daily, market.DailyBar{
		TSCode: s.info.TSCode, TradeDate: date,
		Open: open, High: high, Low: low, Close: cls, PreClose: preY,
		Change: float64(closeFen-pre) / 100,
		PctChg: round(float64(closeFen-pre)/float64(pre)*100, 4),
		Vol:    vol,
		Amount: round(vol*vwap/10, 3), // lots·100·yuan ÷ 1000 = thousand CNY
	})

	db := market.DailyBasic{
		TSCode: s.info.TSCode, TradeDate: date,
		Close:        ptr(cls),
		TurnoverRate: ptr(round(vol/s.floatShare, 4)),
		PB:           ptr(round(cls/s.bvps, 4)),
		PS:           ptr(round(cls/s.sps, 4)),
		TotalShare:   ptr(s.totalShare),
		FloatShare:   ptr(s.floatShare),
		TotalMV:      ptr(round(cls*s.totalShare, 4)),
		CircMV:       ptr(round(cls*s.floatShare, 4)),
	}
	if d != s.listIdx {
		db.VolumeRatio = ptr(round(vol/s.volMA, 2))
	}
	if s.eps > 0 {
		db.PE = ptr(round(cls/s.eps, 4))
		db.PETTM = ptr(round(cls/(s.eps*0.95), 4))
	}
	if s.dps > 0 {
		db.DvRatio = ptr(round(s.dps/cls*100, 4))
	}
	b.DailyBasic = append(b.DailyBasic, db)
	s.volMA = 0.8*s.volMA + 0.2*vol
	b.AdjFactors = append(b.AdjFactors, market.AdjFactor{TSCode: s.info.TSCode, TradeDate: date, Factor: round(s.factor, 6)})
	if s.members != 0 && !newListing {
		// Weighted by the market value at the previous close (after any
		// ex-rights adjustment of that close).
		w := s.totalShare * preY
		for j := range acc {
			if s.members&(1<<j) != 0 {
				acc[j].add(w, open/preY, high/preY, low/preY, cls/preY, vol, b.Daily[len(b.Daily)-1].Amount)
			}
		}
	}
}

// etfDay moves one fund through one day. Funds quote to 0.001 yuan and,
// like stock ETFs, move at most 10% a day.
func (g *DemoMarket) etfDay(e *demoETF, mkt float64, b *Batch) {
	pre := e.priceLi
	r := e.tracking*mkt + e.sigma*g.rng.NormFloat64() - 0.02*(math.Log(float64(pre))-e.anchor)
	hi, lo := (pre*110+50)/100, max(1, (pre*90+50)/100)
	closeLi := clamp(int64(math.Round(float64(pre)*(1+r))), lo, hi)
	openLi := clamp(int64(math.Round(float64(pre)*(1+r*g.uniform(0, 0.5)))), lo, hi)
	highLi := clamp(int64(math.Round(float64(max(openLi, closeLi))*(1+math.Abs(e.sigma/2*g.rng.NormFloat64())))), max(openLi, closeLi), hi)
	lowLi := clamp(int64(math.Round(float64(min(openLi, closeLi))*(1-math.Abs(e.sigma/2*g.rng.NormFloat64())))), lo, min(openLi, closeLi))
	e.priceLi = closeLi
	vol := round(e.baseVol*math.Exp(0.4*g.rng.NormFloat64())*(1+10*math.Abs(r)), 2)
	cls := float64(closeLi) / 1000
	vwap := (float64(openLi+highLi+lowLi) + 2*cls*1000) / 5000
	b.ETFDaily = append(b.ETFDaily, market.DailyBar{
		TSCode: e.info.TSCode, TradeDate: g.days[g.day],
		Open: float64(openLi) / 1000, High: float64(highLi) / 1000, Low: float64(lowLi) / 1000,
		Close: cls, PreClose: float64(pre) / 1000,
		Change: float64(closeLi-pre) / 1000,
		PctChg: round(float64(closeLi-pre)/float64(pre)*100, 4),
		Vol:    vol,
		Amount: round(vol*vwap/10, 3),
	})
}
