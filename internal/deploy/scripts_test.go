package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeDocker answers what the scripts ask of `docker compose` and logs every call with the
// project and the variables that matter. The state lives in files of its directory:
// states (lines "service state health" for `ps --format`), running.PROJECT (that project has
// containers), up.rc / up.sleep (how `up` ends).
const fakeDocker = `#!/usr/bin/env bash
dir=$(dirname "$0")
[ "$1" = compose ] || { echo "fake docker: only compose" >&2; exit 1; }
shift
project="" sub="" envfile=no
prev=""
for a in "$@"; do
	[ "$prev" = --project-name ] && project=$a
	[ "$a" = --env-file ] && envfile=yes
	if [ -z "$sub" ]; then
		case $a in up | ps | logs | down | config | exec | build | restart | version) sub=$a ;; esac
	fi
	prev=$a
done
echo "project=$project sub=$sub envfile=$envfile ignore_orphans=${COMPOSE_IGNORE_ORPHANS:-} redis_password=${REDIS_PASSWORD:-} args=$*" >>"$dir/calls"
case $sub in
version) echo "${FAKE_COMPOSE_VERSION:-2.40.3}" ;;
up)
	[ -f "$dir/up.sleep" ] && sleep "$(cat "$dir/up.sleep")"
	exit "$(cat "$dir/up.rc" 2>/dev/null || echo 0)"
	;;
ps)
	case " $* " in
	*" -q "*) [ -f "$dir/running.$project" ] && echo 0123456789ab ;;
	*"--format"*) cat "$dir/states" ;;
	*) echo "NAME STATUS" ;;
	esac
	;;
logs) echo "LOGS OF ${@: -1}" ;;
config) awk '{print $1}' "$dir/states" ;;
esac
exit 0
`

type fakeEnv struct {
	root, bin string
}

// newFakeEnv copies the Docker scripts and files into a temp tree and puts a fake docker first
// on PATH.
func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	src := repoRoot(t)
	root := t.TempDir()
	files := []string{"scripts/docker-start.sh", "scripts/docker-stop.sh", "scripts/docker-lib.sh", "scripts/docker-smoke.sh",
		"scripts/acceptance.sh", ".env.docker"}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeEnv{root: root, bin: bin}
}

func (f *fakeEnv) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.bin, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeEnv) run(t *testing.T, env []string, script string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(f.root, "scripts", script)}, args...)...)
	cmd.Dir = f.root
	cmd.Env = append(os.Environ(), "PATH="+f.bin+string(os.PathListSeparator)+os.Getenv("PATH"), "STOCKD_HEALTH_TIMEOUT=30")
	for _, name := range []string{"REDIS_PASSWORD", "COMPOSE_IGNORE_ORPHANS", "COMPOSE_PROJECT_NAME"} {
		cmd.Env = append(cmd.Env, name+"=")
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (f *fakeEnv) calls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.bin, "calls"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func callsOf(calls []string, sub string) []string {
	var out []string
	for _, c := range calls {
		if strings.Contains(c, " sub="+sub+" ") {
			out = append(out, c)
		}
	}
	return out
}

// A dependency that turns unhealthy makes `up` fail; under set -e the script used to exit before
// saying why. Now it shows the state and the logs of each service that is not healthy.
func TestDockerStartShowsLogsWhenUpFails(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "up.rc", "1")
	f.write(t, "states", "clickhouse running unhealthy\nredis running healthy\nlangfuse-web created \n")
	out, err := f.run(t, nil, "docker-start.sh", "--infra")
	if err == nil {
		t.Fatalf("docker-start.sh succeeded although up failed:\n%s", out)
	}
	for _, want := range []string{"last log lines of clickhouse (running, unhealthy)", "LOGS OF clickhouse",
		"last log lines of langfuse-web (created)", "LOGS OF langfuse-web", "mode infra did not start"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "LOGS OF redis") {
		t.Errorf("the logs of the healthy redis were shown:\n%s", out)
	}
	for _, c := range callsOf(f.calls(t), "up") {
		if !strings.Contains(c, "project=stockd-infra ") || !strings.Contains(c, "--remove-orphans") || strings.Contains(c, "ignore_orphans=true") {
			t.Errorf("up call %q: want project stockd-infra, --remove-orphans and no COMPOSE_IGNORE_ORPHANS", c)
		}
	}
}

func TestDockerStartTimeoutNamesTheService(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "states", "backend running starting\nfrontend running healthy\n")
	out, err := f.run(t, []string{"STOCKD_HEALTH_TIMEOUT=0"}, "docker-start.sh", "--app")
	if err == nil {
		t.Fatalf("a start that never gets healthy succeeded:\n%s", out)
	}
	if !strings.Contains(out, "not healthy after 0s: backend:running/starting") || !strings.Contains(out, "LOGS OF backend") {
		t.Errorf("output:\n%s", out)
	}
	f.write(t, "states", "backend running healthy\nfrontend running healthy\n")
	if out, err := f.run(t, nil, "docker-start.sh", "--app"); err != nil || !strings.Contains(out, "all services healthy") {
		t.Errorf("healthy start: %v\n%s", err, out)
	}
}

// Modes that publish the same ports never run together; --app beside --infra is the intended pair.
func TestDockerStartRefusesAConflictingMode(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "states", "backend running healthy\nfrontend running healthy\n")
	f.write(t, "running.stockd-infra", "")
	out, err := f.run(t, nil, "docker-start.sh", "--full")
	if err == nil || !strings.Contains(out, "mode infra") || !strings.Contains(out, "docker-stop.sh --infra") {
		t.Errorf("--full beside a running --infra: err=%v\n%s", err, out)
	}
	if ups := callsOf(f.calls(t), "up"); len(ups) != 0 {
		t.Errorf("--full called up although it refused: %v", ups)
	}
	if out, err := f.run(t, nil, "docker-start.sh", "--app"); err != nil {
		t.Errorf("--app beside --infra: %v\n%s", err, out)
	}
	ups := callsOf(f.calls(t), "up")
	if len(ups) != 1 || !strings.Contains(ups[0], "project=stockd-app ") {
		t.Errorf("--app up calls: %v", ups)
	}
}

func TestDockerStartNeedsComposeV224(t *testing.T) {
	f := newFakeEnv(t)
	out, err := f.run(t, []string{"FAKE_COMPOSE_VERSION=2.20.2"}, "docker-start.sh", "--infra")
	if err == nil || !strings.Contains(out, "too old") {
		t.Errorf("Compose 2.20: err=%v\n%s", err, out)
	}
	for _, v := range []string{"v2.24.0", "2.40.3-desktop.1", "5.0.0"} {
		f.write(t, "states", "redis running healthy\n")
		if out, err := f.run(t, []string{"FAKE_COMPOSE_VERSION=" + v}, "docker-start.sh", "--infra"); err != nil {
			t.Errorf("Compose %s refused: %v\n%s", v, err, out)
		}
	}
}

// docker-stop.sh works without .env (the compose files demand the secrets; `down` needs none of
// their values) and touches only the mode it stops.
func TestDockerStopWithoutEnv(t *testing.T) {
	f := newFakeEnv(t)
	out, err := f.run(t, nil, "docker-stop.sh", "--infra", "--volumes")
	if err != nil {
		t.Fatalf("docker-stop.sh without .env: %v\n%s", err, out)
	}
	downs := callsOf(f.calls(t), "down")
	if len(downs) != 1 {
		t.Fatalf("down calls: %v", downs)
	}
	d := downs[0]
	for _, want := range []string{"project=stockd-infra ", "envfile=no", "down --remove-orphans --volumes", "docker-compose.infra.yml", "docker-compose.langfuse.yml"} {
		if !strings.Contains(d, want) {
			t.Errorf("down call %q lacks %q", d, want)
		}
	}
	if strings.Contains(d, "redis_password= ") || strings.Contains(d, "ignore_orphans=true") || strings.Contains(d, "docker-compose.yml ") {
		t.Errorf("down call %q: the secrets need placeholders, no COMPOSE_IGNORE_ORPHANS, no app file", d)
	}
}

func TestDockerStopFindsTheRunningMode(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "running.stockd-dev", "")
	if out, err := f.run(t, nil, "docker-stop.sh"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if downs := callsOf(f.calls(t), "down"); len(downs) != 1 || !strings.Contains(downs[0], "project=stockd-dev ") {
		t.Errorf("without a record the one running mode (dev) should stop: %v", downs)
	}
	f.write(t, "running.stockd-app", "")
	out, err := f.run(t, nil, "docker-stop.sh")
	if err == nil || !strings.Contains(out, "several modes are running: app dev") {
		t.Errorf("two running modes and no record: err=%v\n%s", err, out)
	}
	if downs := callsOf(f.calls(t), "down"); len(downs) != 1 {
		t.Errorf("a second down was called: %v", downs)
	}
}

// docker-smoke.sh used to print its 180 s limit without enforcing it.
func TestDockerSmokeEnforcesItsLimit(t *testing.T) {
	f := newFakeEnv(t)
	f.write(t, "states", "backend running healthy\nfrontend running healthy\n")
	f.write(t, "up.sleep", "2")
	out, err := f.run(t, []string{"STOCKD_SMOKE_LIMIT=1"}, "docker-smoke.sh")
	if err == nil || !regexp.MustCompile(`FAIL .* after [0-9]+ s, over the limit of 1 s`).MatchString(out) {
		t.Errorf("a start over the limit passed the smoke test: err=%v\n%s", err, out)
	}
	if strings.Contains(out, "frontend ") && strings.Contains(out, "answers 200") {
		t.Errorf("acceptance ran after the limit was missed:\n%s", out)
	}
	calls := f.calls(t)
	if len(callsOf(calls, "build")) != 1 {
		t.Errorf("the images are built before the timed start: %v", calls)
	}
	if downs := callsOf(calls, "down"); len(downs) != 1 || !strings.Contains(downs[0], "project=stockd ") {
		t.Errorf("the smoke test stops the full mode on exit: %v", downs)
	}
}

// macOS ships bash 3.2: under set -u an empty array expanded as "${a[@]}" is an error there, and
// associative arrays, mapfile and case conversion do not exist.
func TestDockerScriptsRunOnBash32(t *testing.T) {
	root := repoRoot(t)
	unguarded := regexp.MustCompile(`(^|[^+])"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"`)
	bash4 := regexp.MustCompile(`declare -A|local -A|mapfile|readarray|\$\{[A-Za-z_]+(,,|\^\^)|\|&|local -n|\[\[ -v `)
	for _, f := range []string{"scripts/docker-start.sh", "scripts/docker-stop.sh", "scripts/docker-lib.sh", "scripts/docker-smoke.sh"} {
		text := readFileT(t, filepath.Join(root, f))
		for i, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range unguarded.FindAllStringSubmatch(line, -1) {
				// DC_CMD is set before any use (dc_find fails otherwise).
				if m[2] != "DC_CMD" && !strings.Contains(line, "${"+m[2]+"[@]+") {
					t.Errorf("%s:%d: %q may be empty: write ${%s[@]+\"${%s[@]}\"}", f, i+1, strings.TrimSpace(line), m[2], m[2])
				}
			}
			if bash4.MatchString(line) {
				t.Errorf("%s:%d: bash 4 only: %q", f, i+1, strings.TrimSpace(line))
			}
		}
		if out, err := exec.Command("bash", "-n", filepath.Join(root, f)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v %s", f, err, out)
		}
	}
}
