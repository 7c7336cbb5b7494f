#!/usr/bin/env bash
# Build step of deploy/docker/Dockerfile: builds one product in release mode and puts what its
# runtime image needs under /staging, at the paths the runtime image uses:
#   /staging/app/PRODUCT             the binary, debug info stripped (symbols kept for backtraces)
#   /staging/app/CallBridge_PRODUCT.resources   its resource bundle, if it has one (the Bridge
#                                    refuses to start without it: it looks next to the binary)
#   /staging/usr/...                 every shared library ldd finds in the Swift toolchain or
#                                    in /usr/local (librdkafka), and the Swift runtime's crash
#                                    backtracer with its libraries, at their paths here
#   /staging/etc/ld.so.conf.d/callbridge.conf   their folders, for ldconfig
# Debian's own libraries (libssl3, libsasl2-2, ...) are installed in the runtime image by apt.
#
#   deploy/docker/stage.sh Ingest|Bridge|callbridge-sim
set -euo pipefail

product="${1:?usage: stage.sh Ingest|Bridge|callbridge-sim}"
staging=/staging

swift build -c release --product "$product"
bin="$(swift build -c release --show-bin-path)"

mkdir -p "$staging/app" "$staging/etc/ld.so.conf.d"
strip --strip-debug -o "$staging/app/$product" "$bin/$product"
if [ -d "$bin/CallBridge_$product.resources" ]; then
  cp -R "$bin/CallBridge_$product.resources" "$staging/app/"
fi

# The runtime finds it next to libswiftCore (../../../libexec/swift/linux); without it a
# crash prints no backtrace.
backtracer=/usr/libexec/swift/linux/swift-backtrace
install -D -m 0755 "$backtracer" "$staging$backtracer"

for executable in "$bin/$product" "$backtracer"; do
  if ldd "$executable" | grep -q 'not found'; then
    ldd "$executable" >&2
    echo "stage.sh: $executable needs a library that is not installed" >&2
    exit 1
  fi
  # "libX.so => /path (address)": the path as the loader asks for it, `..` removed.
  ldd "$executable" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | xargs -r realpath -s
done | sort -u | while read -r library; do
  case "$library" in
    /usr/lib/swift/* | /usr/local/lib/*)
      mkdir -p "$staging$(dirname "$library")"
      cp -L "$library" "$staging$library"
      strip --strip-debug "$staging$library"
      dirname "$library" >>"$staging/etc/ld.so.conf.d/callbridge.conf"
      ;;
  esac
done
sort -u -o "$staging/etc/ld.so.conf.d/callbridge.conf" "$staging/etc/ld.so.conf.d/callbridge.conf"
echo "stage.sh: staged $product:" >&2
(cd "$staging" && find . -type f -exec du -h {} + | sort -k2) >&2
