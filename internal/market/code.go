package market

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Board is the listing board of a security; it decides the daily price limit.
type Board string

// Boards of the Shanghai, Shenzhen and Beijing exchanges.
const (
	BoardMain    Board = "main"    // SH 600/601/603/605, SZ 000/001/002/003
	BoardSTAR    Board = "star"    // SH 688/689
	BoardChiNext Board = "chinext" // SZ 300/301/302
	BoardBSE     Board = "bse"     // BJ 4xxxxx, 8xxxxx, 920xxx
	BoardFund    Board = "fund"    // exchange-traded funds: SH 5xxxxx, SZ 1xxxxx
	BoardOther   Board = "other"   // B shares and anything else
)

// ErrBadCode reports a stock code that cannot be parsed.
var ErrBadCode = errors.New("malformed code")

// ParseCode normalises the spellings users type — 600519, 600519.SH, sh600519,
// SH600519, 600519.sh — to the Tushare form 600519.SH.
func ParseCode(s string) (string, error) {
	raw := s
	s = strings.ToUpper(strings.TrimSpace(s))
	var digits, exch string
	switch {
	case len(s) == 9 && s[6] == '.':
		digits, exch = s[:6], s[7:]
	case len(s) == 8 && (strings.HasPrefix(s, "SH") || strings.HasPrefix(s, "SZ") || strings.HasPrefix(s, "BJ")):
		digits, exch = s[2:], s[:2]
	case len(s) == 6:
		digits = s
	default:
		return "", fmt.Errorf("%w %q: want 6 digits with an optional exchange, e.g. 600519, 600519.SH or sh600519", ErrBadCode, raw)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("%w %q: the code must be 6 digits", ErrBadCode, raw)
		}
	}
	if exch == "" {
		exch = exchangeOf(digits)
		if exch == "" {
			return "", fmt.Errorf("%w %q: cannot tell the exchange, add .SH, .SZ or .BJ", ErrBadCode, raw)
		}
	}
	if exch != "SH" && exch != "SZ" && exch != "BJ" {
		return "", fmt.Errorf("%w %q: unknown exchange %q (SH, SZ or BJ)", ErrBadCode, raw, exch)
	}
	return digits + "." + exch, nil
}

// exchangeOf guesses the exchange of a bare 6-digit code from its prefix.
func exchangeOf(d string) string {
	switch {
	case strings.HasPrefix(d, "920"), d[0] == '4', d[0] == '8':
		return "BJ"
	case d[0] == '6', d[0] == '5', d[0] == '9':
		return "SH"
	case d[0] == '0', d[0] == '3', d[0] == '1', d[0] == '2':
		return "SZ"
	}
	return ""
}

// BoardOf returns the board of a normalised ts_code.
func BoardOf(tsCode string) Board {
	if len(tsCode) != 9 {
		return BoardOther
	}
	d, exch := tsCode[:6], tsCode[7:]
	switch exch {
	case "SH":
		switch d[:3] {
		case "600", "601", "603", "605":
			return BoardMain
		case "688", "689":
			return BoardSTAR
		}
		if d[0] == '5' {
			return BoardFund
		}
	case "SZ":
		switch d[:3] {
		case "000", "001", "002", "003":
			return BoardMain
		case "300", "301", "302":
			return BoardChiNext
		}
		if d[0] == '1' {
			return BoardFund
		}
	case "BJ":
		if d[0] == '4' || d[0] == '8' || strings.HasPrefix(d, "920") {
			return BoardBSE
		}
	}
	return BoardOther
}

// DateLayout is the form dates take in answers.
const DateLayout = "2006-01-02"

// ErrBadDate reports a date that cannot be parsed, or lies outside the
// exchange era (then the error is also ErrDateOutOfEra).
var (
	ErrBadDate      = errors.New("malformed date")
	ErrDateOutOfEra = fmt.Errorf("outside the exchange era %s to %s", FormatDate(FirstDate), FormatDate(LastDate))
)

// The exchange era: the year the Shanghai and Shenzhen exchanges opened
// (the first trading day, 1990-12-19, with room for calendar rows before
// it) to a future far past any calendar Tushare publishes. A date outside
// it is a typo or a probe, never a question about the market: the zero
// time in particular, which would otherwise mean "no date".
var (
	FirstDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	LastDate  = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
)

// ParseDate accepts YYYYMMDD and YYYY-MM-DD within the exchange era
// (FirstDate..LastDate) and returns midnight UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layout := "20060102"
	if strings.Contains(s, "-") {
		layout = DateLayout
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w %q: want YYYYMMDD or YYYY-MM-DD", ErrBadDate, s)
	}
	if t.Before(FirstDate) || t.After(LastDate) {
		return time.Time{}, fmt.Errorf("%w %q: %w", ErrBadDate, s, ErrDateOutOfEra)
	}
	return t, nil
}

// FormatDate renders a date as YYYY-MM-DD, or "" for the zero time.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}
