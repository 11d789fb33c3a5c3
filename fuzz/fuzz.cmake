# fuzz/: libFuzzer targets (docs/RELIABILITY.md, "Fuzzing"). Off by default; clang only, in a build
# directory of its own, because every target of that build is compiled with the sanitizers:
#   CC=clang CXX=clang++ cmake -S . -B build-asan -DMIMI_FUZZ=ON
#   cmake --build build-asan --target fuzz -j2        (or: scripts/fuzz.sh [SECONDS])
# Included before the libraries are defined, so that the resolver and discovery libraries get the
# same flags as the targets; the targets themselves are defined at the end of the top directory
# (cmake_language DEFER), once the libraries exist.
option(MIMI_FUZZ "Build the libFuzzer targets of fuzz/ (clang++; use a separate build directory)" OFF)
if(NOT MIMI_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MIMI_FUZZ needs clang++ (Debian packages clang and libclang-rt-14-dev); "
    "configure a separate build directory: CC=clang CXX=clang++ cmake -S . -B build-asan -DMIMI_FUZZ=ON")
endif()

# Every object gets libFuzzer's coverage hooks and the sanitizers; an undefined-behaviour report
# aborts (no recovery) so that libFuzzer records it as a crash.
set(MIMI_SANITIZERS address,undefined)
add_compile_options(-fsanitize=fuzzer-no-link,${MIMI_SANITIZERS} -fno-sanitize-recover=all
  -fno-omit-frame-pointer)
add_link_options(-fsanitize=${MIMI_SANITIZERS})

function(mimi_fuzz_targets)
  # The service harness reuses the tests' ServiceFixture, whose temporary folder is in process.cpp.
  add_library(mimi_fuzz_support STATIC ${CMAKE_SOURCE_DIR}/tests/support/process.cpp)
  target_link_libraries(mimi_fuzz_support PUBLIC mimi_resolver)
  target_compile_definitions(mimi_fuzz_support PUBLIC
    MIMI_BINARY_DIR="${CMAKE_BINARY_DIR}" MIMI_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

  set(targets fuzz_identifier fuzz_query fuzz_request_body fuzz_import_line fuzz_peer_answer
    fuzz_http_request)
  foreach(name ${targets})
    add_executable(${name} ${CMAKE_SOURCE_DIR}/fuzz/${name}.cpp)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE mimi_discovery mimi_fuzz_support)
  endforeach()
  # Beast: Boost 1.74 in C++20 needs <utility> first (docs/DEPENDENCIES.md trap 2).
  target_compile_options(fuzz_http_request PRIVATE -include utility)
  target_link_libraries(fuzz_http_request PRIVATE Boost::headers)
  add_custom_target(fuzz DEPENDS ${targets})
endfunction()
cmake_language(DEFER CALL mimi_fuzz_targets)
