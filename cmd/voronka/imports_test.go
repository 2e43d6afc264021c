package main

import (
	"os/exec"
	"strings"
	"testing"
)

// adapters says which packages may import each third-party library the
// design gives one adapter (DESIGN.md, Layout): a package path prefix of
// this module each. Test files are not counted (go list's Imports leaves
// them out), nor are test-support packages (a path ending in "test" or
// "fake", linked only into tests) and the load and fault suite
// (cmd/internal/bench, the voronka-bench binary, which is a test harness
// the server does not link).
var adapters = map[string][]string{
	"github.com/go-telegram-bot-api/telegram-bot-api/v5": {"bot/telegram"},
	"github.com/slack-go/slack":                          {"bot/slack"},
	"github.com/redis/go-redis/v9":                       {"storage/redis"},
	"github.com/jackc/pgx/v5":                            {"storage/postgres"},
	"github.com/riverqueue/river":                        {"storage/postgres"},
	"gonum.org/v1/plot":                                  {"bot/chart"},
	"github.com/robfig/cron/v3":                          {"cmd/internal/schedule"},
}

// TestLibrariesStayInTheirAdapters fails when a library is imported
// outside its adapter, so the rest of the code speaks the adapters' own
// types (issue 14).
func TestLibrariesStayInTheirAdapters(t *testing.T) {
	t.Parallel()
	const module = "github.com/voronka/voronka/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if testSupport(pkg) {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			for lib, owners := range adapters {
				if imp != lib && !strings.HasPrefix(imp, lib+"/") {
					continue
				}
				if !ownedBy(pkg, owners) {
					t.Errorf("%s imports %s, which only %s may import", pkg, imp, strings.Join(owners, ", "))
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages listed; the check would prove nothing", checked)
	}
}

func testSupport(pkg string) bool {
	last := pkg[strings.LastIndex(pkg, "/")+1:]
	return strings.HasSuffix(last, "test") || strings.HasSuffix(last, "fake") ||
		pkg == "cmd/internal/bench" || pkg == "cmd/voronka-bench"
}

func ownedBy(pkg string, owners []string) bool {
	for _, o := range owners {
		if pkg == o || strings.HasPrefix(pkg, o+"/") {
			return true
		}
	}
	return false
}

// TestServerLinksNoTestCode: the server binary carries neither the
// testing package nor the fakes (issue 14).
func TestServerLinksNoTestCode(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("only %d dependencies listed", len(deps))
	}
	for _, d := range deps {
		if d == "testing" || strings.HasSuffix(d, "/telegramtest") || strings.HasSuffix(d, "/slackfake") {
			t.Errorf("voronka links %s", d)
		}
	}
}
