#!/usr/bin/env bash
# Builds the Kubernetes pieces the Kubernetes end-to-end test needs, from the Go
# module proxy only (these machines cannot download release binaries or pull
# container images), into a cache OUTSIDE the repository:
#
#   pulumi-resource-kubernetes  the Pulumi Kubernetes provider (module
#                               github.com/pulumi/pulumi-kubernetes/provider/v4, no
#                               tags: pinned to the pseudo-version of the commit behind
#                               the npm @pulumi/kubernetes release this package pins)
#   kube-apiserver              from k8s.io/kubernetes (cmd/kube-apiserver)
#   kube-controller-manager     from k8s.io/kubernetes (cmd/kube-controller-manager)
#   kube-scheduler              from k8s.io/kubernetes (cmd/kube-scheduler): kwok does not
#                               schedule, something has to bind pods to the fake nodes
#   etcd                        from go.etcd.io/etcd/server/v3
#   kwok                        from sigs.k8s.io/kwok (cmd/kwok): fakes the nodes and
#                               the kubelet, so pods "run" without a container runtime
#
# Pinned and idempotent: a stamp file per piece records its build inputs; a
# second run with the same pins reuses the cache, a changed pin rebuilds.
#
# Each piece is built from a small wrapper module generated in the cache (our
# own go.mod), never from a patched copy of another project's sources:
#   - the provider's cmd/pulumi-resource-kubernetes embeds two files its build
#     generates (`go generate`: the schema with the release version set, and the
#     Terraform mapping, both re-marshalled) which the published module does not
#     ship. The wrapper has its own generator doing the same from the module's
#     schema.json and terraform-mapping.json, and its own main calling the
#     provider's Serve, like the real main does.
#   - k8s.io/kubernetes replaces every k8s.io/* staging module with ./staging
#     paths, which Go ignores for a dependency; the wrapper states
#     `replace k8s.io/<m> => k8s.io/<m> v0.<minor>.<patch>` for each staging module
#     k8s.io/kubernetes requires (read from its go.mod at build time).
#
# Checked after each build: kube-* and etcd and kwok report the pinned version;
# the provider (a plugin has no --version) answers GetPluginInfo with it, asked
# over gRPC with the client @pulumi/pulumi brings into node_modules.
# Every module here is known to the checksum database: GONOSUMDB is not touched.
#
# Cold, on 2 cores: the provider about 11.5 min (its link needs about 4 GB of RAM),
# kube-apiserver 5.5 min, kube-controller-manager 2 min, kwok 1.5 min, etcd and
# kube-scheduler under a minute each (the scheduler reuses the apiserver's packages);
# about 22 min in all. A second run with the same pins: under a second.
#
# Usage: scripts/install-kubernetes-from-source.sh [--print-path]
#   --print-path  print only the bin directory on stdout (progress goes to stderr)
# Environment:
#   KUBERNETES_TOOLS_CACHE    cache dir (default ~/.cache/creatio-identity/kubernetes-<k8s version>)
#   KUBERNETES_TOOLS_FORCE=1  rebuild everything
# Exit status: non-zero when go/node/node_modules are missing or a piece does not build.
set -euo pipefail

# ---- pins -------------------------------------------------------------------
# Must match the @pulumi/kubernetes version in package.json (checked below).
PROVIDER_VERSION="4.25.0"
PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
# The commit behind the v4.25.0 release (the provider module has no tags of its own).
PROVIDER_MODULE_VERSION="v4.0.0-20260115033456-f47bc2d6f199"
# The provider's go.mod replaces its Go SDK with ../sdk (ignored for a dependency):
# the wrapper requires the SDK's own v4.25.0 release instead.
PROVIDER_SDK_MODULE="github.com/pulumi/pulumi-kubernetes/sdk/v4"
PROVIDER_SDK_VERSION="v4.25.0"
K8S_VERSION="1.37.2"
K8S_MODULE="k8s.io/kubernetes"
ETCD_VERSION="3.7.3"
ETCD_MODULE="go.etcd.io/etcd/server/v3"
KWOK_VERSION="0.8.0"
KWOK_MODULE="sigs.k8s.io/kwok"
# k8s.io/kubernetes v1.37 needs go >= 1.26.0 (its go.mod); the others less.
WRAPPER_GO_VERSION="1.26.0"

K8S_MINOR="${K8S_VERSION#*.}"; K8S_MINOR="${K8S_MINOR%%.*}"
K8S_MAJOR="${K8S_VERSION%%.*}"
STAGING_VERSION="v0.${K8S_VERSION#*.}"   # 1.37.2 -> v0.37.2

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KUBERNETES_TOOLS_CACHE:-$HOME/.cache/creatio-identity/kubernetes-$K8S_VERSION}"
BIN="$CACHE/bin"
LOGS="$CACHE/logs"
PRINT_PATH_ONLY=0
[[ "${1:-}" == "--print-path" ]] && PRINT_PATH_ONLY=1

say() { if [[ $PRINT_PATH_ONLY == 0 ]]; then echo "[kubernetes-tools] $*"; else echo "[kubernetes-tools] $*" >&2; fi; }
die() { echo "[kubernetes-tools] ERROR: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install a Go toolchain (>= ${WRAPPER_GO_VERSION}, or one that may switch to it via GOTOOLCHAIN) and re-run."
command -v node >/dev/null 2>&1 || die "'node' is not on PATH; it is used to read the @pulumi/kubernetes version from node_modules."

case "$CACHE" in
  "$REPO_ROOT"|"$REPO_ROOT"/*) die "KUBERNETES_TOOLS_CACHE ($CACHE) is inside the repository; choose a directory outside it." ;;
esac

NPM_K8S_DIR="$REPO_ROOT/node_modules/@pulumi/kubernetes"
[[ -f "$NPM_K8S_DIR/package.json" ]] || die "$NPM_K8S_DIR is missing: run 'npm ci' in $REPO_ROOT first (the provider is pinned to the @pulumi/kubernetes version installed)."
NPM_K8S_VERSION="$(node -p "require('$NPM_K8S_DIR/package.json').version")"
if [[ "$NPM_K8S_VERSION" != "$PROVIDER_VERSION" ]]; then
  die "node_modules has @pulumi/kubernetes $NPM_K8S_VERSION but this script pins the provider to $PROVIDER_VERSION; update PROVIDER_VERSION, PROVIDER_MODULE_VERSION and PROVIDER_SDK_VERSION in $0 together."
fi

mkdir -p "$BIN" "$LOGS"

# Go settings for our own builds only. Every module here is known to the
# checksum database, so GONOSUMDB is left alone.
export CGO_ENABLED="${CGO_ENABLED:-0}"
GO_VERSION="$(go env GOVERSION)"

now() { date +%s; }
elapsed() { local d=$(( $(now) - $1 )); printf '%dm%02ds' $((d / 60)) $((d % 60)); }
run() { echo "+ $*"; "$@"; }

# The wrapper module: our own go.mod, generated in the cache.
write_wrapper_gomod() { # dir module-name [extra go.mod text]
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo %s\n%s' "$2" "$WRAPPER_GO_VERSION" "${3:-}" > "$1/go.mod"
}

# True when the piece's binaries exist and its stamp records the same inputs.
stamp_ok() { # name expected-stamp binary...
  local name="$1" stamp="$2"; shift 2
  [[ "${KUBERNETES_TOOLS_FORCE:-0}" != 1 && -f "$CACHE/$name.stamp" && "$(cat "$CACHE/$name.stamp")" == "$stamp" ]] || return 1
  local b; for b in "$@"; do [[ -x "$b" ]] || return 1; done
}

# Fails the script with the log's tail.
build_failed() { # piece log t0
  tail -n 40 "$2" >&2
  die "building $1 failed after $(elapsed "$3"); full log: $2"
}

# The version a provider plugin reports to the engine. A plugin has no --version (and
# -trimpath keeps -ldflags out of its build info): start it in attach mode (no engine
# address: it serves on 127.0.0.1 and prints its port) and ask it over gRPC, with the
# gRPC client and Pulumi's protobuf stubs that @pulumi/pulumi brings into node_modules.
plugin_version() { # binary
  node - "$REPO_ROOT" "$1" <<'EOF'
const [root, binary] = process.argv.slice(2);
const req = (m) => require(require.resolve(m, { paths: [root] }));
const grpc = req("@grpc/grpc-js");
const { ResourceProviderClient } = req("@pulumi/pulumi/proto/provider_grpc_pb");
const { Empty } = req("google-protobuf/google/protobuf/empty_pb");
const child = require("node:child_process").spawn(binary, [], { stdio: ["ignore", "pipe", "inherit"] });
const fail = (msg) => { console.error(msg); child.kill("SIGKILL"); process.exit(1); };
const timer = setTimeout(() => fail("no answer within 60 s"), 60000);
let out = "";
child.stdout.on("data", (d) => {
  out += d;
  const m = /^(\d+)\n/.exec(out);
  if (!m) return;
  child.stdout.removeAllListeners("data");
  const client = new ResourceProviderClient(`127.0.0.1:${m[1]}`, grpc.credentials.createInsecure());
  client.getPluginInfo(new Empty(), (err, res) => {
    clearTimeout(timer);
    if (err) fail(`GetPluginInfo failed: ${err.message}`);
    console.log(res.getVersion());
    client.close();
    child.kill("SIGTERM");
  });
});
child.on("exit", (code, sig) => { if (!out) fail(`exited (${code ?? sig}) before printing its port`); });
EOF
}

SUMMARY=()

# ---- 1. the Pulumi Kubernetes provider ------------------------------------------
PROVIDER_STAMP="$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION $PROVIDER_SDK_MODULE@$PROVIDER_SDK_VERSION version=$PROVIDER_VERSION $GO_VERSION cgo=$CGO_ENABLED"
if stamp_ok provider "$PROVIDER_STAMP" "$BIN/pulumi-resource-kubernetes"; then
  say "pulumi-resource-kubernetes $PROVIDER_VERSION: cached ($BIN/pulumi-resource-kubernetes)"
  SUMMARY+=("pulumi-resource-kubernetes  $PROVIDER_VERSION ($PROVIDER_MODULE_VERSION)  (cached)")
else
  t0=$(now)
  W="$CACHE/src/provider-wrapper"
  rm -f "$CACHE/provider.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/pulumi-resource-kubernetes-wrapper
  mkdir -p "$W/gen"
  # What the provider's `go generate` (cmd/pulumi-resource-kubernetes/generate.go)
  # produces: schema.json decoded into Pulumi's schema.PackageSpec, its Version set to
  # the release, marshalled again; terraform-mapping.json decoded and marshalled again.
  cat > "$W/gen/main.go" <<'EOF'
// Generated by scripts/install-kubernetes-from-source.sh (creatio-identity).
// Writes the two files the provider's main embeds: usage: gen <cmd dir> <version> <out dir>
package main

import (
	"encoding/json"
	"log"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func remarshal(in, out string, v any, edit func()) {
	data, err := os.ReadFile(in)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		log.Fatalf("cannot decode %s: %v", in, err)
	}
	edit()
	data, err = json.Marshal(v)
	if err != nil {
		log.Fatalf("cannot encode %s: %v", out, err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: gen <cmd dir> <version> <out dir>")
	}
	src, version, dst := os.Args[1], os.Args[2], os.Args[3]
	var spec schema.PackageSpec
	remarshal(filepath.Join(src, "schema.json"), filepath.Join(dst, "schema-embed.json"), &spec, func() { spec.Version = version })
	var mapping any
	remarshal(filepath.Join(src, "terraform-mapping.json"), filepath.Join(dst, "terraform-mapping-embed.json"), &mapping, func() {})
}
EOF
  cat > "$W/main.go" <<'EOF'
// Generated by scripts/install-kubernetes-from-source.sh (creatio-identity): the same
// effect as the provider's cmd/pulumi-resource-kubernetes/main.go, with the files its
// `go generate` writes produced by ./gen.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
EOF
  say "building pulumi-resource-kubernetes $PROVIDER_VERSION from $PROVIDER_MODULE@$PROVIDER_MODULE_VERSION (log: $LOGS/provider.log) ..."
  ( cd "$W" &&
    run go get "$PROVIDER_MODULE/pkg/provider@$PROVIDER_MODULE_VERSION" "$PROVIDER_SDK_MODULE@$PROVIDER_SDK_VERSION" &&
    # Adds what ./gen imports at the versions the provider selected (no upgrade).
    run go get ./gen &&
    CMD_DIR="$(go list -m -f '{{.Dir}}' "$PROVIDER_MODULE")/cmd/pulumi-resource-kubernetes" &&
    run go run ./gen "$CMD_DIR" "$PROVIDER_VERSION" . &&
    run go get . &&
    run go build -trimpath -o "$BIN/pulumi-resource-kubernetes.new" \
      -ldflags "-s -w -X $PROVIDER_MODULE/pkg/version.Version=$PROVIDER_VERSION" .
  ) >"$LOGS/provider.log" 2>&1 || build_failed pulumi-resource-kubernetes "$LOGS/provider.log" "$t0"
  got="$(plugin_version "$BIN/pulumi-resource-kubernetes.new" 2>&1 || true)"
  [[ "$got" == "$PROVIDER_VERSION" ]] || die "the built pulumi-resource-kubernetes answers GetPluginInfo with '$got', expected $PROVIDER_VERSION"
  mv -f "$BIN/pulumi-resource-kubernetes.new" "$BIN/pulumi-resource-kubernetes"
  echo "$PROVIDER_STAMP" > "$CACHE/provider.stamp"
  say "pulumi-resource-kubernetes $PROVIDER_VERSION built in $(elapsed "$t0") -> $BIN/pulumi-resource-kubernetes"
  SUMMARY+=("pulumi-resource-kubernetes  $PROVIDER_VERSION ($PROVIDER_MODULE_VERSION)  (built in $(elapsed "$t0"))")
fi

# ---- 2. kube-apiserver, kube-controller-manager, kube-scheduler -------------------
# The version variables Kubernetes' own build sets (hack/lib/version.sh); without
# them the binaries report v0.0.0-master, which clients parse as the server version.
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR -X $pkg.gitTreeState=clean"
done
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler)
K8S_STAMP="$K8S_MODULE@v$K8S_VERSION ${K8S_CMDS[*]} staging=$STAGING_VERSION $GO_VERSION cgo=$CGO_ENABLED"
if stamp_ok kubernetes "$K8S_STAMP" "${K8S_CMDS[@]/#/$BIN/}"; then
  say "${K8S_CMDS[*]} v$K8S_VERSION: cached"
  for cmd in "${K8S_CMDS[@]}"; do SUMMARY+=("$(printf '%-27s' "$cmd") v$K8S_VERSION  (cached)"); done
else
  W="$CACHE/src/kubernetes-wrapper"
  rm -f "$CACHE/kubernetes.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/kubernetes-wrapper
  t0=$(now)
  say "resolving $K8S_MODULE@v$K8S_VERSION and its staging modules at $STAGING_VERSION (log: $LOGS/kubernetes.log) ..."
  ( cd "$W" &&
    echo "+ go mod download -json $K8S_MODULE@v$K8S_VERSION" &&
    K8S_DIR="$(go mod download -json "$K8S_MODULE@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" &&
    [[ -f "$K8S_DIR/go.mod" ]] &&
    # Staging modules: those k8s.io/kubernetes replaces with ./staging/src/... AND requires
    # (at v0.0.0); a few replaced ones (sample-*) are not required and not published.
    STAGING="$(awk '/=> \.\/staging\/src\//{print $1}' "$K8S_DIR/go.mod" | while read -r m; do
                 if grep -qE "^[[:space:]]+$m v0\.0\.0([[:space:]]|$)" "$K8S_DIR/go.mod"; then echo "$m"; fi; done)" &&
    [[ -n "$STAGING" ]] &&
    { printf '\nreplace (\n'; for m in $STAGING; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done; printf ')\n'; } >> go.mod &&
    echo "+ wrapper go.mod:" && cat go.mod &&
    K8S_PKGS=(); for cmd in "${K8S_CMDS[@]}"; do K8S_PKGS+=("$K8S_MODULE/cmd/$cmd@v$K8S_VERSION"); done &&
    run go get "${K8S_PKGS[@]}" &&
    echo "+ go.mod after go get:" && cat go.mod
  ) >"$LOGS/kubernetes.log" 2>&1 || build_failed "the kubernetes wrapper module" "$LOGS/kubernetes.log" "$t0"
  say "resolved in $(elapsed "$t0") ($(grep -c '=> k8s.io/' "$W/go.mod") staging modules replaced)"
  for cmd in "${K8S_CMDS[@]}"; do
    t0=$(now)
    say "building $cmd v$K8S_VERSION from $K8S_MODULE (log: $LOGS/$cmd.log) ..."
    ( cd "$W" &&
      run go build -trimpath -o "$BIN/$cmd.new" -ldflags "$K8S_LDFLAGS" "$K8S_MODULE/cmd/$cmd"
    ) >"$LOGS/$cmd.log" 2>&1 || build_failed "$cmd" "$LOGS/$cmd.log" "$t0"
    got="$("$BIN/$cmd.new" --version 2>/dev/null || true)"
    [[ "$got" == "Kubernetes v$K8S_VERSION" ]] || die "the built $cmd reports '$got', expected 'Kubernetes v$K8S_VERSION'"
    mv -f "$BIN/$cmd.new" "$BIN/$cmd"
    say "$cmd v$K8S_VERSION built in $(elapsed "$t0") -> $BIN/$cmd"
    SUMMARY+=("$(printf '%-27s' "$cmd") v$K8S_VERSION  (built in $(elapsed "$t0"))")
  done
  echo "$K8S_STAMP" > "$CACHE/kubernetes.stamp"
fi

# ---- 3. etcd --------------------------------------------------------------------
ETCD_STAMP="$ETCD_MODULE@v$ETCD_VERSION $GO_VERSION cgo=$CGO_ENABLED"
if stamp_ok etcd "$ETCD_STAMP" "$BIN/etcd"; then
  say "etcd v$ETCD_VERSION: cached"
  SUMMARY+=("etcd                        v$ETCD_VERSION  (cached)")
else
  t0=$(now)
  W="$CACHE/src/etcd-wrapper"
  rm -f "$CACHE/etcd.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/etcd-wrapper
  say "building etcd v$ETCD_VERSION from $ETCD_MODULE (log: $LOGS/etcd.log) ..."
  ( cd "$W" &&
    run go get "$ETCD_MODULE@v$ETCD_VERSION" &&
    run go build -trimpath -o "$BIN/etcd.new" -ldflags "-s -w" "$ETCD_MODULE"
  ) >"$LOGS/etcd.log" 2>&1 || build_failed etcd "$LOGS/etcd.log" "$t0"
  got="$("$BIN/etcd.new" --version 2>/dev/null | head -n 1 || true)"
  [[ "$got" == "etcd Version: $ETCD_VERSION" ]] || die "the built etcd reports '$got', expected 'etcd Version: $ETCD_VERSION'"
  mv -f "$BIN/etcd.new" "$BIN/etcd"
  echo "$ETCD_STAMP" > "$CACHE/etcd.stamp"
  say "etcd v$ETCD_VERSION built in $(elapsed "$t0") -> $BIN/etcd"
  SUMMARY+=("etcd                        v$ETCD_VERSION  (built in $(elapsed "$t0"))")
fi

# ---- 4. kwok --------------------------------------------------------------------
KWOK_STAMP="$KWOK_MODULE/cmd/kwok@v$KWOK_VERSION $GO_VERSION cgo=$CGO_ENABLED"
if stamp_ok kwok "$KWOK_STAMP" "$BIN/kwok"; then
  say "kwok v$KWOK_VERSION: cached"
  SUMMARY+=("kwok                        v$KWOK_VERSION  (cached)")
else
  t0=$(now)
  W="$CACHE/src/kwok-wrapper"
  rm -f "$CACHE/kwok.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/kwok-wrapper
  say "building kwok v$KWOK_VERSION from $KWOK_MODULE (log: $LOGS/kwok.log) ..."
  ( cd "$W" &&
    run go get "$KWOK_MODULE/cmd/kwok@v$KWOK_VERSION" &&
    run go build -trimpath -o "$BIN/kwok.new" \
      -ldflags "-s -w -X $KWOK_MODULE/pkg/consts.Version=v$KWOK_VERSION -X $KWOK_MODULE/pkg/consts.KubeVersion=v$K8S_VERSION" \
      "$KWOK_MODULE/cmd/kwok"
  ) >"$LOGS/kwok.log" 2>&1 || build_failed kwok "$LOGS/kwok.log" "$t0"
  got="$("$BIN/kwok.new" --version 2>/dev/null || true)"
  [[ "$got" == *"v$KWOK_VERSION"* ]] || die "the built kwok reports '$got', expected v$KWOK_VERSION"
  mv -f "$BIN/kwok.new" "$BIN/kwok"
  echo "$KWOK_STAMP" > "$CACHE/kwok.stamp"
  say "kwok v$KWOK_VERSION built in $(elapsed "$t0") -> $BIN/kwok"
  SUMMARY+=("kwok                        v$KWOK_VERSION  (built in $(elapsed "$t0"))")
fi

if [[ $PRINT_PATH_ONLY == 1 ]]; then
  echo "$BIN"
  exit 0
fi

echo
echo "[kubernetes-tools] tools in $BIN:"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo "[kubernetes-tools] cache size: $(du -sh "$CACHE" | cut -f1) in $CACHE (Go module cache: $(go env GOMODCACHE), build cache: $(go env GOCACHE))"
echo
echo "The Kubernetes e2e (e2e/kubernetesCluster.e2e.test.ts) finds them there (or in \$KUBERNETES_TOOLS_CACHE/bin)."
