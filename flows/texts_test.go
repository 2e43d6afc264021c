package flows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

func TestWithin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d      time.Duration
		ru, en string
	}{
		{15 * time.Minute, "в течение 15 минут", "within 15 minutes"},
		{time.Minute, "в течение минуты", "within a minute"},
		{21 * time.Minute, "в течение 21 минуты", "within 21 minutes"},
		{11 * time.Minute, "в течение 11 минут", "within 11 minutes"},
		{2 * time.Minute, "в течение 2 минут", "within 2 minutes"},
		{90 * time.Minute, "в течение 90 минут", "within 90 minutes"},
		{time.Hour, "в течение часа", "within an hour"},
		{4 * time.Hour, "в течение 4 часов", "within 4 hours"},
		{21 * time.Hour, "в течение 21 часа", "within 21 hours"},
		{36 * time.Hour, "в течение 36 часов", "within 36 hours"},
		{24 * time.Hour, "в течение дня", "within a day"},
		{48 * time.Hour, "в течение 2 дней", "within 2 days"},
		{31 * 24 * time.Hour, "в течение 31 дня", "within 31 days"},
		{111 * 24 * time.Hour, "в течение 111 дней", "within 111 days"},
		{30 * time.Second, "в течение минуты", "within a minute"},
		{90 * time.Second, "в течение 2 минут", "within 2 minutes"}, // never sooner than promised
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ru, within(tt.d, "ru"), "%v", tt.d)
		assert.Equal(t, tt.en, within(tt.d, "en"), "%v", tt.d)
		assert.Equal(t, tt.en, within(tt.d, "de"), "English for other languages: %v", tt.d)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"15m": 15 * time.Minute, "4h": 4 * time.Hour, "2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second,
	} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0m", "-1h", "2x", "d", "1.5d", "2dd", "15"} {
		_, err := ParseDuration(in)
		assert.Error(t, err, in)
	}
}

func TestFill(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, name, want string }{
		{"Thanks, {name}!", "Ann", "Thanks, Ann!"},
		{"Thanks, {name}!", "", "Thanks!"},
		{"Спасибо, {name}! Менеджер свяжется с вами {expect}.", "", "Спасибо! Менеджер свяжется с вами soon."},
		{"Hello {name}, how are you?", "", "Hello, how are you?"},
		{"Hello {name} and welcome", "", "Hello and welcome"},
		{"{name}, welcome!", "", "Welcome!"},
		{"{name}, добро пожаловать!", "", "Добро пожаловать!"},
		{"{name}, welcome!", "Борис", "Борис, welcome!"},
		{"No placeholder.", "", "No placeholder."},
		{"Thanks, {name}!", "{expect}", "Thanks, {expect}!"}, // a name is never expanded
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fill(tt.text, tt.name, "{expect}", "soon"), "%q with %q", tt.text, tt.name)
	}
}

func TestLang(t *testing.T) {
	t.Parallel()
	f := &Flow{Languages: []string{"ru", "en"}}
	for tag, want := range map[string]string{
		"ru": "ru", "en": "en", "en-US": "en", "EN_gb": "en", "de": "ru", "": "ru", "uk": "ru", "zh-Hans": "ru",
	} {
		assert.Equal(t, want, f.Lang(tag), "%q", tag)
	}
	assert.Equal(t, "", (&Flow{}).Lang("en"))
}

func TestT(t *testing.T) {
	t.Parallel()
	f := &Flow{
		Languages: []string{"de", "ru"},
		Texts:     map[string]Text{"skip": {"de": "Überspringen"}},
	}
	assert.Equal(t, "Überspringen", f.T("skip", "de"), "an override wins")
	assert.Equal(t, "Пропустить", f.T("skip", "ru"), "built-in in lang")
	assert.Equal(t, "Done", f.T("done", "de"), "English when there is no text in lang")
	assert.Equal(t, "", f.T("no_such_text", "ru"))

	f.Texts["expect_hot"] = Text{"de": "innerhalb einer Viertelstunde"}
	f.Expect = map[crm.Temperature]time.Duration{crm.Hot: 15 * time.Minute, crm.Cold: 48 * time.Hour}
	assert.Equal(t, "innerhalb einer Viertelstunde", f.ExpectPhrase(crm.Hot, "de"))
	assert.Equal(t, "в течение 15 минут", f.ExpectPhrase(crm.Hot, "ru"))
	assert.Equal(t, "within 2 days", f.ExpectPhrase(crm.Cold, "de"))
	assert.Equal(t, "", f.ExpectPhrase(crm.Warm, "de"))
}

// TestNudgeByName: the nudge names the customer, and reads as a whole
// sentence when their name is unknown.
func TestNudgeByName(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	assert.Equal(t, "Анна, вы ещё здесь? Давайте продолжим — осталось совсем немного.", f.Named("nudge", "ru", "Анна"))
	assert.Equal(t, "Вы ещё здесь? Давайте продолжим — осталось совсем немного.", f.Named("nudge", "ru", ""))
	assert.Equal(t, "Kim, still there? Let's carry on, there's not much left.", f.Named("nudge", "en", "Kim"))
	assert.Equal(t, "Hello! You were interested in our offer a while ago. If it's on your mind again, let's talk.", f.Named("reengage", "en", ""))
}
