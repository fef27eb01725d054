# Python bindings: MK_BUILD_PYTHON AUTO builds them when pybind11 and Python 3 are found.
set(MK_BUILD_PYTHON AUTO CACHE STRING "Build the Python extension: AUTO (when pybind11 is found), ON or OFF")
set_property(CACHE MK_BUILD_PYTHON PROPERTY STRINGS AUTO ON OFF)
set(MK_HAVE_PYTHON OFF)
if(NOT MK_BUILD_PYTHON STREQUAL "OFF")
  if(NOT MK_BUILD_TOOLS)
    # megakernel.run(job) links the CLI's job runner (mk_cli_lib).
    if(MK_BUILD_PYTHON STREQUAL "ON")
      message(FATAL_ERROR "MK_BUILD_PYTHON=ON needs MK_BUILD_TOOLS=ON (the job runner). Fix: -DMK_BUILD_TOOLS=ON")
    endif()
  else()
    # Debian's interpreter, where python3-pybind11/numpy/pytest live (a pyenv python3 on PATH lacks them).
    if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
      set(Python3_EXECUTABLE /usr/bin/python3)
    endif()
    find_package(Python3 COMPONENTS Interpreter Development.Module QUIET)
    if(Python3_FOUND)
      find_package(pybind11 CONFIG QUIET)  # Debian 12 ships 2.10
    endif()
    if(Python3_FOUND AND pybind11_FOUND)
      set(MK_HAVE_PYTHON ON)
    elseif(MK_BUILD_PYTHON STREQUAL "ON")
      message(FATAL_ERROR "MK_BUILD_PYTHON=ON but pybind11 or Python 3 development files were not found. "
                          "Fix: scripts/setup-deps (Debian pybind11-dev, python3-pybind11, python3-dev)")
    endif()
  endif()
endif()
message(STATUS "megakernel: Python bindings ${MK_HAVE_PYTHON}")
