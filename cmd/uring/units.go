package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Sizes and times as fio reads them (see fio(1), "Parameter types").

// parseSize reads a quantity of data the way fio does with its default kb_base=1024: a number
// (decimal, or hexadecimal after 0x) with an optional suffix, not case sensitive. k, m, g, t, p
// (with or without a trailing b) are powers of 1024; ki, mi, gi, ti, pi (with or without a
// trailing b) are powers of 1000. That is fio's "compatibility mode", the opposite of the IEC
// prefixes, so 4k is 4096 and 4KiB is 4000. With kbBase 1000 the prefixes follow the standards
// instead: k is 1000 and ki is 1024. A bare b (or B) means bytes.
func parseSize(s string, kbBase int) (int64, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty size")
	}
	i := 0
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		i = 2
		for i < len(s) && strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			i++
		}
	} else {
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
	}
	num, suffix := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	var v float64
	if strings.HasPrefix(num, "0x") || strings.HasPrefix(num, "0X") {
		u, err := strconv.ParseUint(num[2:], 16, 63)
		if err != nil {
			return 0, fmt.Errorf("bad size %q", in)
		}
		v = float64(u)
	} else {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad size %q", in)
		}
		v = f
	}
	suffix = strings.TrimSuffix(suffix, "b")
	mult := float64(1)
	if suffix != "" {
		p := strings.IndexByte("kmgtp", suffix[0])
		if p < 0 || len(suffix) > 2 || len(suffix) == 2 && suffix[1] != 'i' {
			return 0, fmt.Errorf("bad size %q: unknown unit %q", in, s[i:])
		}
		pow2 := len(suffix) == 1 // k, m, g: powers of 1024 in fio's default mode
		if kbBase == 1000 {
			pow2 = !pow2
		}
		base := float64(1000)
		if pow2 {
			base = 1024
		}
		mult = math.Pow(base, float64(p+1))
	}
	v *= mult
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("bad size %q: not a whole number of bytes", in)
	}
	if v >= math.MaxInt64 || v <= math.MinInt64 {
		return 0, fmt.Errorf("bad size %q: too large", in)
	}
	return int64(v), nil
}

// parseTime reads a time as fio does: a number of seconds by default, or with a suffix (not case
// sensitive): d, h, m (minutes), s or sec, ms or msec, us or usec. Fractions are accepted.
func parseTime(s string) (time.Duration, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-' || s[i] == '+') {
		i++
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("bad time %q", in)
	}
	units := map[string]time.Duration{
		"": time.Second, "s": time.Second, "sec": time.Second,
		"ms": time.Millisecond, "msec": time.Millisecond,
		"us": time.Microsecond, "usec": time.Microsecond,
		"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
	}
	u, ok := units[s[i:]]
	if !ok {
		return 0, fmt.Errorf("bad time %q: unknown unit %q", in, s[i:])
	}
	d := v * float64(u)
	if d >= math.MaxInt64 || d <= math.MinInt64 {
		return 0, fmt.Errorf("bad time %q: too large", in)
	}
	return time.Duration(d), nil
}

// formatSize writes n bytes with a binary prefix, as fio's outputs do: 4KiB, 256MiB, 1.5GiB.
func formatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(n)
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d%s", int64(v), units[u])
	}
	return fmt.Sprintf("%.3g%s", v, units[u])
}

// formatCount writes a count the way fio writes IOPS: 953, 12.3k, 1.25M.
func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// plural writes n things: "1 goroutine", "32 goroutines".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
