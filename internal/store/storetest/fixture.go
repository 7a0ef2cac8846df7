package storetest

import (
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The fixture is a tiny market small enough to reason about by hand. Every
// row is chosen to probe one rule of the Store contract; the comments say
// which one.
var (
	d0 = day("2025-12-15") // ETF bar only: must not count as a stock trade date
	d1 = day("2025-12-16")
	d2 = day("2025-12-17")
	d3 = day("2025-12-18") // latest stock date
)

// day parses a YYYY-MM-DD date; the fixture is static so a typo panics.
func day(s string) time.Time {
	t, err := market.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func f(v float64) *float64 { return &v }

type fixture struct {
	stocks     []market.Stock
	daily      []market.DailyBar
	basic      []market.DailyBasic
	adj        []market.AdjFactor
	etfs       []market.ETF
	etfDaily   []market.DailyBar
	cal        []market.TradeDay
	names      []market.NameChange
	limits     []market.StkLimit
	indices    []market.Index
	indexDaily []market.DailyBar
}

func bar(code string, d time.Time, open, high, low, cls, pre, pct, vol, amount float64) market.DailyBar {
	return market.DailyBar{
		TSCode: code, TradeDate: d,
		Open: open, High: high, Low: low, Close: cls, PreClose: pre,
		Change: cls - pre, PctChg: pct, Vol: vol, Amount: amount,
	}
}

func newFixture() fixture {
	return fixture{
		stocks: []market.Stock{
			{TSCode: "000001.SZ", Symbol: "000001", Name: "平安银行", Area: "深圳", Industry: "银行", Market: "主板", Exchange: "SZSE", ListDate: day("1991-04-03"), ListStatus: "L"},
			{TSCode: "600519.SH", Symbol: "600519", Name: "贵州茅台", Area: "贵州", Industry: "白酒", Market: "主板", Exchange: "SSE", ListDate: day("2001-08-27"), ListStatus: "L"},
			{TSCode: "600500.SH", Symbol: "600500", Name: "中化国际", Area: "上海", Industry: "化工", Market: "主板", Exchange: "SSE", ListDate: day("2000-03-01"), ListStatus: "L"},
			// Synthetic must propagate to the hot list and the day bars.
			{TSCode: "300750.SZ", Symbol: "300750", Name: "宁德时代", Area: "福建", Industry: "电池", Market: "创业板", Exchange: "SZSE", ListDate: day("2018-06-11"), ListStatus: "L", Synthetic: true},
			{TSCode: "688981.SH", Symbol: "688981", Name: "中芯国际", Area: "上海", Industry: "半导体", Market: "科创板", Exchange: "SSE", ListDate: day("2020-07-16"), ListStatus: "L"},
			// No bars at all: Stock answers with nil Latest and LatestBasic;
			// a delisted date round-trips.
			{TSCode: "430047.BJ", Symbol: "430047", Name: "诺思兰德", Area: "北京", Industry: "生物制药", Market: "北交所", Exchange: "BSE", ListDate: day("2020-11-20"), DelistDate: day("2025-01-02"), ListStatus: "D"},
		},
		daily: []market.DailyBar{
			bar("600519.SH", d1, 1500, 1510, 1490, 1500, 1495, 0.3344, 20000, 3000000),
			bar("600519.SH", d2, 1500, 1520, 1498, 1510, 1500, 0.6667, 21000, 3150000),
			bar("000001.SZ", d2, 11.3, 11.6, 11.2, 11.5, 11.3, 1.7699, 700000, 800000),
			bar("600500.SH", d2, 5.0, 5.1, 4.9, 5.0, 5.0, 0, 100000, 50000),
			// d3: pct_chg ties 000001 = 600500 (2.5) → ts_code asc; amount
			// ties 300750 = 688981 → ts_code asc.
			bar("000001.SZ", d3, 11.5, 11.9, 11.4, 11.7875, 11.5, 2.5, 790000, 916000),
			bar("600519.SH", d3, 1510, 1530, 1500, 1520, 1510, 0.6623, 25000, 3800000),
			bar("600500.SH", d3, 5.0, 5.2, 5.0, 5.125, 5.0, 2.5, 120000, 61000),
			bar("300750.SZ", d3, 250, 275, 249, 275, 250, 10, 300000, 7500000),
			bar("688981.SH", d3, 100, 101, 90, 90, 100, -10, 750000, 7500000),
			// No stock_basic row: name and industry come back empty.
			bar("002594.SZ", d3, 300, 310, 295, 297, 300, -1, 90000, 2700000),
		},
		basic: []market.DailyBasic{
			{TSCode: "000001.SZ", TradeDate: d3, Close: f(11.7875), TurnoverRate: f(0.5), VolumeRatio: f(1.1), PE: f(5.2), PETTM: f(5.1), PB: f(0.55), PS: f(1.9), DvRatio: f(5.5), TotalShare: f(1940591.8), FloatShare: f(1940560), TotalMV: f(22874467), CircMV: f(22874100)},
			{TSCode: "600519.SH", TradeDate: d2, Close: f(1510), TurnoverRate: f(0.2), CircMV: f(189000000)},
			{TSCode: "600519.SH", TradeDate: d3, Close: f(1520), TurnoverRate: f(0.3), PE: f(21.3), PB: f(7.9), CircMV: f(190000000)},
			{TSCode: "300750.SZ", TradeDate: d3, Close: f(275), TurnoverRate: f(2.0), CircMV: f(110000000)},
			// NULL turnover sorts last; NULL pe stays nil.
			{TSCode: "688981.SH", TradeDate: d3, Close: f(90), TurnoverRate: nil, PE: nil, CircMV: f(5000000)},
			// Only an older row: turnover 9.9 must not leak into d3's list.
			{TSCode: "600500.SH", TradeDate: d2, Close: f(5.0), TurnoverRate: f(9.9), PE: nil, PB: f(1.1), CircMV: f(1500000)},
			{TSCode: "002594.SZ", TradeDate: d3, Close: f(297), TurnoverRate: f(1.0), CircMV: f(86000000)},
		},
		adj: []market.AdjFactor{
			{TSCode: "600519.SH", TradeDate: d1, Factor: 1.0},
			{TSCode: "600519.SH", TradeDate: d2, Factor: 1.0},
			{TSCode: "600519.SH", TradeDate: d3, Factor: 1.5},
			{TSCode: "000001.SZ", TradeDate: d3, Factor: 134.5794},
			{TSCode: "510300.SH", TradeDate: d2, Factor: 1.2},
		},
		etfs: []market.ETF{
			{TSCode: "510300.SH", Name: "沪深300ETF", IndexCode: "000300.SH", IndexName: "沪深300", Exchange: "SSE", MgrName: "华泰柏瑞", ListDate: day("2012-05-28"), ListStatus: "L"},
			{TSCode: "159915.SZ", Name: "创业板ETF", IndexCode: "399006.SZ", IndexName: "创业板指", Exchange: "SZSE", MgrName: "易方达", ListDate: day("2011-12-09"), ListStatus: "L", Synthetic: true},
			{TSCode: "510050.SH", Name: "上证50ETF", IndexCode: "000016.SH", IndexName: "上证50", Exchange: "SSE", MgrName: "华夏", ListDate: day("2005-02-23"), ListStatus: "L"},
			{TSCode: "501050.SH", Name: "50AH优选", Exchange: "SSE", ListDate: day("2017-03-01"), ListStatus: "L"},
			{TSCode: "159949.SZ", Name: "创业板50ETF", Exchange: "SZSE", ListDate: day("2016-07-22"), ListStatus: "L"},
		},
		etfDaily: []market.DailyBar{
			bar("510300.SH", d0, 4.0, 4.1, 3.9, 4.0, 4.0, 0, 5000000, 2000000),
			bar("510300.SH", d1, 4.0, 4.1, 3.9, 4.05, 4.0, 1.25, 5100000, 2050000),
			// d2 is the latest ETF date; amount ties 510050 = 588000.
			bar("510300.SH", d2, 4.05, 4.2, 4.0, 4.1, 4.05, 1.2346, 6000000, 2500000),
			bar("159915.SZ", d2, 2.5, 2.7, 2.5, 2.7, 2.5, 8, 9000000, 2400000),
			bar("510050.SH", d2, 3.0, 3.05, 2.9, 2.94, 3.0, -2, 3000000, 900000),
			// No etf_basic row: empty name.
			bar("588000.SH", d2, 1.0, 1.02, 0.99, 1.01, 1.0, 1, 8000000, 900000),
		},
		cal: []market.TradeDay{
			{Exchange: "SSE", CalDate: day("2025-12-12"), IsOpen: true, PretradeDate: day("2025-12-11")},
			{Exchange: "SSE", CalDate: day("2025-12-13"), IsOpen: false, PretradeDate: day("2025-12-12")},
			{Exchange: "SSE", CalDate: day("2025-12-14"), IsOpen: false, PretradeDate: day("2025-12-12")},
			{Exchange: "SSE", CalDate: day("2025-12-15"), IsOpen: true, PretradeDate: day("2025-12-12")},
			{Exchange: "SSE", CalDate: d1, IsOpen: true, PretradeDate: day("2025-12-15")},
			{Exchange: "SSE", CalDate: d2, IsOpen: true, PretradeDate: d1},
			{Exchange: "SSE", CalDate: d3, IsOpen: true, PretradeDate: d2},
			{Exchange: "SSE", CalDate: day("2025-12-19"), IsOpen: true, PretradeDate: d3},
			// A second exchange's calendar repeats the dates: OpenDays lists
			// each date once.
			{Exchange: "SZSE", CalDate: d2, IsOpen: true, PretradeDate: d1},
			{Exchange: "SZSE", CalDate: d3, IsOpen: true, PretradeDate: d2},
		},
		names: []market.NameChange{
			// Plain today, ST on the history from d2: DayName says ST.
			{TSCode: "600500.SH", Name: "中化国际", StartDate: day("2000-03-01"), EndDate: day("2025-12-16"), AnnDate: day("2000-02-20"), ChangeReason: "其他"},
			{TSCode: "600500.SH", Name: "ST中化", StartDate: d2, AnnDate: day("2025-12-12"), ChangeReason: "ST"},
			{TSCode: "000001.SZ", Name: "深发展A", StartDate: day("1991-04-03"), EndDate: day("2012-08-01"), ChangeReason: "其他"},
			{TSCode: "000001.SZ", Name: "平安银行", StartDate: day("2012-08-02"), AnnDate: day("2012-07-31"), ChangeReason: "改名"},
			// One start date, two rows: the later announcement wins; a
			// row starting after d3 applies to no bar here.
			{TSCode: "600519.SH", Name: "贵州茅台", StartDate: day("2001-08-27"), AnnDate: day("2001-08-20")},
			{TSCode: "600519.SH", Name: "茅台酒", StartDate: day("2001-08-27"), AnnDate: day("2001-08-01")},
			{TSCode: "600519.SH", Name: "未来名", StartDate: day("2026-01-05"), AnnDate: day("2025-12-30")},
			// A NULL announcement loses to a dated one on the same start.
			{TSCode: "300750.SZ", Name: "宁德时代", StartDate: day("2018-06-11")},
			{TSCode: "300750.SZ", Name: "宁德时代A", StartDate: day("2018-06-11"), AnnDate: day("2018-06-01")},
		},
		limits: []market.StkLimit{
			{TSCode: "600519.SH", TradeDate: d3, PreClose: f(1510), UpLimit: f(1661), DownLimit: f(1359)},
			// The exchange's 275 makes 300750's close a limit-up that the
			// ±20% rule (300) would not.
			{TSCode: "300750.SZ", TradeDate: d3, UpLimit: f(275), DownLimit: f(225)},
			{TSCode: "002594.SZ", TradeDate: d3, DownLimit: f(270)}, // upper price NULL
			{TSCode: "000001.SZ", TradeDate: d2, PreClose: f(11.3), UpLimit: f(12.43), DownLimit: f(10.17)},
			{TSCode: "510300.SH", TradeDate: d2, UpLimit: f(4.46), DownLimit: f(3.65)},
			{TSCode: "601318.SH", TradeDate: d3, UpLimit: f(55), DownLimit: f(45)}, // no bar that day
		},
		indices: []market.Index{
			{TSCode: "000001.SH", Name: "上证指数", Market: "SSE", Publisher: "中证公司", Category: "综合指数", BaseDate: day("1990-12-19"), BasePoint: 100, ListDate: day("1991-07-15")},
			{TSCode: "399001.SZ", Name: "深证成指", Market: "SZSE", Publisher: "深交所", Category: "规模指数", BaseDate: day("1994-07-20"), BasePoint: 1000, ListDate: day("1995-01-23"), Synthetic: true},
		},
		indexDaily: []market.DailyBar{
			bar("000001.SH", d2, 3870.1, 3890.5, 3861.2, 3880.3, 3870.0, 0.2661, 4.5e8, 6.1e8),
			bar("000001.SH", d3, 3880.3, 3900.1, 3870.0, 3876.4, 3880.3, -0.1005, 4.7e8, 6.3e8),
			bar("399001.SZ", d3, 13100, 13200, 13050, 13150.5, 13080, 0.539, 6.2e8, 8.8e8),
			bar("000300.SH", d3, 4580, 4600, 4570, 4590.2, 4581.1, 0.1987, 2.1e8, 3.9e8), // no index_basic row
		},
	}
}
