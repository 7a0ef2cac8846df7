package httpapi

import (
	"testing"
)

func TestDailyMetaRoundTrip(t *testing.T) {
	for _, m := range []dailyMeta{
		{Name: "贵州茅台", Kind: "stock", LatestDate: "2025-12-18", AnchorDate: "2025-12-18", AnchorFactor: 8.4153},
		{Name: "合成 ETF 7", Kind: "etf", Synthetic: true, LatestDate: "2025-12-18"},
		{Name: "", Kind: "stock", AnchorDate: "2025-01-02", AnchorFactor: 1e-9},
	} {
		got, err := decodeDailyMeta(m.encode())
		if err != nil || got != m {
			t.Errorf("round trip of %+v: %+v, %v", m, got, err)
		}
	}
	// A tab inside a name cannot shift the fields.
	got, err := decodeDailyMeta(dailyMeta{Name: "A\tB", Kind: "stock"}.encode())
	if err != nil || got.Name != "A B" || got.Kind != "stock" {
		t.Errorf("name with a tab: %+v, %v", got, err)
	}
	for _, bad := range []string{"", `{"name":"x"}`, "m0\ta\tstock\t0\t\t\t1", "m1\ta\tstock\t0\t\t\tx"} {
		if _, err := decodeDailyMeta([]byte(bad)); err == nil {
			t.Errorf("decode %q: no error", bad)
		}
	}
}
