package postgres

import "testing"

// TestMigrationFiles fails the build's tests, not a production start, when
// a migration file is misnamed or the versions have a gap.
func TestMigrationFiles(t *testing.T) {
	t.Parallel()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range all {
		if m.version != i+1 {
			t.Errorf("migration %d_%s: want version %d; versions run 1, 2, 3... without gaps", m.version, m.name, i+1)
		}
		if m.sql == "" {
			t.Errorf("migration %d_%s is empty", m.version, m.name)
		}
	}
}
