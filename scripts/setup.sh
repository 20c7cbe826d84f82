#!/usr/bin/env bash
# Installs the Debian 12 packages roc builds with, when any is missing. Idempotent: on a machine
# that has them all it only checks. Run as root (or with sudo available).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config                 # toolchain
  libzmq3-dev cppzmq-dev                           # ZeroMQ and its C++ binding
  rapidjson-dev libfmt-dev libspdlog-dev libcli11-dev doctest-dev
  clang-14 libclang-14-dev llvm-14-dev             # roc-gen's front end (Clang LibTooling)
  libclang-rt-14-dev                               # libFuzzer and the sanitizer runtimes for clang (tests/fuzz)
  python3 python3-zmq python3-numpy               # the Python package (python/)
  python3-pytest python3-pytest-timeout            # and its tests
  python3-pip python3-venv                         # its install as python/README.md says (test_package.py)
  tmux                                             # the --watch screen test (python/tests/test_cli_watch.py)
)
# Installed without their recommends, which are a desktop (printing, notifications, udev) none of
# them needs: headless Chromium, its driver, Selenium and a font to render text in screenshots for
# the web console's browser tests (python/tests/test_web_browser.py); IPython, whose tab completion
# of a proxy's members python/tests/test_client.py checks.
lean_packages=(chromium chromium-driver python3-selenium fonts-liberation python3-ipython)

missing_from() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

mapfile -t missing < <(missing_from "${packages[@]}")
mapfile -t missing_lean < <(missing_from "${lean_packages[@]}")
((${#missing[@]} + ${#missing_lean[@]} == 0)) && exit 0

echo "roc setup: installing ${missing[*]} ${missing_lean[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "roc setup: run as root, or install sudo" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
((${#missing[@]} == 0)) || $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
((${#missing_lean[@]} == 0)) || $sudo apt-get install -y -qq --no-install-recommends "${missing_lean[@]}" >/dev/null
