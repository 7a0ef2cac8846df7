package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// capsKept are the capabilities a service keeps after cap_drop ALL: what its image's entrypoint
// needs to hand the data folder to the service user and switch to it (KILL: ClickHouse's
// entrypoint stops its init server, nginx's master signals its workers).
var capsKept = map[string][]string{
	"clickhouse": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"},
	"redis":      {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
	"postgres":   {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
	"frontend":   {"CHOWN", "KILL", "SETGID", "SETUID"},
}

// readOnlyRoot are the services on a read-only root filesystem, with the tmpfs mounts they write to.
var readOnlyRoot = map[string][]string{
	"backend":  {"/tmp"},
	"frontend": {"/etc/nginx/conf.d", "/run", "/tmp", "/var/cache/nginx"},
	"redis":    {"/tmp"},
}

func TestComposeHardening(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		for _, s := range p.Services {
			nnp := false
			for _, o := range s.SecurityOpt {
				nnp = nnp || o == "no-new-privileges:true"
			}
			if !nnp {
				t.Errorf("mode %s: %s runs without no-new-privileges (%v)", mode, s.Name, s.SecurityOpt)
			}
			devTool := mode == "dev" && (s.Name == "backend" || s.Name == "frontend")
			if devTool {
				continue // compilers and dev servers: Docker's defaults (TestComposeDevMode)
			}
			if !reflect.DeepEqual(s.CapDrop, []string{"ALL"}) {
				t.Errorf("mode %s: %s cap_drop %v, want [ALL]", mode, s.Name, s.CapDrop)
			}
			add := append([]string(nil), s.CapAdd...)
			sort.Strings(add)
			if want := capsKept[s.Name]; !reflect.DeepEqual(add, want) && !(len(add) == 0 && len(want) == 0) {
				t.Errorf("mode %s: %s cap_add %v, want %v", mode, s.Name, add, want)
			}
			tmpfs := append([]string(nil), s.Tmpfs...)
			sort.Strings(tmpfs)
			if want, ro := readOnlyRoot[s.Name]; ro != s.ReadOnly || (ro && !reflect.DeepEqual(tmpfs, want)) {
				t.Errorf("mode %s: %s read_only %v tmpfs %v; want read_only %v tmpfs %v", mode, s.Name, s.ReadOnly, tmpfs, ro, want)
			}
		}
	}
}

// Docker sets HOSTNAME to the container id and both Langfuse v3 containers listen on $HOSTNAME:
// without 0.0.0.0 their healthchecks on 127.0.0.1 never pass.
func TestComposeLangfuseListensEverywhere(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	p := mustLoad(t, "infra", envFile)
	for _, name := range []string{"langfuse-web", "langfuse-worker"} {
		if got := env(t, p.Services[name], "HOSTNAME"); got != "0.0.0.0" {
			t.Errorf("%s HOSTNAME=%q, want 0.0.0.0", name, got)
		}
	}
}

type standin struct{ dir, target string }

func readStandins(t *testing.T) map[string]standin {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "docker", "standins", "images.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]standin{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 2 || len(fields) > 3 {
			t.Fatalf("images.txt: bad line %q", sc.Text())
		}
		s := standin{dir: fields[1]}
		if len(fields) == 3 {
			s.target = fields[2]
		}
		if _, dup := out[fields[0]]; dup {
			t.Errorf("images.txt names %s twice", fields[0])
		}
		out[fields[0]] = s
	}
	return out
}

// Every third-party image of the compose files and every base image ARG of our Dockerfiles has a
// test stand-in under exactly that tag, and every stand-in stands in for one of them.
func TestStandinsCoverEveryImage(t *testing.T) {
	root := repoRoot(t)
	standins := readStandins(t)
	used := map[string]string{}
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		for _, s := range mustLoad(t, mode, envFile).Services {
			if s.Build == nil {
				used[s.Image] = "service " + s.Name
			}
		}
	}
	for _, df := range []string{"Dockerfile.backend", "Dockerfile.frontend"} {
		for _, m := range regexp.MustCompile(`(?m)^ARG [A-Z_]+_IMAGE=(\S+)$`).FindAllStringSubmatch(readFileT(t, filepath.Join(root, "docker", df)), -1) {
			used[m[1]] = df
		}
	}
	for image, by := range used {
		if _, ok := standins[image]; !ok {
			t.Errorf("%s (%s) has no stand-in in docker/standins/images.txt", image, by)
		}
	}
	readme := readFileT(t, filepath.Join(root, "docker", "standins", "README.md"))
	if !strings.Contains(readme, "never pushed") {
		t.Error("docker/standins/README.md does not say the stand-ins are never pushed")
	}
	for image, s := range standins {
		if _, ok := used[image]; !ok {
			t.Errorf("stand-in %s stands in for nothing our files name", image)
		}
		if !strings.Contains(readme, "`"+image+"`") {
			t.Errorf("docker/standins/README.md does not document %s", image)
		}
		dockerfile, err := os.ReadFile(filepath.Join(root, "docker", "standins", s.dir, "Dockerfile"))
		if err != nil {
			t.Errorf("stand-in %s: %v", image, err)
			continue
		}
		if !strings.Contains(string(dockerfile), "TEST STAND-IN") {
			t.Errorf("docker/standins/%s/Dockerfile does not mark itself a test stand-in", s.dir)
		}
		if s.target != "" && !regexp.MustCompile(`(?m)^FROM \S+ AS `+regexp.QuoteMeta(s.target)+`$`).Match(dockerfile) {
			t.Errorf("stand-in %s: no stage %s in docker/standins/%s/Dockerfile", image, s.target, s.dir)
		}
	}
}
