package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyStartScript lays out a throwaway copy of what docker-start.sh needs: scripts/docker-start.sh,
// scripts/docker-lib.sh and .env.docker.
func copyStartScript(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scripts/docker-start.sh", "scripts/docker-lib.sh", ".env.docker"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runInitEnv(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "scripts", "docker-start.sh"), "--init-env")
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker-start.sh --init-env: %v\n%s", err, out)
	}
}

// Well-known defaults of upstream examples and our own placeholders: none may survive.
var knownDefaults = []string{"", "changeme", "password", "secret", "mysecret", "mysalt", "postgres", "minio", "miniosecret",
	"clickhouse", "myredissecret", "langfuse", "stockd", strings.Repeat("0", 64)}

func TestDockerStartGeneratesSecrets(t *testing.T) {
	dir := copyStartScript(t)
	runInitEnv(t, dir)
	envPath := filepath.Join(dir, ".env")
	st, err := os.Stat(envPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf(".env mode %v: secrets readable by others", st.Mode().Perm())
	}
	names := secretNames(t, filepath.Join(dir, ".env.docker"))
	env1 := readEnvFile(t, envPath)
	seen := map[string]string{}
	for _, name := range names {
		v := env1[name]
		for _, d := range knownDefaults {
			if strings.EqualFold(v, d) {
				t.Errorf("%s has a default value %q", name, v)
			}
		}
		if len(v) < 32 {
			t.Errorf("%s=%q is too short to be a generated secret", name, v)
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share the value %q", name, other, v)
		}
		seen[v] = name
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(env1["ENCRYPTION_KEY"]) {
		t.Errorf("ENCRYPTION_KEY %q is not 64 hex characters", env1["ENCRYPTION_KEY"])
	}
	if !strings.HasPrefix(env1["LANGFUSE_PUBLIC_KEY"], "pk-lf-") || !strings.HasPrefix(env1["LANGFUSE_SECRET_KEY"], "sk-lf-") {
		t.Errorf("Langfuse keys have the wrong shape: %q %q", env1["LANGFUSE_PUBLIC_KEY"], env1["LANGFUSE_SECRET_KEY"])
	}
	// Non-secret settings are copied as they are.
	tmpl := readEnvFile(t, filepath.Join(dir, ".env.docker"))
	for k, v := range tmpl {
		if _, secret := seen[env1[k]]; !secret && env1[k] != v {
			t.Errorf("%s changed from %q to %q", k, v, env1[k])
		}
	}

	// A second run keeps what is there.
	runInitEnv(t, dir)
	env2 := readEnvFile(t, envPath)
	for _, name := range names {
		if env2[name] != env1[name] {
			t.Errorf("second run changed %s", name)
		}
	}

	// An emptied (or, after an upgrade, missing) secret is filled again; the others stay.
	data := readFileT(t, envPath)
	data = regexp.MustCompile(`(?m)^SALT=.*$`).ReplaceAllString(data, "SALT=")
	data = regexp.MustCompile(`(?m)^API_TOKEN=.*\n`).ReplaceAllString(data, "")
	if err := os.WriteFile(envPath, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	runInitEnv(t, dir)
	env3 := readEnvFile(t, envPath)
	for _, name := range names {
		switch name {
		case "SALT", "API_TOKEN":
			if env3[name] == "" || env3[name] == env1[name] {
				t.Errorf("%s was not regenerated: %q", name, env3[name])
			}
		default:
			if env3[name] != env1[name] {
				t.Errorf("%s changed although it was set", name)
			}
		}
	}
	if n := strings.Count(readFileT(t, envPath), "\nSALT="); n != 1 {
		t.Errorf("SALT appears %d times in .env", n)
	}

	// Another installation gets other secrets.
	other := copyStartScript(t)
	runInitEnv(t, other)
	envOther := readEnvFile(t, filepath.Join(other, ".env"))
	for _, name := range names {
		if envOther[name] == env1[name] {
			t.Errorf("%s is the same in two fresh installations", name)
		}
	}

	// The generated .env loads in every mode.
	for _, mode := range allModes {
		if _, err := loadMode(t, mode, envPath); err != nil {
			t.Errorf("mode %s does not load with the generated .env: %v", mode, err)
		}
	}
}

func TestDockerStartCLI(t *testing.T) {
	root := repoRoot(t)
	script := filepath.Join(root, "scripts", "docker-start.sh")
	out, err := exec.Command("bash", script, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v %s", err, out)
	}
	for _, want := range []string{"--full", "--app", "--dev", "--infra", "--status", "--logs", "--init-env"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	if err := exec.Command("bash", script, "--files", "nonsense").Run(); err == nil {
		t.Error("--files accepts an unknown mode")
	}
	if err := exec.Command("bash", script, "--bogus").Run(); err == nil {
		t.Error("an unknown option is accepted")
	}
	for _, f := range []string{"docker-start.sh", "docker-stop.sh"} {
		if out, err := exec.Command("bash", "-n", filepath.Join(root, "scripts", f)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v %s", f, err, out)
		}
	}
}
