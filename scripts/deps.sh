#!/usr/bin/env bash
# Installs what the tests and the chat application need on a fresh Debian
# machine with Go and Node.js: npm packages from the committed lock file, and
# Debian packages only when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in "$@"; do
  case "$pkg" in
    redis-server) command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server) ;;
    chromium) [ -x /usr/bin/chromium ] || need_apt+=(chromium) ;;
    sqlite3) command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3) ;;
    emoji-font) [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_apt+=(fonts-noto-color-emoji) ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql) ;;
    *) echo "deps.sh: unknown package $pkg" >&2; exit 2 ;;
  esac
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} from Debian"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=interop/node_modules/.lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s interop/package-lock.json "$stamp"; then
  echo "== npm ci (interop)"
  (cd interop && npm ci --no-audit --no-fund --loglevel=error)
  cp interop/package-lock.json "$stamp"
fi

# The official SignalR browser client that the chat page loads (served by
# the Go server from chat/web/node_modules, never committed).
stamp=chat/web/node_modules/.lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s chat/web/package-lock.json "$stamp"; then
  echo "== npm ci (chat/web)"
  (cd chat/web && npm ci --no-audit --no-fund --loglevel=error)
  cp chat/web/package-lock.json "$stamp"
fi
