package market

import (
	"errors"
	"testing"
)

func TestParseCode(t *testing.T) {
	good := map[string]string{
		"600519":    "600519.SH",
		"600519.SH": "600519.SH",
		"600519.sh": "600519.SH",
		"sh600519":  "600519.SH",
		"SH600519":  "600519.SH",
		" 000001 ":  "000001.SZ",
		"sz000001":  "000001.SZ",
		"300750":    "300750.SZ",
		"688981":    "688981.SH",
		"830799":    "830799.BJ",
		"430047":    "430047.BJ",
		"920002":    "920002.BJ",
		"bj920002":  "920002.BJ",
		"510300":    "510300.SH",
		"159919":    "159919.SZ",
		"159919.SZ": "159919.SZ",
	}
	for in, want := range good {
		got, err := ParseCode(in)
		if err != nil || got != want {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "60051", "6005190", "abc.SH", "600519.XX", "hk600519", "60a519", "600519.", "7000001", "700001"}
	for _, in := range bad {
		if got, err := ParseCode(in); !errors.Is(err, ErrBadCode) {
			t.Errorf("ParseCode(%q) = %q, %v; want ErrBadCode", in, got, err)
		}
	}
}

func TestBoardOfAndLimit(t *testing.T) {
	cases := []struct {
		code, name string
		board      Board
		pct        int
	}{
		{"600519.SH", "贵州茅台", BoardMain, 10},
		{"605599.SH", "菜百股份", BoardMain, 10},
		{"688981.SH", "中芯国际", BoardSTAR, 20},
		{"000001.SZ", "平安银行", BoardMain, 10},
		{"003816.SZ", "中国广核", BoardMain, 10},
		{"300750.SZ", "宁德时代", BoardChiNext, 20},
		{"301001.SZ", "凯淳股份", BoardChiNext, 20},
		{"830799.BJ", "艾融软件", BoardBSE, 30},
		{"920002.BJ", "万达轴承", BoardBSE, 30},
		{"600666.SH", "ST瑞德", BoardMain, 5},
		{"000004.SZ", "*ST国华", BoardMain, 5},
		{"300313.SZ", "*ST天山", BoardChiNext, 20}, // ST on ChiNext keeps ±20%
		{"600607.SH", "S上实", BoardMain, 5},
		{"510300.SH", "沪深300ETF", BoardFund, 0},
		{"900901.SH", "云赛B股", BoardOther, 0},
	}
	for _, c := range cases {
		if b := BoardOf(c.code); b != c.board {
			t.Errorf("BoardOf(%s) = %s, want %s", c.code, b, c.board)
		}
		if p := LimitPct(day("2025-12-18"), c.code, IsST(c.name)); p != c.pct {
			t.Errorf("LimitPct(2025-12-18, %s %s) = %d, want %d", c.code, c.name, p, c.pct)
		}
	}
}

func TestLimitPricesRounding(t *testing.T) {
	cases := []struct {
		pre      float64
		pct      int
		up, down int64
	}{
		{10.00, 10, 1100, 900},
		{9.99, 10, 1099, 899},   // 10.989 → 10.99, 8.991 → 8.99
		{11.53, 10, 1268, 1038}, // 12.683 → 12.68, 10.377 → 10.38
		{3.15, 10, 347, 284},    // 3.465 → 3.47 half-up, 2.835 → 2.84
		{4.05, 5, 425, 385},     // 4.2525 → 4.25, 3.8475 → 3.85
		{20.05, 20, 2406, 1604},
		{13.35, 30, 1736, 935}, // 17.355 → 17.36, 9.345 → 9.35
	}
	for _, c := range cases {
		up, down := LimitPrices(c.pre, c.pct)
		if up != c.up || down != c.down {
			t.Errorf("LimitPrices(%v, %d) = %d, %d; want %d, %d", c.pre, c.pct, up, down, c.up, c.down)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, in := range []string{"20251218", "2025-12-18", " 2025-12-18 "} {
		d, err := ParseDate(in)
		if err != nil || FormatDate(d) != "2025-12-18" {
			t.Errorf("ParseDate(%q) = %v, %v", in, d, err)
		}
	}
	for _, in := range []string{"", "2025-13-01", "20251", "2025/12/18", "20251232", "18-12-2025", "abc"} {
		if _, err := ParseDate(in); !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseDate(%q): want ErrBadDate, got %v", in, err)
		}
	}
	if FormatDate(timeZero) != "" {
		t.Error("zero date must format as empty")
	}
}

// Dates outside the exchange era are refused: the zero date above all,
// which callers read as "no date".
func TestParseDateEra(t *testing.T) {
	for _, in := range []string{"19900101", "1990-12-19", "2099-12-31", "20261231"} {
		if _, err := ParseDate(in); err != nil {
			t.Errorf("ParseDate(%q): %v", in, err)
		}
	}
	for _, in := range []string{"00010101", "0001-01-01", "00000101", "19891231", "21000101", "9999-12-31"} {
		d, err := ParseDate(in)
		if !errors.Is(err, ErrBadDate) || !errors.Is(err, ErrDateOutOfEra) || !d.IsZero() {
			t.Errorf("ParseDate(%q) = %v, %v; want ErrDateOutOfEra", in, d, err)
		}
	}
}
