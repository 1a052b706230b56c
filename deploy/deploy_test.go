// Package deploy_test checks the deployment files against the code they
// deploy: every manifest parses, probes hit routes the server registers
// and answers, ports match SIGNPOST_ADDR's default, every environment
// variable is one README.md documents, and the dashboard queries only
// catalogued metrics. No docker, kubectl or helm is needed.
package deploy_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"signpost/app"
	"signpost/internal/servetest"
)

// Just the parts of the Kubernetes objects the checks read.
type (
	object struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   metadata          `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Resources  []string          `yaml:"resources"` // Kustomization
		Spec       spec              `yaml:"spec"`
		file       string
	}
	metadata struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	spec struct {
		// Deployment
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata metadata `yaml:"metadata"`
			Spec     podSpec  `yaml:"spec"`
		} `yaml:"template"`
		// Service (its selector is a plain map: read from ServiceSelector)
		Ports []struct {
			Name       string    `yaml:"name"`
			Port       int       `yaml:"port"`
			TargetPort yaml.Node `yaml:"targetPort"`
		} `yaml:"ports"`
		// PodDisruptionBudget
		MinAvailable   any `yaml:"minAvailable"`
		MaxUnavailable any `yaml:"maxUnavailable"`
		// HorizontalPodAutoscaler
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
		Metrics     []struct {
			Type     string `yaml:"type"`
			Resource struct {
				Name string `yaml:"name"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []yaml.Node `yaml:"volumes"`
	}
	container struct {
		Name  string `yaml:"name"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct {
				Name string `yaml:"name"`
			} `yaml:"configMapRef"`
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		StartupProbe   *probe `yaml:"startupProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
	}
	probe struct {
		HTTPGet *struct {
			Path string    `yaml:"path"`
			Port yaml.Node `yaml:"port"`
		} `yaml:"httpGet"`
		PeriodSeconds    int `yaml:"periodSeconds"`
		FailureThreshold int `yaml:"failureThreshold"`
	}
)

// knownKinds are the apiVersion/kind pairs the manifests may use: stable
// APIs only.
var knownKinds = map[string]bool{
	"v1/ConfigMap": true, "v1/Secret": true, "v1/Service": true,
	"apps/v1/Deployment": true, "policy/v1/PodDisruptionBudget": true,
	"autoscaling/v2/HorizontalPodAutoscaler":        true,
	"kustomize.config.k8s.io/v1beta1/Kustomization": true,
}

// readManifests decodes every YAML document under k8s/.
func readManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s (%v)", err)
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				continue // an empty document between separators
			}
			o.file = f
			if !knownKinds[o.APIVersion+"/"+o.Kind] {
				t.Errorf("%s: unknown apiVersion/kind %s %s", f, o.APIVersion, o.Kind)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// one returns the only object of kind, failing unless there is exactly one.
func one(t *testing.T, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s in deploy/k8s, found %d", kind, len(found))
	}
	return found[0]
}

// defaultPort is the port of SIGNPOST_ADDR's default, from the code.
func defaultPort(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(app.DefaultConfig().Addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// documentedEnv reads the variables README.md's Configuration table
// documents: the one list of what signpost reads from its environment.
func documentedEnv(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]bool{}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Configuration"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line[1:], "|", 2)[0]
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) < 5 {
		t.Fatalf("README.md's Configuration table lists %d variables; is the section still called \"## Configuration\"?", len(vars))
	}
	return vars
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	objs := readManifests(t)
	k := one(t, objs, "Kustomization")
	files, _ := filepath.Glob("k8s/*.yaml")
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources %v, want every manifest %v", got, want)
	}
}

func TestDeploymentMatchesCode(t *testing.T) {
	objs := readManifests(t)
	dep := one(t, objs, "Deployment")
	cm := one(t, objs, "ConfigMap")
	sec := one(t, objs, "Secret")
	port := defaultPort(t)

	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	named := map[string]int{}
	for _, p := range c.Ports {
		named[p.Name] = p.ContainerPort
		if p.ContainerPort != port {
			t.Errorf("containerPort %d, want SIGNPOST_ADDR's default port %d", p.ContainerPort, port)
		}
	}
	if v, ok := cm.Data["SIGNPOST_ADDR"]; ok && !strings.HasSuffix(v, ":"+strconv.Itoa(port)) {
		t.Errorf("ConfigMap SIGNPOST_ADDR %q does not listen on the containerPort %d", v, port)
	}
	if a := dep.Spec.Template.Metadata.Annotations["prometheus.io/port"]; a != "" && a != strconv.Itoa(port) {
		t.Errorf("prometheus.io/port %s, want %d", a, port)
	}

	probes := map[string]*probe{"startupProbe": c.StartupProbe, "readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe}
	wantPath := map[string]string{"startupProbe": "/livez", "readinessProbe": "/readyz", "livenessProbe": "/livez"}
	for name, p := range probes {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: missing or not an httpGet probe", name)
			continue
		}
		if p.HTTPGet.Path != wantPath[name] {
			t.Errorf("%s path %q, want %q", name, p.HTTPGet.Path, wantPath[name])
		}
		if got := resolvePort(t, p.HTTPGet.Port, named); got != port {
			t.Errorf("%s port resolves to %d, want %d", name, got, port)
		}
	}
	if p := c.StartupProbe; p != nil && p.PeriodSeconds*p.FailureThreshold < 60 {
		t.Errorf("startupProbe allows %d s; compiling a large rule set takes 8-13 s, more on a throttled CPU: allow at least 60 s",
			p.PeriodSeconds*p.FailureThreshold)
	}

	// Drain delay and shutdown timeout as the code reads them from this
	// very ConfigMap and Secret.
	envs := map[string]string{}
	for k, v := range cm.Data {
		envs[k] = v
	}
	for k, v := range sec.StringData {
		envs[k] = v
	}
	cfg, err := app.ConfigFromEnv(func(k string) string { return envs[k] })
	if err != nil {
		t.Fatalf("the ConfigMap and example Secret are not a valid configuration: %v", err)
	}
	grace := pod.TerminationGracePeriodSeconds
	if need := cfg.DrainDelay + cfg.ShutdownTimeout; grace == nil || time.Duration(*grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %v, want more than drain delay + shutdown timeout = %v", grace, need)
	}

	for _, kind := range []string{"cpu", "memory"} {
		if c.Resources.Requests[kind] == "" || c.Resources.Limits[kind] == "" {
			t.Errorf("resources: %s request and limit must both be set, got %q / %q", kind, c.Resources.Requests[kind], c.Resources.Limits[kind])
		}
	}
	if r, l := mebibytes(t, c.Resources.Requests["memory"]), mebibytes(t, c.Resources.Limits["memory"]); r > l || l < 256 {
		t.Errorf("memory request %d Mi, limit %d Mi: want request <= limit and a limit of at least 256 Mi (160 MB RSS measured with the shipped rules)", r, l)
	}

	sc := c.SecurityContext
	if !isTrue(sc.RunAsNonRoot) && !isTrue(pod.SecurityContext.RunAsNonRoot) {
		t.Error("runAsNonRoot is not set")
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not set")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("capabilities.drop %v, want [ALL]", sc.Capabilities.Drop)
	}
	if len(pod.Volumes) > 0 {
		t.Error("the Deployment mounts volumes: Redis is the store with several replicas, the embedded store is single-replica only")
	}

	// Redis is an external dependency from a Secret; every reference
	// resolves within the manifests.
	redis := false
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name != sec.Metadata.Name {
			t.Errorf("env %s refers to Secret %q, the manifests define %q", e.Name, ref.Name, sec.Metadata.Name)
		}
		if _, ok := sec.StringData[ref.Key]; !ok {
			t.Errorf("env %s refers to key %q the example Secret lacks", e.Name, ref.Key)
		}
		if e.Name == "REDIS_URL" || e.Name == "REDIS_ADDRS" {
			redis = true
		}
	}
	if !redis {
		t.Error("REDIS_URL or REDIS_ADDRS does not come from a Secret")
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name != cm.Metadata.Name {
			t.Errorf("envFrom ConfigMap %q, the manifests define %q", ef.ConfigMapRef.Name, cm.Metadata.Name)
		}
		if ef.SecretRef != nil && ef.SecretRef.Name != sec.Metadata.Name {
			t.Errorf("envFrom Secret %q, the manifests define %q", ef.SecretRef.Name, sec.Metadata.Name)
		}
	}
}

func TestServicePDBAndHPATargetTheDeployment(t *testing.T) {
	objs := readManifests(t)
	dep := one(t, objs, "Deployment")
	podLabels := dep.Spec.Template.Metadata.Labels
	subset := func(sel map[string]string) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return true
	}
	if !subset(dep.Spec.Selector.MatchLabels) {
		t.Errorf("Deployment selector %v does not match its pod labels %v", dep.Spec.Selector.MatchLabels, podLabels)
	}

	svc := one(t, objs, "Service")
	var raw struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
		} `yaml:"spec"`
	}
	data, _ := os.ReadFile(svc.file)
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if !subset(raw.Spec.Selector) {
		t.Errorf("Service selector %v does not match the Deployment's pod labels %v", raw.Spec.Selector, podLabels)
	}
	named := map[string]int{}
	for _, p := range dep.Spec.Template.Spec.Containers[0].Ports {
		named[p.Name] = p.ContainerPort
	}
	if len(svc.Spec.Ports) == 0 {
		t.Error("Service has no ports")
	}
	for _, p := range svc.Spec.Ports {
		if got := resolvePort(t, p.TargetPort, named); got != defaultPort(t) {
			t.Errorf("Service port %s targets %d, want %d", p.Name, got, defaultPort(t))
		}
	}

	pdb := one(t, objs, "PodDisruptionBudget")
	if !subset(pdb.Spec.Selector.MatchLabels) {
		t.Errorf("PDB selector %v does not match the Deployment's pod labels", pdb.Spec.Selector.MatchLabels)
	}
	if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
		t.Error("PDB needs exactly one of minAvailable and maxUnavailable")
	}

	hpa := one(t, objs, "HorizontalPodAutoscaler")
	if r := hpa.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.Name != dep.Metadata.Name || r.APIVersion != "apps/v1" {
		t.Errorf("HPA targets %+v, want the Deployment %q", r, dep.Metadata.Name)
	}
	if hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < hpa.Spec.MinReplicas {
		t.Errorf("HPA replicas %d-%d: keep at least 2 so the PDB can be honoured during a drain", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	cpu := false
	for _, m := range hpa.Spec.Metrics {
		cpu = cpu || (m.Type == "Resource" && m.Resource.Name == "cpu")
	}
	if !cpu {
		t.Error("HPA does not scale on CPU")
	}
}

// TestProbesAnswer builds the real service (app.New, temp data dir),
// checks that every probe path in the manifests and the compose file is
// a GET route it registers, then serves it and expects 200 from each.
func TestProbesAnswer(t *testing.T) {
	objs := readManifests(t)
	c := one(t, objs, "Deployment").Spec.Template.Spec.Containers[0]
	paths := map[string]bool{}
	for _, p := range []*probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
		if p != nil && p.HTTPGet != nil {
			paths[p.HTTPGet.Path] = true
		}
	}
	paths["/readyz"] = true // signpost healthcheck's default, used by the Dockerfile and compose
	paths["/metrics"] = true

	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.BootstrapToken = "deploy-test-bootstrap-secret-0123456789"
	cfg.DrainDelay = 0
	in := servetest.Start(t, cfg, nil)
	registered := map[string]bool{}
	for _, r := range in.App.Fiber().GetRoutes() {
		if r.Method == http.MethodGet {
			registered[r.Path] = true
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for path := range paths {
		if !registered[path] {
			t.Errorf("probe path %s is not a GET route the server registers", path)
			continue
		}
		resp, err := client.Get(in.URL + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestEveryEnvVarIsDocumented(t *testing.T) {
	known := documentedEnv(t)
	objs := readManifests(t)
	check := func(where, name string) {
		if !known[name] {
			t.Errorf("%s sets %s, which README.md's Configuration table does not document", where, name)
		}
	}
	for k := range one(t, objs, "ConfigMap").Data {
		check("k8s/configmap.yaml", k)
	}
	for k := range one(t, objs, "Secret").StringData {
		check("k8s/secret.example.yaml", k)
	}
	for _, e := range one(t, objs, "Deployment").Spec.Template.Spec.Containers[0].Env {
		check("k8s/deployment.yaml", e.Name)
	}
	for svc, s := range readCompose(t).Services {
		for k := range s.Environment {
			check("compose.yaml service "+svc, k)
		}
	}
}

type compose struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		ReadOnly bool `yaml:"read_only"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

func TestCompose(t *testing.T) {
	c := readCompose(t)
	sp, ok := c.Services["signpost"]
	if !ok {
		t.Fatal("compose.yaml has no signpost service")
	}
	redis, ok := c.Services["redis"]
	if !ok {
		t.Fatal("compose.yaml has no redis service")
	}
	if sp.Build == nil || sp.Build.Context != ".." || sp.Build.Dockerfile != "Dockerfile" {
		t.Errorf("signpost builds from %+v, want context .. and the repository's Dockerfile", sp.Build)
	} else if _, err := os.Stat(filepath.Join(sp.Build.Context, sp.Build.Dockerfile)); err != nil {
		t.Errorf("build: %v", err)
	}
	if sp.Healthcheck == nil || !slices.Equal(sp.Healthcheck.Test, []string{"CMD", "/signpost", "healthcheck"}) {
		t.Errorf("signpost healthcheck %+v, want the binary's own: [CMD /signpost healthcheck]", sp.Healthcheck)
	}
	if sp.DependsOn["redis"].Condition != "service_healthy" {
		t.Error("signpost does not wait for a healthy redis")
	}
	if redis.Healthcheck == nil || len(redis.Healthcheck.Test) == 0 {
		t.Error("redis has no healthcheck")
	}
	if len(redis.Volumes) == 0 {
		t.Error("redis keeps no volume: counts and campaigns would not survive a restart")
	}
	if !strings.HasPrefix(sp.Environment["REDIS_URL"], "redis://redis:") {
		t.Errorf("signpost REDIS_URL %q does not point at the redis service", sp.Environment["REDIS_URL"])
	}
	if sp.Environment["SIGNPOST_BOOTSTRAP_TOKEN"] == "" {
		t.Error("SIGNPOST_BOOTSTRAP_TOKEN is not wired")
	}
	port := strconv.Itoa(defaultPort(t))
	published := false
	for _, p := range sp.Ports {
		published = published || strings.HasSuffix(p, ":"+port)
	}
	if !published {
		t.Errorf("signpost ports %v do not publish container port %s", sp.Ports, port)
	}
	if addr := sp.Environment["SIGNPOST_ADDR"]; addr != "" && !strings.HasSuffix(addr, ":"+port) {
		t.Errorf("SIGNPOST_ADDR %q does not listen on the published port %s", addr, port)
	}
}

// dockerfile is the Dockerfile's instructions, continuation lines joined,
// by stage.
func dockerfile(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string
	joined := strings.ReplaceAll(string(data), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], line)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a runtime stage", len(stages))
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	build, final := stages[0], stages[len(stages)-1]
	has := func(lines []string, re string) bool {
		r := regexp.MustCompile(re)
		for _, l := range lines {
			if r.MatchString(l) {
				return true
			}
		}
		return false
	}
	if !has(build, `^RUN .*CGO_ENABLED=0 go build `) {
		t.Error("the build stage does not build with CGO_ENABLED=0 (a static binary)")
	}
	if !has(final[:1], `^FROM gcr\.io/distroless/static[^ ]*:nonroot$`) {
		t.Errorf("final stage %q is not distroless static nonroot", final[0])
	}
	if !has(final, `^USER nonroot(:nonroot)?$`) {
		t.Error("no USER nonroot in the final stage")
	}
	if !has(final, `^HEALTHCHECK .*CMD \["/signpost", "healthcheck"\]$`) {
		t.Error(`no HEALTHCHECK ... CMD ["/signpost", "healthcheck"] (exec form: the image has no shell)`)
	}
	if !has(final, `^ENTRYPOINT \["/signpost"\]$`) {
		t.Error(`ENTRYPOINT must be ["/signpost"] in exec form`)
	}
	for _, l := range final {
		// Shell form (no JSON array) needs /bin/sh, which distroless lacks.
		if regexp.MustCompile(`^(RUN|CMD|ENTRYPOINT|HEALTHCHECK .*CMD) `).MatchString(l) && !strings.Contains(l, "[") {
			t.Errorf("final stage line %q needs a shell", l)
		}
		if strings.HasPrefix(l, "RUN ") {
			t.Errorf("final stage runs %q: distroless has no shell to run it", l)
		}
	}
	if !has(final, `^EXPOSE `+strconv.Itoa(defaultPort(t))+`$`) {
		t.Errorf("final stage does not EXPOSE %d", defaultPort(t))
	}

	data, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	ignored := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignored[strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/")] = true
		}
	}
	for _, must := range []string{"data", "signpost", ".git", "*.test"} {
		if !ignored[must] {
			t.Errorf(".dockerignore does not exclude %s (local data, binaries or history would enter the image's build context)", must)
		}
	}
	// What go build needs (module files, embedded assets) must stay in.
	for _, need := range []string{"go.mod", "go.sum", "rules", "locales", "web", "api", "app", "handlers"} {
		if ignored[need] {
			t.Errorf(".dockerignore excludes %s, which the build needs", need)
		}
	}
}

// catalogue reads the metric names docs/metrics.md lists and their types.
func catalogue(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \\| ([a-z]+) \\|")
	out := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatal("docs/metrics.md lists no metrics")
	}
	return out
}

// promqlWords are PromQL's keywords and the functions and aggregations
// the dashboard may call; any other identifier is a metric name.
var promqlWords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "offset": true, "bool": true, "inf": true, "nan": true,
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "topk": true, "bottomk": true, "quantile": true,
	"rate": true, "irate": true, "increase": true, "deriv": true, "delta": true, "histogram_quantile": true,
	"max_over_time": true, "min_over_time": true, "avg_over_time": true, "clamp_min": true, "clamp_max": true,
	"abs": true, "label_values": true, "time": true, "vector": true, "scalar": true, "changes": true, "resets": true,
}

// metricNames returns the metric names a PromQL expression reads.
func metricNames(expr string) []string {
	for _, re := range []string{`"(?:[^"\\]|\\.)*"`, `\{[^}]*\}`, `\[[^\]]*\]`,
		`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`} {
		expr = regexp.MustCompile(re).ReplaceAllString(expr, " ")
	}
	var names []string
	ident := regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	for _, m := range ident.FindAllStringSubmatch(expr, -1) {
		if !promqlWords[m[1]] {
			names = append(names, m[1])
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le, route) (rate(x_seconds_bucket{route="/v1/events",code=~"5.."}[$__rate_interval]))) / ignoring(instance) y offset 1w > 0.5e3`)
	if !slices.Equal(got, []string{"x_seconds_bucket", "y"}) {
		t.Errorf("metricNames = %v", got)
	}
}

func TestDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana/signpost-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Inputs []struct {
			Name, Type, PluginID string
		} `json:"__inputs"`
		Title  string
		Panels []struct {
			Type, Title string
			Datasource  *struct{ Type, UID string }
			Targets     []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name  string
				Query json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if len(dash.Inputs) != 1 || dash.Inputs[0].Type != "datasource" || dash.Inputs[0].PluginID != "prometheus" {
		t.Fatalf("__inputs %+v, want one Prometheus datasource input", dash.Inputs)
	}
	dsRef := "${" + dash.Inputs[0].Name + "}"
	known := catalogue(t)
	used := map[string]bool{}
	checkExpr := func(where, expr string) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: expression %q reads no metric", where, expr)
		}
		for _, n := range names {
			base := n
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(n, suf); ok && known[b] == "histogram" {
					base = b
				}
			}
			if _, ok := known[base]; !ok {
				t.Errorf("%s: %s is not in docs/metrics.md", where, n)
			}
			used[base] = true
		}
	}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsRef {
			t.Errorf("panel %q datasource %+v, want the %s input", p.Title, p.Datasource, dsRef)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr("panel "+p.Title, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		var q struct{ Query string }
		if json.Unmarshal(v.Query, &q) != nil {
			_ = json.Unmarshal(v.Query, &q.Query)
		}
		if m := regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)`).FindStringSubmatch(q.Query); m != nil {
			checkExpr("variable "+v.Name, m[1])
		}
	}
	// What the dashboard promises to show.
	for _, want := range []string{"signpost_http_requests_total", "signpost_http_request_duration_seconds", "signpost_events_total",
		"signpost_cards_served_total", "signpost_engagement_pending", "signpost_engagement_dropped_total", "signpost_store_available",
		"signpost_ratelimit_fallbacks_total", "signpost_catalog_generation", "signpost_catalog_rebuilds_total", "signpost_rules_paused",
		"signpost_webhook_deliveries_total", "go_memstats_heap_inuse_bytes", "go_goroutines"} {
		if !used[want] {
			t.Errorf("the dashboard shows nothing of %s", want)
		}
	}
}

// resolvePort turns a probe's or Service's port (a number or a
// container port's name) into a number.
func resolvePort(t *testing.T, n yaml.Node, named map[string]int) int {
	t.Helper()
	if p, err := strconv.Atoi(n.Value); err == nil {
		return p
	}
	p, ok := named[n.Value]
	if !ok {
		t.Errorf("port %q names no container port", n.Value)
	}
	return p
}

// mebibytes reads a memory quantity in Mi or Gi.
func mebibytes(t *testing.T, q string) int {
	t.Helper()
	for suf, mul := range map[string]int{"Mi": 1, "Gi": 1024} {
		if v, ok := strings.CutSuffix(q, suf); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n * mul
			}
		}
	}
	t.Errorf("memory quantity %q: write it in Mi or Gi", q)
	return 0
}

func isTrue(b *bool) bool { return b != nil && *b }
