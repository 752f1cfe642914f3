#!/usr/bin/env bash
# Builds a minimal busybox-static root filesystem at $1 for the test images: busybox, its
# applet links, and /etc/{passwd,group,shadow} (the shadow file is what the live test reads).
set -euo pipefail
R=$1
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,root,var,run,usr/bin,usr/sbin}
cp /bin/busybox "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$R/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
echo 'root:x:0:' > "$R/etc/group"
echo 'root:*:19000:0:99999:7:::' > "$R/etc/shadow"
chmod 640 "$R/etc/shadow"
echo 'nameserver 127.0.0.1' > "$R/etc/resolv.conf"
: > "$R/etc/hosts"
chmod 1777 "$R/tmp"
