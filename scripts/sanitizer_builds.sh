# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: how the sanitizer builds are configured, in
# one place, so that both scripts share build-asan/ without reconfiguring it (a different flag
# would rebuild everything). Debug (assertions on) at -O1 -g, as the sanitizers' manuals advise.
export CCACHE_BASEDIR="$PWD"  # relative paths in ccache keys: clones in other folders share it

sanitizer_configure() {  # DIR CMAKE-ARGS...
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" "$@" >/dev/null
}

# build_asan DIR TARGET: clang, ASan + UBSan on every object, and the libFuzzer targets.
build_asan() {
  CC=clang CXX=clang++ sanitizer_configure "$1" -DMIMI_FUZZ=ON
  cmake --build "$1" --target "$2" -j"${JOBS:-2}" >/dev/null
}

# build_tsan DIR: GCC with ThreadSanitizer.
build_tsan() {
  sanitizer_configure "$1" -DMIMI_SANITIZE=thread
  cmake --build "$1" -j"${JOBS:-2}" >/dev/null
}
