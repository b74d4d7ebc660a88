#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, benchmarking and the
# bindings need. Safe to run again; uses sudo when not root.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packages=(
  build-essential cmake pkg-config git
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev nlohmann-json3-dev
  libspdlog-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-zmq python3-msgpack python3-pytest python3-setuptools python3-pip
  nats-server libnats-dev gnuplot-nox valgrind clang libclang-rt-14-dev
  iproute2 util-linux procps
  python3-venv
)
# Node 20 may come from elsewhere; Debian's nodejs/npm are the fallback.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "deps: installed ${#packages[@]} packages"
