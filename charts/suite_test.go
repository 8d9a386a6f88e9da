package charts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/restproxy-dev/restproxy-operator/controllers"
)

// chartDir is the chart under test, relative to this package.
const chartDir = "restproxy-operator"

// The one envtest environment of the package: a real kube-apiserver and
// etcd. It serves no RestProxy CRD of its own: the chart's CRD template is
// what installs it, so the tests use the CRD users get.
var (
	tools    toolPaths
	admin    *rest.Config  // system:masters
	k8s      client.Client // uncached, as admin
	adminKub string        // kubeconfig file of admin, for kubectl
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	// Each manager logs to its own buffer (runOperator); the rest is noise.
	log.SetLogger(logr.Discard())
	var err error
	tools, err = findTools()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &envtest.Environment{
		// As in a cluster running the Prometheus operator, so the
		// ServiceMonitor and PrometheusRule the chart can render are
		// validated too, and the operator it runs finds both monitor
		// kinds served. The controllers suite serves the same monitor
		// stand-ins.
		CRDDirectoryPaths: []string{
			filepath.Join("..", "hack", "testdata", "servicemonitor-crd.yaml"),
			filepath.Join("..", "hack", "testdata", "podmonitor-crd.yaml"),
			filepath.Join("..", "hack", "testdata", "prometheusrule-crd.yaml"),
		},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: tools.assets,
	}
	// As in clusters that enforce it: the operator sets owner references
	// that block deletion, which needs update on restproxies/finalizers.
	env.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", "OwnerReferencesPermissionEnforcement")
	admin, err = env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "start envtest (assets %s): %v\n", tools.assets, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
		}
	}()
	if err := connect(env); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// connect makes the admin client and the kubeconfig kubectl uses.
func connect(env *envtest.Environment) error {
	scheme, err := controllers.NewScheme()
	if err != nil {
		return err
	}
	if k8s, err = client.New(admin, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	user, err := env.AddUser(envtest.User{Name: "chart-test-admin", Groups: []string{"system:masters"}}, admin)
	if err != nil {
		return fmt.Errorf("add admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("admin kubeconfig: %w", err)
	}
	dir, err := os.MkdirTemp("", "chart-test-")
	if err != nil {
		return err
	}
	adminKub = filepath.Join(dir, "kubeconfig")
	return os.WriteFile(adminKub, kubeconfig, 0o600)
}

// toolPaths are the binaries the tests run, built by `make test`.
type toolPaths struct {
	helm        string // HELM
	promtool    string // PROMTOOL
	restproxy   string // RESTPROXY: the binary of the image (make build)
	assets      string // KUBEBUILDER_ASSETS: kube-apiserver, etcd, kubectl
	kubectl     string
	installYAML string // INSTALL_YAML: what `make build-installer` wrote
}

// findTools reads the tools' locations from the environment `make test`
// sets. Without them the suite fails rather than skips: a silent skip would
// let a broken chart pass.
func findTools() (toolPaths, error) {
	t := toolPaths{
		helm:        os.Getenv("HELM"),
		promtool:    os.Getenv("PROMTOOL"),
		restproxy:   os.Getenv("RESTPROXY"),
		assets:      os.Getenv("KUBEBUILDER_ASSETS"),
		installYAML: os.Getenv("INSTALL_YAML"),
	}
	var missing []error
	for _, v := range []struct{ name, path string }{
		{"HELM", t.helm}, {"PROMTOOL", t.promtool}, {"RESTPROXY", t.restproxy}, {"KUBEBUILDER_ASSETS", t.assets}, {"INSTALL_YAML", t.installYAML},
	} {
		if v.path == "" {
			missing = append(missing, fmt.Errorf("%s is not set", v.name))
		} else if _, err := os.Stat(v.path); err != nil {
			missing = append(missing, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%w\nrun these tests with `make test`, which builds helm, promtool, bin/restproxy, the envtest binaries and dist/install.yaml and sets HELM, PROMTOOL, RESTPROXY, KUBEBUILDER_ASSETS and INSTALL_YAML", errors.Join(missing...))
	}
	t.kubectl = filepath.Join(t.assets, "kubectl")
	return t, nil
}
