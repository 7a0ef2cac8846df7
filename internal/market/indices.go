package market

// IndexRef names an index.
type IndexRef struct {
	TSCode string `json:"ts_code"`
	Name   string `json:"name"`
}

// MainIndices are the indices the sync fetches, the demo generates and the
// overview shows, in display order. 000001.SH is the Shanghai Composite,
// not a stock: the stock 000001 is 000001.SZ.
func MainIndices() []IndexRef {
	return []IndexRef{
		{"000001.SH", "上证指数"},
		{"399001.SZ", "深证成指"},
		{"399006.SZ", "创业板指"},
		{"000300.SH", "沪深300"},
		{"000688.SH", "科创50"},
		{"899050.BJ", "北证50"},
	}
}
