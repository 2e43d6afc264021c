package flows

import (
	"math"
	"net/mail"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// parsePhone reads a typed phone number into E.164. A number without "+"
// is read in region (the flow's phone_region), so a Russian customer can
// type "8 916 123-45-67". Only digits and the usual punctuation are taken:
// phonenumbers would turn letters into digits ("1-800-FLOWERS"), which is
// never what a customer typing a phone means.
func parsePhone(text, region string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 40 {
		return "", false
	}
	digits := 0
	for i, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case strings.ContainsRune(" -().\u00a0\u2009\u202f\u2010\u2011\u2012\u2013", r):
		default:
			return "", false
		}
	}
	if digits < 5 {
		return "", false
	}
	num, err := phonenumbers.Parse(text, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// findPhone reads a phone number typed inside a sentence («мой номер
// 8 916 000-11-22, звоните после обеда»): the whole text first, then each
// run of digits and phone punctuation in it, each also without its leading
// groups («после 18 8 916…»). The first run that parses wins.
func findPhone(text, region string) (string, bool) {
	if p, ok := parsePhone(text, region); ok {
		return p, true
	}
	if len(text) > 400 {
		return "", false
	}
	isPart := func(r rune) bool {
		return r >= '0' && r <= '9' || strings.ContainsRune(" -().\u00a0\u2009\u202f\u2010\u2011\u2012\u2013", r)
	}
	rs := []rune(text)
	for i := 0; i < len(rs); {
		if !(rs[i] >= '0' && rs[i] <= '9' || rs[i] == '+' || rs[i] == '(') {
			i++
			continue
		}
		j := i + 1
		for j < len(rs) && isPart(rs[j]) {
			j++
		}
		run := strings.TrimRight(string(rs[i:j]), " -.(\u00a0")
		for {
			if p, ok := parsePhone(run, region); ok {
				return p, true
			}
			// drop the first group: "18 8 916 …" -> "8 916 …"
			k := strings.IndexAny(run, " \u00a0")
			if k < 0 {
				break
			}
			run = strings.TrimSpace(run[k:])
		}
		i = j
	}
	return "", false
}

// parseContactPhone reads the number of a shared contact card. Telegram
// sends it international but often without "+" ("79161234567"), and the
// number is the customer's verified account number, so a possible number
// is enough: metadata lagging behind a new number range must not turn a
// real customer away.
func parseContactPhone(phone, region string) (string, bool) {
	phone = strings.TrimSpace(phone)
	if phone == "" || len(phone) > 40 {
		return "", false
	}
	candidates := []string{phone}
	if !strings.HasPrefix(phone, "+") {
		candidates = []string{"+" + phone, phone}
	}
	for _, c := range candidates {
		num, err := phonenumbers.Parse(c, region)
		if err == nil && phonenumbers.IsPossibleNumber(num) {
			return phonenumbers.Format(num, phonenumbers.E164), true
		}
	}
	return "", false
}

// parseEmail accepts a bare address ("name@example.com", not "Name
// <name@example.com>") whose domain has a dot, and lowercases the domain
// (domains are case-insensitive; local parts, strictly, are not).
func parseEmail(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 254 {
		return "", false
	}
	addr, err := mail.ParseAddress(text)
	if err != nil || addr.Name != "" || addr.Address != text {
		return "", false
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at <= 0 {
		return "", false
	}
	local, domain := addr.Address[:at], strings.ToLower(addr.Address[at+1:])
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", false
		}
	}
	if tld := labels[len(labels)-1]; len([]rune(tld)) < 2 {
		return "", false
	}
	return local + "@" + domain, true
}

// parseNumber reads a number the way people type amounts: "100000",
// "100 000" (also with a no-break or thin space), "100_000", "1,5" or
// "1.5", "150k", "1,5 млн", "2 тыс.", with a currency sign or word around
// it ("$5k", "300 000 ₽", "50 тыс. руб."). A single comma or dot followed
// by exactly three digits groups thousands ("1,500" is 1500, "1.500" is
// 1500) since no one states a budget to a thousandth, except after a
// leading zero ("0,125") or before a suffix ("1,250 млн"). Several commas or
// dots group thousands; with both, the last one is the decimal point.
func parseNumber(text string) (float64, bool) {
	s := strings.ToLower(strings.TrimSpace(text))
	if s == "" || len(s) > 64 {
		return 0, false
	}
	s = trimCurrency(s)
	shift := 0 // decimal digits to move the point right
	for _, suf := range []struct {
		word  string
		shift int
	}{
		{"thousand", 3}, {"тысяч", 3}, {"тысячи", 3}, {"тысяча", 3}, {"тыс.", 3}, {"тыс", 3}, {"k", 3}, {"к", 3},
		{"million", 6}, {"миллионов", 6}, {"миллиона", 6}, {"миллион", 6}, {"млн.", 6}, {"млн", 6}, {"mln", 6}, {"m", 6}, {"м", 6},
	} {
		if strings.HasSuffix(s, suf.word) {
			s = strings.TrimSpace(strings.TrimSuffix(s, suf.word))
			shift = suf.shift
			break
		}
	}
	s = trimCurrency(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u2009', '\u202f', '_', '\'':
			return -1
		case '\u2212': // the minus sign typographers use
			return '-'
		}
		return r
	}, s)
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	s, ok := decimalPoint(s, shift > 0)
	if !ok {
		return 0, false
	}
	if shift > 0 {
		s = shiftPoint(s, shift)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// trimCurrency drops a currency sign or word at either end.
func trimCurrency(s string) string {
	for _, c := range []string{"₽", "$", "€", "руб.", "рублей", "рубля", "рубль", "руб", "р.", "р", "rub", "usd", "eur", "dollars"} {
		if strings.HasSuffix(s, c) && len(s) > len(c) {
			s = strings.TrimSpace(strings.TrimSuffix(s, c))
			break
		}
	}
	for _, c := range []string{"₽", "$", "€"} {
		s = strings.TrimSpace(strings.TrimPrefix(s, c))
	}
	return s
}

// decimalPoint turns the separators of s into at most one '.', or fails if
// s is not digits and separators.
func decimalPoint(s string, suffixed bool) (string, bool) {
	if s == "" {
		return "", false
	}
	commas, dots := strings.Count(s, ","), strings.Count(s, ".")
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == ',' || r == '.') {
			return "", false
		}
	}
	var intPart, frac string
	switch {
	case commas > 0 && dots > 0:
		last := max(strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.'))
		intPart, frac = s[:last], s[last+1:]
		sep := s[last]
		if strings.IndexByte(frac, ',') >= 0 || strings.IndexByte(frac, '.') >= 0 ||
			strings.IndexByte(intPart, sep) >= 0 { // "1.000,5" and "1,000.5" but not "1,000.5,5"
			return "", false
		}
		intPart = strings.NewReplacer(",", "", ".", "").Replace(intPart)
		if !grouped(s[:last]) {
			return "", false
		}
	case commas > 1 || dots > 1:
		if !grouped(s) {
			return "", false
		}
		intPart = strings.NewReplacer(",", "", ".", "").Replace(s)
	case commas == 1 || dots == 1:
		i := strings.IndexAny(s, ",.")
		intPart, frac = s[:i], s[i+1:]
		if len(frac) == 3 && !suffixed && intPart != "" && intPart != "0" && !strings.HasPrefix(intPart, "0") {
			intPart, frac = intPart+frac, ""
		}
	default:
		intPart = s
	}
	if intPart == "" && frac == "" {
		return "", false
	}
	if intPart == "" {
		intPart = "0"
	}
	if frac == "" {
		return intPart, true
	}
	return intPart + "." + frac, true
}

// grouped reports whether every group after the first separator of s has
// three digits, as thousands groups do ("1,000,000", "1.000.000").
func grouped(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '.' })
	if len(parts) < 2 || len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	n := strings.Count(s, ",") + strings.Count(s, ".")
	if len(parts) != n+1 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// shiftPoint multiplies a decimal string by 10^n without floating point,
// so "1.1k" is exactly 1100 and not 1100.0000000000002.
func shiftPoint(s string, n int) string {
	intPart, frac, _ := strings.Cut(s, ".")
	for n > 0 {
		if frac == "" {
			frac = "0"
		}
		intPart, frac = intPart+frac[:1], frac[1:]
		n--
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// formatNumber is how a number is stored and shown: the shortest decimal
// that reads back as the same float64.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// cleanText is a typed text answer as stored: trimmed, valid UTF-8 (what
// would not survive JSON unchanged is replaced), any script and emoji kept.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' })
}
