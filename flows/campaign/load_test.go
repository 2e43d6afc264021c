package campaign_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/flows/campaign"
)

func TestExampleCampaignsLoad(t *testing.T) {
	t.Parallel()
	set, err := campaign.LoadDir("../../configs/campaigns", []string{"qualify"})
	require.NoError(t, err)
	require.Len(t, set.Campaigns, 4)
	kinds := map[string]bool{}
	for _, c := range set.Campaigns {
		kinds[c.Trigger.Kind] = true
	}
	require.True(t, kinds[crm.TriggerOnce] && kinds[crm.TriggerCron] && kinds[crm.TriggerEvent])
}

func TestLintReportsFileAndLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := `id: bad
segment: 'stage == "lost" &&'
trigger: {event: lots, delay: soon}
goal: {kind: money}
variants:
  - id: a
    messages:
      - text: {ru: "Привет, {nmae}"}
        buttons:
          - {text: {ru: Да, en: Yes}, flow: nowhere}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644))
	_, err := campaign.LoadDir(dir, []string{"qualify"})
	var ps flows.Problems
	require.True(t, errors.As(err, &ps), "%v", err)
	out := err.Error()
	for _, want := range []string{
		"bad.yaml:2: ",
		"bad.yaml:3: trigger event: unknown \"lots\"",
		"bad.yaml:3: trigger delay: \"soon\" is not a duration",
		"bad.yaml:4: goal kind: unknown \"money\"",
		"bad.yaml:8: message 1 has no en text",
		"bad.yaml:8: unknown placeholder {nmae}",
		"bad.yaml:10: button starts an unknown flow \"nowhere\"",
	} {
		require.Contains(t, out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		require.Regexp(t, `^.*bad\.yaml:\d+: `, line)
	}
}

func TestSegmentCompilesToCond(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src   string
		where string // a rendering of the Cond, "" for none
		match bool   // evaluated in Go too
	}{
		{`stage == "lost" && score >= 30`, `and(stage == lost, score >= 30)`, false},
		{`30 <= score`, `score >= 30`, false},
		{`temperature in ["hot", "warm"] || purchases > 2`, `or(temperature in [hot warm], purchases > 2)`, false},
		{`!(language == "en") && days_since(won_at) > 60`, `and(not(language == en), days(won_at) > 60)`, false},
		{`answered("need", "buy") && won_at == nil`, `and(answered(need=buy), null(won_at) ==)`, false},
		{`answer("need") == "buy"`, `answered(need=buy)`, false},
		{`score >= 30 && name startsWith "A"`, `score >= 30`, true},
		{`score * 2 > 100 || stage == "won"`, ``, true},
		{`true`, ``, false},
	} {
		seg, err := campaign.CompileSegment("s", tc.src)
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.where, render(seg.Where), tc.src)
		require.Equal(t, tc.match, seg.Match != nil, tc.src)
	}
	for _, bad := range []string{`stage ==`, `scroe > 1`, `stage + 1`} {
		_, err := campaign.CompileSegment("s", bad)
		require.Error(t, err, bad)
	}
}

func TestSegmentMatchInGo(t *testing.T) {
	t.Parallel()
	seg, err := campaign.CompileSegment("s", `score >= 30 && name startsWith "A" && days_since(won_at) > 10 && answered("need", "buy")`)
	require.NoError(t, err)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	row := map[string]any{"score": 40.0, "name": "Anna", "won_at": now.Add(-20 * 24 * time.Hour), "answers": map[string]string{"need": "buy"}}
	ok, err := seg.Match(row, now)
	require.NoError(t, err)
	require.True(t, ok)
	row["name"] = "Boris"
	ok, _ = seg.Match(row, now)
	require.False(t, ok)
}

func render(c *crm.Cond) string {
	if c == nil {
		return ""
	}
	switch c.Op {
	case "and", "or", "not":
		var parts []string
		for i := range c.Args {
			parts = append(parts, render(&c.Args[i]))
		}
		return c.Op + "(" + strings.Join(parts, ", ") + ")"
	case "in":
		return c.Field + " in " + strings.TrimPrefix(strings.ReplaceAll(sprint(c.Value), "  ", " "), "")
	case "days":
		return "days(" + c.Field + ") " + c.Cmp + " " + sprint(c.Value)
	case "answered":
		return "answered(" + c.Step + "=" + sprint(c.Value) + ")"
	case "null":
		return "null(" + c.Field + ") " + c.Cmp
	}
	return c.Field + " " + c.Cmp + " " + sprint(c.Value)
}

func sprint(v any) string {
	switch v := v.(type) {
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, sprint(x))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case float64:
		return formatFloat(v)
	case nil:
		return ""
	}
	return v.(string)
}

func formatFloat(f float64) string { return strings.TrimSuffix(strings.TrimSuffix(fmtG(f), ".0"), ".") }

func fmtG(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
