package crm

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attribution is a lead's first touch: where the customer came from.
type Attribution struct {
	Source   string
	Medium   string
	Campaign string
	Landing  string
	Referrer string
	Payload  string // the raw /start payload, kept as it came
}

// MaxPayload is the longest /start payload Telegram passes through.
const MaxPayload = 64

// ParseStartPayload reads the attribution carried by a t.me/<bot>?start=
// deep link. Telegram allows up to 64 characters of A-Za-z0-9_- there, so
// the format is compact:
//
//	s-google__m-cpc__c-black_friday__l-pricing
//
// Fields are separated by a double underscore; each field is a one-letter
// key, a dash, and a value that may itself hold single '_' and '-'. The keys
// are s (source), m (medium), c (campaign), l (landing) and r (referrer);
// the long forms src, med, cmp, lp and ref are accepted too. A payload
// without any keyed field ("instagram", "partner_42") is taken whole as the
// source. Unknown keys are ignored, repeated keys keep the first value, and
// characters outside the allowed set are dropped from values. It never
// fails: whatever it cannot read stays in Payload, which is always the raw
// payload cut to MaxPayload bytes.
func ParseStartPayload(payload string) Attribution {
	payload = strings.TrimSpace(payload)
	if len(payload) > MaxPayload {
		cut := MaxPayload
		for cut > 0 && !utf8.RuneStart(payload[cut]) {
			cut--
		}
		payload = payload[:cut]
	}
	a := Attribution{Payload: payload}
	if payload == "" {
		return a
	}
	keyed := false
	for _, field := range strings.Split(payload, "__") {
		key, value, ok := strings.Cut(field, "-")
		if !ok {
			continue
		}
		value = clean(value)
		var dst *string
		switch strings.ToLower(key) {
		case "s", "src", "source":
			dst = &a.Source
		case "m", "med", "medium":
			dst = &a.Medium
		case "c", "cmp", "campaign":
			dst = &a.Campaign
		case "l", "lp", "landing":
			dst = &a.Landing
		case "r", "ref", "referrer":
			dst = &a.Referrer
		default:
			continue
		}
		keyed = true
		if *dst == "" {
			*dst = value
		}
	}
	if !keyed {
		a.Source = clean(payload)
	}
	return a
}

// BuildStartPayload is the inverse of ParseStartPayload for links that
// operators generate. Values are cleaned to the allowed characters; the
// result may exceed MaxPayload, which the caller should check.
func BuildStartPayload(a Attribution) string {
	var parts []string
	add := func(k, v string) {
		if v = clean(v); v != "" {
			parts = append(parts, k+"-"+v)
		}
	}
	add("s", a.Source)
	add("m", a.Medium)
	add("c", a.Campaign)
	add("l", a.Landing)
	add("r", a.Referrer)
	return strings.Join(parts, "__")
}

// clean keeps the characters Telegram allows in a payload and folds the
// double underscore that would otherwise split a field.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		}
	}
	out := b.String()
	for strings.Contains(out, "__") {
		out = strings.ReplaceAll(out, "__", "_")
	}
	return strings.Trim(out, "_")
}

// ReferralSource is the source of a lead that came by a customer's
// personal link (r-<code>) with no source of its own, so /sources counts
// referrals as a row of their own.
const ReferralSource = "referral"

// ReferralCode is a contact's personal referral code, the <code> of
// ?start=r-<code>: the contact id in base 36, short enough for any link.
func ReferralCode(contactID int64) string { return strconv.FormatInt(contactID, 36) }

// ReferrerID is the contact a referral code names; false for a code that
// is not one (a referrer written by an operator's link, say).
func ReferrerID(code string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(code), 36, 64)
	return id, err == nil && id > 0
}

// Referred is a by a customer's personal link, attributed to the referrer:
// the source is "referral" unless the link named one, and a customer's
// own link does not refer themselves.
func Referred(a Attribution, contactID int64) Attribution {
	if a.Referrer == "" {
		return a
	}
	if id, ok := ReferrerID(a.Referrer); ok && id == contactID {
		a.Referrer = ""
		return a
	}
	if a.Source == "" {
		a.Source = ReferralSource
	}
	return a
}
