package market

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// The limit-up ladder (连板天梯) groups a day's limit-up stocks by how many
// trading days in a row they closed at the limit.
//
// Suspension: a day the stock did not trade (no bar) neither breaks nor
// extends its streak, the convention of the common quote apps: a stock
// limit-up on Monday, suspended Tuesday and limit-up on Wednesday is on its
// second board on Wednesday. Only the stock's own bars are walked. Days
// inside a listing's no-limit window are not limit-ups, so a registration-
// system listing's streak starts after its fifth day; a listing day at the
// 2014–2023 main-board cap (+44%) is a limit-up (the one-price boards of
// new shares). Every day is judged with LimitBand on that day: its
// stk_limit prices where loaded, its ST status from the name history.

// LadderStock is one stock of the ladder, the broken list or the
// limit-down list.
type LadderStock struct {
	TSCode       string   `json:"ts_code"`
	Name         string   `json:"name"`
	Industry     string   `json:"industry"`
	Close        float64  `json:"close"`
	High         float64  `json:"high"`
	PctChg       float64  `json:"pct_chg"`
	Amount       float64  `json:"amount"`
	TurnoverRate *float64 `json:"turnover_rate"`
	CircMV       *float64 `json:"circ_mv"`
	UpLimit      float64  `json:"up_limit"`   // the day's limit-up price, 0 when none
	DownLimit    float64  `json:"down_limit"` // the day's limit-down price, 0 when none
	ST           bool     `json:"st"`
	// Boards is the number of consecutive limit-up trading days ending on
	// the day (limit-up stocks only).
	Boards int `json:"boards,omitempty"`

	listDate time.Time
}

// LadderLevel is the stocks on the same number of boards.
type LadderLevel struct {
	Boards int           `json:"boards"`
	Label  string        `json:"label"` // 首板, 2连板, 3连板, …
	Stocks []LadderStock `json:"stocks"`
}

// Ladder is the limit-up ladder of one day.
type Ladder struct {
	TradeDate      string `json:"trade_date"`
	LimitUpCount   int    `json:"limit_up_count"`
	BrokenCount    int    `json:"broken_count"`
	LimitDownCount int    `json:"limit_down_count"`
	// BrokenRate is 炸板率: broken ÷ (limit-up + broken), 0 when neither.
	BrokenRate float64 `json:"broken_rate"`
	// MaxBoards is the ladder's height (空间板), 0 without limit-ups.
	MaxBoards int `json:"max_boards"`
	// Levels, highest first; stocks of a level by amount, descending.
	Levels []LadderLevel `json:"levels"`
	// Broken (炸板): the high reached the limit-up price, the close did not.
	Broken []LadderStock `json:"broken"`
	// LimitDown, most negative pct_chg first.
	LimitDown []LadderStock `json:"limit_down"`
	Synthetic bool          `json:"synthetic"`
}

// BoardLabel names a ladder level: 首板 for one board, N连板 above.
func BoardLabel(boards int) string {
	if boards <= 1 {
		return "首板"
	}
	return fmt.Sprintf("%d连板", boards)
}

// LadderSource is what BuildLadder reads; every market.Reader is one.
type LadderSource interface {
	OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error)
	DayStocks(ctx context.Context, date time.Time) ([]DayStock, error)
	WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]WindowBar, error)
	NameChanges(ctx context.Context, codes []string) ([]NameChange, error)
}

// LadderWindow is how many open days the ladder reads back at first; a
// streak that fills the window is followed further back, doubling the
// window, for the stocks that need it only.
const LadderWindow = 20

// maxLadderDays bounds the look-back (about 20 years of open days).
const maxLadderDays = 5000

// BuildLadder reads what the ladder of date needs and computes it: the
// day's stocks, then the earlier bars of the day's limit-up stocks only,
// over the last LadderWindow open days (more for longer streaks). It
// returns ErrNoData when the day has no stock bars.
func BuildLadder(ctx context.Context, src LadderSource, date time.Time) (Ladder, error) {
	window := LadderWindow
	var (
		stocks []DayStock
		open   []time.Time
	)
	// The reads that do not depend on each other go out together.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { stocks, err = src.DayStocks(gctx, date); return err })
	g.Go(func() (err error) { open, err = src.OpenDays(gctx, date, window+MaxFreeDays); return err })
	if err := g.Wait(); err != nil {
		return Ladder{}, err
	}
	if len(stocks) == 0 {
		return Ladder{}, fmt.Errorf("ladder of %s: %w", FormatDate(date), ErrNoData)
	}
	day := classifyDay(date, stocks, open)
	codes := make([]string, 0, len(day.up))
	listed := make(map[string]time.Time, len(day.up))
	for _, s := range day.up {
		codes = append(codes, s.TSCode)
		listed[s.TSCode] = s.listDate
	}
	if len(codes) == 0 || len(open) <= 1 {
		return day.ladder(nil), nil // no earlier open day: every streak starts today
	}
	var (
		hist NameHistory
		bars []WindowBar
	)
	boards := make(map[string]int, len(codes))
	pending := codes
	to := date.AddDate(0, 0, -1) // the day itself is known to be limit-up
	for first := true; len(pending) > 0; first = false {
		// open is newest first and reaches MaxFreeDays beyond the window,
		// so every bar of the window gets its exact listing day.
		from := open[min(window, len(open))-1]
		g, gctx := errgroup.WithContext(ctx)
		if first {
			g.Go(func() error {
				names, err := src.NameChanges(gctx, codes)
				hist = NewNameHistory(names)
				return err
			})
		}
		g.Go(func() (err error) { bars, err = src.WindowBars(gctx, pending, from, to); return err })
		if err := g.Wait(); err != nil {
			return Ladder{}, err
		}
		byCode := make(map[string][]WindowBar, len(pending))
		for _, b := range bars {
			byCode[b.TSCode] = append(byCode[b.TSCode], b)
		}
		var more []string
		for _, code := range pending {
			n, whole := Streak(byCode[code], listed[code], hist, openDaysUpTo(open, to))
			boards[code] += n
			// A streak that runs through the whole window may go on, unless
			// the window already reaches the listing.
			if whole && listed[code].Before(from) {
				more = append(more, code)
			}
		}
		calendarEnd := len(open) < window+MaxFreeDays
		if len(more) == 0 || calendarEnd || window >= maxLadderDays {
			break
		}
		pending, to = more, from.AddDate(0, 0, -1)
		window *= 2
		var err error
		if open, err = src.OpenDays(ctx, date, window+MaxFreeDays); err != nil {
			return Ladder{}, err
		}
	}
	return day.ladder(boards), nil
}

// openDaysUpTo keeps the days of open (newest first) on or before to.
func openDaysUpTo(open []time.Time, to time.Time) []time.Time {
	i := 0
	for i < len(open) && open[i].After(to) {
		i++
	}
	return open[i:]
}

// Streak counts the consecutive limit-up days at the newest end of one
// stock's bars (any order; days without a bar are skipped, see the
// suspension note above). open is true when every bar was a limit-up, so
// the streak may continue before the first bar. openDays (newest first)
// must reach MaxFreeDays open days beyond the oldest bar for the listing
// rules to be exact.
func Streak(bars []WindowBar, listDate time.Time, names NameHistory, openDays []time.Time) (n int, open bool) {
	bars = slices.Clone(bars)
	slices.SortFunc(bars, func(a, b WindowBar) int { return b.TradeDate.Compare(a.TradeDate) })
	for _, b := range bars {
		if !windowBand(b, listDate, names, openDays).LimitUp(ToFen(b.Close)) {
			return n, false
		}
		n++
	}
	return n, true
}

func windowBand(b WindowBar, listDate time.Time, names NameHistory, openDays []time.Time) Band {
	name, _ := names.On(b.TSCode, b.TradeDate)
	return LimitBand(LimitInput{
		TSCode: b.TSCode, Date: b.TradeDate, ST: IsST(name),
		ListDate: listDate, ListingDay: ListingDay(listDate, b.TradeDate, openDays),
		PreClose: b.PreClose, UpLimit: b.UpLimit, DownLimit: b.DownLimit,
	})
}

// ladderDay is one day's stocks sorted into limit-up, broken and
// limit-down, before the streaks are known.
type ladderDay struct {
	date      time.Time
	up        []LadderStock
	broken    []LadderStock
	down      []LadderStock
	synthetic bool
}

// classifyDay sorts a day's stocks by LimitBand: limit-up (close at the
// upper limit), broken (high at the upper limit, close below) and
// limit-down. Names without a history row use today's name for ST.
func classifyDay(date time.Time, stocks []DayStock, openDays []time.Time) ladderDay {
	d := ladderDay{date: date}
	for _, s := range stocks {
		d.synthetic = d.synthetic || s.Synthetic
		band := s.Band(date, openDays)
		closeFen := ToFen(s.Close)
		ls := LadderStock{
			TSCode: s.TSCode, Name: s.Name, Industry: s.Industry, Close: s.Close, High: s.High,
			PctChg: s.PctChg, Amount: s.Amount, TurnoverRate: s.TurnoverRate, CircMV: s.CircMV,
			UpLimit: float64(band.UpFen) / 100, DownLimit: float64(band.DownFen) / 100, ST: s.ST(),
			listDate: s.ListDate,
		}
		if band.LimitUp(closeFen) {
			d.up = append(d.up, ls)
			continue
		}
		// A day from the upper limit to the lower one (天地板) is both.
		if band.Broken(ToFen(s.High), closeFen) {
			d.broken = append(d.broken, ls)
		}
		if band.LimitDown(closeFen) {
			d.down = append(d.down, ls)
		}
	}
	return d
}

// ladder assembles the answer; boards holds the streak before the day (0
// or missing = first board).
func (d ladderDay) ladder(boards map[string]int) Ladder {
	l := Ladder{
		TradeDate: FormatDate(d.date), LimitUpCount: len(d.up), BrokenCount: len(d.broken),
		LimitDownCount: len(d.down), Synthetic: d.synthetic,
		Levels: []LadderLevel{}, Broken: slices.Clone(d.broken), LimitDown: slices.Clone(d.down),
	}
	if l.Broken == nil {
		l.Broken = []LadderStock{}
	}
	if l.LimitDown == nil {
		l.LimitDown = []LadderStock{}
	}
	if n := len(d.up) + len(d.broken); n > 0 {
		l.BrokenRate = round4(float64(len(d.broken)) / float64(n))
	}
	byBoards := map[int][]LadderStock{}
	for _, s := range d.up {
		s.Boards = 1 + boards[s.TSCode]
		byBoards[s.Boards] = append(byBoards[s.Boards], s)
		l.MaxBoards = max(l.MaxBoards, s.Boards)
	}
	for n, stocks := range byBoards {
		slices.SortFunc(stocks, byAmountDesc)
		l.Levels = append(l.Levels, LadderLevel{Boards: n, Label: BoardLabel(n), Stocks: stocks})
	}
	slices.SortFunc(l.Levels, func(a, b LadderLevel) int { return cmp.Compare(b.Boards, a.Boards) })
	slices.SortFunc(l.Broken, func(a, b LadderStock) int {
		if c := cmp.Compare(b.PctChg, a.PctChg); c != 0 {
			return c
		}
		return cmp.Compare(a.TSCode, b.TSCode)
	})
	slices.SortFunc(l.LimitDown, func(a, b LadderStock) int {
		if c := cmp.Compare(a.PctChg, b.PctChg); c != 0 {
			return c
		}
		return cmp.Compare(a.TSCode, b.TSCode)
	})
	return l
}

func byAmountDesc(a, b LadderStock) int {
	if c := cmp.Compare(b.Amount, a.Amount); c != 0 {
		return c
	}
	return cmp.Compare(a.TSCode, b.TSCode)
}
