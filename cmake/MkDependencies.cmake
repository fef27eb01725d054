# Locate third-party dependencies: CCCL (libcu++) from the CUDA toolkit, and Debian -dev packages.
find_path(MK_CCCL_INCLUDE_DIR cuda/std/expected
  HINTS $ENV{CUDA_PATH} $ENV{CUDAToolkit_ROOT} ${CUDAToolkit_ROOT} /usr/local/cuda
  PATH_SUFFIXES include/cccl include
  DOC "Directory holding CCCL's cuda/std headers (libcu++)")
if(NOT MK_CCCL_INCLUDE_DIR)
  message(FATAL_ERROR "CCCL headers (cuda/std/expected) not found. Fix: install the CUDA toolkit "
                      "(it ships CCCL) or pass -DMK_CCCL_INCLUDE_DIR=/path/to/cuda/include/cccl")
endif()
add_library(mk_cccl INTERFACE)
# CCCL is header-only; treat it as a system include so its warnings stay out of ours.
target_include_directories(mk_cccl SYSTEM INTERFACE "$<BUILD_INTERFACE:${MK_CCCL_INCLUDE_DIR}>"
                                                   "$<INSTALL_INTERFACE:${MK_CCCL_INCLUDE_DIR}>")

find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
if(MK_BUILD_TOOLS OR MK_BUILD_BENCH)
  find_package(CLI11 REQUIRED)
endif()
if(MK_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(MK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
