package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		base int
		want int64
	}{
		{"4096", 1024, 4096},
		{"4k", 1024, 4096},
		{"4K", 1024, 4096},
		{"4kb", 1024, 4096},
		{"4KB", 1024, 4096},
		{"4096b", 1024, 4096},
		{"1m", 1024, 1 << 20},
		{"1024k", 1024, 1 << 20},
		{"1g", 1024, 1 << 30},
		{"1t", 1024, 1 << 40},
		{"0x1000", 1024, 4096},
		{"1.5k", 1024, 1536},
		// fio's compatibility mode: the IEC prefixes mean powers of 1000.
		{"1mi", 1024, 1000000},
		{"1000ki", 1024, 1000000},
		{"4KiB", 1024, 4000},
		// kb_base=1000: the standards' meaning.
		{"4k", 1000, 4000},
		{"4KiB", 1000, 4096},
		{"-4k", 1024, -4096},
	} {
		got, err := parseSize(c.in, c.base)
		if err != nil || got != c.want {
			t.Errorf("parseSize(%q, %d) = %d, %v; want %d", c.in, c.base, got, err, c.want)
		}
	}
	for _, in := range []string{"", "k", "4x", "4kx", "1.0001k", "4 k b", "0xg", "1e400"} {
		if got, err := parseSize(in, 1024); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"10", 10 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"10s", 10 * time.Second},
		{"2sec", 2 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"250msec", 250 * time.Millisecond},
		{"100us", 100 * time.Microsecond},
		{"1m", time.Minute},
		{"2h", 2 * time.Hour},
		{"1d", 24 * time.Hour},
		{"1MS", time.Millisecond},
	} {
		got, err := parseTime(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "s", "10x", "1y"} {
		if _, err := parseTime(in); err == nil || !strings.Contains(err.Error(), "bad time") {
			t.Errorf("parseTime(%q): error %v, want a bad time", in, err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{512: "512B", 4096: "4KiB", 256 << 20: "256MiB", 3 << 29: "1.5GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
