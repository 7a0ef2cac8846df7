package query

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stockdatasource/stockd/internal/market"
)

// The quick analysis sums a day up from the data alone, without any LLM:
// breadth, turnover against its recent averages, a sentiment score, rule
// signals, the strongest and weakest sectors and the ladder's height.
//
// Sentiment score (0–100), four parts each between 0 and 1:
//
//	breadth  B = up ÷ (up + down)                       weight 0.4
//	limits   L = limit-up ÷ (limit-up + limit-down)     weight 0.2
//	volume   V = clamp(turnover ÷ 5-day average − 0.5, 0, 1)   weight 0.2
//	boards   S = 1 − 炸板率 (broken ÷ (limit-up + broken))     weight 0.2
//	score = round(100 × (0.4B + 0.2L + 0.2V + 0.2S))
//
// A part without data (no advancers nor decliners, no limit moves, no
// earlier day, no board reached) is 0.5, neutral. Levels: 0–19 冰点,
// 20–39 低迷, 40–59 中性, 60–79 活跃, 80–100 过热. V reads volume as heat:
// half the 5-day average or less is 0, the average 0.5, one and a half
// times it or more 1.

// Thresholds of the quick analysis' signals.
const (
	SignalIndexMove     = 1.0   // an index moving at least this many percent
	SignalLimitCount    = 50    // more limit-ups (or limit-downs) than this
	SignalTurnoverHigh  = 10000 // 亿元: turnover above 1万亿
	SignalTurnoverLow   = 5000  // 亿元: turnover below 5000亿
	quickSectors        = 5     // strongest and weakest sectors shown
	quickLadderLeaders  = 5     // stocks of the ladder's top level shown
	sentimentNeutral    = 0.5
	sentimentWeightMain = 0.4
	sentimentWeightPart = 0.2
)

type quickAnswer struct {
	TradeDate     string              `json:"trade_date"`
	Synthetic     bool                `json:"synthetic"`
	Summary       string              `json:"summary"`
	Breadth       quickBreadth        `json:"breadth"`
	Turnover      market.Turnover     `json:"turnover"`
	Sentiment     sentiment           `json:"sentiment"`
	Signals       []signal            `json:"signals"`
	TopSectors    []market.Sector     `json:"top_sectors"`
	BottomSectors []market.Sector     `json:"bottom_sectors"`
	Ladder        ladderSummary       `json:"ladder"`
	Indices       []market.IndexQuote `json:"indices"`
}

type quickBreadth struct {
	UpCount        int     `json:"up_count"`
	DownCount      int     `json:"down_count"`
	FlatCount      int     `json:"flat_count"`
	LimitUpCount   int     `json:"limit_up_count"`
	LimitDownCount int     `json:"limit_down_count"`
	StockCount     int     `json:"stock_count"`
	UpRatio        float64 `json:"up_ratio"` // up ÷ stocks
}

type sentiment struct {
	Score int    `json:"score"`
	Level string `json:"level"`
	// The parts (0..1) of the formula above.
	Breadth float64 `json:"breadth"`
	Limits  float64 `json:"limits"`
	Volume  float64 `json:"volume"`
	Boards  float64 `json:"boards"`
	Formula string  `json:"formula"`
}

// signal is one rule that fired; Tone is positive, negative or neutral.
type signal struct {
	Kind    string `json:"kind"`
	Tone    string `json:"tone"`
	Message string `json:"message"`
}

type ladderSummary struct {
	MaxBoards      int            `json:"max_boards"`
	LimitUpCount   int            `json:"limit_up_count"`
	BrokenCount    int            `json:"broken_count"`
	LimitDownCount int            `json:"limit_down_count"`
	BrokenRate     float64        `json:"broken_rate"`
	Leaders        []ladderLeader `json:"leaders"` // the top level's stocks, by amount
}

type ladderLeader struct {
	TSCode string  `json:"ts_code"`
	Name   string  `json:"name"`
	Boards int     `json:"boards"`
	PctChg float64 `json:"pct_chg"`
}

const sentimentFormula = "round(100 × (0.4·up/(up+down) + 0.2·limit_up/(limit_up+limit_down) + 0.2·clamp(turnover/avg5 − 0.5, 0, 1) + 0.2·(1 − broken_rate)))"

// QuickAnalysis sums up a day (zero: the latest with data).
func (q *Queries) QuickAnalysis(ctx context.Context, date time.Time) (Answer, error) {
	date, err := q.tradeDate(ctx, date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, QuickAnalysisKey(date), func(ctx context.Context) ([]byte, error) {
		return encoded(q.quickAnalysis(ctx, date))
	})
}

func (q *Queries) quickAnalysis(ctx context.Context, date time.Time) (quickAnswer, error) {
	d, err := q.days.get(ctx, date)
	if err != nil {
		return quickAnswer{}, err
	}
	var (
		ladder market.Ladder
		totals []market.DayTotal
		quotes indicesAnswer
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		ladder, err = market.BuildLadder(gctx, ladderSource{Store: q.store, d: d}, date)
		return err
	})
	g.Go(func() (err error) {
		totals, err = q.days.dailyTotals(gctx, date)
		return err
	})
	g.Go(func() (err error) {
		quotes, err = q.indices(gctx, date)
		return err
	})
	if err := g.Wait(); err != nil {
		return quickAnswer{}, fmt.Errorf("quick analysis of %s: %w", market.FormatDate(date), err)
	}
	stats := market.ComputeStats(date, market.StatBars(d.stocks), d.open)
	secs := market.ComputeSectors(date, d.stocks, d.open)
	if err := market.SortSectors(secs, market.SortPctChg); err != nil {
		return quickAnswer{}, err
	}
	a := quickAnswer{
		TradeDate: market.FormatDate(date), Synthetic: d.synthetic() || quotes.Synthetic,
		Breadth: quickBreadth{
			UpCount: stats.UpCount, DownCount: stats.DownCount, FlatCount: stats.FlatCount,
			LimitUpCount: stats.LimitUpCount, LimitDownCount: stats.LimitDownCount, StockCount: stats.StockCount,
		},
		Turnover:      market.SummarizeTurnover(totals),
		TopSectors:    secs[:min(quickSectors, len(secs))],
		BottomSectors: slices.Clone(secs[max(0, len(secs)-quickSectors):]),
		Indices:       quotes.Data,
		Signals:       []signal{},
	}
	slices.Reverse(a.BottomSectors) // weakest first
	if stats.StockCount > 0 {
		a.Breadth.UpRatio = round4(float64(stats.UpCount) / float64(stats.StockCount))
	}
	a.Ladder = summarizeLadder(ladder)
	a.Sentiment = scoreSentiment(a.Breadth, a.Turnover, ladder)
	a.Signals = signals(a.Breadth, a.Turnover, quotes.Data)
	a.Summary = summarize(a)
	return a, nil
}

func summarizeLadder(l market.Ladder) ladderSummary {
	s := ladderSummary{
		MaxBoards: l.MaxBoards, LimitUpCount: l.LimitUpCount, BrokenCount: l.BrokenCount,
		LimitDownCount: l.LimitDownCount, BrokenRate: l.BrokenRate, Leaders: []ladderLeader{},
	}
	if len(l.Levels) > 0 {
		for _, st := range l.Levels[0].Stocks[:min(quickLadderLeaders, len(l.Levels[0].Stocks))] {
			s.Leaders = append(s.Leaders, ladderLeader{TSCode: st.TSCode, Name: st.Name, Boards: st.Boards, PctChg: st.PctChg})
		}
	}
	return s
}

// ratio is a ÷ (a + b), neutral when both are 0.
func ratio(a, b int) float64 {
	if a+b == 0 {
		return sentimentNeutral
	}
	return float64(a) / float64(a+b)
}

func scoreSentiment(b quickBreadth, t market.Turnover, l market.Ladder) sentiment {
	s := sentiment{
		Breadth: ratio(b.UpCount, b.DownCount), Limits: ratio(b.LimitUpCount, b.LimitDownCount),
		Volume: sentimentNeutral, Boards: sentimentNeutral, Formula: sentimentFormula,
	}
	if t.Ratio5 != nil {
		s.Volume = math.Min(1, math.Max(0, *t.Ratio5-0.5))
	}
	if l.LimitUpCount+l.BrokenCount > 0 {
		s.Boards = 1 - ratio(l.BrokenCount, l.LimitUpCount)
	}
	raw := 100 * (sentimentWeightMain*s.Breadth + sentimentWeightPart*(s.Limits+s.Volume+s.Boards))
	s.Score = int(math.Round(raw))
	s.Breadth, s.Limits, s.Volume, s.Boards = round4(s.Breadth), round4(s.Limits), round4(s.Volume), round4(s.Boards)
	s.Level = sentimentLevel(s.Score)
	return s
}

// sentimentLevel names a score: 冰点, 低迷, 中性, 活跃, 过热 by fifths.
func sentimentLevel(score int) string {
	levels := []string{"冰点", "低迷", "中性", "活跃", "过热"}
	return levels[min(max(score, 0)/20, len(levels)-1)]
}

func signals(b quickBreadth, t market.Turnover, indices []market.IndexQuote) []signal {
	out := []signal{}
	for _, x := range indices {
		if math.Abs(x.PctChg) < SignalIndexMove {
			continue
		}
		verb, tone := "上涨", "positive"
		if x.PctChg < 0 {
			verb, tone = "下跌", "negative"
		}
		out = append(out, signal{Kind: "index_move", Tone: tone, Message: fmt.Sprintf("%s%s%.2f%%", x.Name, verb, math.Abs(x.PctChg))})
	}
	if b.LimitUpCount > SignalLimitCount {
		out = append(out, signal{Kind: "limit_up_many", Tone: "positive",
			Message: fmt.Sprintf("涨停 %d 家，超过 %d 家，短线赚钱效应强", b.LimitUpCount, SignalLimitCount)})
	}
	if b.LimitDownCount > SignalLimitCount {
		out = append(out, signal{Kind: "limit_down_many", Tone: "negative",
			Message: fmt.Sprintf("跌停 %d 家，超过 %d 家，注意风险", b.LimitDownCount, SignalLimitCount)})
	}
	switch {
	case t.Amount > SignalTurnoverHigh:
		out = append(out, signal{Kind: "turnover_high", Tone: "positive",
			Message: fmt.Sprintf("成交额 %s，超过 1 万亿元", yi(t.Amount))})
	case t.Amount > 0 && t.Amount < SignalTurnoverLow:
		out = append(out, signal{Kind: "turnover_low", Tone: "negative",
			Message: fmt.Sprintf("成交额 %s，低于 5000 亿元", yi(t.Amount))})
	}
	return out
}

// yi writes an amount in 亿元 the way quote apps do: 万亿 from 10,000 亿 on.
func yi(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.2f 万亿元", v/10000)
	}
	return fmt.Sprintf("%.0f 亿元", v)
}

// summarize writes the answer as one paragraph of Chinese.
func summarize(a quickAnswer) string {
	var b strings.Builder
	br := a.Breadth
	fmt.Fprintf(&b, "%s：上涨 %d 家，下跌 %d 家，平盘 %d 家；涨停 %d 家，跌停 %d 家。",
		a.TradeDate, br.UpCount, br.DownCount, br.FlatCount, br.LimitUpCount, br.LimitDownCount)
	if t := a.Turnover; t.Amount > 0 {
		fmt.Fprintf(&b, "成交额 %s", yi(t.Amount))
		if t.Ratio5 != nil {
			fmt.Fprintf(&b, "，为 5 日均值的 %.2f 倍", *t.Ratio5)
		}
		b.WriteString("。")
	}
	fmt.Fprintf(&b, "情绪 %d 分（%s）。", a.Sentiment.Score, a.Sentiment.Level)
	switch l := a.Ladder; {
	case l.MaxBoards >= 2:
		fmt.Fprintf(&b, "空间板 %s", market.BoardLabel(l.MaxBoards))
		if len(l.Leaders) > 0 {
			fmt.Fprintf(&b, "（%s）", l.Leaders[0].Name)
		}
		fmt.Fprintf(&b, "，炸板率 %.0f%%。", l.BrokenRate*100)
	case l.MaxBoards == 1:
		fmt.Fprintf(&b, "涨停均为首板，炸板率 %.0f%%。", l.BrokenRate*100)
	}
	if len(a.TopSectors) > 0 {
		s := a.TopSectors[0]
		fmt.Fprintf(&b, "领涨行业：%s（%+.2f%%）。", s.Industry, s.PctChg)
	}
	return b.String()
}
