package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

var (
	infraServices   = []string{"clickhouse", "postgres", "redis"}
	langfuseSvcs    = []string{"langfuse-web", "langfuse-worker", "minio"}
	appServices     = []string{"backend", "frontend"}
	expectedByMode  = map[string][]string{}
	documentedPorts = map[string]string{ // published port -> service
		"3001": "frontend", "8000": "backend", "3000": "langfuse-web",
		"6379": "redis", "8123": "clickhouse", "9000": "clickhouse",
	}
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
		if p.Name != "stockd" {
			t.Errorf("mode %s: project name %q, want stockd", mode, p.Name)
		}
		for _, n := range p.NetworkNames() {
			if n != "default" {
				t.Errorf("mode %s: extra network %q (one network expected)", mode, n)
			}
		}
		if net, ok := p.Networks["default"]; !ok || net.Name != "stockd" {
			t.Errorf("mode %s: default network should be named stockd, got %+v", mode, p.Networks["default"])
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

func TestComposePorts(t *testing.T) {
	envFile, _ := testEnvFile(t, nil)
	for _, mode := range allModes {
		p := mustLoad(t, mode, envFile)
		published := map[string]string{}
		for _, s := range p.Services {
			for _, port := range s.Ports {
				if port.Published == "" {
					continue
				}
				if other, dup := published[port.Published]; dup {
					t.Errorf("mode %s: host port %s published by %s and %s", mode, port.Published, other, s.Name)
				}
				published[port.Published] = s.Name
				if svc, documented := documentedPorts[port.Published]; documented {
					if svc != s.Name {
						t.Errorf("mode %s: port %s belongs to %s, published by %s", mode, port.Published, svc, s.Name)
					}
					if port.HostIP != "" && port.HostIP != "0.0.0.0" {
						t.Errorf("mode %s: documented port %s bound to %s", mode, port.Published, port.HostIP)
					}
				} else if port.HostIP != "127.0.0.1" {
					t.Errorf("mode %s: %s publishes undocumented port %s on %q; want 127.0.0.1", mode, s.Name, port.Published, port.HostIP)
				}
			}
		}
		for port, svc := range documentedPorts {
			_, inMode := p.Services[svc]
			if inMode && published[port] != svc {
				t.Errorf("mode %s: port %s not published by %s", mode, port, svc)
			}
			if !inMode && published[port] != "" {
				t.Errorf("mode %s: port %s published by %s although %s is absent", mode, port, published[port], svc)
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
	cmd := strings.Join(p.Services["redis"].Command, " ")
	for _, want := range []string{"--maxmemory 1gb", "--maxmemory-policy volatile-lru", "--appendonly yes", "--requirepass " + vals["REDIS_PASSWORD"]} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %q", cmd, want)
		}
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
	want := map[string][]place{
		"REDIS_PASSWORD": {{"redis", "command"}, {"redis", "env REDISCLI_AUTH"}, {"backend", "env REDIS_PASSWORD"},
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
		for _, line := range regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(string(data), -1) {
			if !strings.HasPrefix(line[1], "${") {
				t.Errorf("%s: FROM %s should use a pinned ARG", df, line[1])
			}
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
	if got := stages(back); !reflect.DeepEqual(got, []string{"development", "build", "production"}) {
		t.Errorf("backend stages %v", got)
	}
	prod := back[strings.Index(back, "AS production"):]
	for _, want := range []string{`HEALTHCHECK`, `CMD ["/stockd","healthcheck"]`, "USER 10001", `ENTRYPOINT ["/entrypoint.sh"]`} {
		if !strings.Contains(prod, want) {
			t.Errorf("backend production stage lacks %q", want)
		}
	}
	if !strings.Contains(back, "CGO_ENABLED=0") {
		t.Error("backend build is not static (CGO_ENABLED=0)")
	}
	entry := read("backend-entrypoint.sh")
	if !regexp.MustCompile(`(?s)/stockd migrate.*exec /stockd serve`).MatchString(entry) {
		t.Errorf("entrypoint must run migrate then serve:\n%s", entry)
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
	for _, want := range []string{".git", "**/node_modules", "data", "docs", "bin"} {
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
