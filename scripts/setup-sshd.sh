#!/usr/bin/env bash
# Prepares this machine for the SSH tests; only root can. Idempotent.
# - installs OpenSSH's server (Debian's openssh-server) when /usr/sbin/sshd is missing;
# - creates the test user (molertest) with a password and an ed25519 key in its authorized_keys;
# - creates /run/sshd (sshd's privilege separation folder).
# The tests start their own sshd on 127.0.0.1 with their own configuration, which only lets the
# test user in; nothing here starts a daemon or opens a port.
set -euo pipefail
user=${MOLER_TEST_SSH_USER:-molertest}
password=${MOLER_TEST_SSH_PASSWORD:-moler-Test-pw1}

if [ "$(id -u)" != 0 ]; then
  echo "setup-sshd: not root, so no test sshd: the SSH tests will say SKIPPED" >&2
  exit 0
fi
if [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/bin/ssh-keygen ] || [ ! -x /usr/bin/ssh ]; then
  echo "setup-sshd: installing openssh-server and openssh-client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q openssh-server openssh-client >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q openssh-server openssh-client >/dev/null; }
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
echo "setup-sshd: ready (user $user, key $home/.ssh/id_ed25519)"
