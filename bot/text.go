package bot

import (
	"strings"
	"unicode/utf8"
)

// StorableText is s as PostgreSQL's text can hold it: without U+0000,
// which text refuses ("invalid byte sequence for encoding UTF8: 0x00"),
// and with every invalid UTF-8 sequence replaced by U+FFFD, which it
// refuses too. Channels apply it at their boundary to everything a person
// typed or named, so that one stray byte in a first name cannot fail
// every later update of that customer: the update is handled as if the
// character had not been there. Valid text comes back as it is, without
// an allocation.
func StorableText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
