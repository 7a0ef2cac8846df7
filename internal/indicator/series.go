// Package indicator computes the technical indicators of the Chinese quote
// software (同花顺, 通达信) on a daily K-line: MA, EMA, MACD, KDJ, RSI and BOLL.
//
// Every series is aligned to its input, one value per bar; a value that is
// not defined yet (too few bars) is NaN in Go and null in JSON. The
// recursive indicators (EMA, MACD, KDJ, RSI) depend on the whole history
// before a bar; WarmUp says how many bars before a window make every value
// in it agree with the full-history computation, and Compute takes the
// window's first index and uses that much history before it.
package indicator

import (
	"math"
	"strconv"
)

// Series is one indicator line aligned to the input bars. NaN marks a bar
// where the value is not defined; it is written as null in JSON.
type Series []float64

// MarshalJSON writes the values with the shortest exact representation and
// NaN (or an infinity, which no indicator here produces) as null.
func (s Series) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	b := make([]byte, 0, 2+len(s)*12)
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// Valid reports whether the value at i is defined.
func (s Series) Valid(i int) bool { return i >= 0 && i < len(s) && !math.IsNaN(s[i]) }

func undefined(n int) Series {
	s := make(Series, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// MA is the simple moving average of the last n values; the first n-1 bars
// are undefined.
func MA(x []float64, n int) Series {
	out := undefined(len(x))
	if n < 1 {
		return out
	}
	sum := 0.0
	for i, v := range x {
		sum += v
		if i >= n {
			sum -= x[i-n]
		}
		if i >= n-1 {
			out[i] = sum / float64(n)
		}
	}
	return out
}

// EMA is the exponential moving average with alpha 2/(n+1), seeded by the
// first value (通达信 EMA): Y0 = X0, Yi = αXi + (1-α)Yi-1. It is defined from
// the first bar, as the quote software shows it.
func EMA(x []float64, n int) Series {
	if n < 1 {
		return undefined(len(x))
	}
	return smooth(x, 2/float64(n+1))
}

// SMA is the quote software's SMA(X,N,M): Yi = (M·Xi + (N-M)·Yi-1)/N, seeded
// by the first defined value (the 通达信 convention). Leading NaNs of x stay
// undefined; a NaN after the seed is skipped (the previous value carries).
func SMA(x []float64, n, m int) Series {
	if n < 1 || m < 1 || m > n {
		return undefined(len(x))
	}
	return smooth(x, float64(m)/float64(n))
}

// smooth is the first-order recursion both EMA and SMA are made of.
func smooth(x []float64, alpha float64) Series {
	out := undefined(len(x))
	y, seeded := 0.0, false
	for i, v := range x {
		switch {
		case math.IsNaN(v):
			if !seeded {
				continue
			}
		case !seeded:
			y, seeded = v, true
		default:
			y = alpha*v + (1-alpha)*y
		}
		out[i] = y
	}
	return out
}

// StdDev is the rolling standard deviation of the last n values: the
// population one (divide by n) or, with sample, the sample one (divide by
// n-1, 通达信's STD). The first n-1 bars are undefined. Each window is summed
// afresh around its own mean: a running sum of squares would lose the
// small deviations of a quiet stock against its squared price.
func StdDev(x []float64, n int, sample bool) Series {
	out := undefined(len(x))
	if n < 1 || (sample && n < 2) {
		return out
	}
	div := float64(n)
	if sample {
		div--
	}
	for i := n - 1; i < len(x); i++ {
		w := x[i-n+1 : i+1]
		mean := 0.0
		for _, v := range w {
			mean += v
		}
		mean /= float64(n)
		ss := 0.0
		for _, v := range w {
			ss += (v - mean) * (v - mean)
		}
		out[i] = math.Sqrt(ss / div)
	}
	return out
}
