package crm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseStartPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		payload string
		want    Attribution
	}{
		{"", Attribution{}},
		{"instagram", Attribution{Source: "instagram", Payload: "instagram"}},
		{"partner_42", Attribution{Source: "partner_42", Payload: "partner_42"}},
		{"s-google__m-cpc__c-black_friday__l-pricing", Attribution{Source: "google", Medium: "cpc", Campaign: "black_friday", Landing: "pricing", Payload: "s-google__m-cpc__c-black_friday__l-pricing"}},
		{"src-vk__cmp-spring-sale__lp-home", Attribution{Source: "vk", Campaign: "spring-sale", Landing: "home", Payload: "src-vk__cmp-spring-sale__lp-home"}},
		{"s-fb__s-tw", Attribution{Source: "fb", Payload: "s-fb__s-tw"}},
		{"x-1__s-ok", Attribution{Source: "ok", Payload: "x-1__s-ok"}},
		{"r-ivan__S-site", Attribution{Source: "site", Referrer: "ivan", Payload: "r-ivan__S-site"}},
		{"x-unknown", Attribution{Source: "x-unknown", Payload: "x-unknown"}},
		{"  padded ", Attribution{Source: "padded", Payload: "padded"}},
		{"s-a b!c", Attribution{Source: "abc", Payload: "s-a b!c"}},
	}
	for _, tt := range tests {
		if got := ParseStartPayload(tt.payload); got != tt.want {
			t.Errorf("ParseStartPayload(%q) = %+v, want %+v", tt.payload, got, tt.want)
		}
	}
}

func TestBuildStartPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	a := Attribution{Source: "google", Medium: "cpc", Campaign: "bf_2026", Landing: "lp-1", Referrer: "r1"}
	p := BuildStartPayload(a)
	a.Payload = p
	if got := ParseStartPayload(p); got != a {
		t.Fatalf("round trip: got %+v, want %+v", got, a)
	}
}

func FuzzParseStartPayload(f *testing.F) {
	for _, s := range []string{"", "s-x__m-y", "__", "-", "s-", "ℹ️ привет", strings.Repeat("s-a__", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		a := ParseStartPayload(payload)
		if len(a.Payload) > MaxPayload {
			t.Fatalf("payload kept %d bytes", len(a.Payload))
		}
		if utf8.ValidString(payload) && !utf8.ValidString(a.Payload) {
			t.Fatalf("payload cut inside a rune: %q", a.Payload)
		}
		for _, v := range []string{a.Source, a.Medium, a.Campaign, a.Landing, a.Referrer} {
			if clean(v) != v {
				t.Fatalf("value %q has characters outside the payload alphabet", v)
			}
		}
	})
}

// TestReferred: a lead by a customer's personal link is a referral of
// theirs; a link's own source stays; nobody refers themselves.
func TestReferred(t *testing.T) {
	t.Parallel()
	code := ReferralCode(12345)
	if id, ok := ReferrerID(code); !ok || id != 12345 {
		t.Fatalf("ReferrerID(%q) = %d, %v", code, id, ok)
	}
	if a := Referred(ParseStartPayload("r-"+code), 7); a != (Attribution{Source: ReferralSource, Referrer: code, Payload: "r-" + code}) {
		t.Errorf("a referral: %+v", a)
	}
	if a := Referred(ParseStartPayload("s-vk__r-"+code), 7); a.Source != "vk" || a.Referrer != code {
		t.Errorf("a referral with a source of its own: %+v", a)
	}
	if a := Referred(ParseStartPayload("r-"+code), 12345); a.Referrer != "" || a.Source != "" {
		t.Errorf("self-referral kept: %+v", a)
	}
}
