package flows

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParsePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, region, want string
	}{
		{"+7 916 123-45-67", "RU", "+79161234567"},
		{"8 (916) 123-45-67", "RU", "+79161234567"},
		{"9161234567", "RU", "+79161234567"},
		{"79161234567", "RU", "+79161234567"},
		{"+44 20 7946 0958", "RU", "+442079460958"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"+1 (202) 555-0143", "RU", "+12025550143"},
		{" +7\u00a0916\u00a0123\u00a045\u00a067 ", "RU", "+79161234567"},
		{"", "RU", ""},
		{"123", "RU", ""},
		{"+7 000 000 00 00", "RU", ""}, // possible but not valid
		{"1-800-FLOWERS", "US", ""},    // letters are not digits to us
		{"+7 916 123 45 67 ext. 5", "RU", ""},
		{"позвоните мне", "RU", ""},
		{"+7 916 123-45-67 +7 916 123-45-68", "RU", ""},
		{"++79161234567", "RU", ""},
	}
	for _, tt := range tests {
		got, ok := parsePhone(tt.in, tt.region)
		assert.Equal(t, tt.want != "", ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestParseContactPhone(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"79161234567", "+79161234567"}, // Telegram leaves out the plus
		{"+79161234567", "+79161234567"},
		{"442079460958", "+442079460958"},
		{"", ""},
		{"12", ""},
		{"not a phone", ""},
	}
	for _, tt := range tests {
		got, ok := parseContactPhone(tt.in, "RU")
		assert.Equal(t, tt.want != "", ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"anna@example.com", "anna@example.com"},
		{"  Anna.Petrova@Example.COM ", "Anna.Petrova@example.com"},
		{"sales+bot@mail.co.uk", "sales+bot@mail.co.uk"},
		{"иван@пример.рф", "иван@пример.рф"},
		{"Anna <anna@example.com>", ""},
		{"<anna@example.com>", ""},
		{"anna@localhost", ""},
		{"anna@example.", ""},
		{"anna@.com", ""},
		{"anna@example.c", ""},
		{"anna@-example.com", ""},
		{"anna example.com", ""},
		{"anna@@example.com", ""},
		{"a@b.com, c@d.com", ""},
		{"anna@example.com (work)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parseEmail(tt.in)
		assert.Equal(t, tt.want != "", ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestParseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"100000", 100000, true},
		{"100 000", 100000, true},
		{"100\u00a0000", 100000, true},
		{"100\u2009000", 100000, true},
		{"100\u202f000", 100000, true},
		{"100_000", 100000, true},
		{"1,5", 1.5, true},
		{"1.5", 1.5, true},
		{"0,125", 0.125, true},
		{"1,500", 1500, true}, // thousands, not one and a half thousandths
		{"1,000,000", 1e6, true},
		{"1.000.000", 1e6, true},
		{"1 000 000,50", 1000000.5, true},
		{"1,000.50", 1000.5, true},
		{"1.000,50", 1000.5, true},
		{"150k", 150000, true},
		{"150К", 150000, true},
		{"150 тыс", 150000, true},
		{"150 тыс.", 150000, true},
		{"1.1k", 1100, true},
		{"1,5 млн", 1.5e6, true},
		{"2m", 2e6, true},
		{"2 М", 2e6, true},
		{"1,250 млн", 1.25e6, true},
		{"300 000 ₽", 300000, true},
		{"300 000 руб.", 300000, true},
		{"50 тыс. руб.", 50000, true},
		{"$5k", 5000, true},
		{"5000 USD", 5000, true},
		{"-5", -5, true},
		{"\u22125", -5, true},
		{".5", 0.5, true},
		{"007", 7, true},
		{"", 0, false},
		{"-", 0, false},
		{"k", 0, false},
		{"abc", 0, false},
		{"1e6", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"0x10", 0, false},
		{"1,0,0", 0, false},
		{"1,000.5,5", 0, false},
		{"1..5", 0, false},
		{"12 apples", 0, false},
		{"миллион", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNumber(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		if tt.ok {
			assert.Equal(t, tt.want, got, "%q", tt.in)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{100000: "100000", 1.5: "1.5", 1e6: "1000000", 0.1: "0.1", -3: "-3"} {
		assert.Equal(t, want, formatNumber(in))
	}
}
