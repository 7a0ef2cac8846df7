package market

import (
	"slices"
	"strings"
	"time"
)

// The daily price limit of an A-share depends on its board, on the trade
// date, on whether the stock is under risk warning (ST, *ST) that day, and on
// how many days it has traded since listing. Every change of the rule is one
// row of limitRegimes below, with its date and its source; docs/LIMIT-RULES.md
// explains the table for readers of the API.
//
// Where the exchange's own prices are loaded (Tushare stk_limit), they win
// over anything computed here: LimitBand uses them first.

// LimitRegime is the rule of one board from a date on. A trade date takes
// its daily band (Pct, STPct) from the newest row of its board on or before
// it; a new listing takes its first days' treatment (FreeDays, ListingUp,
// ListingDown) from the newest row on or before its listing date, because a
// stock keeps the listing rules it was issued under.
type LimitRegime struct {
	From  time.Time
	Board Board
	// Pct is the daily limit in percent of the previous close; STPct the
	// limit of a stock under risk warning. 0 means no limit.
	Pct, STPct int
	// FreeDays is how many trading days, the listing day included, a new
	// listing trades without any limit.
	FreeDays int
	// ListingUp and ListingDown bound the listing day when FreeDays is 0:
	// percent above and below the issue price (the listing day's pre_close).
	ListingUp, ListingDown int
	// Change says what changed on From; Source where it is written down.
	Change, Source string
}

func ruleDate(s string) time.Time {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// limitRegimes is the history of the rule, oldest first per board. Each row
// repeats every field, so a row read alone is the whole rule of its period.
var limitRegimes = []LimitRegime{
	// Main boards of Shanghai (600/601/603/605) and Shenzhen (000/001/002/003).
	{From: ruleDate("1990-12-19"), Board: BoardMain, FreeDays: 1,
		Change: "no daily price limit (the short-lived limits of 1990–92 are not modelled)",
		Source: "SSE opened 1990-12-19; limits were lifted on 1992-05-21"},
	{From: ruleDate("1996-12-16"), Board: BoardMain, Pct: 10, STPct: 10, FreeDays: 1,
		Change: "±10% daily limit; the listing day stays unlimited",
		Source: "SSE/SZSE notice on price limits for stocks and funds, in force 1996-12-16"},
	{From: ruleDate("1998-04-22"), Board: BoardMain, Pct: 10, STPct: 5, FreeDays: 1,
		Change: "special treatment (ST, later also *ST) of stocks with abnormal finances: ±5%",
		Source: "SSE/SZSE listing rules, special treatment in force 1998-04-22"},
	{From: ruleDate("2014-01-01"), Board: BoardMain, Pct: 10, STPct: 5, ListingUp: 44, ListingDown: 36,
		Change: "listing day bounded to 144% / 64% of the issue price",
		Source: "SSE/SZSE notices of December 2013 on first-day trading of new shares; applied from the IPO restart of January 2014 (no IPO listed from November 2012 to 17 January 2014)"},
	{From: ruleDate("2023-04-10"), Board: BoardMain, Pct: 10, STPct: 5, FreeDays: 5,
		Change: "registration system: no limit in the first 5 trading days of a listing",
		Source: "SSE/SZSE main-board trading rules of the full registration reform; first registration IPOs listed 2023-04-10"},
	{From: ruleDate("2026-07-06"), Board: BoardMain, Pct: 10, STPct: 10, FreeDays: 5,
		Change: "risk-warning (ST, *ST) stocks trade within ±10%",
		Source: "DESIGN.md §6 (issue 14); seen in market data since July 2026"},

	// ChiNext (300/301/302) opened on 2009-10-30 under the main-board rules.
	{From: ruleDate("2009-10-30"), Board: BoardChiNext, Pct: 10, STPct: 5, FreeDays: 1,
		Change: "ChiNext opens under the main-board rules",
		Source: "SZSE ChiNext listing rules, first listings 2009-10-30"},
	{From: ruleDate("2014-01-01"), Board: BoardChiNext, Pct: 10, STPct: 5, ListingUp: 44, ListingDown: 36,
		Change: "listing day bounded to 144% / 64% of the issue price",
		Source: "SZSE notice of December 2013 on first-day trading of new shares (as for the main board)"},
	{From: ruleDate("2020-08-24"), Board: BoardChiNext, Pct: 20, STPct: 20, FreeDays: 5,
		Change: "registration reform: ±20% for every ChiNext stock, ST included; no limit in the first 5 trading days",
		Source: "SZSE ChiNext special trading rules, in force 2020-08-24"},

	// STAR Market (688/689).
	{From: ruleDate("2019-07-22"), Board: BoardSTAR, Pct: 20, STPct: 20, FreeDays: 5,
		Change: "STAR Market opens: ±20%, ST included; no limit in the first 5 trading days",
		Source: "SSE STAR Market special trading rules; first listings 2019-07-22"},

	// Beijing Stock Exchange (4xxxxx, 8xxxxx, 920xxx).
	{From: ruleDate("2021-11-15"), Board: BoardBSE, Pct: 30, STPct: 30, FreeDays: 1,
		Change: "BSE opens: ±30%, ST included; no limit on the listing day only",
		Source: "BSE trading rules (trial), exchange opened 2021-11-15"},
}

// LimitRegimes returns the rule history, oldest first within each board.
func LimitRegimes() []LimitRegime { return slices.Clone(limitRegimes) }

// RegimeOn is the rule of board on date: the newest row on or before date.
// A date before the board's first row gets that first row (no bars exist
// there). ok is false for funds and other securities without a rule here.
func RegimeOn(board Board, date time.Time) (r LimitRegime, ok bool) {
	for _, row := range limitRegimes {
		if row.Board != board {
			continue
		}
		if !ok || !row.From.After(date) {
			r, ok = row, true
		}
	}
	return r, ok
}

// MaxFreeDays is the longest no-limit window of any rule: how many open days
// back a caller must look to know whether a listing is still inside it.
const MaxFreeDays = 5

// NewListingDays is MaxFreeDays under its older name: callers ask
// Reader.OpenDays for this many days to decide the new-listing rules.
const NewListingDays = MaxFreeDays

// IsST reports whether a name marks a stock under risk warning: ST, *ST, or
// a leading S for shares that had not completed the split-share reform
// (they traded within the same narrow band).
func IsST(name string) bool {
	n := strings.TrimSpace(strings.ToUpper(name))
	return strings.Contains(n, "ST") || strings.HasPrefix(n, "S ") || (strings.HasPrefix(n, "S") && !strings.HasPrefix(n, "ST") && len(n) > 1 && n[1] >= 0x80)
}

// LimitPct is the daily limit in percent of an established stock (not in its
// listing window) on date, 0 when there is none or the code has no rule
// (funds, B shares).
func LimitPct(date time.Time, tsCode string, st bool) int {
	r, ok := RegimeOn(BoardOf(tsCode), date)
	switch {
	case !ok:
		return 0
	case st:
		return r.STPct
	}
	return r.Pct
}

// LimitInput is what the rule needs to know of one stock on one trade date.
type LimitInput struct {
	TSCode string
	Date   time.Time
	// ST is the risk-warning status on Date (see StatBar.ST).
	ST       bool
	ListDate time.Time
	// ListingDay numbers the stock's trading days from its listing: 1 on
	// the listing day. 0 means unknown or long ago (see ListingDay).
	ListingDay int
	PreClose   float64
	// UpLimit and DownLimit are the exchange's prices of the day
	// (stk_limit); nil when none are loaded. When either is present they
	// decide: a zero or sentinel price means no limit on that side.
	UpLimit, DownLimit *float64
}

// Band is a stock's price band on one day, in fen; 0 means no limit on that
// side. Source says where it came from.
type Band struct {
	UpFen, DownFen int64
	Source         BandSource
}

// BandSource tells how a Band was decided.
type BandSource string

// Sources of a Band.
const (
	BandExchange   BandSource = "stk_limit"   // the exchange's prices of the day
	BandRule       BandSource = "rule"        // board rule on the previous close
	BandNewListing BandSource = "new_listing" // inside a listing's no-limit days
	BandNone       BandSource = "none"        // no rule: funds, B shares, no previous close
)

// LimitUp reports a close at or above the upper limit.
func (b Band) LimitUp(closeFen int64) bool { return b.UpFen > 0 && closeFen >= b.UpFen }

// LimitDown reports a close at or below the lower limit.
func (b Band) LimitDown(closeFen int64) bool { return b.DownFen > 0 && closeFen <= b.DownFen }

// Broken reports 炸板: the day's high reached the upper limit but the close
// stayed below it.
func (b Band) Broken(highFen, closeFen int64) bool {
	return b.UpFen > 0 && highFen >= b.UpFen && closeFen < b.UpFen
}

// Exchange prices at or above maxLimitFen (¥100,000) or below one fen are
// the sentinels data vendors use for "no limit" (999999999.9999 / 0.001);
// no A-share has traded near either.
const maxLimitFen = 100_000_00

// exchangeFen turns an stk_limit price into fen, 0 for no limit.
func exchangeFen(p *float64) int64 {
	if p == nil {
		return 0
	}
	f := ToFen(*p)
	if f <= 0 || f >= maxLimitFen {
		return 0
	}
	return f
}

// LimitBand decides a stock's band on one day: the exchange's prices when
// loaded, else the rule of its board on the date — no limit inside a
// listing's free days, the listing-day band of the 2014–2023 main board,
// the ST band under risk warning, the normal band otherwise. Prices are
// pre_close × (1 ± limit) rounded to the fen as BoardLimitPrices says.
func LimitBand(in LimitInput) Band {
	if in.UpLimit != nil || in.DownLimit != nil {
		return Band{UpFen: exchangeFen(in.UpLimit), DownFen: exchangeFen(in.DownLimit), Source: BandExchange}
	}
	board := BoardOf(in.TSCode)
	daily, ok := RegimeOn(board, in.Date)
	if !ok || in.PreClose <= 0 {
		return Band{Source: BandNone}
	}
	if in.ListingDay >= 1 && !in.ListDate.IsZero() {
		listing, _ := RegimeOn(board, in.ListDate)
		if in.ListingDay <= listing.FreeDays {
			return Band{Source: BandNewListing}
		}
		if in.ListingDay == 1 && listing.ListingUp > 0 {
			up, down := bandPrices(board, in.PreClose, listing.ListingUp, listing.ListingDown)
			return Band{UpFen: up, DownFen: down, Source: BandRule}
		}
	}
	pct := daily.Pct
	if in.ST {
		pct = daily.STPct
	}
	if pct == 0 {
		return Band{Source: BandNone}
	}
	up, down := BoardLimitPrices(board, in.PreClose, pct)
	return Band{UpFen: up, DownFen: down, Source: BandRule}
}

// LimitPrices returns the limit-up and limit-down prices in fen (0.01 CNY):
// pre_close × (1 ± pct%), rounded half-up to the fen. Integer arithmetic keeps
// 9.995 from becoming 9.99 through binary floating point.
func LimitPrices(preClose float64, pct int) (upFen, downFen int64) {
	return bandPrices(BoardMain, preClose, pct, pct)
}

// BoardLimitPrices is LimitPrices with the rounding of the board's
// exchange: Shanghai and Shenzhen round half-up to the fen, the Beijing
// exchange rounds inward (the upper limit down, the lower limit up) — all
// 286 BSE prices of the snapshot's stk_limit.csv follow that, while half-up
// misses 132 of them by a fen.
func BoardLimitPrices(board Board, preClose float64, pct int) (upFen, downFen int64) {
	return bandPrices(board, preClose, pct, pct)
}

func bandPrices(board Board, preClose float64, upPct, downPct int) (upFen, downFen int64) {
	pre := ToFen(preClose)
	if board == BoardBSE {
		return pre * int64(100+upPct) / 100, (pre*int64(100-downPct) + 99) / 100
	}
	upFen = (pre*int64(100+upPct) + 50) / 100
	downFen = (pre*int64(100-downPct) + 50) / 100
	return upFen, downFen
}

// ToFen converts a price in yuan to whole fen, rounding to the nearest.
func ToFen(price float64) int64 {
	if price < 0 {
		return -int64(-price*100 + 0.5)
	}
	return int64(price*100 + 0.5)
}

// ListingDay numbers date among a stock's trading days from listDate (1 on
// the listing day), counting the open days of openDays (any order) in
// [listDate, date]. It returns 0 when listDate is unknown or after date, or
// when the listing lies before every day of openDays: then the stock has
// traded at least len(openDays) days, which is long enough to be past any
// listing rule when openDays reaches MaxFreeDays days back from date.
func ListingDay(listDate, date time.Time, openDays []time.Time) int {
	if listDate.IsZero() || listDate.After(date) {
		return 0
	}
	if listDate.Equal(date) {
		return 1
	}
	n := 0
	covered := false
	for _, d := range openDays {
		if d.After(date) {
			continue
		}
		if !d.After(listDate) {
			covered = true // the window reaches back to the listing
		}
		if !d.Before(listDate) {
			n++
		}
	}
	if !covered {
		return 0
	}
	return n
}
