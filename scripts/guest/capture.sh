#!/usr/bin/env bash
# Boots Debian's own Linux kernel in QEMU to a busybox userspace with user processes running,
# stops it over QMP and captures what the real-guest tests compare against: an ELF core, a kdump
# core (zlib, makedumpfile's flattened stream as QEMU 7.2 writes it), `info registers`, and QEMU's
# own answers (`info tlb` / `info mem` on x86, `gva2gpa` samples on both).
#
# Usage: scripts/guest/capture.sh GUEST OUT_DIR [WORK_DIR]
#   GUEST: x86_64-la57 (q35, TCG, -cpu max,+la57: 5-level), x86_64-4level (-cpu max,-la57),
#          aarch64 (virt, cortex-a57)
#   OUT_DIR: receives one directory per stop (user-mode and kernel-mode CPU) with the captures.
#   WORK_DIR: scratch for downloaded packages, unpacked kernel, initramfs (default: a mktemp dir).
# Environment: KERNEL_ABI (default: the ABI linux-image-amd64 / -arm64 depends on), MEM (default 256M).
#
# Nothing is installed on the host: packages are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x`. Fetching arm64 packages needs `dpkg --add-architecture arm64` (apt metadata only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
guest="${1:?usage: capture.sh x86_64-la57|x86_64-4level|aarch64 OUT_DIR [WORK_DIR]}"
out="${2:?usage: capture.sh GUEST OUT_DIR [WORK_DIR]}"
work="${3:-$(mktemp -d)}"
mem="${MEM:-256M}"
mkdir -p "$out" "$work"
out="$(cd "$out" && pwd)"
work="$(cd "$work" && pwd)"

case "$guest" in
  x86_64-la57|x86_64-4level) debarch=amd64 ;;
  aarch64) debarch=arm64 ;;
  *) echo "capture.sh: unknown guest '$guest' (x86_64-la57, x86_64-4level, aarch64)" >&2; exit 2 ;;
esac

if [ "$debarch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
  echo "capture.sh: apt has no $debarch metadata; run: dpkg --add-architecture $debarch && apt-get update" >&2
  exit 2
fi

abi="${KERNEL_ABI:-$(apt-cache depends "linux-image-$debarch:$debarch" | sed -n 's/.*Depends: linux-image-\(.*\)-'"$debarch"'\(:'"$debarch"'\)\{0,1\}$/\1/p' | head -1)}"
kpkg="linux-image-$abi-$debarch"
pkgdir="$work/$debarch"
mkdir -p "$pkgdir"
(
  cd "$pkgdir"
  ls "$kpkg"_*.deb > /dev/null 2>&1 || apt-get download "$kpkg:$debarch"
  ls busybox-static_*.deb > /dev/null 2>&1 || apt-get download "busybox-static:$debarch"
  [ -d kernel ] || dpkg-deb -x "$(ls "$kpkg"_*.deb)" kernel
  [ -d busybox ] || dpkg-deb -x "$(ls busybox-static_*.deb)" busybox
)
kernel="$(ls "$pkgdir"/kernel/boot/vmlinuz-*)"
kver="$(dpkg-deb -f "$(ls "$pkgdir/$kpkg"_*.deb)" Version)"
bbver="$(dpkg-deb -f "$(ls "$pkgdir"/busybox-static_*.deb)" Version)"

# The initramfs: busybox, and an /init that starts two user processes (a shell spinning in user
# mode, dd copying in the kernel) and says when it is ready.
root="$work/initramfs-$guest"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys}
cp "$pkgdir/busybox/bin/busybox" "$root/bin/busybox"
# qemu_fw_cfg is a module in Debian's kernels: the guest writes its VMCOREINFO to -device vmcoreinfo
# only once it is loaded.
fwcfg="$(find "$pkgdir/kernel/lib/modules" -name 'qemu_fw_cfg.ko*' | head -1)"
case "$fwcfg" in
  *.xz) xz -dc "$fwcfg" > "$root/qemu_fw_cfg.ko" ;;
  *) cp "$fwcfg" "$root/qemu_fw_cfg.ko" ;;
esac
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
insmod /qemu_fw_cfg.ko && echo "GUEST-INFO qemu_fw_cfg loaded"
echo "GUEST-INFO uname: $(uname -a)"
echo "GUEST-INFO cmdline: $(cat /proc/cmdline)"
echo "GUEST-INFO meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null)"
dmesg | grep -i -e 'page tables isolation' -e '5-level' -e 'KASLR' -e 'Kernel command line' | sed 's/^/GUEST-INFO dmesg: /'
sh -c 'while :; do :; done' &
echo "GUEST-INFO spinner pid $!"
dd if=/dev/zero of=/dev/null bs=65536 2>/dev/null &
echo "GUEST-INFO dd pid $!"
echo GUEST-READY
while :; do sleep 3600; done
INIT
chmod +x "$root/init"
initrd="$work/initramfs-$guest.cpio.gz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$initrd"

qmp="$work/qmp-$guest.sock"
gdbport="${GDB_PORT:-$((20000 + RANDOM % 20000))}"
serial="$out/serial.log"
rm -f "$qmp" "$serial"
case "$guest" in
  x86_64-la57) qemu=(qemu-system-x86_64 -M q35 -accel tcg -cpu max,+la57 -append "console=ttyS0 pti=on panic=-1") ;;
  x86_64-4level) qemu=(qemu-system-x86_64 -M q35 -accel tcg -cpu max,-la57 -append "console=ttyS0 pti=on panic=-1") ;;
  aarch64) qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu cortex-a57 -append "console=ttyAMA0 panic=-1") ;;
esac
qemu+=(-m "$mem" -smp 1 -kernel "$kernel" -initrd "$initrd" -device vmcoreinfo -nographic -no-reboot
  -serial "file:$serial" -monitor none -qmp "unix:$qmp,server=on,wait=off" -gdb "tcp:127.0.0.1:$gdbport")
"${qemu[@]}" &
qpid=$!
trap 'kill "$qpid" 2>/dev/null || true' EXIT
printf '%q ' "${qemu[@]}" > "$out/qemu-command.txt"
echo >> "$out/qemu-command.txt"

cat > "$out/provenance.json" <<JSON
{
  "guest": "$guest",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "qemu": "$("${qemu[0]}" --version | head -1)",
  "kernelPackage": "$kpkg",
  "kernelVersion": "$kver",
  "busyboxVersion": "$bbver",
  "memory": "$mem"
}
JSON

# The AArch64 sample picker reads and walks the core with the repository's library (built dist).
[ -f "$here/../../packages/dump/dist/index.js" ] && [ -f "$here/../../packages/arch-aarch64/dist/index.js" ] ||
  (cd "$here/../.." && pnpm turbo run build --filter=@page-table/dump --filter=@page-table/arch-aarch64 --output-logs=errors-only)
node "$here/monitor.mjs" --qmp "$qmp" --serial "$serial" --out "$out" --guest "$guest" --qemu-pid "$qpid" --gdb "127.0.0.1:$gdbport"
