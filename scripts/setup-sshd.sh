#!/usr/bin/env bash
# Prepares this machine for the SSH tests; only root can. Idempotent.
# - installs OpenSSH's server (Debian's openssh-server) when /usr/sbin/sshd is missing;
# - creates the test user (molertest) with a password and an ed25519 key in its authorized_keys;
# - creates /run/sshd (sshd's privilege separation folder);
# - installs sudo and lets the test user become root with its own password (the device tests
#   go UNIX_REMOTE -> UNIX_REMOTE_ROOT with sudo, answering sudo's password question);
# - creates the simulator's test user (molersim, the same password) whose login shell is
#   /usr/local/libexec/moler-sim-shell: it runs the simulator program on the device file the
#   test sshd names (SetEnv MOLER_SIM, MOLER_SIM_DEVICE), so an ssh hop lands in a simulated
#   device through real OpenSSH (moler-testkit's Sshd::start_sim).
# The tests start their own sshd on 127.0.0.1 with their own configuration, which only lets the
# test user in; nothing here starts a daemon or opens a port (the package's own service is kept
# from starting while it installs). The password is random, made once, and kept where only root
# reads it (/etc/moler-test-sshd/password), so the account is no way in for anyone else, even on
# a machine whose own sshd is running.
set -euo pipefail
user=${MOLER_TEST_SSH_USER:-molertest}
sim_user=${MOLER_TEST_SIM_USER:-molersim}
sim_shell=/usr/local/libexec/moler-sim-shell
secret_dir=/etc/moler-test-sshd

if [ "$(id -u)" != 0 ]; then
  echo "setup-sshd: not root, so no test sshd: the SSH tests will say SKIPPED" >&2
  exit 0
fi
if [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/bin/ssh-keygen ] || [ ! -x /usr/bin/ssh ]; then
  echo "setup-sshd: installing openssh-server and openssh-client"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting the machine's own sshd.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -q openssh-server openssh-client >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q openssh-server openssh-client >/dev/null; }
fi
install -d -m 700 "$secret_dir"
if [ -n "${MOLER_TEST_SSH_PASSWORD:-}" ]; then
  password=$MOLER_TEST_SSH_PASSWORD
else
  if [ ! -s "$secret_dir/password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$secret_dir/password")
  fi
  password=$(cat "$secret_dir/password")
fi
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi
# A user made by useradd stays locked until it has a password.
echo "$user:$password" | chpasswd
home=$(getent passwd "$user" | cut -d: -f6)
install -d -m 700 -o "$user" -g "$user" "$home/.ssh"
if [ ! -f "$home/.ssh/id_ed25519" ]; then
  ssh-keygen -q -t ed25519 -N '' -C "moler test key" -f "$home/.ssh/id_ed25519"
fi
# With StrictModes, sshd reads authorized_keys only from a folder and file the user owns.
cp "$home/.ssh/id_ed25519.pub" "$home/.ssh/authorized_keys"
chown "$user:$user" "$home/.ssh/id_ed25519" "$home/.ssh/id_ed25519.pub" "$home/.ssh/authorized_keys"
chmod 600 "$home/.ssh/id_ed25519" "$home/.ssh/authorized_keys"
mkdir -p /run/sshd
if [ ! -x /usr/bin/sudo ]; then
  echo "setup-sshd: installing sudo"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q sudo >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sudo >/dev/null; }
fi
# Its password is asked every time (no cached credentials), so each test sees the question.
printf '%s ALL=(ALL) ALL\nDefaults:%s timestamp_timeout=0\n' "$user" "$user" > /etc/sudoers.d/moler-test
chmod 440 /etc/sudoers.d/moler-test
# Android's `adb` for the test user, as the AdbRemote tests play it: `adb -s SERIAL shell`
# serves the simulated phone (moler-sim on a device file, both named by the test sshd with
# SetEnv), in ~/bin, which the user's login shell puts on its PATH.
install -d -m 755 -o "$user" -g "$user" "$home/bin"
cat > "$home/bin/adb" <<'ADB'
#!/bin/sh
# moler-rs's test adb (scripts/setup-sshd.sh): `adb [-s SERIAL] shell` runs $MOLER_SIM on
# $MOLER_SIM_ADB, the simulated phone of serial number ${MOLER_SIM_ADB_SERIAL:-f57e6b77}.
if [ -z "${MOLER_SIM:-}" ] || [ -z "${MOLER_SIM_ADB:-}" ]; then
  echo "adb: moler-rs's test adb: only the test sshd sets MOLER_SIM and MOLER_SIM_ADB" >&2
  exit 1
fi
serial=
if [ "${1:-}" = "-s" ]; then serial=${2:-}; shift 2; fi
if [ "$#" -ne 1 ] || [ "$1" != shell ]; then
  echo "adb: moler-rs's test adb knows only: adb [-s SERIAL] shell" >&2
  exit 1
fi
if [ -n "$serial" ] && [ "$serial" != "${MOLER_SIM_ADB_SERIAL:-f57e6b77}" ]; then
  echo "adb: device '$serial' not found" >&2
  exit 1
fi
exec "$MOLER_SIM" "$MOLER_SIM_ADB"
ADB
chown "$user:$user" "$home/bin/adb"
chmod 755 "$home/bin/adb"
grep -q 'moler-rs test bin' "$home/.profile" 2>/dev/null \
  || echo 'case ":$PATH:" in *":$HOME/bin:"*) ;; *) PATH="$HOME/bin:$PATH" ;; esac # moler-rs test bin' >> "$home/.profile"
chown "$user:$user" "$home/.profile"
# The simulator's user: its login shell runs the simulator the test sshd names.
install -d -m 755 "$(dirname "$sim_shell")"
cat > "$sim_shell" <<'SHELL'
#!/bin/sh
# The login shell of moler-rs's simulator test user: the test sshd names the simulator program
# and its device file (sshd_config SetEnv MOLER_SIM=... MOLER_SIM_DEVICE=...).
if [ -z "${MOLER_SIM:-}" ]; then
  echo "moler-sim-shell: MOLER_SIM is not set (only the test sshd sets it)" >&2
  exit 1
fi
exec "$MOLER_SIM" "$@"
SHELL
chmod 755 "$sim_shell"
if ! id "$sim_user" >/dev/null 2>&1; then
  useradd --create-home --shell "$sim_shell" "$sim_user"
fi
[ "$(getent passwd "$sim_user" | cut -d: -f7)" = "$sim_shell" ] || usermod --shell "$sim_shell" "$sim_user"
echo "$sim_user:$password" | chpasswd
echo "setup-sshd: ready (user $user, key $home/.ssh/id_ed25519; simulator user $sim_user)"
