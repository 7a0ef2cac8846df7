package deploy

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTemplateEngine keeps text/template out of stockd as the
// Makefile and the image build it (-tags grpcnotrace). Its method lookup by
// a name known only at run time makes the linker keep every exported method
// of every type: with the model client's API types that is 30 MB of the
// 75 MB binary, and it comes back with any dependency that imports a
// template package.
func TestBinaryLinksNoTemplateEngine(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags=grpcnotrace", "-deps", "./cmd/stockd")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "text/template", "html/template", "golang.org/x/net/trace":
			t.Errorf("stockd links %s: find who imports it with go list -deps -f '{{.ImportPath}} {{.Imports}}' ./cmd/stockd", pkg)
		}
	}
}
