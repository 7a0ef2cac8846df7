package market

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseCode: any text either normalises to a 6-digit code with a known
// exchange, which parses to itself again, or is refused with ErrBadCode.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"600519", "600519.SH", "sh600519", "SZ000001", "920001", "430047.bj", " 000001.sz ", "60051", "600519.HK", "６００５１９", "abcdef", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) || c != "" {
				t.Fatalf("ParseCode(%q) = %q, %v; want ErrBadCode", s, c, err)
			}
			return
		}
		if len(c) != 9 || c[6] != '.' || (c[7:] != "SH" && c[7:] != "SZ" && c[7:] != "BJ") {
			t.Fatalf("ParseCode(%q) = %q: not a normalised code", s, c)
		}
		for _, d := range c[:6] {
			if d < '0' || d > '9' {
				t.Fatalf("ParseCode(%q) = %q: not 6 digits", s, c)
			}
		}
		if again, err := ParseCode(c); err != nil || again != c {
			t.Fatalf("ParseCode(%q) = %q, but that parses to %q, %v", s, c, again, err)
		}
	})
}

// FuzzParseDate: any text either is a date of the exchange era at midnight
// UTC, which both input spellings give back unchanged, or is refused with
// ErrBadDate.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20251218", "2025-12-18", " 2025-12-18 ", "00010101", "0000-01-01", "19900101", "20991231", "21000101", "20250230", "2025-1-2", "+2025-12-18", "-0001-01-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrBadDate) || !d.IsZero() {
				t.Fatalf("ParseDate(%q) = %v, %v; want ErrBadDate", s, d, err)
			}
			return
		}
		if d.Before(FirstDate) || d.After(LastDate) || d.Location() != time.UTC || !d.Equal(d.Truncate(24*time.Hour)) {
			t.Fatalf("ParseDate(%q) = %v: outside the era or not midnight UTC", s, d)
		}
		for _, spelling := range []string{FormatDate(d), d.Format("20060102")} {
			if again, err := ParseDate(spelling); err != nil || !again.Equal(d) {
				t.Fatalf("ParseDate(%q) = %v, but %q parses to %v, %v", s, d, spelling, again, err)
			}
		}
	})
}
