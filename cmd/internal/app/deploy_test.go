package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestComposeFile parses docker-compose.yml (no container runs here) and
// checks that Voronka is wired to PostgreSQL and Redis by the environment
// variables the binary reads.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "docker-compose.yml"))
	require.NoError(t, err)
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       string            `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	require.NoError(t, dec.Decode(&compose))

	v, ok := compose.Services["voronka"]
	require.True(t, ok)
	require.Equal(t, ".", v.Build)
	for _, key := range []string{"DATABASE_URL", "REDIS_URL", "TELEGRAM_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "HTTP_ADDR"} {
		require.Contains(t, v.Environment, key)
	}
	require.Contains(t, v.Environment["DATABASE_URL"], "@postgres:5432/")
	require.Contains(t, v.Environment["REDIS_URL"], "redis://redis:6379")
	require.Equal(t, "service_healthy", v.DependsOn["postgres"].Condition)
	require.Equal(t, "service_healthy", v.DependsOn["redis"].Condition)
	require.NotEmpty(t, compose.Services["postgres"].Healthcheck.Test)
	require.NotEmpty(t, compose.Services["redis"].Healthcheck.Test)

	// The values compose passes must pass our own validation.
	_, err = LoadConfig(func(k string) string {
		if k == "VORONKA_CONFIG" {
			return writeConfig(t, "")
		}
		val := v.Environment[k]
		if strings.HasPrefix(val, "${") {
			return ""
		}
		return val
	})
	require.NoError(t, err)
}

// TestDockerfile checks the image is built static, in stages, and runs as
// a non-root user.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "Dockerfile"))
	require.NoError(t, err)
	df := string(raw)
	require.Len(t, regexp.MustCompile(`(?m)^FROM `).FindAllString(df, -1), 2, "a build stage and a runtime stage")
	require.Contains(t, df, "CGO_ENABLED=0")
	require.Regexp(t, `(?m)^USER nonroot`, df)
	require.Contains(t, df, "./cmd/voronka")
}
