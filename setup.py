# Builds megakernel._megakernel with the project's CMake (library + extension only; CUDA when nvcc is found).
# Extra CMake arguments come from $CMAKE_ARGS, e.g. CMAKE_ARGS=-DMK_ENABLE_CUDA=OFF.
import os
import pathlib
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        output = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        build.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}", "-DMK_BUILD_PYTHON=ON", "-DMK_BUILD_TOOLS=ON",
            "-DMK_BUILD_TESTS=OFF", "-DMK_BUILD_BENCH=OFF", "-DMK_BUILD_EXAMPLES=OFF", "-DMK_BUILD_FUZZ=OFF",
            f"-DMK_PYTHON_OUTPUT_DIR={output}",
        ] + shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build), "--target", "_megakernel", "-j", jobs], check=True)


setup(ext_modules=[CMakeExtension("megakernel._megakernel")], cmdclass={"build_ext": CMakeBuild})
