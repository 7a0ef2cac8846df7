// Package pinyin finds stocks, funds and indices by pinyin the way Chinese
// quote apps do: by the initials of a name (gzmt → 贵州茅台), by its full
// pinyin (guizhoumaotai), by code prefix or by name substring.
//
// Spelling a name: full-width letters, digits and signs (Ａ, Ｂ, ０) are
// first folded to their ASCII forms; Han characters become toneless pinyin
// syllables, read in context where a phrase table knows the word (银行
// yin hang, 重庆 chong qing); Latin letters and digits pass through
// lowercased, one syllable each (ST, TCL, 300); everything else — *, -, ·,
// spaces, brackets — is dropped. So *ST海航 is spelled sthh / sthaihang and
// 万科Ａ wka / wankea. The initials of a syllable are its first letter (zh,
// ch, sh give z, c, s), as quote apps do.
package pinyin

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	gopinyin "github.com/mozillazg/go-pinyin"
)

// Spelling holds a name's pinyin spellings, the primary one first. There is
// more than one only when the name has a polyphonic character that no
// phrase decides; both readings are then kept.
type Spelling struct {
	Initials []string // e.g. "gzmt"
	Full     []string // e.g. "guizhoumaotai"
}

// Initials is the primary initials spelling of a name ("" when it has no
// letters, digits or Han characters).
func Initials(name string) string { return first(Spell(name).Initials) }

// Full is the primary full spelling of a name.
func Full(name string) string { return first(Spell(name).Full) }

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Spell spells a name; see the package comment for the rules.
func Spell(name string) Spelling {
	sp, _ := spell(name)
	return sp
}

// maxVariants bounds the spellings of one name: every combination of the
// undecided characters' readings while there are at most this many, else
// the primary spelling plus each single change of one character.
const maxVariants = 8

// spell returns the spellings and, for each full spelling, the byte offsets
// where its syllables start.
func spell(name string) (Spelling, [][]int) {
	syl := syllables(fold(name))
	combos := 1
	for _, s := range syl {
		combos *= len(s)
		if combos > maxVariants {
			break
		}
	}
	var picks [][]int // per variant, the reading index of each syllable
	if combos <= maxVariants {
		picks = make([][]int, 0, combos)
		for v := range combos {
			p := make([]int, len(syl))
			for i, rest := 0, v; i < len(syl); i++ {
				p[i] = rest % len(syl[i])
				rest /= len(syl[i])
			}
			picks = append(picks, p)
		}
	} else {
		picks = append(picks, make([]int, len(syl)))
		for i, s := range syl {
			for r := 1; r < len(s); r++ {
				p := make([]int, len(syl))
				p[i] = r
				picks = append(picks, p)
			}
		}
	}
	var sp Spelling
	var starts [][]int
	for _, p := range picks {
		size := 0
		for i, s := range syl {
			size += len(s[p[i]])
		}
		ini, full := make([]byte, 0, len(syl)), make([]byte, 0, size)
		offs := make([]int, len(syl))
		for i, s := range syl {
			r := s[p[i]]
			ini = append(ini, r[0])
			offs[i] = len(full)
			full = append(full, r...)
		}
		if i := string(ini); !slices.Contains(sp.Initials, i) {
			sp.Initials = append(sp.Initials, i)
		}
		if f := string(full); !slices.Contains(sp.Full, f) {
			sp.Full = append(sp.Full, f)
			starts = append(starts, offs)
		}
	}
	if len(syl) == 0 {
		sp.Initials, sp.Full, starts = []string{""}, []string{""}, [][]int{nil}
	}
	return sp, starts
}

// fold maps full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space
// to ASCII and lowercases ASCII letters.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}, s)
}

// syllables spells a folded name as a list of syllables, each with its
// possible readings (primary first).
func syllables(s string) [][]string {
	out := make([][]string, 0, len(s)/3+1)
	for i := 0; i < len(s); {
		if n, read := phraseAt(s[i:]); n > 0 {
			out = append(out, read...)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			out = append(out, ascii[r])
		case unicode.Is(unicode.Han, r):
			if read := charReadings(r); len(read) > 0 {
				out = append(out, read)
			}
		}
	}
	return out
}

// maxPhrase is the longest phrase in runes, at most maxPhraseCap (a
// test checks the table).
var maxPhrase = func() int {
	n := 0
	for p := range phrases {
		n = max(n, utf8.RuneCountInString(p))
	}
	return min(n, maxPhraseCap)
}()

const maxPhraseCap = 8

// phraseSyllables is phrases split into syllables, each a one-reading
// list as syllables returns them.
var phraseSyllables = func() map[string][][]string {
	m := make(map[string][][]string, len(phrases))
	for p, read := range phrases {
		for _, r := range strings.Fields(read) {
			m[p] = append(m[p], []string{r})
		}
	}
	return m
}()

// ascii holds the one-reading lists of the letters and digits.
var ascii = func() (t [128][]string) {
	for r := range t {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			t[r] = []string{string(rune(r))}
		}
	}
	return t
}()

// phraseAt looks for a phrase at the start of s, longest first, and
// returns its length in bytes and its syllables.
func phraseAt(s string) (int, [][]string) {
	var ends [maxPhraseCap]int // ends[k] is the byte length of the first k+1 runes
	k := 0
	for end := 0; k < maxPhrase && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		ends[k] = end
	}
	for ; k >= 2; k-- {
		if read, ok := phraseSyllables[s[:ends[k-1]]]; ok {
			return ends[k-1], read
		}
	}
	return 0, nil
}

var dictArgs = gopinyin.Args{Style: gopinyin.Normal}

// dictCache keeps the dictionary's answer per character: the dictionary
// strips tone marks with regular expressions on every call, which made it
// most of a rebuild's time.
var dictCache sync.Map // rune → []string

func charReadings(r rune) []string {
	if read, ok := chars[r]; ok {
		return read
	}
	if read, ok := dictCache.Load(r); ok {
		return read.([]string)
	}
	read := gopinyin.SinglePinyin(r, dictArgs)
	dictCache.Store(r, read)
	return read
}
