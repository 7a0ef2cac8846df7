package deploy

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

var envLine = regexp.MustCompile(`^([A-Z0-9_]+)=(.*)$`)

// secretNames lists the variables of the "generated secrets" block of .env.docker,
// the same block scripts/docker-start.sh fills.
func secretNames(t *testing.T, envDocker string) []string {
	t.Helper()
	f, err := os.Open(envDocker)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# >>> generated secrets"):
			in = true
		case strings.HasPrefix(line, "# <<< generated secrets"):
			in = false
		case in:
			if m := envLine.FindStringSubmatch(line); m != nil {
				names = append(names, m[1])
			}
		}
	}
	if len(names) == 0 {
		t.Fatal(".env.docker has no generated secrets block")
	}
	return names
}

// readEnvFile parses KEY=VALUE lines (last one wins).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if m := envLine.FindStringSubmatch(line); m != nil {
			env[m[1]] = m[2]
		}
	}
	return env
}

// testEnvFile writes .env.docker with every generated secret set to a unique test value (and
// the given overrides) into a temp file; it returns the path and the values used.
func testEnvFile(t *testing.T, overrides map[string]string) (string, map[string]string) {
	t.Helper()
	root := repoRoot(t)
	src := filepath.Join(root, ".env.docker")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, name := range secretNames(t, src) {
		if name == "ENCRYPTION_KEY" {
			values[name] = randHex(t, 32)
		} else {
			values[name] = "t" + strings.ToLower(strings.ReplaceAll(name, "_", "")) + randHex(t, 6)
		}
	}
	for k, v := range overrides {
		values[k] = v
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if m := envLine.FindStringSubmatch(line); m != nil {
			if v, ok := values[m[1]]; ok {
				line = m[1] + "=" + v
				seen[m[1]] = true
			}
		}
		out = append(out, line)
	}
	for k, v := range values {
		if !seen[k] {
			out = append(out, k+"="+v)
		}
	}
	path := filepath.Join(t.TempDir(), "test.env")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, values
}

var allModes = []string{"full", "app", "dev", "infra"}

// modeFiles asks scripts/docker-start.sh (the one definition of the modes) for a mode's files.
func modeFiles(t *testing.T, mode string) []string {
	t.Helper()
	root := repoRoot(t)
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "docker-start.sh"), "--files", mode).Output()
	if err != nil {
		t.Fatalf("docker-start.sh --files %s: %v", mode, err)
	}
	files := strings.Fields(string(out))
	if len(files) == 0 {
		t.Fatalf("no files for mode %s", mode)
	}
	for i, f := range files {
		files[i] = filepath.Join(root, f)
	}
	return files
}

func loadMode(t *testing.T, mode, envFile string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions(modeFiles(t, mode),
		cli.WithWorkingDirectory(repoRoot(t)),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
	)
	if err != nil {
		return nil, err
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

func mustLoad(t *testing.T, mode, envFile string) *types.Project {
	t.Helper()
	p, err := loadMode(t, mode, envFile)
	if err != nil {
		t.Fatalf("load mode %s: %v", mode, err)
	}
	return p
}

func serviceNames(p *types.Project) []string {
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("service %s: environment has no %s", s.Name, key)
	}
	return *v
}

// runScript runs a repository script with arguments and returns its standard output.
func runScript(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command("bash", append([]string{filepath.Join(repoRoot(t), script)}, args...)...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", script, args, err)
	}
	return string(out)
}

// namedVolumeAt reports whether s mounts a named volume at target.
func namedVolumeAt(s types.ServiceConfig, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == target {
			return true
		}
	}
	return false
}
