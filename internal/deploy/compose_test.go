package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

var (
	infraServices  = []string{"clickhouse", "postgres", "redis"}
	langfuseSvcs   = []string{"langfuse-web", "langfuse-worker", "minio"}
	appServices    = []string{"backend", "frontend"}
	expectedByMode = map[string][]string{}
)

func init() {
	join := func(parts ...[]string) []string {
		var all []string
		for _, p := range parts {
			all = append(all, p...)
		}
		return sortedCopy(all)
	}
	expectedByMode["full"] = join(infraServices, langfuseSvcs, appServices)
	expectedByMode["dev"] = join(infraServices, langfuseSvcs, appServices)
	expectedByMode["app"] = join(appServices)
	expectedByMode["infra"] = join(infraServices, langfuseSvcs)
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c
}

func TestComposeModeServices(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		if got := serviceNames(p); !reflect.DeepEqual(got, expectedByMode[mode]) {
			t.Errorf("mode %s: services %v, want %v", mode, got, expectedByMode[mode])
		}
		// One network per project, never a fixed name another mode's project would share (and a
		// `down` of that project would try to remove).
		for _, n := range p.NetworkNames() {
			if n != "default" {
				t.Errorf("mode %s: extra network %q (one network expected)", mode, n)
			}
		}
		if net, ok := p.Networks["default"]; ok && net.Name != p.Name+"_default" {
			t.Errorf("mode %s: default network named %q; want the project's own %q", mode, net.Name, p.Name+"_default")
		}
	}
}

// Each mode is its own Compose project, so `up --remove-orphans` or `down` of one never touches
// another's containers; scripts/docker-start.sh --project is the one definition.
func TestComposeProjectPerMode(t *testing.T) {
	seen := map[string]string{}
	for _, mode := range allModes {
		name := strings.TrimSpace(runScript(t, "scripts/docker-start.sh", "--project", mode))
		if !regexp.MustCompile(`^stockd(-[a-z]+)?$`).MatchString(name) {
			t.Errorf("mode %s: project %q", mode, name)
		}
		if other, dup := seen[name]; dup {
			t.Errorf("modes %s and %s share the project %q", other, mode, name)
		}
		seen[name] = mode
	}
	if seen["stockd"] != "full" {
		t.Errorf("full mode should keep the project name stockd (its volumes are stockd_*): %v", seen)
	}
	for _, f := range []string{"scripts/docker-start.sh", "scripts/docker-stop.sh", "scripts/docker-lib.sh"} {
		if strings.Contains(readFileT(t, filepath.Join(repoRoot(t), f)), "COMPOSE_IGNORE_ORPHANS") {
			t.Errorf("%s sets COMPOSE_IGNORE_ORPHANS, which Compose refuses together with --remove-orphans", f)
		}
	}
}

func TestComposeDependsOnStaysInsideMode(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		for _, s := range p.Services {
			for dep, cfg := range s.DependsOn {
				target, ok := p.Services[dep]
				if !ok {
					t.Errorf("mode %s: %s depends on %s, which is not in the mode", mode, s.Name, dep)
					continue
				}
				want := types.ServiceConditionHealthy
				if target.HealthCheck == nil { // one-shot jobs
					want = types.ServiceConditionCompletedSuccessfully
				}
				if cfg.Condition != want {
					t.Errorf("mode %s: %s -> %s condition %q, want %q", mode, s.Name, dep, cfg.Condition, want)
				}
			}
		}
	}
	// The wiring that matters.
	full := mustLoad(t, "full", envFile)
	wantDeps := map[string][]string{
		"backend":         {"clickhouse", "redis"},
		"frontend":        {"backend"},
		"langfuse-web":    {"clickhouse", "minio", "postgres", "redis"},
		"langfuse-worker": {"clickhouse", "minio", "postgres", "redis"},
	}
	for svc, want := range wantDeps {
		var got []string
		for dep := range full.Services[svc].DependsOn {
			got = append(got, dep)
		}
		if got = sortedCopy(got); !reflect.DeepEqual(got, want) {
			t.Errorf("full: %s depends on %v, want %v", svc, got, want)
		}
	}
	app := mustLoad(t, "app", envFile)
	if deps := app.Services["backend"].DependsOn; len(deps) != 0 {
		t.Errorf("app mode: backend must not depend on anything, has %v", deps)
	}
}

// portVars maps each published port to the variable that sets its host port and whether
// STOCKD_INFRA_BIND_ADDRESS (infra), STOCKD_APP_BIND_ADDRESS (app) or nothing (loopback) opens it.
var portVars = []struct {
	svc, target, variable, bind string
}{
	{"frontend", "3001", "STOCKD_PORT_FRONTEND", "app"},
	{"backend", "8000", "STOCKD_PORT_BACKEND", "app"},
	{"langfuse-web", "3000", "STOCKD_PORT_LANGFUSE", "infra"},
	{"clickhouse", "8123", "STOCKD_PORT_CLICKHOUSE_HTTP", "infra"},
	{"clickhouse", "9000", "STOCKD_PORT_CLICKHOUSE", "infra"},
	{"redis", "6379", "STOCKD_PORT_REDIS", "infra"},
	{"langfuse-worker", "3030", "STOCKD_PORT_LANGFUSE_WORKER", "loopback"},
	{"postgres", "5432", "STOCKD_PORT_POSTGRES", "loopback"},
	{"minio", "9000", "STOCKD_PORT_MINIO", "loopback"},
	{"minio", "9001", "STOCKD_PORT_MINIO_CONSOLE", "loopback"},
}

func TestComposePorts(t *testing.T) {
	template := readEnvFile(t, filepath.Join(repoRoot(t), ".env.docker"))
	for _, pv := range portVars {
		if _, ok := template[pv.variable]; !ok {
			t.Errorf(".env.docker does not document %s", pv.variable)
		}
	}
	for _, bind := range []string{"STOCKD_INFRA_BIND_ADDRESS", "STOCKD_APP_BIND_ADDRESS"} {
		if template[bind] != "127.0.0.1" {
			t.Errorf(".env.docker: %s=%q, want 127.0.0.1 by default", bind, template[bind])
		}
	}
	// Every host port from its own variable (unique test values), on 127.0.0.1 by default; then
	// each bind variable moves exactly its ports.
	overrides := map[string]string{}
	for i, pv := range portVars {
		overrides[pv.variable] = strconv.Itoa(41000 + i)
	}
	for _, c := range []struct {
		name        string
		infra, app  string
		wantInfraIP string
		wantAppIP   string
	}{
		{"defaults", "", "", "127.0.0.1", "127.0.0.1"},
		{"infra opened", "10.1.2.3", "", "10.1.2.3", "127.0.0.1"},
		{"app opened", "", "0.0.0.0", "127.0.0.1", "0.0.0.0"},
	} {
		env := map[string]string{}
		for k, v := range overrides {
			env[k] = v
		}
		if c.infra != "" {
			env["STOCKD_INFRA_BIND_ADDRESS"] = c.infra
		}
		if c.app != "" {
			env["STOCKD_APP_BIND_ADDRESS"] = c.app
		}
		envFile, _ := testEnvFile(t, env)
		for _, mode := range allModes {
			p := mustLoad(t, mode, envFile)
			want := map[string]bool{}
			for _, pv := range portVars {
				s, inMode := p.Services[pv.svc]
				if !inMode {
					continue
				}
				ip := map[string]string{"infra": c.wantInfraIP, "app": c.wantAppIP, "loopback": "127.0.0.1"}[pv.bind]
				found := false
				for _, port := range s.Ports {
					if strconv.Itoa(int(port.Target)) == pv.target {
						found = true
						if port.Published != overrides[pv.variable] || port.HostIP != ip {
							t.Errorf("%s, mode %s: %s:%s published on %s:%s, want %s:%s", c.name, mode, pv.svc, pv.target,
								port.HostIP, port.Published, ip, overrides[pv.variable])
						}
					}
				}
				if !found {
					t.Errorf("%s, mode %s: %s does not publish %s", c.name, mode, pv.svc, pv.target)
				}
				want[pv.svc+":"+pv.target] = true
			}
			for _, s := range p.Services {
				for _, port := range s.Ports {
					if !want[s.Name+":"+strconv.Itoa(int(port.Target))] {
						t.Errorf("%s, mode %s: %s publishes %d, which no variable governs", c.name, mode, s.Name, port.Target)
					}
				}
			}
		}
	}
}

func TestComposeHealthchecks(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		for _, s := range p.Services {
			hc := s.HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
				t.Errorf("mode %s: service %s has no healthcheck", mode, s.Name)
				continue
			}
			if hc.Interval == nil || hc.Retries == nil {
				t.Errorf("mode %s: service %s healthcheck needs interval and retries", mode, s.Name)
			}
		}
	}
	full := mustLoad(t, "full", envFile)
	wantIn := map[string]string{
		"langfuse-web":    "/api/public/health",
		"langfuse-worker": ":3030/api/health",
		"clickhouse":      ":8123/ping",
		"backend":         "/stockd healthcheck",
		"frontend":        ":3001/",
	}
	for svc, frag := range wantIn {
		if got := strings.Join(full.Services[svc].HealthCheck.Test, " "); !strings.Contains(got, frag) {
			t.Errorf("%s healthcheck %q does not contain %q", svc, got, frag)
		}
	}
}

func TestComposeBackendIsolation(t *testing.T) {
	envFile, _ := testEnvFile(t, map[string]string{
		"CLICKHOUSE_HOST": "ch.external.test", "REDIS_HOST": "redis.external.test",
		"LANGFUSE_HOST": "http://langfuse.external.test:3000",
	})
	for _, mode := range []string{"full", "app", "dev"} {
		p := mustLoad(t, mode, envFile)
		b := p.Services["backend"]
		for k, want := range map[string]string{
			"REDIS_DB": "1", "CLICKHOUSE_DATABASE": "stock_data", "CACHE_PREFIX": "stock:", "HTTP_ADDR": ":8000",
		} {
			if got := env(t, b, k); got != want {
				t.Errorf("mode %s: backend %s=%q, want %q", mode, k, got, want)
			}
		}
		wantHosts := map[string]string{"CLICKHOUSE_HOST": "clickhouse", "REDIS_HOST": "redis", "LANGFUSE_HOST": "http://langfuse-web:3000"}
		if mode == "app" { // external infrastructure named in .env
			wantHosts = map[string]string{"CLICKHOUSE_HOST": "ch.external.test", "REDIS_HOST": "redis.external.test", "LANGFUSE_HOST": "http://langfuse.external.test:3000"}
		}
		for k, want := range wantHosts {
			if got := env(t, b, k); got != want {
				t.Errorf("mode %s: backend %s=%q, want %q", mode, k, got, want)
			}
		}
		if mode == "app" {
			found := false
			for _, h := range b.ExtraHosts["host.docker.internal"] {
				found = found || h == "host-gateway"
			}
			if !found {
				t.Errorf("app mode: backend should map host.docker.internal to host-gateway, has %v", b.ExtraHosts)
			}
		}
	}
}

func TestComposeLangfuseIsolation(t *testing.T) {
	envFile, vals := testEnvFile(t, nil)
	for _, mode := range []string{"full", "infra", "dev"} {
		p := mustLoad(t, mode, envFile)
		for _, name := range []string{"langfuse-web", "langfuse-worker"} {
			s := p.Services[name]
			if got := env(t, s, "CLICKHOUSE_DB"); got != "default" {
				t.Errorf("%s CLICKHOUSE_DB=%q, want default", name, got)
			}
			if got := env(t, s, "CLICKHOUSE_CLUSTER_ENABLED"); got != "false" {
				t.Errorf("%s CLICKHOUSE_CLUSTER_ENABLED=%q", name, got)
			}
			conn := env(t, s, "REDIS_CONNECTION_STRING")
			if want := "redis://:" + vals["REDIS_PASSWORD"] + "@redis:6379/0"; conn != want {
				t.Errorf("%s REDIS_CONNECTION_STRING=%q, want %q (DB 0)", name, conn, want)
			}
			if got := env(t, s, "ENCRYPTION_KEY"); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(got) {
				t.Errorf("%s ENCRYPTION_KEY %q is not 64 hex chars", name, got)
			}
			for _, k := range []string{"NEXTAUTH_SECRET", "SALT", "DATABASE_URL", "LANGFUSE_S3_EVENT_UPLOAD_BUCKET",
				"LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT", "LANGFUSE_S3_EVENT_UPLOAD_ACCESS_KEY_ID", "LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY",
				"CLICKHOUSE_URL", "CLICKHOUSE_MIGRATION_URL"} {
				if env(t, s, k) == "" {
					t.Errorf("%s: %s is empty", name, k)
				}
			}
			if !strings.HasPrefix(s.Image, "langfuse/") || !regexp.MustCompile(`:3\.\d+\.\d+$`).MatchString(s.Image) {
				t.Errorf("%s image %q is not pinned to a v3 release", name, s.Image)
			}
		}
		if got := env(t, p.Services["langfuse-web"], "LANGFUSE_INIT_PROJECT_SECRET_KEY"); got != vals["LANGFUSE_SECRET_KEY"] {
			t.Errorf("Langfuse init project secret key %q differs from LANGFUSE_SECRET_KEY", got)
		}
		// The bucket Langfuse writes to is created by MinIO's start command.
		m := p.Services["minio"]
		if cmd := strings.Join(append(append([]string{}, m.Entrypoint...), m.Command...), " "); !strings.Contains(cmd, "mkdir -p /data/") {
			t.Errorf("minio does not create the bucket: %q", cmd)
		}
		if got := env(t, m, "LANGFUSE_S3_BUCKET"); got != env(t, p.Services["langfuse-web"], "LANGFUSE_S3_EVENT_UPLOAD_BUCKET") {
			t.Errorf("MinIO creates bucket %q, Langfuse uses %q", got, env(t, p.Services["langfuse-web"], "LANGFUSE_S3_EVENT_UPLOAD_BUCKET"))
		}
	}
}

func TestComposeRedisAndClickHouse(t *testing.T) {
	envFile, vals := testEnvFile(t, nil)
	p := mustLoad(t, "infra", envFile)
	redis := p.Services["redis"]
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"redis-server", "--maxmemory 1gb", "--maxmemory-policy volatile-lru", "--appendonly yes"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %q", cmd, want)
		}
	}
	// The password is a configuration line on Redis' standard input, taken from the environment
	// inside the container: on no command line (docker inspect, ps) at all.
	entry := strings.Join(redis.Entrypoint, " ")
	if strings.Contains(cmd+entry, vals["REDIS_PASSWORD"]) {
		t.Errorf("the Redis password is on the command line: %q %q", entry, cmd)
	}
	if !strings.Contains(entry, "requirepass $REDIS_PASSWORD") || !strings.Contains(entry, `"$@" -`) || !strings.Contains(entry, "docker-entrypoint.sh") {
		t.Errorf("redis entrypoint %q should feed `requirepass $REDIS_PASSWORD` on stdin to the image's entrypoint", entry)
	}
	if got := env(t, redis, "REDIS_PASSWORD"); got != vals["REDIS_PASSWORD"] {
		t.Errorf("redis REDIS_PASSWORD=%q", got)
	}
	ch := p.Services["clickhouse"]
	if !strings.HasPrefix(ch.Image, "clickhouse/clickhouse-server:25.8") {
		t.Errorf("clickhouse image %q, want the 25.8 LTS line", ch.Image)
	}
	mounted := false
	for _, v := range ch.Volumes {
		if v.Target == "/docker-entrypoint-initdb.d/init-clickhouse.sql" && strings.HasSuffix(v.Source, filepath.Join("docker", "init-clickhouse.sql")) {
			mounted = true
		}
	}
	if !mounted {
		t.Error("docker/init-clickhouse.sql is not mounted into /docker-entrypoint-initdb.d")
	}
	sql, err := os.ReadFile(filepath.Join(repoRoot(t), "docker", "init-clickhouse.sql"))
	if err != nil || !strings.Contains(string(sql), "CREATE DATABASE IF NOT EXISTS stock_data") {
		t.Errorf("init-clickhouse.sql must create stock_data: %q %v", sql, err)
	}
	for _, name := range []string{"clickhouse", "redis", "postgres"} {
		named := false
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume {
				named = true
			}
		}
		if !named {
			t.Errorf("%s keeps its data outside a named volume", name)
		}
	}
}

// Every secret comes from exactly one variable: loading with a unique value per secret, each value
// shows up where it must, and every secret-looking setting carries exactly one generated value.
func TestComposeSecretsSingleSource(t *testing.T) {
	envFile, vals := testEnvFile(t, nil)
	p := mustLoad(t, "full", envFile)

	type place struct{ svc, where string }
	found := map[string]map[place]bool{}
	for name := range vals {
		found[name] = map[place]bool{}
	}
	record := func(svc, where, text string) int {
		n := 0
		for name, v := range vals {
			if strings.Contains(text, v) {
				found[name][place{svc, where}] = true
				n++
			}
		}
		return n
	}
	secretKey := regexp.MustCompile(`PASSWORD|SECRET|SALT|ENCRYPTION_KEY|_AUTH$|API_TOKEN|API_KEY|PUBLIC_KEY|CONNECTION_STRING|DATABASE_URL|TOKEN`)
	userProvided := map[string]bool{"TUSHARE_TOKEN": true, "OPENAI_API_KEY": true}
	for _, s := range p.Services {
		for k, v := range s.Environment {
			val := ""
			if v != nil {
				val = *v
			}
			n := record(s.Name, "env "+k, val)
			if !secretKey.MatchString(k) {
				continue
			}
			switch {
			case userProvided[k]:
				if val != "" {
					t.Errorf("%s: %s should be empty in the template (user provided), is %q", s.Name, k, val)
				}
			case strings.HasSuffix(k, "_ACCESS_KEY_ID"):
			case n != 1:
				t.Errorf("%s: %s=%q carries %d generated secrets, want exactly 1 (no hard-coded secret)", s.Name, k, val, n)
			}
		}
		record(s.Name, "command", strings.Join(s.Command, " "))
		record(s.Name, "entrypoint", strings.Join(s.Entrypoint, " "))
		if s.HealthCheck != nil {
			if record(s.Name, "healthcheck", strings.Join(s.HealthCheck.Test, " ")) > 0 {
				t.Errorf("%s: healthcheck command line shows a secret", s.Name)
			}
		}
	}
	for name, places := range found {
		for pl := range places {
			if pl.where == "command" || pl.where == "entrypoint" {
				t.Errorf("%s is on the %s of %s", name, pl.where, pl.svc)
			}
		}
	}
	want := map[string][]place{
		"REDIS_PASSWORD": {{"redis", "env REDIS_PASSWORD"}, {"redis", "env REDISCLI_AUTH"}, {"backend", "env REDIS_PASSWORD"},
			{"langfuse-web", "env REDIS_AUTH"}, {"langfuse-web", "env REDIS_CONNECTION_STRING"},
			{"langfuse-worker", "env REDIS_AUTH"}, {"langfuse-worker", "env REDIS_CONNECTION_STRING"}},
		"CLICKHOUSE_PASSWORD": {{"clickhouse", "env CLICKHOUSE_PASSWORD"}, {"backend", "env CLICKHOUSE_PASSWORD"},
			{"langfuse-web", "env CLICKHOUSE_PASSWORD"}, {"langfuse-worker", "env CLICKHOUSE_PASSWORD"}},
		"POSTGRES_PASSWORD": {{"postgres", "env POSTGRES_PASSWORD"}, {"langfuse-web", "env DATABASE_URL"}, {"langfuse-worker", "env DATABASE_URL"}},
		"MINIO_ROOT_PASSWORD": {{"minio", "env MINIO_ROOT_PASSWORD"},
			{"langfuse-web", "env LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY"}, {"langfuse-worker", "env LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY"}},
		"NEXTAUTH_SECRET":             {{"langfuse-web", "env NEXTAUTH_SECRET"}, {"langfuse-worker", "env NEXTAUTH_SECRET"}},
		"SALT":                        {{"langfuse-web", "env SALT"}, {"langfuse-worker", "env SALT"}},
		"ENCRYPTION_KEY":              {{"langfuse-web", "env ENCRYPTION_KEY"}, {"langfuse-worker", "env ENCRYPTION_KEY"}},
		"LANGFUSE_PUBLIC_KEY":         {{"langfuse-web", "env LANGFUSE_INIT_PROJECT_PUBLIC_KEY"}, {"backend", "env LANGFUSE_PUBLIC_KEY"}},
		"LANGFUSE_SECRET_KEY":         {{"langfuse-web", "env LANGFUSE_INIT_PROJECT_SECRET_KEY"}, {"backend", "env LANGFUSE_SECRET_KEY"}},
		"LANGFUSE_INIT_USER_PASSWORD": {{"langfuse-web", "env LANGFUSE_INIT_USER_PASSWORD"}},
		"API_TOKEN":                   {{"backend", "env API_TOKEN"}},
	}
	for name := range vals {
		if _, ok := want[name]; !ok {
			t.Errorf("secret %s of .env.docker is not covered by this test", name)
		}
	}
	for name, places := range want {
		for _, pl := range places {
			if !found[name][pl] {
				t.Errorf("%s does not reach %s (%s)", name, pl.svc, pl.where)
			}
		}
	}
}

func TestComposeMissingSecretFailsLoudly(t *testing.T) {
	envFile, _ := testEnvFile(t, map[string]string{"REDIS_PASSWORD": ""})
	for _, mode := range []string{"full", "infra", "dev"} {
		_, err := loadMode(t, mode, envFile)
		if err == nil || !strings.Contains(err.Error(), "docker-start.sh") {
			t.Errorf("mode %s with an empty REDIS_PASSWORD: err=%v, want a message naming docker-start.sh", mode, err)
		}
	}
	// App-only mode may talk to an external Redis without a password.
	if _, err := loadMode(t, "app", envFile); err != nil {
		t.Errorf("app mode should load without infrastructure secrets: %v", err)
	}
}

func TestComposeImagesPinned(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	tag := regexp.MustCompile(`^[^@\s]+:([A-Za-z0-9_.-]+)$`)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		for _, s := range p.Services {
			m := tag.FindStringSubmatch(s.Image)
			if m == nil || m[1] == "latest" {
				t.Errorf("mode %s: service %s image %q is not pinned to a tag", mode, s.Name, s.Image)
			}
		}
	}
	// Base images of the Dockerfiles.
	for _, df := range []string{"Dockerfile.backend", "Dockerfile.frontend"} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), "docker", df))
		if err != nil {
			t.Fatal(err)
		}
		argImage := regexp.MustCompile(`(?m)^ARG [A-Z_]+_IMAGE=(\S+)$`)
		ms := argImage.FindAllStringSubmatch(string(data), -1)
		if len(ms) == 0 {
			t.Errorf("%s: no pinned base image ARGs", df)
		}
		for _, m := range ms {
			if tm := tag.FindStringSubmatch(m[1]); tm == nil || tm[1] == "latest" || !regexp.MustCompile(`\d`).MatchString(tm[1]) {
				t.Errorf("%s: base image %q not pinned to a versioned tag", df, m[1])
			}
		}
		stagesSoFar := map[string]bool{}
		for _, line := range regexp.MustCompile(`(?m)^FROM (\S+)(?: AS (\S+))?`).FindAllStringSubmatch(string(data), -1) {
			if !strings.HasPrefix(line[1], "${") && line[1] != "scratch" && !stagesSoFar[line[1]] {
				t.Errorf("%s: FROM %s should use a pinned ARG, scratch or an earlier stage", df, line[1])
			}
			stagesSoFar[line[2]] = true
		}
	}
}

func TestComposeDevMode(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	p := mustLoad(t, "dev", envFile)
	root := repoRoot(t)
	b, f := p.Services["backend"], p.Services["frontend"]
	if b.Build == nil || b.Build.Target != "development" || f.Build == nil || f.Build.Target != "development" {
		t.Fatalf("dev mode should build the development targets: backend %+v frontend %+v", b.Build, f.Build)
	}
	if got := env(t, b, "LOG_LEVEL"); got != "debug" {
		t.Errorf("dev backend LOG_LEVEL=%q", got)
	}
	mount := func(s types.ServiceConfig, src, target string) bool {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && filepath.Clean(v.Source) == filepath.Clean(src) && v.Target == target {
				return true
			}
		}
		return false
	}
	if !mount(b, root, "/app") {
		t.Errorf("dev backend does not mount the source at /app: %+v", b.Volumes)
	}
	if !mount(f, filepath.Join(root, "web"), "/app/web") {
		t.Errorf("dev frontend does not mount web/ at /app/web: %+v", f.Volumes)
	}
	if !namedVolumeAt(b, "/root/.cache/go-build") {
		t.Errorf("dev backend keeps no compiled-package cache volume at /root/.cache/go-build (the image's GOCACHE): %+v", b.Volumes)
	}
	if b.ReadOnly || f.ReadOnly || len(b.CapDrop) != 0 || len(f.CapDrop) != 0 {
		t.Errorf("dev containers compile and write into the source: read_only %v/%v, cap_drop %v/%v", b.ReadOnly, f.ReadOnly, b.CapDrop, f.CapDrop)
	}
	if got := env(t, f, "VITE_API_TARGET"); got != "http://backend:8000" {
		t.Errorf("dev frontend VITE_API_TARGET=%q", got)
	}
	if cmd := strings.Join(f.Command, " "); !strings.Contains(cmd, "--port 3001") || !strings.Contains(cmd, "--host 0.0.0.0") {
		t.Errorf("dev frontend command %q", cmd)
	}
	full := mustLoad(t, "full", envFile)
	if full.Services["backend"].Build.Target != "production" || full.Services["frontend"].Build.Target != "production" {
		t.Error("full mode should build the production targets")
	}
}

func TestDockerfiles(t *testing.T) {
	root := repoRoot(t)
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(root, "docker", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	stages := func(text string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`(?m)^FROM \S+ AS (\S+)`).FindAllStringSubmatch(text, -1) {
			out = append(out, m[1])
		}
		return out
	}
	back := read("Dockerfile.backend")
	if got := stages(back); !reflect.DeepEqual(got, []string{"build", "development", "production"}) {
		t.Errorf("backend stages %v", got)
	}
	if !strings.Contains(back, "FROM build AS development") {
		t.Error("the development stage should start from the build stage (its module and build caches)")
	}
	i := strings.Index(back, "FROM scratch AS production")
	if i < 0 {
		t.Fatal("the backend's production stage is not FROM scratch")
	}
	prod := back[i:]
	for _, want := range []string{`HEALTHCHECK`, `CMD ["/stockd","healthcheck"]`, "USER 10001", `ENTRYPOINT ["/stockd"]`,
		`CMD ["serve"]`, "ca-certificates.crt"} {
		if !strings.Contains(prod, want) {
			t.Errorf("backend production stage lacks %q", want)
		}
	}
	if !strings.Contains(back, "CGO_ENABLED=0") || !strings.Contains(back, "go build -trimpath -tags timetzdata,grpcnotrace ") {
		t.Error("backend build is not static (CGO_ENABLED=0), has no zone database compiled in (timetzdata) or links gRPC's x/net/trace (grpcnotrace: 30 MB of kept methods)")
	}
	if syntax := regexp.MustCompile(`(?m)^# *syntax=`); syntax.MatchString(back) || syntax.MatchString(read("Dockerfile.frontend")) {
		t.Error("a `# syntax=` line makes BuildKit pull a frontend image")
	}
	// dev-reload.sh builds with the flags whose compiled packages the development stage carries.
	if !strings.Contains(back, `STOCKD_BUILD_FLAGS="-trimpath -tags timetzdata,grpcnotrace"`) || !strings.Contains(read("dev-reload.sh"), "$FLAGS") {
		t.Error("docker/dev-reload.sh should build with STOCKD_BUILD_FLAGS, the build stage's flags")
	}
	m := regexp.MustCompile(`(?m)^ARG NODE_IMAGE=node:(\d+)`).FindStringSubmatch(read("Dockerfile.frontend"))
	if major := 0; m == nil || func() bool { major, _ = strconv.Atoi(m[1]); return major < 22 }() {
		t.Errorf("the frontend builds on Node %v; Node 20 is end-of-life and @vueuse asks for 22", m)
	}
	front := read("Dockerfile.frontend")
	if got := stages(front); !reflect.DeepEqual(got, []string{"development", "build", "production"}) {
		t.Errorf("frontend stages %v", got)
	}
	for _, want := range []string{"COPY docker/nginx.conf /etc/nginx/templates/default.conf.template", "npm ci", "npm run build", "--port\",\"3001\""} {
		if !strings.Contains(front, want) {
			t.Errorf("Dockerfile.frontend lacks %q", want)
		}
	}
	// The image substitutes exactly the template's variables.
	filter := regexp.MustCompile(`NGINX_ENVSUBST_FILTER='\^\(([A-Z_|]+)\)\$'`).FindStringSubmatch(front)
	if filter == nil {
		t.Fatal("Dockerfile.frontend does not set NGINX_ENVSUBST_FILTER")
	}
	if got := sortedCopy(strings.Split(filter[1], "|")); !reflect.DeepEqual(got, sortedCopy(nginxTemplateVars)) {
		t.Errorf("NGINX_ENVSUBST_FILTER %v, want %v", got, nginxTemplateVars)
	}
	ignore := readFileT(t, filepath.Join(root, ".dockerignore"))
	for _, want := range []string{".git", "**/node_modules", "data", "docs", "bin", ".cache", "tmp", "docker/standins"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(ignore) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	if out, err := exec.Command("sh", "-n", filepath.Join(root, "docker", "dev-reload.sh")).CombinedOutput(); err != nil {
		t.Errorf("dev-reload.sh: %v %s", err, out)
	}
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
