#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration (a real bash in a pty, TCP to a device
# simulator, SSH to a real sshd), property tests and doc tests. Needs Rust and bash; as root it
# also sets up what the SSH tests need (scripts/setup-sshd.sh).
set -euo pipefail
# Root's shells in the tests (`su`, `sudo -s`) start without the machine's /root/.bashrc, which
# may print anything: one seen here runs pyenv's rehash, which races with itself when two root
# shells start at once and prints `rm: cannot remove '/root/.pyenv/shims/tmp.…': No such file
# or directory`, a line on which Moler's rules fail the `su` (as Moler does). So, as root, the
# tests run in a mount namespace of their own where an empty file stands in for it; the
# machine's file is left as it is.
if [ "$(id -u)" = 0 ] && [ -z "${MOLER_TEST_NAMESPACE:-}" ] && [ -f /root/.bashrc ]; then
  if unshare --mount --propagation private true 2>/dev/null; then
    empty="$(mktemp)"
    # (The bind mount keeps the empty file's inode: its name can go at once.)
    exec env MOLER_TEST_NAMESPACE=1 unshare --mount --propagation private bash -c \
      'mount --bind "$1" /root/.bashrc && rm -f "$1" && shift && exec "$@"' _ "$empty" "$0" "$@"
  fi
  echo "*** test.sh: no mount namespace here: root's shells in the tests read /root/.bashrc," \
    "and what it prints counts in their output ***" >&2
fi
cd "$(dirname "$0")/.."
# The tests' temporary files go to a folder of this run's own (TMPDIR), removed at the end
# (kept when the run failed, to be looked at): a test that leaves files behind does not fill
# the machine's /tmp. It is open to everyone, as /tmp is: the test users (the simulator's, the
# test sshd's) read files the tests put there. What the tests left is listed: each test should
# remove what it made when it passes.
if [ -z "${MOLER_TEST_TMPDIR:-}" ]; then
  MOLER_TEST_TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/moler-tests.XXXXXX")"
  chmod 1777 "$MOLER_TEST_TMPDIR"
  export MOLER_TEST_TMPDIR TMPDIR="$MOLER_TEST_TMPDIR"
  leftovers() {
    local status=$? left
    left="$(find "$MOLER_TEST_TMPDIR" -mindepth 1 -maxdepth 1 -printf '%f\n' | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn)"
    if [ -n "$left" ]; then
      echo "test.sh: the tests left these in their temporary folder (N: any number):" >&2
      echo "$left" | head -40 >&2
    fi
    if [ "$status" = 0 ]; then
      rm -rf "$MOLER_TEST_TMPDIR"
    else
      echo "test.sh: the tests' temporary files are kept in $MOLER_TEST_TMPDIR" >&2
    fi
  }
  trap leftovers EXIT
fi
if ! command -v bash >/dev/null; then
  echo "bash is needed: the end-to-end tests drive a real bash in a pseudo-terminal" >&2
  exit 1
fi
# The SSH tests need OpenSSH's sshd and a test user: root gets them set up here (and the TLS
# headers libssh2 builds against); anyone else sees those tests say SKIPPED.
if [ "$(id -u)" = 0 ] && ! pkg-config --exists openssl 2>/dev/null; then
  echo "test.sh: installing libssl-dev and pkg-config (libssh2 is built against them)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libssl-dev pkg-config >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libssl-dev pkg-config >/dev/null; }
fi
# The command library runs each command once against the real tools: root gets the network
# ones installed (ping, ip, ifconfig/netstat); anyone else sees those tests say SKIPPED.
if [ "$(id -u)" = 0 ] && ! command -v ping >/dev/null; then
  echo "test.sh: installing iputils-ping, iproute2 and net-tools (the command library's tests)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q iputils-ping iproute2 net-tools >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iputils-ping iproute2 net-tools >/dev/null; }
fi
# The simulator's serial-console test puts it behind socat on a pty pair, and the command
# library's second real-tool slice (tests/commands_real_tools_b.rs) runs traceroute, ethtool,
# iptables, nft, killall/pkill, socat, tcpdump, nmap and wget: root gets them.
B_TOOLS="socat traceroute ethtool iptables nft killall pkill tcpdump nmap nping wget"
B_PACKAGES="socat traceroute ethtool iptables nftables psmisc procps tcpdump nmap wget"
if [ "$(id -u)" = 0 ] && ! (for t in $B_TOOLS; do command -v "$t" || exit 1; done) >/dev/null; then
  echo "test.sh: installing $B_PACKAGES (the simulator's serial console, the command library's tests)"
  # shellcheck disable=SC2086 # one package per word
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $B_PACKAGES >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $B_PACKAGES >/dev/null; }
fi
# The simulator's telnet devices (the ATEN PDU, the SCPI instrument) are reached as in the lab,
# with the telnet client from a local bash: root gets it.
if [ "$(id -u)" = 0 ] && ! command -v telnet >/dev/null; then
  echo "test.sh: installing telnet (the simulator's telnet devices)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q telnet >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q telnet >/dev/null; }
fi
# The transports' tests (tests/telnet.rs, tests/serial.rs) run a real telnet daemon (inetutils
# telnetd behind socat) and Debian's ser2net (RFC 2217 and raw TCP) on a socat pty pair: root
# gets them.
if [ "$(id -u)" = 0 ] && ! { [ -x /usr/sbin/telnetd ] && [ -x /usr/sbin/ser2net ]; }; then
  echo "test.sh: installing inetutils-telnetd and ser2net (the telnet and serial transports' tests)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q inetutils-telnetd ser2net >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q inetutils-telnetd ser2net >/dev/null; }
fi
# The AT family's end-to-end test opens the simulated modem's serial line with Debian's cu from
# a real bash (tests/commands_at.rs): root gets cu.
if [ "$(id -u)" = 0 ] && ! command -v cu >/dev/null; then
  echo "test.sh: installing cu (the AT family's serial-line test)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q cu >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q cu >/dev/null; }
fi
# The command library's archive tests zip and unzip real files: root gets zip and unzip.
if [ "$(id -u)" = 0 ] && ! { command -v zip && command -v unzip; } >/dev/null; then
  echo "test.sh: installing zip and unzip (the command library's archive tests)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q zip unzip >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q zip unzip >/dev/null; }
fi
# The command library's third real-tool slice (tests/commands_real_tools_c.rs) runs iperf 2
# and 3, tshark, adb, openssl (x509, s_server and s_client) and OpenSSH's scp, sftp and
# ssh-keygen: root gets them (tshark's question about capturing as non-root answered first, so
# it installs without asking).
C_TOOLS="iperf iperf3 tshark adb openssl scp sftp ssh-keygen"
C_PACKAGES="iperf iperf3 tshark adb openssl openssh-client"
if [ "$(id -u)" = 0 ] && ! (for t in $C_TOOLS; do command -v "$t" || exit 1; done) >/dev/null; then
  echo "test.sh: installing $C_PACKAGES (the command library's tests)"
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  # shellcheck disable=SC2086 # one package per word
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $C_PACKAGES >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $C_PACKAGES >/dev/null; }
fi
./scripts/setup-sshd.sh
# All targets of every package: unit, integration and property tests, moler-cli's tests of the
# built `moler` binary; benches make a tiny smoke run.
cargo test --workspace --all-targets "$@"
# The round-trip bench once more with everything pinned to one CPU (its `--pin`), as a smoke run.
cargo test --bench roundtrip "$@" -- --pin 0
# And over the transports whose floors go through stream code (the telnet codec, SSH's session,
# on each async runtime's reactor too), so those floors keep working.
cargo test --bench roundtrip "$@" -- --transport telnet
if [ "$(id -u)" = 0 ]; then
  cargo test --bench roundtrip "$@" -- --transport ssh
else
  echo "test.sh: SKIPPED the round-trip bench over SSH: not root, so no test sshd" >&2
fi
cargo test --workspace --doc "$@"
# The runners without their optional features: the thread runner alone, and the clear error
# for a runner that was left out of the build.
cargo test -p moler-runners --lib "$@"
# The runners' unit tests in a release build too: how a waker's vtable is emitted (one per
# codegen unit that makes one) differs there, and with it what `Waker::will_wake` says.
cargo test --release -p moler-runners --lib --all-features "$@"
cargo test -p moler --no-default-features --test local_shell --test tcp --test process --test telnet --test serial --test ssh_openssh "$@"
# The config crate alone, without runners or ssh: the errors for what a build left out.
cargo test -p moler-config --no-default-features "$@"
# The examples must keep working for a newcomer.
cargo run --quiet --example quickstart
cargo run --quiet --example layer1
cargo run --quiet --example layer2
cargo run --quiet --example async_tokio
cargo run --quiet --example async_smol
cargo run --quiet --example replay
cargo run --quiet --example layer3 -- examples/connections.yml
cargo run --quiet --example layer4
cargo run --quiet --example serial_modem
if [ "$(id -u)" = 0 ]; then
  cargo run --quiet -p moler-testkit --bin with-sshd -- cargo run --quiet --example ssh_shell -- \
    --host 127.0.0.1 --port {port} --user {user} --password {password} --known-hosts {dir}/known_hosts
  cargo run --quiet -p moler-testkit --bin with-sshd -- cargo run --quiet --example device_script -- \
    examples/my_devices.yml --host 127.0.0.1 --port {port} --user {user} --password {password} \
    --known-hosts {dir}/known_hosts
else
  echo "*** SKIPPED the ssh_shell and device_script examples: not root, so no test sshd ***" >&2
  if [ -n "${MOLER_NO_SKIP:-}" ] && [ "${MOLER_NO_SKIP}" != 0 ]; then
    echo "MOLER_NO_SKIP forbids skips" >&2
    exit 1
  fi
fi
