#!/usr/bin/env bash
# Builds the Pulumi engine pieces this package's end-to-end test needs, from the
# Go module proxy only (these machines cannot download Pulumi's release
# binaries), into a cache OUTSIDE the repository:
#
#   pulumi                         the CLI (module github.com/pulumi/pulumi/pkg/v3, cmd/pulumi)
#   pulumi-language-nodejs         the Node.js language host (its own module, no tags:
#                                  pinned to the pseudo-version of the release commit)
#   pulumi-resource-pulumi-nodejs  the dynamic-provider shim, copied from the installed
#                                  @pulumi/pulumi npm package (it is a shell script)
#
# Pinned and idempotent: a stamp file per piece records its build inputs; a
# second run with the same pins reuses the cache, a changed pin rebuilds.
#
# Nothing here patches or recreates another project's sources. pkg/v3's go.mod
# carries `replace` directives, which `go install module@version` refuses, so
# the CLI is built from a small wrapper module generated in the cache; the one
# replace that matters outside Pulumi's own repo (atotto/clipboard) is copied
# into the wrapper's go.mod, which is our own configuration.
#
# If the language host is not served by the proxy, the script says so and goes
# on: the Automation API with an INLINE program does not need it (LocalWorkspace
# serves the program itself and hands its address to the CLI).
#
# Usage: scripts/install-pulumi-from-source.sh [--print-path]
#   --print-path  print only the bin directory on stdout (progress goes to stderr)
# Environment:
#   PULUMI_TOOLS_CACHE    cache dir (default ~/.cache/creatio-identity/pulumi-<version>)
#   PULUMI_TOOLS_FORCE=1  rebuild everything
#   PULUMI_TOOLS_NODEJS_HOST_FALLBACK=1  when the pinned language host is not
#                         served, build the older one published in sdk/v3 (see below)
# Exit status: non-zero when go/node/node_modules are missing or the CLI does
# not build; 0 otherwise (a missing language host is reported, not fatal).
set -euo pipefail

# ---- pins -------------------------------------------------------------------
# Must match the @pulumi/pulumi version in package.json (checked below).
PULUMI_VERSION="3.248.0"
# The release commit of v3.248.0 (tag pkg/v3.248.0) and the pseudo-version the
# untagged language-host module has at that commit (commit time 2026-06-24T18:00:30Z).
PULUMI_COMMIT="dc7edd58bc13179f81b80983aab4eb7f74a01b41"
NODEJS_HOST_MODULE="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
NODEJS_HOST_VERSION="v3.0.0-20260624180030-dc7edd58bc13"
# The only sdk/v3 release in the proxy's version list that still contains the
# language host as a package (used only with PULUMI_TOOLS_NODEJS_HOST_FALLBACK=1).
FALLBACK_HOST_SDK_VERSION="v3.68.0"
CLI_MODULE="github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
# Copied from pkg/v3@v3.248.0's own go.mod: Go ignores a dependency's replace
# directives, so the wrapper has to state it.
CLIPBOARD_REPLACE="github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
WRAPPER_GO_VERSION="1.25.11"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PULUMI_TOOLS_CACHE:-$HOME/.cache/creatio-identity/pulumi-$PULUMI_VERSION}"
BIN="$CACHE/bin"
LOGS="$CACHE/logs"
PRINT_PATH_ONLY=0
[[ "${1:-}" == "--print-path" ]] && PRINT_PATH_ONLY=1

say() { if [[ $PRINT_PATH_ONLY == 0 ]]; then echo "[pulumi-tools] $*"; else echo "[pulumi-tools] $*" >&2; fi; }
die() { echo "[pulumi-tools] ERROR: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install a Go toolchain (>= ${WRAPPER_GO_VERSION}, or one that may switch to it via GOTOOLCHAIN) and re-run."
command -v node >/dev/null 2>&1 || die "'node' is not on PATH; the dynamic-provider shim runs under Node.js."

case "$CACHE" in
  "$REPO_ROOT"|"$REPO_ROOT"/*) die "PULUMI_TOOLS_CACHE ($CACHE) is inside the repository; choose a directory outside it." ;;
esac

NPM_PULUMI_DIR="$REPO_ROOT/node_modules/@pulumi/pulumi"
[[ -f "$NPM_PULUMI_DIR/package.json" ]] || die "$NPM_PULUMI_DIR is missing: run 'npm ci' in $REPO_ROOT first (the dynamic-provider shim ships in @pulumi/pulumi)."
NPM_PULUMI_VERSION="$(node -p "require('$NPM_PULUMI_DIR/package.json').version")"
if [[ "$NPM_PULUMI_VERSION" != "$PULUMI_VERSION" ]]; then
  die "node_modules has @pulumi/pulumi $NPM_PULUMI_VERSION but this script pins the engine to $PULUMI_VERSION; update PULUMI_VERSION, PULUMI_COMMIT and NODEJS_HOST_VERSION in $0 together."
fi

mkdir -p "$BIN" "$LOGS"

# Go settings for our own builds only. The checksum database does not know
# every recent Pulumi release, so Pulumi's own modules skip it (the proxy still
# serves them; every other module is verified as usual).
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi"
export CGO_ENABLED="${CGO_ENABLED:-0}"
GO_VERSION="$(go env GOVERSION)"

now() { date +%s; }
elapsed() { local d=$(( $(now) - $1 )); printf '%dm%02ds' $((d / 60)) $((d % 60)); }
run() { echo "+ $*"; "$@"; }

# The wrapper module: our own go.mod, generated in the cache.
write_wrapper_gomod() { # dir module-name
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo %s\n\nreplace %s\n' "$2" "$WRAPPER_GO_VERSION" "$CLIPBOARD_REPLACE" > "$1/go.mod"
}

# True when the piece's binary exists and its stamp records the same inputs.
stamp_ok() { # name expected-stamp binary
  [[ "${PULUMI_TOOLS_FORCE:-0}" != 1 && -x "$3" && -f "$CACHE/$1.stamp" && "$(cat "$CACHE/$1.stamp")" == "$2" ]]
}

SUMMARY=()

# ---- 1. the CLI ---------------------------------------------------------------
CLI_STAMP="$CLI_MODULE/cmd/pulumi@v$PULUMI_VERSION $SDK_MODULE@v$PULUMI_VERSION version=v$PULUMI_VERSION $GO_VERSION cgo=$CGO_ENABLED"
if stamp_ok cli "$CLI_STAMP" "$BIN/pulumi"; then
  say "pulumi CLI v$PULUMI_VERSION: cached ($BIN/pulumi)"
  SUMMARY+=("pulumi                         v$PULUMI_VERSION  (cached)")
else
  t0=$(now)
  W="$CACHE/src/cli-wrapper"
  rm -f "$CACHE/cli.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/pulumi-cli-wrapper
  say "building pulumi CLI v$PULUMI_VERSION from $CLI_MODULE (log: $LOGS/cli.log) ..."
  # set -e does not apply inside a `||` list, hence the && chain.
  ( cd "$W" &&
    run go get "$CLI_MODULE/cmd/pulumi@v$PULUMI_VERSION" "$SDK_MODULE@v$PULUMI_VERSION" &&
    run go build -trimpath -o "$BIN/pulumi.new" \
      -ldflags "-s -w -X $SDK_MODULE/go/common/version.Version=v$PULUMI_VERSION" \
      "$CLI_MODULE/cmd/pulumi"
  ) >"$LOGS/cli.log" 2>&1 || {
    tail -n 40 "$LOGS/cli.log" >&2
    die "building the pulumi CLI failed after $(elapsed "$t0"); full log: $LOGS/cli.log"
  }
  mv -f "$BIN/pulumi.new" "$BIN/pulumi"
  got="$("$BIN/pulumi" version 2>/dev/null || true)"
  [[ "$got" == "v$PULUMI_VERSION" ]] || die "the built pulumi reports version '$got', expected v$PULUMI_VERSION"
  echo "$CLI_STAMP" > "$CACHE/cli.stamp"
  say "pulumi CLI v$PULUMI_VERSION built in $(elapsed "$t0") -> $BIN/pulumi"
  SUMMARY+=("pulumi                         v$PULUMI_VERSION  (built in $(elapsed "$t0"))")
fi

# ---- 2. the Node.js language host ---------------------------------------------
HOST_STAMP="$NODEJS_HOST_MODULE@$NODEJS_HOST_VERSION $CLI_MODULE@v$PULUMI_VERSION $GO_VERSION cgo=$CGO_ENABLED"
FALLBACK_HOST_STAMP="fallback $SDK_MODULE/nodejs/cmd/pulumi-language-nodejs@$FALLBACK_HOST_SDK_VERSION $GO_VERSION cgo=$CGO_ENABLED"

# Opt-in fallback (PULUMI_TOOLS_NODEJS_HOST_FALLBACK=1) for when the pinned host
# is not served: before the language host got its own go.mod it was a package
# of the sdk/v3 module, and the proxy serves that older release as published.
# It is OLDER than the CLI and the npm SDK, which is why it is opt-in; it was
# seen to run a project-directory `pulumi up` of a dynamic resource correctly.
build_fallback_host() {
  local t0; t0=$(now)
  local W="$CACHE/src/nodejs-host-fallback-wrapper"
  local PKG="$SDK_MODULE/nodejs/cmd/pulumi-language-nodejs"
  write_wrapper_gomod "$W" creatio-identity.local/pulumi-language-nodejs-fallback-wrapper
  say "building FALLBACK pulumi-language-nodejs from $SDK_MODULE@$FALLBACK_HOST_SDK_VERSION (log: $LOGS/nodejs-host-fallback.log) ..."
  if ( cd "$W" &&
       run go get "$PKG@$FALLBACK_HOST_SDK_VERSION" &&
       run go build -trimpath -o "$BIN/pulumi-language-nodejs" -ldflags "-s -w" "$PKG"
     ) >"$LOGS/nodejs-host-fallback.log" 2>&1; then
    echo "$FALLBACK_HOST_STAMP" > "$CACHE/nodejs-host.stamp"
    say "FALLBACK pulumi-language-nodejs ($FALLBACK_HOST_SDK_VERSION) built in $(elapsed "$t0") -> $BIN/pulumi-language-nodejs"
    SUMMARY+=("pulumi-language-nodejs         FALLBACK $SDK_MODULE@$FALLBACK_HOST_SDK_VERSION  (built in $(elapsed "$t0"))")
  else
    rm -f "$BIN/pulumi-language-nodejs"
    say "WARNING: the fallback language host did not build either; full log: $LOGS/nodejs-host-fallback.log"
    SUMMARY+=("pulumi-language-nodejs         NOT BUILT (pinned host not served, fallback failed; see $LOGS)")
  fi
}
if stamp_ok nodejs-host "$HOST_STAMP" "$BIN/pulumi-language-nodejs"; then
  say "pulumi-language-nodejs $NODEJS_HOST_VERSION: cached"
  SUMMARY+=("pulumi-language-nodejs         $NODEJS_HOST_VERSION  (cached)")
elif [[ "${PULUMI_TOOLS_NODEJS_HOST_FALLBACK:-0}" == 1 ]] && stamp_ok nodejs-host "$FALLBACK_HOST_STAMP" "$BIN/pulumi-language-nodejs"; then
  say "pulumi-language-nodejs FALLBACK from $SDK_MODULE@$FALLBACK_HOST_SDK_VERSION: cached"
  SUMMARY+=("pulumi-language-nodejs         FALLBACK $SDK_MODULE@$FALLBACK_HOST_SDK_VERSION  (cached)")
else
  t0=$(now)
  W="$CACHE/src/nodejs-host-wrapper"
  rm -f "$BIN/pulumi-language-nodejs" "$CACHE/nodejs-host.stamp"
  write_wrapper_gomod "$W" creatio-identity.local/pulumi-language-nodejs-wrapper
  say "building pulumi-language-nodejs $NODEJS_HOST_VERSION (commit ${PULUMI_COMMIT:0:12}) (log: $LOGS/nodejs-host.log) ..."
  if ( cd "$W" &&
       run go get "$NODEJS_HOST_MODULE@$NODEJS_HOST_VERSION" "$CLI_MODULE@v$PULUMI_VERSION" "$SDK_MODULE@v$PULUMI_VERSION" &&
       run go build -trimpath -o "$BIN/pulumi-language-nodejs" \
         -ldflags "-s -w -X $SDK_MODULE/go/common/version.Version=v$PULUMI_VERSION" \
         "$NODEJS_HOST_MODULE"
     ) >"$LOGS/nodejs-host.log" 2>&1; then
    echo "$HOST_STAMP" > "$CACHE/nodejs-host.stamp"
    say "pulumi-language-nodejs built in $(elapsed "$t0") -> $BIN/pulumi-language-nodejs"
    SUMMARY+=("pulumi-language-nodejs         $NODEJS_HOST_VERSION  (built in $(elapsed "$t0"))")
  else
    rm -f "$BIN/pulumi-language-nodejs"
    reason="$(grep -v '^+ ' "$LOGS/nodejs-host.log" | head -n 3 | tr '\n' ' ')"
    say "WARNING: pulumi-language-nodejs $NODEJS_HOST_VERSION NOT built ($(elapsed "$t0")): $reason"
    say "         full log: $LOGS/nodejs-host.log"
    say "         'pulumi up' in a project directory needs it; the Automation API with an inline program does not."
    if [[ "${PULUMI_TOOLS_NODEJS_HOST_FALLBACK:-0}" == 1 ]]; then
      build_fallback_host
    else
      say "         (PULUMI_TOOLS_NODEJS_HOST_FALLBACK=1 builds the older host published inside $SDK_MODULE@$FALLBACK_HOST_SDK_VERSION instead)"
      SUMMARY+=("pulumi-language-nodejs         NOT BUILT: $NODEJS_HOST_VERSION not served (see $LOGS/nodejs-host.log)")
    fi
  fi
fi

# ---- 3. the dynamic-provider shim ---------------------------------------------
# Copied, not symlinked, so the cache survives the repository being re-cloned.
# The shim finds @pulumi/pulumi with require.resolve from its working
# directory (or NODE_PATH), so it does not depend on where it lives.
for shim in pulumi-resource-pulumi-nodejs pulumi-analyzer-policy; do
  if [[ -f "$NPM_PULUMI_DIR/$shim" ]]; then
    install -m 0755 "$NPM_PULUMI_DIR/$shim" "$BIN/$shim"
    SUMMARY+=("$(printf '%-30s' "$shim") @pulumi/pulumi $NPM_PULUMI_VERSION (copied)")
  fi
done
[[ -x "$BIN/pulumi-resource-pulumi-nodejs" ]] || die "pulumi-resource-pulumi-nodejs not found in $NPM_PULUMI_DIR"

if [[ $PRINT_PATH_ONLY == 1 ]]; then
  echo "$BIN"
  exit 0
fi

echo
echo "[pulumi-tools] tools in $BIN:"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo "[pulumi-tools] cache size: $(du -sh "$CACHE" | cut -f1) in $CACHE (Go module cache: $(go env GOMODCACHE), build cache: $(go env GOCACHE))"
echo
echo "Use them with:"
echo "  export PATH=\"$BIN:\$PATH\""
echo "  export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_CONFIG_PASSPHRASE=<passphrase>"
echo "  pulumi login file://<state-dir>"
