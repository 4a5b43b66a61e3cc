# setup.sh: sourced by scripts/demo and scripts/test. Installs whatever Debian packages are missing
# (as root, with apt-get) and builds listready into $LR_BUILD (default build/). Idempotent: when
# everything is installed and built it only checks, which takes a second or two.
set -euo pipefail

LR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LR_BUILD=${LR_BUILD:-$LR_ROOT/build}
LR_PACKAGES=(build-essential cmake pkg-config libvips-dev libexif-dev libsqlite3-dev
	     libjpeg62-turbo-dev libwebp-dev libglib2.0-dev libjson-glib-dev nettle-dev)
LR_PACKAGES+=(libsoup-3.0-dev) # the HTTP server
# The test command (LR_WITH_TESTS=1) also needs Debian's Chromium for the review page's end-to-end
# test, and Node (from apt only when there is none: a NodeSource node brings its own npm).
if [ -n "${LR_WITH_TESTS:-}" ]; then
	LR_PACKAGES+=(chromium)
	command -v node >/dev/null 2>&1 || LR_PACKAGES+=(nodejs npm)
fi

lr_install_packages() {
	local missing=()
	for p in "${LR_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

lr_build() {
	local werror=OFF
	[ -n "${CI:-}" ] && werror=ON
	if [ ! -f "$LR_BUILD/CMakeCache.txt" ]; then
		cmake -S "$LR_ROOT" -B "$LR_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DLR_WERROR=$werror ${LR_CMAKE_ARGS:-} >/dev/null
	fi
	cmake --build "$LR_BUILD" -j "$(nproc)" >/dev/null
}

lr_install_packages
# playwright-core for tests/e2e/web, from its lock file; it never downloads a browser (the test uses
# /usr/bin/chromium). Only when missing, so that every later run just checks a folder.
if [ -n "${LR_WITH_TESTS:-}" ] &&
	[ ! -d "$LR_ROOT/tests/e2e/web/node_modules/playwright-core" ]; then
	(cd "$LR_ROOT/tests/e2e/web" &&
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || {
		echo "setup: npm ci in tests/e2e/web failed (is the npm registry reachable?)" >&2
		exit 1
	}
fi
lr_build
