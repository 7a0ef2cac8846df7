package indicator

import "math"

// MACD is 通达信's MACD(SHORT,LONG,M): DIF = EMA(C,short) − EMA(C,long),
// DEA = EMA(DIF,signal), bar (the MACD柱) = 2×(DIF−DEA). All three are
// defined from the first bar (DIF starts at 0).
func MACD(close []float64, short, long, signal int) (dif, dea, bar Series) {
	fast, slow := EMA(close, short), EMA(close, long)
	dif = undefined(len(close))
	for i := range close {
		dif[i] = fast[i] - slow[i]
	}
	dea = EMA(dif, signal)
	bar = undefined(len(close))
	for i := range close {
		bar[i] = 2 * (dif[i] - dea[i])
	}
	return dif, dea, bar
}

// neutral is the value KDJ starts from and the RSV of a bar whose n-bar
// range is empty (high == low throughout): no position in an empty range,
// so the middle of the scale.
const neutral = 50

// KDJ is the stochastic of the quote software, KDJ(N,M1,M2):
//
//	RSV = (C − LLV(L,N)) / (HHV(H,N) − LLV(L,N)) × 100   (50 when HHV == LLV)
//	K   = SMA(RSV,M1,1) = ((M1−1)·K' + RSV)/M1, K' = 50 before the first RSV
//	D   = SMA(K,M2,1)   = ((M2−1)·D' + K)/M2,   D' = 50 before the first K
//	J   = 3K − 2D
//
// RSV needs n bars, so the first n-1 bars are undefined.
func KDJ(high, low, close []float64, n, m1, m2 int) (k, d, j Series) {
	size := len(close)
	k, d, j = undefined(size), undefined(size), undefined(size)
	if n < 1 || m1 < 1 || m2 < 1 || len(high) != size || len(low) != size {
		return k, d, j
	}
	pk, pd := float64(neutral), float64(neutral)
	for i := n - 1; i < size; i++ {
		hh, ll := high[i], low[i]
		for t := i - n + 1; t < i; t++ {
			hh = math.Max(hh, high[t])
			ll = math.Min(ll, low[t])
		}
		rsv := float64(neutral)
		if hh > ll {
			rsv = (close[i] - ll) / (hh - ll) * 100
		}
		pk = (float64(m1-1)*pk + rsv) / float64(m1)
		pd = (float64(m2-1)*pd + pk) / float64(m2)
		k[i], d[i], j[i] = pk, pd, 3*pk-2*pd
	}
	return k, d, j
}

// RSI is 通达信's RSI(N): with LC = the previous close,
//
//	RSI = SMA(MAX(C−LC,0),N,1) / SMA(ABS(C−LC),N,1) × 100
//
// Both SMAs are seeded by the first change, so the first value (bar 1) is
// 100 after a rise and 0 after a fall. Bar 0 has no change and is
// undefined, and so is every bar before the price first moves (0/0).
func RSI(close []float64, n int) Series {
	out := undefined(len(close))
	if n < 1 {
		return out
	}
	alpha := 1 / float64(n)
	up, all, seeded := 0.0, 0.0, false
	for i := 1; i < len(close); i++ {
		ch := close[i] - close[i-1]
		u := math.Max(ch, 0)
		if !seeded {
			up, all, seeded = u, math.Abs(ch), true
		} else {
			up = alpha*u + (1-alpha)*up
			all = alpha*math.Abs(ch) + (1-alpha)*all
		}
		if all > 0 {
			out[i] = up / all * 100
		}
	}
	return out
}

// BOLL is the Bollinger band BOLL(N,K): mid = MA(C,N), upper/lower = mid ±
// K·σ, σ the population standard deviation of the last N closes or, with
// sample, the sample one. The first n-1 bars are undefined.
func BOLL(close []float64, n int, k float64, sample bool) (mid, upper, lower Series) {
	mid = MA(close, n)
	sd := StdDev(close, n, sample)
	upper, lower = undefined(len(close)), undefined(len(close))
	for i := range close {
		upper[i] = mid[i] + k*sd[i]
		lower[i] = mid[i] - k*sd[i]
	}
	return mid, upper, lower
}
